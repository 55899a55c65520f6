/* SPDX-License-Identifier: MIT */
/*
 * A payload file (ours, and read as nmap-payloads) from someone else: parsed or refused with
 * a message, and a parsed file's payloads and cookies lie within their bounds.
 */
#include <stdint.h>
#include <stdlib.h>

#include "net/packet.h"
#include "probe/udp_payloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum udp_payloads_format fmts[] = {UDP_PAYLOADS_OWN, UDP_PAYLOADS_NMAP};
	unsigned f;

	for (f = 0; f < 2; f++) {
		struct ps_diag diag = {{0}};
		struct udp_payloads p;
		size_t i;

		if (udp_payloads_parse(&p, (const char *)data, size, fmts[f], &diag)) {
			if (!diag.msg[0])
				abort(); /* a refusal always says why */
			continue;
		}
		for (i = 0; i < p.count; i++) {
			const struct udp_payload *pl = &p.items[i];

			if (pl->len > NET_UDP_PAYLOAD_MAX ||
			    (pl->cookie_off >= 0 &&
			     (size_t)pl->cookie_off + pl->cookie_len > pl->len))
				abort();
		}
		udp_payloads_release(&p);
	}
	return 0;
}
