/* SPDX-License-Identifier: MIT */
#ifndef PS_AUDIT_FIREWALL_H
#define PS_AUDIT_FIREWALL_H

/*
 * What the nftables ruleset in force would do with a new inbound connection to a local port.
 * The ruleset comes from `nft -j list ruleset`; audit_fw_judge() walks the base chains a packet
 * arriving from another host meets (ingress, prerouting, input) with a model of that packet:
 * a TCP SYN (or a UDP datagram) to the port, conntrack state "new", from an unknown source on a
 * non-loopback interface. Each match is true, false or unknown; an unknown match follows both
 * branches, so the answer is the set of outcomes the packet could meet. One outcome is a
 * verdict; several are AUDIT_FW_UNKNOWN. Anything we do not model (iptables-nft "xt" matches,
 * queue, dnat, a walk over budget) is every outcome at once: unknown, never a guess.
 */
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "core/addr.h"
#include "core/err.h"

struct audit_fw;

/* Parses the JSON text of `nft -j list ruleset`. */
enum ps_err audit_fw_parse(const char *json, size_t len, struct audit_fw **out,
			   struct ps_diag *diag);
/* Runs `nft -j list ruleset` (nft = program name or path; NULL for "nft") and parses it. */
enum ps_err audit_fw_load(const char *nft, struct audit_fw **out, struct ps_diag *diag);
void audit_fw_free(struct audit_fw *fw);

/* How many base chains the ruleset has (0: no firewall at all). */
size_t audit_fw_base_chains(const struct audit_fw *fw);

struct audit_fw_query {
	uint8_t family;		     /* AF_INET or AF_INET6: the packet's family */
	uint8_t proto;		     /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;		     /* destination port */
	const struct ps_addr *daddr; /* destination address, or NULL when any local address */
};

/* The verdict for q; why gets the deciding rule or the reason for "unknown". Verdicts for
 * queries without a destination address are cached in fw by port interval: ports that no
 * constant of the ruleset tells apart share one evaluation (5000 listeners, one walk). */
enum audit_fw_verdict audit_fw_judge(struct audit_fw *fw, const struct audit_fw_query *q, char *why,
				     size_t whylen);

#endif
