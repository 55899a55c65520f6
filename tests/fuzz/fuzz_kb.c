/* SPDX-License-Identifier: MIT */
/* kb_parse() on arbitrary bytes; whatever parses is then queried the ways portsight does. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>

#include "kb/kb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const presets[] = {"common",	 "service", "top100",
					      "top1000", "trojans", "bogus"};
	const struct kb_entry *found[4];
	struct ps_diag diag = {{0}};
	struct portset set;
	struct kb *kb = NULL;
	const uint16_t *rank;
	size_t i, n;

	if (kb_parse((const char *)data, size, &kb, &diag) != PS_OK) {
		if (kb)
			abort(); /* a failed parse must not hand out a base */
		return 0;
	}
	n = kb_count(kb);
	for (i = 0; i < n; i++) {
		const struct kb_entry *e = kb_entry_at(kb, i);

		if (kb_lookup(kb, e->port, e->proto) != e)
			abort();
		if (e->ntrojans)
			kb_find_trojan(kb, e->trojans[e->ntrojans - 1], found, 4);
		kb_find_service(kb, e->service, found, 4);
	}
	kb_ranked(kb, &rank);
	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		kb_preset(kb, presets[i], &set, &diag);
	kb_free(kb);
	return 0;
}
