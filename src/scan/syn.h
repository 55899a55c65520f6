/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_SYN_H
#define PS_SCAN_SYN_H

#include <stdint.h>

#include "core/addr.h"
#include "net/siphash.h"

/*
 * The SYN engine's stateless match: a probe's sequence number is a keyed hash of its
 * addresses and ports, so a reply proves which probe it answers (ack - 1 of a SYN-ACK or
 * RST, the quoted sequence of an ICMP error) without a table of probes in flight.
 */
uint32_t scan_syn_cookie(const struct net_siphash_key *key, const struct ps_addr *src,
			 const struct ps_addr *dst, uint16_t sport, uint16_t dport);

#endif
