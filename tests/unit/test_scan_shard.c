/* SPDX-License-Identifier: MIT */
/*
 * Shards through an engine: for several splits, seeds, target and port counts (with
 * exclusions), the shards of one split report every pair of the scan exactly once between
 * them, and none outside it. The connect engine against 127.0.0.0/8 only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/portset.h"
#include "core/target.h"
#include "scan/engine.h"

struct tally {
	const struct target_list *targets;
	uint16_t ports[16];
	unsigned nports;
	uint8_t *seen; /* per pair: how many times reported */
	uint64_t total;
	uint64_t outside; /* results for an address or port not in the scan */
};

static void on_result(void *ctx, const struct port_result *res)
{
	struct tally *t = ctx;
	struct ps_addr a;
	uint64_t i;
	unsigned p;

	for (p = 0; p < t->nports && t->ports[p] != res->port; p++)
		;
	for (i = 0; i < t->targets->total; i++) {
		target_list_get(t->targets, i, &a, NULL);
		if (!ps_addr_cmp(&a, &res->addr))
			break;
	}
	if (p == t->nports || i == t->targets->total) {
		t->outside++;
		return;
	}
	t->seen[i * t->nports + p]++;
}

static void check_split(const char *targets, const char *exclude, const char *ports, uint64_t seed,
			uint64_t nshards)
{
	struct target_list list, ex;
	struct portset set;
	struct tally t = {.targets = &list};
	struct scan_stats stats;
	struct ps_diag diag = {{0}};
	uint64_t s, i;
	uint32_t p;

	target_list_init(&list);
	target_list_init(&ex);
	assert_int_equal(target_list_add_text(&list, targets, strlen(targets), NULL, NULL, NULL),
			 PS_OK);
	if (exclude) {
		assert_int_equal(
		    target_list_add_text(&ex, exclude, strlen(exclude), NULL, NULL, NULL), PS_OK);
		assert_int_equal(target_list_finish(&ex, NULL, 1u << 16, NULL), PS_OK);
	}
	assert_int_equal(target_list_finish(&list, exclude ? &ex : NULL, 1u << 16, NULL), PS_OK);
	assert_int_equal(portset_parse(&set, ports, NULL, NULL, NULL), PS_OK);
	for (p = portset_next(&set, 0); p; p = portset_next(&set, p))
		t.ports[t.nports++] = (uint16_t)p;
	t.total = list.total * t.nports;
	assert_true(t.total > 0);
	t.seen = calloc(t.total ? t.total : 1, 1); /* the analyzer does not read assert_true */
	assert_non_null(t.seen);
	for (s = 0; s < nshards; s++) {
		struct scan_opts o = {
		    .targets = &list,
		    .ports = &set,
		    .seed = seed,
		    .shard = s,
		    .nshards = nshards,
		    .max_retries = 1,
		    .on_result = on_result,
		    .result_ctx = &t,
		};

		memset(&stats, 0, sizeof(stats));
		assert_int_equal(scan_connect_engine.run(&o, &stats, &diag), PS_OK);
	}
	assert_int_equal(t.outside, 0);
	for (i = 0; i < t.total; i++)
		if (t.seen[i] != 1)
			fail_msg("%s -%s %s seed %llu, %llu shards: pair %llu reported %u times",
				 targets, exclude ? exclude : "", ports, (unsigned long long)seed,
				 (unsigned long long)nshards, (unsigned long long)i, t.seen[i]);
	free(t.seen);
	target_list_release(&list);
	target_list_release(&ex);
}

static void test_shards_cover_once(void **state)
{
	static const uint64_t splits[] = {1, 2, 3, 4, 7};
	static const uint64_t seeds[] = {1, 0x5eed, 0xffffffffffffffffull};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++)
		for (j = 0; j < sizeof(seeds) / sizeof(seeds[0]); j++) {
			check_split("127.0.0.1-20", "127.0.0.5-7,127.0.0.13", "1-3,9", seeds[j],
				    splits[i]);
			check_split("127.0.1.1", NULL, "1-5", seeds[j], splits[i]);
			check_split("127.0.2.0/28,127.0.3.1", "127.0.2.0", "7", seeds[j],
				    splits[i]);
		}
	/* More shards than pairs: some are empty, and still each pair once. */
	check_split("127.0.4.1-2", NULL, "1", 3, 5);
}

/* A shard that does not exist is refused, not scanned as nothing or as everything. */
static void test_bad_shard(void **state)
{
	struct target_list list;
	struct portset set;
	struct tally t = {.targets = &list};
	struct scan_stats stats = {0};
	struct ps_diag diag = {{0}};
	struct scan_opts o = {
	    .targets = &list,
	    .ports = &set,
	    .seed = 9,
	    .shard = 4,
	    .nshards = 4,
	    .on_result = on_result,
	    .result_ctx = &t,
	};

	(void)state;
	target_list_init(&list);
	assert_int_equal(target_list_add_spec(&list, "127.0.0.1", NULL, NULL, NULL), PS_OK);
	assert_int_equal(target_list_finish(&list, NULL, 16, NULL), PS_OK);
	assert_int_equal(portset_parse(&set, "1", NULL, NULL, NULL), PS_OK);
	assert_int_equal(scan_connect_engine.run(&o, &stats, &diag), PS_ERR_INVALID);
	assert_non_null(strstr(diag.msg, "shard 4 of 4"));
	target_list_release(&list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shards_cover_once),
	    cmocka_unit_test(test_bad_shard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
