/* SPDX-License-Identifier: MIT */
/*
 * harden --allow/--refuse specs ("ssh,443/tcp,53/udp,8000-8100") with the knowledge base's
 * service names: parsed or refused, never past the range table; every parsed range matches
 * its own ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harden/harden.h"
#include "kb/kb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Parsed once: the built-in data is fixed, and parsing it per input would swamp the run. */
	static struct kb *kb;
	static struct harden_ports ports;
	struct ps_diag diag = {{0}};
	const char *name;
	char *spec;
	size_t i;

	if (!kb && kb_load_builtin(&kb, &diag) != PS_OK)
		abort();
	if (size > 4096)
		return 0;
	spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	ports.n = 0;
	/* Twice into the same table: the second call appends, and must stop at the cap. */
	if (harden_ports_parse(spec, kb, &ports, &diag) == PS_OK)
		(void)harden_ports_parse(spec, kb, &ports, &diag);
	if (ports.n > HARDEN_RANGES_MAX)
		abort();
	for (i = 0; i < ports.n; i++) {
		const struct harden_range *r = &ports.v[i];
		uint8_t proto = r->proto ? r->proto : 6;

		if (r->lo > r->hi || !harden_ports_match(&ports, proto, r->lo, &name) ||
		    !harden_ports_match(&ports, proto, r->hi, &name) || !name)
			abort();
	}
	free(spec);
	return 0;
}
