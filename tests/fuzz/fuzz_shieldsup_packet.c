/* SPDX-License-Identifier: MIT */
/*
 * A packet from the tested host, classified for ShieldsUP's "unsolicited packets"
 * (src/run/shieldsup_watch.c): within its bounds, one of the three kinds, and the text
 * naming an unsolicited packet terminated and printable. The first byte picks IPv4 or IPv6;
 * the addresses are forced to the host's and ours so the transport parsers are reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/shieldsup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shieldsup_pkt_ctx c;
	static uint8_t pkt[4096];
	char what[SHIELDSUP_NOTE_MAX];
	enum shieldsup_pkt k;
	size_t i;

	if (size > sizeof(pkt))
		size = sizeof(pkt);
	memcpy(pkt, data, size);
	if (!c.target.family) {
		portset_add(&c.tcp_ports, 445);
		portset_add(&c.tcp_ports, 0);
	}
	if (size >= 1 && (pkt[0] >> 4) == 6) {
		ps_addr_parse("2001:db8::2", &c.target);
		ps_addr_parse("2001:db8::1", &c.local);
		if (size >= 40) {
			memcpy(pkt + 8, c.target.bytes, 16);
			memcpy(pkt + 24, c.local.bytes, 16);
		}
	} else {
		ps_addr_parse("192.0.2.2", &c.target);
		ps_addr_parse("192.0.2.1", &c.local);
		if (size >= 20) {
			memcpy(pkt + 12, c.target.bytes, 4);
			memcpy(pkt + 16, c.local.bytes, 4);
		}
	}
	k = shieldsup_classify_packet(&c, pkt, size, what, sizeof(what));
	if (k != SHIELDSUP_PKT_IGNORED && k != SHIELDSUP_PKT_SOLICITED &&
	    k != SHIELDSUP_PKT_UNSOLICITED)
		abort();
	if (!memchr(what, '\0', sizeof(what)))
		abort();
	if (k == SHIELDSUP_PKT_UNSOLICITED && !what[0])
		abort(); /* an unsolicited packet is always named */
	for (i = 0; what[i]; i++)
		if ((unsigned char)what[i] < 0x20 || what[i] == 0x7f)
			abort();
	return 0;
}
