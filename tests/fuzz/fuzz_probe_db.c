/* SPDX-License-Identifier: MIT */
/*
 * The probes.db parser (PROBE_DB_FORMAT selects ours or nmap's syntax at compile time), then
 * a few replies matched against whatever parsed, so templates from the input run too.
 */
#include <stddef.h>
#include <stdint.h>

#include "probe/probe.h"

#ifndef PROBE_DB_FORMAT
#define PROBE_DB_FORMAT PROBE_DB_NATIVE
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const replies[] = {
	    "SSH-2.0-OpenSSH_9.2p1\r\n",
	    "HTTP/1.0 200 OK\r\nServer: x/1\r\n\r\n",
	    "220 ftp ready\r\n",
	    "\x16\x03\x01\x00\x02\x02\x28",
	};
	struct probe_db *db;
	struct probe_matcher *mt = NULL;
	struct probe_match_result res;
	size_t i;

	if (probe_db_new(&db))
		return 0;
	if (probe_matcher_new(&mt)) {
		probe_db_free(db);
		return 0;
	}
	if (probe_db_add_text(db, (const char *)data, size, PROBE_DB_FORMAT, "fuzz", NULL) ==
	    PS_OK) {
		for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
			const char *r = replies[i];
			size_t len = 0;

			while (r[len] || (i == 3 && len < 7))
				len++;
			probe_db_match(db, mt, NULL, r, len, NULL, &res);
			probe_db_match(db, mt, "GetRequest", r, len, NULL, &res);
		}
	}
	probe_matcher_free(mt);
	probe_db_free(db);
	return 0;
}
