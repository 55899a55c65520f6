/* SPDX-License-Identifier: MIT */
/*
 * The history location (--db, PORTSIGHT_DB): a file path, sqlite:PATH, sqlite://PATH or a
 * URL of another kind. Only the parsing part: nothing is opened.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *file;
	char *loc;

	if (size > 4096)
		return 0;
	loc = malloc(size + 1);
	if (!loc)
		return 0;
	memcpy(loc, data, size);
	loc[size] = '\0';
	file = store_location_file(loc);
	/* What it returns is a suffix of what it was given, or NULL for a non-file URL. */
	if (file && (file < loc || file > loc + strlen(loc)))
		abort();
	free(loc);
	return 0;
}
