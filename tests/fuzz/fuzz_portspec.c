/* SPDX-License-Identifier: MIT */
/* portset_parse() and portset_parse_protos() with the knowledge base's presets, on arbitrary
 * specs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/portset.h"
#include "kb/kb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Parsed once: the built-in data is fixed, and parsing it per input would swamp the run. */
	static struct kb *kb;
	struct ps_diag diag = {{0}};
	static struct portset set, udp;
	static uint16_t ports[PORTSET_MAX_PORT];
	uint32_t p = 0, count, i;
	char *spec;

	if (!kb && kb_load_builtin(&kb, &diag) != PS_OK)
		abort();
	if (size > 4096)
		return 0;
	spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	if (portset_parse(&set, spec, kb_preset, kb, &diag) == PS_OK) {
		count = (uint32_t)portset_to_array(&set, ports);
		if (count != set.count || count == 0)
			abort(); /* a successful parse yields at least one port, counted right */
		/* The array is what portset_next walks, in ascending order. */
		for (i = 0; i < count && i < 64; i++)
			if ((p = portset_next(&set, p)) != ports[i] || !portset_has(&set, ports[i]))
				abort();
		if (portset_next(&set, ports[count - 1]) != 0)
			abort();
	}
	/* The U:/T: form: whatever is accepted lands in one of the two sets. */
	if (portset_parse_protos(&set, &udp, spec, kb_preset, kb, &diag) == PS_OK &&
	    set.count + udp.count == 0)
		abort();
	free(spec);
	return 0;
}
