/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the rtnetlink parsers of src/net/route.c: route, link and neighbour
 * answers, however malformed, are parsed or refused without reading past the buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_route rt;
	struct ps_addr addr = {.family = AF_INET, .bytes = {192, 0, 2, 2}};
	uint8_t mac[NET_ETH_ALEN];
	/* Netlink messages are 4-byte aligned in the kernel's buffers: give the parser that. */
	void *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&rt, 0, sizeof(rt));
	if (net_route_parse_reply(buf, size, &rt) == PS_OK && rt.ifname[sizeof(rt.ifname) - 1])
		abort();
	(void)net_neigh_parse_reply(buf, size, rt.ifindex, &addr, mac);
	addr.family = AF_INET6;
	(void)net_neigh_parse_reply(buf, size, rt.ifindex, &addr, mac);
	free(buf);
	return 0;
}
