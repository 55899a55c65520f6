/* SPDX-License-Identifier: MIT */
/*
 * The pass plan (scan/passplan.c) driven by a simulated network: pairs that answer or not,
 * hosts that are dark, a loss per try drawn from a fixed seed. What the plan sends and when
 * it stops is what the raw transport does with it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/passplan.h"
#include "scan/permute.h"

struct sim {
	uint64_t npairs;
	uint64_t per_host;   /* pairs per host: host = pair / per_host */
	uint8_t *would;	     /* the pair answers when neither probe nor answer is lost */
	uint8_t *done;
	uint8_t *host_live;  /* a host that answered something */
	double loss;	     /* of one try (probe or answer lost) */
	uint64_t rng;
	uint64_t answered, sent, hosts; /* hosts: with host_live set */
	unsigned sends, waits;
	int stop_after_pass; /* < 0: never */
	bool no_dark_pass;   /* host discovery's plan (pass_plan_no_dark_pass) */
};

static void sim_init(struct sim *s, uint64_t hosts, uint64_t per_host, double loss)
{
	memset(s, 0, sizeof(*s));
	s->npairs = hosts * per_host;
	s->per_host = per_host;
	s->would = calloc(s->npairs, 1);
	s->done = calloc(s->npairs, 1);
	s->host_live = calloc(hosts, 1);
	assert_non_null(s->would);
	assert_non_null(s->done);
	assert_non_null(s->host_live);
	s->loss = loss;
	s->rng = 12345;
	s->stop_after_pass = -1;
}

static void sim_free(struct sim *s)
{
	free(s->would);
	free(s->done);
	free(s->host_live);
}

static bool lost(struct sim *s)
{
	return (double)(scan_splitmix64(&s->rng) >> 11) / 9007199254740992.0 < s->loss;
}

static void sim_pass(struct sim *s, struct pass_plan *plan)
{
	uint64_t p, sent = 0;

	for (p = 0; p < s->npairs; p++) {
		if (s->done[p] || !pass_plan_resends(plan, s->host_live[p / s->per_host]))
			continue;
		sent++;
		if (!s->would[p] || lost(s))
			continue;
		s->done[p] = 1;
		s->hosts += !s->host_live[p / s->per_host];
		s->host_live[p / s->per_host] = 1;
		s->answered++;
		pass_plan_answer(plan);
	}
	s->sent += sent;
	s->sends++;
	pass_plan_sent(plan, sent);
}

static enum pass_step sim_run(struct sim *s, struct pass_plan *plan, unsigned max_retries)
{
	enum pass_step step;

	pass_plan_init(plan, s->npairs, max_retries);
	if (s->no_dark_pass)
		pass_plan_no_dark_pass(plan);
	for (;;) {
		struct pass_stats st = {
		    .answered = s->answered,
		    .hosts_answered = s->hosts,
		    .stop = s->stop_after_pass >= 0 && s->sends >= (unsigned)s->stop_after_pass,
		};

		step = pass_plan_next(plan, &st);
		if (step == PASS_DONE || step == PASS_STOPPED)
			return step;
		if (step == PASS_WAIT) {
			s->waits++;
			continue;
		}
		assert_int_equal(plan->pass, s->sends);
		sim_pass(s, plan);
		assert_true(s->sends <= plan->max_passes);
	}
}

/* Pairs that are silent (filtered) on one host out of many answering. */
static void mark_answering(struct sim *s, uint64_t from, uint64_t to, uint64_t silent_every)
{
	uint64_t p;

	for (p = from; p < to; p++)
		s->would[p] = silent_every == 0 || p % silent_every != 0;
}

/* No loss, one host with some filtered ports: pass 0, one retransmission, done. */
static void test_no_loss_live_host(void **state)
{
	struct pass_plan plan;
	struct sim s;

	(void)state;
	sim_init(&s, 1, 1000, 0.0);
	mark_answering(&s, 0, 1000, 10); /* 100 filtered */
	assert_int_equal(sim_run(&s, &plan, 0), PASS_DONE);
	assert_int_equal(s.sends, 2);
	assert_int_equal(plan.passes_sent, 2);
	assert_int_equal(s.answered, 900);
	assert_int_equal(s.sent, 1000 + 100);
	assert_int_equal(pass_plan_tries(&plan, true), 2);
	sim_free(&s);
}

/* A live host and dark ones, no loss: pass 1 recovers nothing, so no dark pass is needed. */
static void test_no_loss_dark_hosts(void **state)
{
	struct pass_plan plan;
	struct sim s;

	(void)state;
	sim_init(&s, 100, 16, 0.0);
	mark_answering(&s, 0, 16, 4); /* host 0: 12 answer, 4 filtered; hosts 1-99 dark */
	assert_int_equal(sim_run(&s, &plan, 0), PASS_DONE);
	assert_int_equal(s.sends, 2);
	assert_int_equal(s.sent, 1600 + 4);
	assert_int_equal(pass_plan_tries(&plan, true), 2);
	assert_int_equal(pass_plan_tries(&plan, false), 1);
	sim_free(&s);
}

/* Nothing answers (host down): pass 0, an empty pass 1, the dark pass, then stop. */
static void test_host_down(void **state)
{
	struct pass_plan plan;
	struct sim s;

	(void)state;
	sim_init(&s, 4, 1000, 1.0);
	mark_answering(&s, 0, 4000, 0); /* they would answer, but everything is lost */
	assert_int_equal(sim_run(&s, &plan, 0), PASS_DONE);
	assert_int_equal(s.answered, 0);
	assert_int_equal(plan.passes_sent, 3);
	assert_int_equal(s.sent, 2 * 4000); /* pass 1 sent nothing */
	assert_int_equal(s.waits, 1 + 1);   /* after pass 0 and the dark pass; not after pass 1 */
	assert_int_equal(pass_plan_tries(&plan, false), 2);
	/* Bounded whatever the retry limit. */
	sim_free(&s);
	sim_init(&s, 4, 1000, 1.0);
	assert_int_equal(sim_run(&s, &plan, 100), PASS_DONE);
	assert_int_equal(plan.passes_sent, 3);
	sim_free(&s);
}

/*
 * Host discovery (4 probes per host): silent hosts get their probes once, with any retry
 * limit; a host that answered is done. Without the call the same network gets the dark pass.
 */
static void test_no_dark_pass(void **state)
{
	struct pass_plan plan;
	struct sim s;
	unsigned retries[] = {0, 1, 6};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		sim_init(&s, 1000, 4, 0.0);
		s.no_dark_pass = true;
		mark_answering(&s, 0, 200, 0); /* 50 hosts up (all 4 probes), 950 silent */
		assert_int_equal(sim_run(&s, &plan, retries[i]), PASS_DONE);
		assert_int_equal(s.answered, 4 * 50);
		assert_int_equal(s.sent, 4 * 1000);
		assert_int_equal(pass_plan_tries(&plan, false), 1);
		sim_free(&s);
	}
	sim_init(&s, 1000, 4, 0.0);
	mark_answering(&s, 0, 200, 0);
	assert_int_equal(sim_run(&s, &plan, 0), PASS_DONE);
	assert_int_equal(s.sent, 4 * 1000 + 4 * 950);
	sim_free(&s);
}

/*
 * 1% loss each way (q = 1 - 0.99^2 per try) over 65535 ports of one host: passes go on until
 * the expected misreports fall below 1/1000, which takes five tries (four leave ~1e-2).
 */
static void test_one_percent_loss(void **state)
{
	const double q = 1.0 - 0.99 * 0.99;
	struct pass_plan plan;
	struct sim s;
	uint64_t p, missing = 0;

	(void)state;
	sim_init(&s, 1, 65535, q);
	mark_answering(&s, 0, 65535, 60); /* 1093 filtered */
	assert_int_equal(sim_run(&s, &plan, 0), PASS_DONE);
	assert_true(scan_loss_misses(&plan.loss, plan.passes_sent) <= SCAN_LOSS_BUDGET);
	assert_true(scan_loss_misses(&plan.loss, 4) > SCAN_LOSS_BUDGET);
	assert_true(plan.passes_sent >= 5);
	assert_true(plan.passes_sent <= 7);
	for (p = 0; p < s.npairs; p++)
		missing += s.would[p] && !s.done[p];
	assert_int_equal(missing, 0);
	/* The estimate is the loss of a try. */
	assert_true(scan_loss_misses(&plan.loss, 1) / (double)plan.loss.answered > q * 0.8);
	assert_true(scan_loss_misses(&plan.loss, 1) / (double)plan.loss.answered < q * 1.2);
	sim_free(&s);
}

/*
 * The soak's network in small: a sparse range (hosts x 16 ports) where most hosts are dark,
 * some answer on every port and 200 on one port only, under 2% loss each way. A one-port host
 * whose first probe was lost looks dark; it must still get the tries the loss calls for. With
 * a single dark pass these 40 runs lost 9 such ports (q^2 each), and now none may be lost.
 */
static void test_sparse_lossy_one_port_hosts(void **state)
{
	const double q = 1.0 - 0.98 * 0.98;
	uint64_t missing = 0, h, p;
	struct pass_plan plan;
	unsigned run;
	struct sim s;

	(void)state;
	for (run = 0; run < 40; run++) {
		sim_init(&s, 8000, 16, q);
		s.rng = 1000 + run;
		mark_answering(&s, 0, (uint64_t)400 * 16, 0); /* hosts 0-399: every port answers */
		for (h = 400; h < 600; h++)
			s.would[h * 16 + 8] = 1; /* hosts 400-599: port 8 only */
		assert_int_equal(sim_run(&s, &plan, 0), PASS_DONE);
		for (p = 0; p < s.npairs; p++)
			missing += s.would[p] && !s.done[p];
		/* A dark host's pairs are tried as often as the budget needs. */
		assert_true(pass_plan_tries(&plan, false) >= 4);
		sim_free(&s);
	}
	assert_int_equal(missing, 0);
}

/* Loss with a retry limit: never more passes than max_retries + 1. */
static void test_retry_limit(void **state)
{
	struct pass_plan plan;
	struct sim s;

	(void)state;
	sim_init(&s, 1, 65535, 0.3);
	mark_answering(&s, 0, 65535, 0);
	assert_int_equal(sim_run(&s, &plan, 3), PASS_DONE);
	assert_int_equal(plan.passes_sent, 4);
	sim_free(&s);
	/* At most one retry: the dark pass is pass 1. */
	sim_init(&s, 10, 10, 0.0);
	mark_answering(&s, 0, 10, 0);
	assert_int_equal(sim_run(&s, &plan, 1), PASS_DONE);
	assert_int_equal(plan.passes_sent, 2);
	assert_int_equal(s.sent, 100 + 90);
	assert_int_equal(pass_plan_tries(&plan, false), 2);
	sim_free(&s);
}

/* Everything answered in pass 0: done at once, not even a wait. */
static void test_all_answered(void **state)
{
	struct pass_plan plan;
	struct sim s;

	(void)state;
	sim_init(&s, 2, 50, 0.0);
	mark_answering(&s, 0, 100, 0);
	assert_int_equal(sim_run(&s, &plan, 0), PASS_DONE);
	assert_int_equal(s.sends, 1);
	assert_int_equal(s.waits, 0);
	sim_free(&s);
}

/* Ctrl-C: the plan stops at its next question, before or between passes. */
static void test_stop(void **state)
{
	struct pass_plan plan;
	struct sim s;

	(void)state;
	sim_init(&s, 1, 1000, 0.5);
	mark_answering(&s, 0, 1000, 0);
	s.stop_after_pass = 1;
	assert_int_equal(sim_run(&s, &plan, 0), PASS_STOPPED);
	assert_int_equal(s.sends, 1);
	sim_free(&s);
	sim_init(&s, 1, 1000, 0.5);
	s.stop_after_pass = 0;
	assert_int_equal(sim_run(&s, &plan, 0), PASS_STOPPED);
	assert_int_equal(s.sends, 0);
	sim_free(&s);
}

/* The per-pair cap (connect engine) from the same model: 2 tries clean, more with loss. */
static void test_loss_model_shared(void **state)
{
	struct scan_loss loss;
	uint64_t i;

	(void)state;
	scan_loss_init(&loss, 65535, SCAN_MAX_RETRIES + 1);
	for (i = 0; i < 64000; i++)
		scan_loss_answer(&loss, 1);
	assert_int_equal(scan_loss_tries_cap(&loss, true), SCAN_MIN_TRIES);
	assert_true(scan_loss_misses(&loss, 1) == 0);
	for (i = 0; i < 1300; i++)
		scan_loss_answer(&loss, 2);
	assert_true(scan_loss_tries_cap(&loss, true) >= 5);
	assert_true(scan_loss_misses(&loss, 4) > SCAN_LOSS_BUDGET);
	assert_true(scan_loss_misses(&loss, 6) < SCAN_LOSS_BUDGET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_loss_live_host),
	    cmocka_unit_test(test_no_loss_dark_hosts),
	    cmocka_unit_test(test_no_dark_pass),
	    cmocka_unit_test(test_host_down),
	    cmocka_unit_test(test_one_percent_loss),
	    cmocka_unit_test(test_sparse_lossy_one_port_hosts),
	    cmocka_unit_test(test_retry_limit),
	    cmocka_unit_test(test_all_answered),
	    cmocka_unit_test(test_stop),
	    cmocka_unit_test(test_loss_model_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
