/* SPDX-License-Identifier: MIT */
#ifndef PS_NET_SIPHASH_H
#define PS_NET_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * SipHash-2-4 (Aumasson & Bernstein, 2012): a keyed 64-bit PRF. The SYN engine uses it to
 * turn (addresses, ports) into a sequence-number cookie that a blind sender cannot forge.
 */
struct net_siphash_key {
	uint64_t k0, k1;
};

uint64_t net_siphash24(const struct net_siphash_key *key, const void *data, size_t len);

#endif
