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

/*
 * The same hash in two steps, for inputs that share a prefix (the SYN cookie's source
 * address): the state after the prefix's 8-byte blocks, computed once, then the rest.
 * net_siphash24_rest(net_siphash24_prefix(k, p, n), r, m, n + m) == net_siphash24(k, p|r, n+m)
 * whenever n is a multiple of 8.
 */
struct net_siphash_state {
	uint64_t v0, v1, v2, v3;
};

struct net_siphash_state net_siphash24_prefix(const struct net_siphash_key *key,
					      const void *prefix, size_t len);
uint64_t net_siphash24_rest(struct net_siphash_state st, const void *rest, size_t len,
			    size_t total_len);
/*
 * net_siphash24_rest() of NET_SIPHASH_LANES inputs at once (rest[k], len bytes each, len <=
 * NET_SIPHASH_REST_MAX), from one state: four independent chains side by side keep a core's
 * ALUs busy where one chain waits on itself.
 */
#define NET_SIPHASH_LANES 4
#define NET_SIPHASH_REST_MAX 32
void net_siphash24_rest_lanes(struct net_siphash_state st,
			      const uint8_t (*rest)[NET_SIPHASH_REST_MAX], size_t len,
			      size_t total_len, uint64_t out[NET_SIPHASH_LANES]);

#endif
