/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "engine.h"

/* Every scan engine; --engine NAME (or -sT / -sS) picks one. */
static const struct scan_engine *const engines[] = {
	&scan_connect_engine,
};

const struct scan_engine *scan_engine_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	return NULL;
}
