/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for src/net/packet.c: whatever arrives on the wire, as an Ethernet frame
 * or a bare IP packet, parses or is refused without reading out of bounds; a parse that
 * succeeds describes a TCP segment, a UDP datagram, an ICMP error or an echo/timestamp reply of
 * a known family.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "net/packet.h"

static void check(const struct net_reply *r)
{
	if (r->kind != NET_REPLY_TCP && r->kind != NET_REPLY_ICMP && r->kind != NET_REPLY_UDP &&
	    r->kind != NET_REPLY_ICMP_QUERY)
		abort();
	/* A query reply is an echo or timestamp reply of its own family. */
	if (r->kind == NET_REPLY_ICMP_QUERY &&
	    (r->src.family == AF_INET ? r->icmp_type != NET_ICMP_ECHO_REPLY &&
					    r->icmp_type != NET_ICMP_TIMESTAMP_REPLY
				      : r->icmp_type != NET_ICMP6_ECHO_REPLY))
		abort();
	/* A UDP payload lies inside what was parsed. */
	if (r->kind == NET_REPLY_UDP && r->payload_len && !r->payload)
		abort();
	if (r->src.family != AF_INET && r->src.family != AF_INET6)
		abort();
	if (r->kind == NET_REPLY_ICMP && r->q_dst.family != r->src.family)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_reply r;

	if (net_parse_frame(data, size, &r) == PS_OK)
		check(&r);
	if (net_parse_ip(data, size, &r) == PS_OK)
		check(&r);
	return 0;
}
