/* SPDX-License-Identifier: MIT */
/*
 * Target lists: target_list_add_text() then target_list_finish() on arbitrary text. A line
 * "--exclude" splits the input into targets and exclusions. Names are refused by the resolver,
 * so nothing leaves the process.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum ps_err refuse_names(void *ctx, const char *name, struct ps_addr *out,
				struct ps_diag *diag)
{
	(void)ctx;
	(void)out;
	return ps_fail(diag, PS_ERR_RESOLVE, "fuzz: no name lookups (%s)", name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char marker[] = "--exclude";
	const char *text = (const char *)data, *split;
	struct target_list list, exclude;
	struct ps_diag diag = {{0}};
	size_t tlen = size;
	struct ps_addr addr;
	uint64_t i;

	split = memmem(text, size, marker, sizeof(marker) - 1);
	if (split)
		tlen = (size_t)(split - text);
	target_list_init(&list);
	target_list_init(&exclude);
	if (target_list_add_text(&list, text, tlen, refuse_names, NULL, &diag))
		goto out;
	if (split &&
	    target_list_add_text(&exclude, split + sizeof(marker) - 1,
				 size - tlen - (sizeof(marker) - 1), refuse_names, NULL, &diag))
		goto out;
	if (target_list_finish(&list, split ? &exclude : NULL, (uint64_t)1 << 40, &diag))
		goto out;
	if (list.total == 0)
		abort();
	/* The edges of every range, and a few points between. */
	for (i = 0; i < list.nranges; i++) {
		target_list_get(&list, list.start[i], &addr, NULL);
		if (i + 1 < list.nranges && list.start[i + 1] <= list.start[i])
			abort();
	}
	target_list_get(&list, list.total - 1, &addr, NULL);
	target_list_get(&list, list.total / 2, &addr, NULL);
out:
	target_list_release(&list);
	target_list_release(&exclude);
	return 0;
}
