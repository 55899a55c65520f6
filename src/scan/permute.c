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
