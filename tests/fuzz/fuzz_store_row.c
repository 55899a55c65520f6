/* SPDX-License-Identifier: MIT */
/*
 * diff decodes history rows like any file (a database can be edited by hand): the input is
 * one row, its columns separated by newlines: addr, port, proto, state, name, product, version.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *col[7] = {0}, *p, *save = NULL;
	struct snap_service svc = {0};
	struct snapshot s;
	struct ps_diag diag;
	int n = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* A NULL column is what SQLite hands back for NULL: keep missing columns NULL. */
	for (p = strtok_r(text, "\n", &save); p && n < 7; p = strtok_r(NULL, "\n", &save))
		col[n++] = p;
	snapshot_init(&s);
	snprintf(svc.name, sizeof(svc.name), "%s", col[4] ? col[4] : "");
	snprintf(svc.product, sizeof(svc.product), "%s", col[5] ? col[5] : "");
	snprintf(svc.version, sizeof(svc.version), "%s", col[6] ? col[6] : "");
	svc.probed = col[6] && col[6][0] == 'm';
	if (snapshot_add_text(&s, col[0], col[1] ? strtoll(col[1], NULL, 10) : 0, col[2], col[3],
			      col[4] ? &svc : NULL, &diag) == PS_OK &&
	    (s.nports != 1 || s.ports[0].port == 0 || s.ports[0].state >= PORT_STATE_COUNT))
		abort();
	snapshot_release(&s);
	free(text);
	return 0;
}
