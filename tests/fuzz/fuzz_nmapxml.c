/* SPDX-License-Identifier: MIT */
/* diff reads XML files from anyone (nmap -oX, portsight -oX, or a hostile file). */
#include <stddef.h>
#include <stdint.h>

#include "store/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum ps_err ignore(void *ctx, const struct diff_change *c)
{
	(void)ctx;
	(void)c;
	return PS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot s;
	struct ps_diag diag;
	size_t changes;

	snapshot_init(&s);
	if (nmapxml_parse((const char *)data, size, &s, &diag) == PS_OK) {
		struct snapshot empty;

		/* Whatever was read must also survive the diff. */
		snapshot_init(&empty);
		snapshot_diff(&empty, &s, ignore, NULL, &changes);
		snapshot_release(&empty);
	}
	snapshot_release(&s);
	return 0;
}
