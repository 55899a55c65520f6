/* SPDX-License-Identifier: MIT */
/*
 * The SYN engine's stateless pieces: the target permutation (a bijection, repeatable by
 * seed), the AIMD rate controller, and the sequence-number cookie.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/module.h"
#include "scan/permute.h"
#include "scan/rate.h"
#include "scan/syn.h"

static void check_bijection(uint64_t n, uint64_t seed)
{
	struct scan_perm perm;
	uint8_t *seen = calloc(n ? n : 1, 1);
	uint64_t i, in_place = 0;

	assert_non_null(seen);
	scan_perm_init(&perm, n, seed);
	for (i = 0; i < n; i++) {
		uint64_t v = scan_perm_at(&perm, i);

		assert_true(v < n);
		assert_int_equal(seen[v], 0);
		seen[v] = 1;
		in_place += v == i;
	}
	/* Not the identity: a random permutation fixes about one point. */
	if (n >= 1000)
		assert_true(in_place < n / 100);
	free(seen);
}

static void test_perm_bijection(void **state)
{
	static const uint64_t sizes[] = {1, 2, 3, 5, 16, 17, 1000, 65535, 65536, 1048576, 1048577};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_bijection(sizes[i], 42 + i);
}

static void test_perm_seed(void **state)
{
	struct scan_perm a, b, c;
	uint64_t i, same_ab = 0, same_ac = 0;

	(void)state;
	scan_perm_init(&a, 65535, 1234);
	scan_perm_init(&b, 65535, 1234);
	scan_perm_init(&c, 65535, 1235);
	for (i = 0; i < 65535; i++) {
		same_ab += scan_perm_at(&a, i) == scan_perm_at(&b, i);
		same_ac += scan_perm_at(&a, i) == scan_perm_at(&c, i);
	}
	assert_int_equal(same_ab, 65535);
	assert_true(same_ac < 100);
}

/* Consecutive ports of one host land far apart, so one host never sees a burst. */
static void test_perm_spread(void **state)
{
	struct scan_perm perm;
	uint64_t i, adjacent = 0;

	(void)state;
	scan_perm_init(&perm, 65535, 99);
	for (i = 1; i < 65535; i++) {
		uint64_t a = scan_perm_at(&perm, i - 1), b = scan_perm_at(&perm, i);

		adjacent += (a > b ? a - b : b - a) == 1;
	}
	assert_true(adjacent < 20);
}

static void test_rate_fixed(void **state)
{
	struct scan_rate rate;
	uint64_t t = 1000000000ULL;
	unsigned total = 0;
	int i;

	(void)state;
	scan_rate_init(&rate, 10000, t);
	/* One second in 1 ms steps: 10000 tokens, give or take the initial burst. */
	for (i = 0; i < 1000; i++) {
		t += 1000000;
		total += scan_rate_take(&rate, t, 64);
		scan_rate_tick(&rate, t, i == 500); /* a fixed rate ignores loss */
	}
	assert_in_range(total, 9900, 10000);
	assert_true(rate.pps == 10000.0);
}

static void test_rate_aimd(void **state)
{
	struct scan_rate rate;
	uint64_t t = 1000000000ULL;
	double before;
	int i;

	(void)state;
	scan_rate_init(&rate, 0, t);
	assert_true(rate.pps == SCAN_RATE_START);
	for (i = 0; i < 5; i++) {
		t += SCAN_RATE_TICK_NS;
		scan_rate_tick(&rate, t, false);
	}
	assert_true(rate.pps > SCAN_RATE_START * 7.5); /* 1.5^5 = 7.6 */
	before = rate.pps;
	t += 1000;
	scan_rate_tick(&rate, t, true);
	assert_true(rate.pps == before / 2);
	assert_false(rate.slow_start);
	/* Additive from now on: equal steps of 1/32 of the rate the loss was seen at. */
	for (i = 0; i < 10; i++) {
		double prev = rate.pps;

		t += SCAN_RATE_TICK_NS;
		scan_rate_tick(&rate, t, false);
		assert_true(rate.pps - prev > before / 32 - 0.001);
		assert_true(rate.pps - prev < before / 32 + 0.001);
	}
	/* Never above the ceiling, never below the floor. */
	for (i = 0; i < 2000; i++) {
		t += SCAN_RATE_TICK_NS;
		scan_rate_tick(&rate, t, false);
	}
	assert_true(rate.pps <= SCAN_RATE_AUTO_MAX);
	for (i = 0; i < 100; i++) {
		t += SCAN_RATE_TICK_NS;
		scan_rate_tick(&rate, t, true);
	}
	assert_true(rate.pps >= SCAN_RATE_MIN);
}

/* --min-rate / --max-rate: automatic between the two; losses stop at the floor. */
static void test_rate_bounds(void **state)
{
	struct scan_rate rate;
	uint64_t t = 1000000000ULL;
	int i;

	(void)state;
	scan_rate_init(&rate, 20000, t); /* --max-rate 20000 */
	scan_rate_bounds(&rate, 3000, 20000);
	assert_false(rate.fixed);
	assert_true(rate.pps == 20000.0); /* the start, brought under the cap */
	for (i = 0; i < 100; i++) {
		t += 1000;
		scan_rate_tick(&rate, t, true);
		assert_true(rate.pps >= 3000.0);
	}
	assert_true(rate.pps == 3000.0);
	assert_true(rate.lowest_pps == 3000.0);
	for (i = 0; i < 2000; i++) {
		t += SCAN_RATE_TICK_NS;
		scan_rate_tick(&rate, t, false);
	}
	assert_true(rate.pps == 20000.0);
	/* A floor above the cap is the cap (the command line refuses it before). */
	scan_rate_bounds(&rate, 50000, 20000);
	assert_true(rate.min_pps == 20000.0 && rate.pps == 20000.0);
	/* Without --min-rate a loss goes down to SCAN_RATE_MIN. */
	scan_rate_init(&rate, 0, t);
	for (i = 0; i < 100; i++) {
		t += 1000;
		scan_rate_tick(&rate, t, true);
	}
	assert_true(rate.pps == SCAN_RATE_MIN);
}

static void test_rate_ratio_signal(void **state)
{
	struct scan_rate rate;
	uint64_t t = 1000000000ULL;
	double before;
	int i;

	(void)state;
	scan_rate_init(&rate, 0, t);
	/* Steady: half the probes answer. */
	for (i = 0; i < 4; i++) {
		scan_rate_account(&rate, 1000, 500);
		t += SCAN_RATE_TICK_NS;
		scan_rate_tick(&rate, t, false);
	}
	assert_int_equal(rate.decreases, 0);
	before = rate.pps;
	/* Then a window where only a fifth answer: replies are being lost. */
	scan_rate_account(&rate, 1000, 200);
	t += SCAN_RATE_TICK_NS;
	scan_rate_tick(&rate, t, false);
	assert_int_equal(rate.decreases, 1);
	assert_true(rate.pps == before / 2);
}

static void test_cookie(void **state)
{
	struct net_siphash_key k1 = {1, 2}, k2 = {1, 3};
	struct ps_addr a, b, c;
	uint32_t base;

	(void)state;
	assert_int_equal(ps_addr_parse("192.0.2.1", &a), PS_OK);
	assert_int_equal(ps_addr_parse("192.0.2.2", &b), PS_OK);
	assert_int_equal(ps_addr_parse("2001:db8::2", &c), PS_OK);
	base = scan_syn_cookie(&k1, &a, &b, 40000, 80);
	assert_int_equal(base, scan_syn_cookie(&k1, &a, &b, 40000, 80));
	assert_int_not_equal(base, scan_syn_cookie(&k2, &a, &b, 40000, 80));
	assert_int_not_equal(base, scan_syn_cookie(&k1, &b, &a, 40000, 80));
	assert_int_not_equal(base, scan_syn_cookie(&k1, &a, &b, 40000, 81));
	assert_int_not_equal(base, scan_syn_cookie(&k1, &a, &b, 40001, 80));
	assert_int_not_equal(base, scan_syn_cookie(&k1, &a, &c, 40000, 80));
}

/*
 * The SYN module's cached path builds make_packet's frame, byte for byte, while the source,
 * the source port and the link addresses change under it (the cache rebuilt each time).
 */
static void test_cached_probe(void **state)
{
	static const uint8_t mac[3][6] = {{2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 3}, {2, 0, 0, 0, 0, 1}};
	static const char *const srcs[] = {"198.18.0.1", "198.18.0.2", "2001:db8::1"};
	struct scan_probe_env env = {.key = {.k0 = 11, .k1 = 22}, .sport_span = 1};
	struct scan_probe_cache cache = {0};
	uint8_t want[NET_FRAME_MAX], got[NET_FRAME_MAX];
	uint64_t r = 99;
	int i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		struct scan_probe p = {.sport = (uint16_t)(40000 + (i / 500) % 2),
				       .ip_id = (uint16_t)i,
				       .dport = (uint16_t)(i * 7919)};
		int s = (i / 100) % 3, k;
		size_t n;

		assert_int_equal(ps_addr_parse(srcs[s], &p.src), 0);
		p.dst = p.src;
		for (k = s == 2 ? 15 : 3; k >= (s == 2 ? 8 : 2); k--) {
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			p.dst.bytes[k] = (uint8_t)(r >> 40);
		}
		if ((i / 50) % 3 != 2) { /* a third of them bare IP packets */
			p.link_dst = mac[(i / 50) % 2];
			p.link_src = mac[2];
		}
		if (i == 1700)
			env.key.k1++; /* another run's key: the cache must not keep the old one */
		n = scan_tcp_syn_module.make_packet(want, sizeof(want), &env, &p);
		assert_true(n > 0);
		assert_int_equal(scan_tcp_syn_module.make_packet_cached(&cache, got, sizeof(got),
									&env, &p),
				 n);
		assert_memory_equal(got, want, n);
	}
}

/* The batch path too: runs of one source hashed four at a time, the others one by one. */
static void test_cached_batch(void **state)
{
	static const uint8_t mac[2][6] = {{2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 1}};
	static const char *const srcs[] = {"198.18.0.1", "198.18.0.2", "2001:db8::1"};
	struct scan_probe_env env = {.key = {.k0 = 5, .k1 = 6}, .sport_span = 1};
	static uint8_t frames[67][NET_FRAME_MAX];
	struct scan_probe_cache cache = {0};
	struct scan_probe probes[67];
	uint8_t want[NET_FRAME_MAX];
	size_t lens[67], n, i;
	int round;

	(void)state;
	for (round = 0; round < 40; round++) {
		n = (size_t)(round % 67) + 1;
		for (i = 0; i < n; i++) {
			struct scan_probe *p = &probes[i];
			int s = (round % 3 == 0) ? (int)(i % 3) : round % 3; /* mixed, or one source */

			memset(p, 0, sizeof(*p));
			assert_int_equal(ps_addr_parse(srcs[s], &p->src), 0);
			p->dst = p->src;
			p->dst.bytes[s == 2 ? 15 : 3] = (uint8_t)(i * 13 + round);
			p->sport = 40000;
			p->dport = (uint16_t)(i * 101 + (size_t)round);
			p->ip_id = (uint16_t)i;
			p->link_dst = mac[0];
			p->link_src = mac[1];
		}
		scan_tcp_syn_module.make_packets_cached(&cache, frames, lens, &env, probes, n);
		for (i = 0; i < n; i++) {
			size_t len = scan_tcp_syn_module.make_packet(want, sizeof(want), &env,
								     &probes[i]);

			assert_int_equal(lens[i], len);
			assert_memory_equal(frames[i], want, len);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perm_bijection),
		cmocka_unit_test(test_perm_seed),
		cmocka_unit_test(test_perm_spread),
		cmocka_unit_test(test_rate_fixed),
		cmocka_unit_test(test_rate_aimd),
		cmocka_unit_test(test_rate_bounds),
		cmocka_unit_test(test_rate_ratio_signal),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_cached_probe),
		cmocka_unit_test(test_cached_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
