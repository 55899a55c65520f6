/* SPDX-License-Identifier: MIT */
#ifndef PS_NET_ROUTE_H
#define PS_NET_ROUTE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "packet.h"

/* How to put a packet for one destination on the wire, as rtnetlink says. */
struct net_route {
	int ifindex;
	char ifname[IF_NAMESIZE];
	unsigned short hwtype;	  /* ARPHRD_ETHER, ARPHRD_LOOPBACK, ... */
	bool local;		  /* RTN_LOCAL: the destination is this machine */
	struct ps_addr src;	  /* preferred source address */
	struct ps_addr gateway;	  /* family 0 when the destination is on-link */
	uint8_t if_mac[NET_ETH_ALEN];
	uint32_t mtu;
};

/*
 * RTM_GETROUTE for dst (through ifname when non-NULL), then RTM_GETLINK for the interface.
 * The source is the route's preferred source, or what the kernel would pick for a UDP
 * socket connected to dst.
 */
enum ps_err net_route_lookup(const struct ps_addr *dst, const char *ifname, struct net_route *out,
			     struct ps_diag *diag);

/* The address whose link-layer address a frame to dst must carry: the gateway or dst. */
const struct ps_addr *net_route_nexthop(const struct net_route *rt, const struct ps_addr *dst);

/*
 * The MAC of nexthop on rt's interface (RTM_GETNEIGH). When the kernel does not know it,
 * a zero-length UDP datagram to trigger_dst (port 9, discard) makes it resolve, and the table
 * is read again until timeout_ms. Loopback and other link types without addresses give zeros.
 */
enum ps_err net_neigh_resolve(const struct net_route *rt, const struct ps_addr *nexthop,
			      const struct ps_addr *trigger_dst, unsigned timeout_ms,
			      uint8_t mac[NET_ETH_ALEN], struct ps_diag *diag);

/*
 * The same for n on-link addresses at once (a LAN range): one trigger each, then the table is
 * read until every address is known or timeout_ms passed. found[i] says whether macs[i] is
 * valid; an address nobody answers for is not there. PS_OK even when some are missing.
 */
enum ps_err net_neigh_resolve_many(const struct net_route *rt, const struct ps_addr *addrs,
				   size_t n, unsigned timeout_ms, uint8_t (*macs)[NET_ETH_ALEN],
				   bool *found, struct ps_diag *diag);

/*
 * The parsers behind the lookups, for the fuzz harness and tests: a buffer of netlink
 * messages as the kernel answers RTM_GETROUTE/RTM_GETLINK (rt gets what they say) or an
 * RTM_GETNEIGH dump (mac gets addr's address on ifindex). PS_ERR_INVALID for a malformed
 * buffer, PS_ERR_NOT_FOUND when nothing matched.
 */
enum ps_err net_route_parse_reply(const void *buf, size_t len, struct net_route *rt);
enum ps_err net_neigh_parse_reply(const void *buf, size_t len, int ifindex,
				  const struct ps_addr *addr, uint8_t mac[NET_ETH_ALEN]);

/* Whether the route's interface frames carry an Ethernet header (Ethernet and loopback). */
bool net_route_has_ethernet(const struct net_route *rt);

/*
 * The neighbour table (ARP for AF_INET, NDP for AF_INET6) of every interface: each entry with
 * a usable link-layer address, to fn.
 */
typedef void (*net_neigh_fn)(void *ctx, const struct ps_addr *addr,
			     const uint8_t mac[NET_ETH_ALEN]);
enum ps_err net_neigh_each(int family, net_neigh_fn fn, void *ctx, struct ps_diag *diag);

/*
 * Whether someone set a queueing discipline of their own on the interface (tbf, htb, netem,
 * a pfifo with a limit...): not one of those a kernel or distribution sets up by itself.
 * False when it cannot be read.
 */
bool net_link_shaped(int ifindex);

#endif
