/* SPDX-License-Identifier: MIT */
/*
 * A reply from a hostile server, matched as the answer to each of our probes: the regexes,
 * the capture templates and the classification run on bytes we do not choose.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "probe/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct probe_db *db;
	static struct probe_matcher *mt;
	static const char *const probes[] = {NULL,	  "http-get", "generic-lines", "redis-info",
					     "smtp-ehlo", "rdp-x224", "smb-negotiate"};
	struct probe_match_result res;
	struct service_info svc;
	size_t i;

	if (!db && (probe_db_new(&db) || probe_db_add_builtin(db, NULL)))
		return 0;
	if (!mt && probe_matcher_new(&mt))
		return 0;
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		memset(&svc, 0, sizeof(svc));
		memset(&res, 0, sizeof(res));
		if (probe_db_match(db, mt, probes[i], data, size, NULL, &res)) {
			memcpy(svc.name, res.service, sizeof(svc.name));
			svc.confidence = SERVICE_MATCHED;
		}
		probe_classify(db, NULL, 12345, 6, res.backdoor, &svc);
	}
	return 0;
}
