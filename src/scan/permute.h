/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_PERMUTE_H
#define PS_SCAN_PERMUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The one order of a scan: a keyed random permutation of the pairs 0..n-1 (pair = address
 * index x ports + port index), which both engines walk. scan_perm_at(perm, i) is the i-th
 * element of one cycle of n, computed without a table: a 4-round Feistel network on the
 * smallest even bit width 2^(2h) >= n, walking the cycle until the value lands below n
 * (Black & Rogaway's cycle walking; masscan's blackrock is the same idea). At most 4x the
 * domain is covered, so a lookup costs a few rounds on average. The same seed gives the same
 * order.
 *
 * Sharding (zmap's shard.c): a shard is a contiguous range [begin, end) of positions in that
 * one cycle; the shards of a split partition it, so scans on several machines or threads with
 * the same seed cover every pair exactly once between them. Inside a range an iterator can
 * take every step-th position from an offset: the raw transport's senders interleave so.
 */
struct scan_perm {
	uint64_t n;
	unsigned half_bits;
	uint64_t half_mask;
	uint64_t keys[4];
};

/* Positions [begin, end) of the cycle. */
struct scan_perm_range {
	uint64_t begin, end;
};

struct scan_perm_iter {
	const struct scan_perm *perm;
	uint64_t pos;  /* next position */
	uint64_t end;  /* end of the range */
	uint64_t step; /* >= 1 */
};

void scan_perm_init(struct scan_perm *perm, uint64_t n, uint64_t seed);
/* The i-th element (i < n) of the permutation. */
uint64_t scan_perm_at(const struct scan_perm *perm, uint64_t i);

/* The whole cycle: [0, n). */
struct scan_perm_range scan_perm_whole(const struct scan_perm *perm);
/*
 * Shard shard (0-based, < nshards) of nshards: contiguous, in order, sizes differing by at
 * most one, together exactly [0, n).
 */
struct scan_perm_range scan_perm_shard(const struct scan_perm *perm, uint64_t shard,
				       uint64_t nshards);

/* Positions range.begin + offset, + step, ... below range.end. */
void scan_perm_iter_init(struct scan_perm_iter *it, const struct scan_perm *perm,
			 struct scan_perm_range range, uint64_t offset, uint64_t step);
/* The next element of the walk into *value; false when the walk is over. */
bool scan_perm_iter_next(struct scan_perm_iter *it, uint64_t *value);
bool scan_perm_iter_done(const struct scan_perm_iter *it);
/*
 * Up to max next elements of the walk into out, the same as that many scan_perm_iter_next()
 * calls; how many. The Feistel rounds of SCAN_PERM_LANES elements run side by side: their
 * multiplications do not wait on each other, so a batch costs a fraction of one at a time.
 */
#define SCAN_PERM_LANES 8u
size_t scan_perm_iter_next_batch(struct scan_perm_iter *it, uint64_t *out, size_t max);

/* splitmix64: expands a seed into independent-looking 64-bit words. */
uint64_t scan_splitmix64(uint64_t *state);

#endif
