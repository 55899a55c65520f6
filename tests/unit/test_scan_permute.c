/* SPDX-License-Identifier: MIT */
/*
 * The one permutation both engines walk (scan/permute.c): a bijection of 0..n-1 for many n,
 * shards that partition one cycle into contiguous ranges, and iterators over a range that
 * interleave (the raw transport's senders) without losing or repeating a position.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/permute.h"

/* Every position of [0, n) once through the iterator, every value below n once. */
static void check_bijection(uint64_t n, uint64_t seed)
{
	struct scan_perm perm;
	struct scan_perm_iter it;
	uint8_t *seen = calloc(n ? n : 1, 1);
	uint64_t v, count = 0, i = 0;

	assert_non_null(seen);
	scan_perm_init(&perm, n, seed);
	scan_perm_iter_init(&it, &perm, scan_perm_whole(&perm), 0, 1);
	while (scan_perm_iter_next(&it, &v)) {
		assert_true(v < n);
		assert_int_equal(seen[v], 0);
		assert_int_equal(v, scan_perm_at(&perm, i));
		seen[v] = 1;
		count++;
		i++;
	}
	assert_int_equal(count, n);
	assert_true(scan_perm_iter_done(&it));
	free(seen);
}

static void test_bijection_small(void **state)
{
	static const uint64_t primes[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43,
					  47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 127,
					  251, 257, 509, 521, 1021, 4093, 4099, 65521, 65537};
	uint64_t n;
	size_t i;

	(void)state;
	for (n = 1; n <= 300; n++)
		check_bijection(n, n * 7919);
	for (i = 0; i < sizeof(primes) / sizeof(primes[0]); i++)
		check_bijection(primes[i], i);
	check_bijection(65535, 1);
	check_bijection(65536, 2);
}

/*
 * 65536 x 16 pairs (a /16 on 16 ports): a full check would be a megabyte of marks, so it is
 * one, and a sample of positions must land where a full walk put them.
 */
static void test_bijection_large(void **state)
{
	const uint64_t n = 65536ull * 16;
	struct scan_perm perm;
	uint64_t *at = malloc(n * sizeof(*at));
	uint8_t *seen = calloc(n, 1);
	uint64_t i, in_place = 0;

	(void)state;
	assert_non_null(at);
	assert_non_null(seen);
	scan_perm_init(&perm, n, 99);
	for (i = 0; i < n; i++) {
		at[i] = scan_perm_at(&perm, i);
		assert_true(at[i] < n);
		assert_int_equal(seen[at[i]], 0);
		seen[at[i]] = 1;
		in_place += at[i] == i;
	}
	assert_true(in_place < 100); /* a random permutation fixes about one point */
	for (i = 0; i < n; i += 4099)
		assert_int_equal(scan_perm_at(&perm, i), at[i]);
	/* 2^40 + 3 pairs: sampled values stay below n and differ. */
	scan_perm_init(&perm, (1ull << 40) + 3, 5);
	for (i = 0; i < 1000; i++) {
		uint64_t a = scan_perm_at(&perm, i), b = scan_perm_at(&perm, i + 1);

		assert_true(a < (1ull << 40) + 3);
		assert_int_not_equal(a, b);
	}
	free(seen);
	free(at);
}

/* Shards are contiguous, in order, nearly equal, and cover each position exactly once. */
static void check_shards(uint64_t n, uint64_t nshards)
{
	struct scan_perm perm;
	uint8_t *seen = calloc(n ? n : 1, 1);
	uint64_t s, next = 0, total = 0, v;

	assert_non_null(seen);
	scan_perm_init(&perm, n, n + nshards);
	for (s = 0; s < nshards; s++) {
		struct scan_perm_range r = scan_perm_shard(&perm, s, nshards);
		struct scan_perm_iter it;
		uint64_t size = r.end - r.begin;

		assert_int_equal(r.begin, next);
		assert_true(r.end >= r.begin);
		assert_true(size == n / nshards || size == n / nshards + 1);
		next = r.end;
		scan_perm_iter_init(&it, &perm, r, 0, 1);
		while (scan_perm_iter_next(&it, &v)) {
			assert_int_equal(seen[v], 0);
			seen[v] = 1;
			total++;
		}
	}
	assert_int_equal(next, n);
	assert_int_equal(total, n);
	free(seen);
}

static void test_shards_partition(void **state)
{
	static const uint64_t sizes[] = {1, 2, 3, 7, 100, 65535, 65536};
	static const uint64_t splits[] = {1, 2, 3, 4, 7, 16, 101};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (j = 0; j < sizeof(splits) / sizeof(splits[0]); j++)
			check_shards(sizes[i], splits[j]);
}

/* Out-of-range shard numbers, and a range past n, give nothing rather than wrap. */
static void test_shard_edges(void **state)
{
	struct scan_perm perm;
	struct scan_perm_iter it;
	struct scan_perm_range r;
	uint64_t v;

	(void)state;
	scan_perm_init(&perm, 10, 1);
	r = scan_perm_shard(&perm, 3, 3);
	assert_int_equal(r.begin, r.end);
	r = scan_perm_shard(&perm, 0, 0);
	assert_int_equal(r.begin, r.end);
	scan_perm_iter_init(&it, &perm, (struct scan_perm_range){.begin = 8, .end = 50}, 0, 1);
	assert_true(scan_perm_iter_next(&it, &v));
	assert_true(scan_perm_iter_next(&it, &v));
	assert_false(scan_perm_iter_next(&it, &v));
	scan_perm_iter_init(&it, &perm, scan_perm_whole(&perm), 10, 1);
	assert_true(scan_perm_iter_done(&it));
	assert_false(scan_perm_iter_next(&it, &v));
	/* One shard of more shards than elements may be empty, and that is fine. */
	r = scan_perm_shard(&perm, 0, 20);
	assert_int_equal(r.begin, 0);
	assert_int_equal(r.end, 0);
}

/* Interleaved walkers (offset k, step m) of one range cover it between them, once. */
static void test_interleave(void **state)
{
	const uint64_t n = 10007;
	struct scan_perm perm;
	uint8_t *seen = calloc(n, 1);
	struct scan_perm_range r;
	uint64_t m, k, v, total;

	(void)state;
	assert_non_null(seen);
	scan_perm_init(&perm, n, 3);
	for (m = 1; m <= 5; m++) {
		memset(seen, 0, n);
		total = 0;
		r = scan_perm_shard(&perm, 1, 3);
		for (k = 0; k < m; k++) {
			struct scan_perm_iter it;

			scan_perm_iter_init(&it, &perm, r, k, m);
			while (scan_perm_iter_next(&it, &v)) {
				assert_int_equal(seen[v], 0);
				seen[v] = 1;
				total++;
			}
		}
		assert_int_equal(total, r.end - r.begin);
	}
	free(seen);
}

/* The same seed gives the same order; another seed another. */
static void test_seed(void **state)
{
	struct scan_perm a, b, c;
	uint64_t i, same_ab = 0, same_ac = 0;

	(void)state;
	scan_perm_init(&a, 1000, 77);
	scan_perm_init(&b, 1000, 77);
	scan_perm_init(&c, 1000, 78);
	for (i = 0; i < 1000; i++) {
		same_ab += scan_perm_at(&a, i) == scan_perm_at(&b, i);
		same_ac += scan_perm_at(&a, i) == scan_perm_at(&c, i);
	}
	assert_int_equal(same_ab, 1000);
	assert_true(same_ac < 50);
}

/* A batch walk is the one-at-a-time walk, for ranges, steps and sizes with cycle walking. */
static void test_batch(void **state)
{
	static const uint64_t sizes[] = {1, 2, 7, 100, 1000, 4097, 65536, 100003};
	uint64_t out[128], one;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct scan_perm perm;
		struct scan_perm_iter a, b;
		uint64_t step;

		scan_perm_init(&perm, sizes[i], 1234 + i);
		for (step = 1; step <= 3; step++) {
			size_t n, k, max = 1;

			scan_perm_iter_init(&a, &perm, scan_perm_shard(&perm, 1, 3), 1, step);
			scan_perm_iter_init(&b, &perm, scan_perm_shard(&perm, 1, 3), 1, step);
			while ((n = scan_perm_iter_next_batch(&a, out, max))) {
				for (k = 0; k < n; k++) {
					assert_true(scan_perm_iter_next(&b, &one));
					assert_true(out[k] == one);
				}
				max = max % 97 + 5; /* batches of every size, lanes cut anywhere */
			}
			assert_false(scan_perm_iter_next(&b, &one));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bijection_small),
	    cmocka_unit_test(test_bijection_large),
	    cmocka_unit_test(test_shards_partition),
	    cmocka_unit_test(test_shard_edges),
	    cmocka_unit_test(test_interleave),
	    cmocka_unit_test(test_seed),
	    cmocka_unit_test(test_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
