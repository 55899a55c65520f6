/* SPDX-License-Identifier: MIT */
/*
 * Privilege separation (scan/privsep.c) without a packet: a child that only emits records.
 * Two runs at once in two threads of one process, one asked to stop: only that one stops
 * (the stop request is per run, not a process-wide flag), and the other delivers everything.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "scan/privsep.h"

#define LONG_RUN_RECORDS 400u

struct run {
	unsigned records_wanted; /* the child stops by itself after this many */
	volatile sig_atomic_t stop;
	uint64_t delivered;
	uint64_t last_pair;
	enum ps_err err;
	struct ps_diag diag;
	uint64_t ended_ns;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};

	nanosleep(&ts, NULL);
}

static enum ps_err child_main(void *ctx, const volatile sig_atomic_t *stop,
			      struct scan_privsep_out *out, struct scan_stats *stats,
			      struct ps_diag *diag)
{
	const struct run *r = ctx;
	unsigned i;

	(void)diag;
	for (i = 0; i < r->records_wanted; i++) {
		struct scan_privsep_record rec = {.pair = i, .state = 1};

		if (*stop)
			return PS_ERR_INTERRUPTED;
		scan_privsep_emit(out, &rec);
		stats->probes_sent++;
		sleep_ms(1);
	}
	return PS_OK;
}

static void on_record(void *ctx, const struct scan_privsep_record *rec)
{
	struct run *r = ctx;

	r->delivered++;
	r->last_pair = rec->pair;
}

static void *run_main(void *arg)
{
	struct run *r = arg;
	struct scan_stats stats = {0};

	r->err = scan_privsep_run(child_main, r, NULL, on_record, r, &r->stop, &stats, &r->diag);
	r->ended_ns = ps_now_ns();
	return NULL;
}

static void test_two_runs_one_stopped(void **state)
{
	struct run a = {.records_wanted = 5000}, b = {.records_wanted = LONG_RUN_RECORDS};
	pthread_t ta, tb;
	uint64_t stop_ns;

	(void)state;
	assert_int_equal(pthread_create(&ta, NULL, run_main, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, run_main, &b), 0);
	sleep_ms(100);
	a.stop = 1;
	stop_ns = ps_now_ns();
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_int_equal(pthread_join(tb, NULL), 0);

	assert_int_equal(a.err, PS_ERR_INTERRUPTED);
	assert_true(a.delivered > 0);
	assert_true(a.delivered < a.records_wanted);
	assert_true(a.ended_ns - stop_ns < 2000000000ull); /* promptly */

	/* B was running when A was stopped and went on to the end. */
	assert_int_equal(b.err, PS_OK);
	assert_int_equal(b.delivered, LONG_RUN_RECORDS);
	assert_int_equal(b.last_pair, LONG_RUN_RECORDS - 1);
	assert_true(b.ended_ns > stop_ns);
}

/* A stop asked before the child even started still ends it, with what it found. */
static void test_stop_before_start(void **state)
{
	struct run a = {.records_wanted = 5000, .stop = 1};

	(void)state;
	run_main(&a);
	assert_int_equal(a.err, PS_ERR_INTERRUPTED);
	assert_true(a.delivered < 1000);
}

/* A child that finds 5 things, then (as a parser taken over by a packet would) asks for a
 * new socket and an exec. */
static enum ps_err rogue_child(void *ctx, const volatile sig_atomic_t *stop,
			       struct scan_privsep_out *out, struct scan_stats *stats,
			       struct ps_diag *diag)
{
	const int *syscall_kind = ctx;
	unsigned i;

	(void)stop;
	(void)stats;
	(void)diag;
	for (i = 0; i < 5; i++) {
		struct scan_privsep_record rec = {.pair = i, .state = 1};

		scan_privsep_emit(out, &rec);
	}
	if (*syscall_kind == 0)
		(void)socket(AF_INET, SOCK_STREAM, 0);
	else
		execl("/bin/true", "true", (char *)NULL);
	return PS_OK; /* not reached: the sandbox stops the child first */
}

/* The sandbox stops only the child, with a clear error, and what it found arrives. */
static void test_sandbox_keeps_results(void **state)
{
	int kinds[] = {0, 1};
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		struct run r = {0};
		struct scan_stats stats = {0};

		r.err = scan_privsep_run(rogue_child, &kinds[k], NULL, on_record, &r, NULL, &stats,
					 &r.diag);
		assert_int_equal(r.err, PS_ERR_PERMISSION);
		assert_non_null(strstr(r.diag.msg, "system call its sandbox forbids"));
		assert_non_null(strstr(r.diag.msg, "results before are kept"));
		assert_int_equal(r.delivered, 5);
		assert_int_equal(r.last_pair, 4);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_runs_one_stopped),
	    cmocka_unit_test(test_stop_before_start),
	    cmocka_unit_test(test_sandbox_keeps_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
