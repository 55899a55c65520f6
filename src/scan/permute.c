/* SPDX-License-Identifier: MIT */
#include "permute.h"

#define ROUNDS 4

uint64_t scan_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void scan_perm_init(struct scan_perm *perm, uint64_t n, uint64_t seed)
{
	unsigned bits = 2;
	int i;

	while (bits < 64 && (1ULL << bits) < n)
		bits += 2;
	perm->n = n;
	perm->half_bits = bits / 2;
	perm->half_mask = (1ULL << perm->half_bits) - 1;
	for (i = 0; i < ROUNDS; i++)
		perm->keys[i] = scan_splitmix64(&seed);
}

/* The round function only needs to mix well; the order is not a secret worth a MAC. */
static uint64_t round_fn(uint64_t r, uint64_t key)
{
	uint64_t s = r ^ key;

	return scan_splitmix64(&s);
}

static uint64_t feistel(const struct scan_perm *perm, uint64_t x)
{
	uint64_t left = x >> perm->half_bits, right = x & perm->half_mask, t;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		t = right;
		right = (left ^ round_fn(right, perm->keys[i])) & perm->half_mask;
		left = t;
	}
	return (left << perm->half_bits) | right;
}

uint64_t scan_perm_at(const struct scan_perm *perm, uint64_t i)
{
	uint64_t x = i;

	if (perm->n <= 1)
		return 0;
	do
		x = feistel(perm, x);
	while (x >= perm->n);
	return x;
}

struct scan_perm_range scan_perm_whole(const struct scan_perm *perm)
{
	return (struct scan_perm_range){.begin = 0, .end = perm->n};
}

/* floor(n * k / m) without overflow for any 64-bit n. */
static uint64_t share_of(uint64_t n, uint64_t k, uint64_t m)
{
	return (uint64_t)((unsigned __int128)n * k / m);
}

struct scan_perm_range scan_perm_shard(const struct scan_perm *perm, uint64_t shard,
				       uint64_t nshards)
{
	if (!nshards || shard >= nshards)
		return (struct scan_perm_range){.begin = perm->n, .end = perm->n};
	return (struct scan_perm_range){
	    .begin = share_of(perm->n, shard, nshards),
	    .end = share_of(perm->n, shard + 1, nshards),
	};
}

void scan_perm_iter_init(struct scan_perm_iter *it, const struct scan_perm *perm,
			 struct scan_perm_range range, uint64_t offset, uint64_t step)
{
	uint64_t end = range.end < perm->n ? range.end : perm->n;

	it->perm = perm;
	it->end = end;
	it->step = step ? step : 1;
	it->pos = range.begin < end && offset < end - range.begin ? range.begin + offset : end;
}

bool scan_perm_iter_done(const struct scan_perm_iter *it)
{
	return it->pos >= it->end;
}

bool scan_perm_iter_next(struct scan_perm_iter *it, uint64_t *value)
{
	if (it->pos >= it->end)
		return false;
	*value = scan_perm_at(it->perm, it->pos);
	it->pos = it->end - it->pos > it->step ? it->pos + it->step : it->end;
	return true;
}

/* feistel() on up to SCAN_PERM_LANES values at once, those with pending[k] set. */
static void feistel_lanes(const struct scan_perm *perm, uint64_t *x, const bool *pending,
			  size_t n)
{
	uint64_t left[SCAN_PERM_LANES], right[SCAN_PERM_LANES], t;
	size_t k;
	int i;

	for (k = 0; k < n; k++) {
		left[k] = x[k] >> perm->half_bits;
		right[k] = x[k] & perm->half_mask;
	}
	for (i = 0; i < ROUNDS; i++)
		for (k = 0; k < n; k++) {
			t = right[k];
			right[k] = (left[k] ^ round_fn(right[k], perm->keys[i])) & perm->half_mask;
			left[k] = t;
		}
	for (k = 0; k < n; k++)
		if (pending[k])
			x[k] = (left[k] << perm->half_bits) | right[k];
}

/* scan_perm_at() of each of x[0..n), in place, n <= SCAN_PERM_LANES. */
static void perm_at_lanes(const struct scan_perm *perm, uint64_t *x, size_t n)
{
	bool pending[SCAN_PERM_LANES];
	bool any = true;
	size_t k;

	if (perm->n <= 1) {
		for (k = 0; k < n; k++)
			x[k] = 0;
		return;
	}
	for (k = 0; k < n; k++)
		pending[k] = true;
	/* Cycle walking, every lane at once: those that landed below n keep their value. */
	while (any) {
		feistel_lanes(perm, x, pending, n);
		any = false;
		for (k = 0; k < n; k++) {
			pending[k] = pending[k] && x[k] >= perm->n;
			any |= pending[k];
		}
	}
}

size_t scan_perm_iter_next_batch(struct scan_perm_iter *it, uint64_t *out, size_t max)
{
	size_t n = 0, k;

	while (n < max && it->pos < it->end) {
		out[n++] = it->pos;
		it->pos = it->end - it->pos > it->step ? it->pos + it->step : it->end;
	}
	for (k = 0; k < n; k += SCAN_PERM_LANES)
		perm_at_lanes(it->perm, out + k, n - k < SCAN_PERM_LANES ? n - k : SCAN_PERM_LANES);
	return n;
}
