/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "scan/passplan.h"
#include "scan/rtt.h"

#define MS 1000000ull

static void rtt_before_any_sample_uses_initial(void **state)
{
	struct scan_rtt rtt;

	(void)state;
	scan_rtt_init(&rtt, 0, 0, 0);
	assert_int_equal(scan_rtt_timeout_ns(&rtt), SCAN_RTT_INITIAL_MS * MS);
	scan_rtt_init(&rtt, 250, 0, 0);
	assert_int_equal(scan_rtt_timeout_ns(&rtt), 250 * MS);
}

/* RFC 6298 2.2 and 2.3, worked by hand: 10 ms then 20 ms. */
static void rtt_follows_rfc6298(void **state)
{
	struct scan_rtt rtt;

	(void)state;
	scan_rtt_init(&rtt, 1000, 1, 10000);
	scan_rtt_sample(&rtt, 10 * MS);
	/* srtt 10, rttvar 5: 10 + 4 * 5 */
	assert_int_equal(scan_rtt_timeout_ns(&rtt), 30 * MS);
	scan_rtt_sample(&rtt, 20 * MS);
	/* rttvar 3/4 * 5 + 1/4 * 10 = 6.25, srtt 7/8 * 10 + 1/8 * 20 = 11.25: 11.25 + 25 */
	assert_int_equal(scan_rtt_timeout_ns(&rtt), 36250000);
}

static void rtt_is_clamped(void **state)
{
	struct scan_rtt rtt;

	(void)state;
	scan_rtt_init(&rtt, 0, 100, 2000);
	scan_rtt_sample(&rtt, MS / 10);
	assert_int_equal(scan_rtt_timeout_ns(&rtt), 100 * MS);
	scan_rtt_sample(&rtt, 60000 * MS);
	assert_int_equal(scan_rtt_timeout_ns(&rtt), 2000 * MS);
	/* A max below min is raised to min rather than inverting the clamp. */
	scan_rtt_init(&rtt, 0, 500, 100);
	scan_rtt_sample(&rtt, MS);
	assert_int_equal(scan_rtt_timeout_ns(&rtt), 500 * MS);
}

/* Feeds `answered` pairs whose tries follow a geometric law with per-try loss q. */
static void feed(struct scan_loss *loss, uint64_t answered, double q)
{
	uint64_t i, failed = (uint64_t)llround((double)answered * q / (1.0 - q));

	for (i = 0; i < answered; i++)
		scan_loss_answer(loss, 1);
	/* The same totals as a real run: the failures spread over some of the pairs. */
	loss->failed_tries += failed;
}

static void clean_path_needs_two_tries(void **state)
{
	struct scan_loss loss;

	(void)state;
	scan_loss_init(&loss, 65535, SCAN_MAX_RETRIES + 1);
	feed(&loss, 64435, 0.0);
	assert_int_equal(scan_loss_tries_cap(&loss, false), 2);
	assert_int_equal(scan_loss_tries_cap(&loss, true), 2);
}

/*
 * 1% loss each way: a try goes unanswered with q = 1 - 0.99^2. The cap must make the expected
 * number of lost answering ports over the scan at most 1e-3, and be the smallest such cap.
 */
static void one_percent_loss_each_way(void **state)
{
	double q = 1.0 - 0.99 * 0.99;
	struct scan_loss loss;
	unsigned cap;

	(void)state;
	scan_loss_init(&loss, 65535, SCAN_MAX_RETRIES + 1);
	feed(&loss, 64435, q);
	cap = scan_loss_tries_cap(&loss, true);
	assert_true(65535.0 * pow(q, cap) <= 1e-3);
	assert_true(65535.0 * pow(q, cap - 1) > 1e-3);
	assert_int_equal(cap, 5);
	assert_true(scan_loss_tries_cap(&loss, false) <= cap);
}

static void answered_on_retry_counts_as_loss(void **state)
{
	struct scan_loss loss;
	unsigned i;

	(void)state;
	scan_loss_init(&loss, 1000, 11);
	for (i = 0; i < 900; i++)
		scan_loss_answer(&loss, 1);
	assert_int_equal(loss.failed_tries, 0);
	for (i = 0; i < 100; i++)
		scan_loss_answer(&loss, 3);
	assert_int_equal(loss.answered, 1000);
	assert_int_equal(loss.failed_tries, 200);
	/* q ~ 0.17: needs more than a clean path */
	assert_true(scan_loss_tries_cap(&loss, true) > 4);
}

static void no_evidence_and_limits(void **state)
{
	struct scan_loss loss;

	(void)state;
	/* One silent port and no answer at all: the prior decides, not max_tries. */
	scan_loss_init(&loss, 1, SCAN_MAX_RETRIES + 1);
	assert_int_equal(scan_loss_tries_cap(&loss, false), 3);
	assert_int_equal(scan_loss_tries_cap(&loss, true), 4);
	/* Half the tries lost: the cap hits max_tries. */
	scan_loss_init(&loss, 65535, 7);
	feed(&loss, 1000, 0.5);
	assert_int_equal(scan_loss_tries_cap(&loss, true), 7);
	/* max_tries below the one-retry minimum is raised to it. */
	scan_loss_init(&loss, 10, 1);
	assert_int_equal(loss.max_tries, SCAN_MIN_TRIES);
	assert_int_equal(scan_loss_tries_cap(&loss, true), SCAN_MIN_TRIES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rtt_before_any_sample_uses_initial),
	    cmocka_unit_test(rtt_follows_rfc6298),
	    cmocka_unit_test(rtt_is_clamped),
	    cmocka_unit_test(clean_path_needs_two_tries),
	    cmocka_unit_test(one_percent_loss_each_way),
	    cmocka_unit_test(answered_on_retry_counts_as_loss),
	    cmocka_unit_test(no_evidence_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
