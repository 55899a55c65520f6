/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_PERMUTE_H
#define PS_SCAN_PERMUTE_H

#include <stdint.h>

/*
 * A keyed random permutation of 0..n-1 without a table: a 4-round Feistel network on the
 * smallest even bit width 2^(2h) >= n, walking the cycle until the value lands below n
 * (Black & Rogaway's cycle walking; masscan's blackrock is the same idea). At most 4x the
 * domain is covered, so a lookup costs a few rounds on average. The same seed gives the
 * same order.
 */
struct scan_perm {
	uint64_t n;
	unsigned half_bits;
	uint64_t half_mask;
	uint64_t keys[4];
};

void scan_perm_init(struct scan_perm *perm, uint64_t n, uint64_t seed);
/* The i-th element (i < n) of the permutation. */
uint64_t scan_perm_at(const struct scan_perm *perm, uint64_t i);

/* splitmix64: expands a seed into independent-looking 64-bit words. */
uint64_t scan_splitmix64(uint64_t *state);

#endif
