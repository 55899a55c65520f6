/* SPDX-License-Identifier: MIT */
/*
 * The run layer: sinks in order, a failing begin that aborts what began, a failing sink that
 * fails the run, the history sink, service identification as a stage, and two scans at once
 * in one process (threads) that are both exact and stop independently.
 *
 * The scanning cases run in a network namespace of their own (unshare, root only; skipped
 * otherwise): its loopback has exactly the listeners this test opens, nothing else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run/run.h"
#include "store/store.h"

/* ---- a sink that records what it saw ---- */

struct probe_sink {
	struct run_sink sink;
	const char *name;
	char *log; /* shared between sinks: the order of calls */
	enum ps_err fail_begin, fail_port, fail_end;
	uint64_t ports, open, closed, filtered, with_service;
	char service[32];
	bool ended, aborted;
	int interrupted;
	struct portset open_ports;
};

static void logf_(struct probe_sink *ps, const char *what)
{
	if (ps->log)
		snprintf(ps->log + strlen(ps->log), 512 - strlen(ps->log), "%s.%s ", ps->name,
			 what);
}

static enum ps_err p_begin(struct run_sink *s, const struct run_info *info, struct ps_diag *d)
{
	struct probe_sink *ps = s->state;

	assert_non_null(info->targets);
	logf_(ps, "begin");
	return ps->fail_begin ? ps_fail(d, ps->fail_begin, "%s cannot begin", ps->name) : PS_OK;
}

static enum ps_err p_port(struct run_sink *s, const struct port_result *res, struct ps_diag *d)
{
	struct probe_sink *ps = s->state;

	ps->ports++;
	if (res->state == PORT_OPEN) {
		ps->open++;
		portset_add(&ps->open_ports, res->port);
	}
	ps->closed += res->state == PORT_CLOSED;
	ps->filtered += res->state == PORT_FILTERED;
	if (res->service) {
		ps->with_service++;
		snprintf(ps->service, sizeof(ps->service), "%s", res->service->name);
	}
	if (ps->fail_port && ps->ports == 2)
		return ps_fail(d, ps->fail_port, "%s cannot write", ps->name);
	return PS_OK;
}

static enum ps_err p_end(struct run_sink *s, const struct report_summary *sum, struct ps_diag *d)
{
	struct probe_sink *ps = s->state;

	logf_(ps, "end");
	ps->ended = true;
	ps->interrupted = sum->interrupted;
	return ps->fail_end ? ps_fail(d, ps->fail_end, "%s cannot end", ps->name) : PS_OK;
}

static void p_abort(struct run_sink *s)
{
	struct probe_sink *ps = s->state;

	logf_(ps, "abort");
	ps->aborted = true;
}

static const struct run_sink_ops probe_ops = {
	.name = "probe", .begin = p_begin, .port = p_port, .end = p_end, .abort = p_abort,
};

static void probe_init(struct probe_sink *ps, const char *name, char *log)
{
	memset(ps, 0, sizeof(*ps));
	ps->sink.ops = &probe_ops;
	ps->sink.state = ps;
	ps->name = name;
	ps->log = log;
}

/* ---- a namespace of our own, and listeners in it ---- */

static bool in_own_netns;

static int setup_netns(void **state)
{
	struct ifreq ifr;
	int fd;

	(void)state;
	if (geteuid() != 0 || unshare(CLONE_NEWNET))
		return 0; /* the scanning cases skip */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (fd >= 0 && !ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		in_own_netns = !ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

#define SKIP_UNLESS_NETNS()                                                                        \
	do {                                                                                       \
		if (!in_own_netns) {                                                               \
			fprintf(stderr, "skipped: needs root for a namespace of its own\n");       \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static int listen_on(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 64), 0);
	return fd;
}

struct job_fixture {
	struct target_list targets;
	struct portset ports;
	struct run_job job;
};

static void job_fixture_init(struct job_fixture *f, struct kb *kb, uint16_t lo, uint16_t hi)
{
	memset(f, 0, sizeof(*f));
	target_list_init(&f->targets);
	assert_int_equal(target_list_add_spec(&f->targets, "127.0.0.1", NULL, NULL, NULL), PS_OK);
	assert_int_equal(target_list_finish(&f->targets, NULL, 16, NULL), PS_OK);
	portset_add_range(&f->ports, lo, hi);
	f->job.kb = kb;
	f->job.targets = &f->targets;
	f->job.ports = &f->ports;
	f->job.ports_spec = "test";
	f->job.engine = "connect";
}

/* ---- sinks, without scanning: a job whose engine name is wrong never begins a sink ---- */

static void test_unknown_engine_begins_nothing(void **state)
{
	struct job_fixture f;
	struct probe_sink a;
	struct run_sink *sinks[] = {&a.sink};
	struct ps_diag diag = {{0}};
	char log[512] = "";

	(void)state;
	job_fixture_init(&f, NULL, 1, 10);
	f.job.engine = "warp";
	probe_init(&a, "a", log);
	assert_int_equal(run_scan(&f.job, sinks, 1, NULL, NULL, NULL, &diag), PS_ERR_INVALID);
	assert_non_null(strstr(diag.msg, "warp"));
	assert_string_equal(log, "");
	target_list_release(&f.targets);
}

static void test_begin_failure_aborts_earlier_sinks(void **state)
{
	struct job_fixture f;
	struct probe_sink a, b, c;
	struct run_sink *sinks[] = {&a.sink, &b.sink, &c.sink};
	struct ps_diag diag = {{0}};
	char log[512] = "";

	(void)state;
	job_fixture_init(&f, NULL, 1, 10);
	probe_init(&a, "a", log);
	probe_init(&b, "b", log);
	probe_init(&c, "c", log);
	b.fail_begin = PS_ERR_IO;
	assert_int_equal(run_scan(&f.job, sinks, 3, NULL, NULL, NULL, &diag), PS_ERR_IO);
	assert_string_equal(diag.msg, "b cannot begin");
	/* a began and is aborted; c never began; nothing was scanned. */
	assert_string_equal(log, "a.begin b.begin a.abort ");
	assert_int_equal(a.ports + b.ports + c.ports, 0);
	target_list_release(&f.targets);
}

/* ---- scanning in our own namespace ---- */

static void test_sinks_in_order_exact(void **state)
{
	struct job_fixture f;
	struct probe_sink a, b;
	struct run_sink *sinks[] = {&a.sink, &b.sink};
	struct run_result res;
	char log[512] = "";
	int l1, l2;

	(void)state;
	SKIP_UNLESS_NETNS();
	l1 = listen_on(20005);
	l2 = listen_on(20017);
	job_fixture_init(&f, NULL, 20000, 20099);
	probe_init(&a, "a", log);
	probe_init(&b, "b", log);
	assert_int_equal(run_scan(&f.job, sinks, 2, NULL, NULL, &res, NULL), PS_OK);
	assert_string_equal(log, "a.begin b.begin a.end b.end ");
	assert_int_equal(a.ports, 100);
	assert_int_equal(b.ports, 100);
	assert_int_equal(a.open, 2);
	assert_true(portset_has(&a.open_ports, 20005) && portset_has(&a.open_ports, 20017));
	assert_int_equal(a.closed, 98);
	assert_int_equal(res.summary.open, 2);
	assert_int_equal(res.summary.closed, 98);
	assert_int_equal(res.summary.ports_scanned, 100);
	assert_false(res.summary.interrupted);
	assert_string_equal(res.engine->name, "connect");
	close(l1);
	close(l2);
	target_list_release(&f.targets);
}

static void test_port_failure_fails_run_and_aborts(void **state)
{
	struct job_fixture f;
	struct probe_sink a, b;
	struct run_sink *sinks[] = {&a.sink, &b.sink};
	struct ps_diag diag = {{0}};
	char log[512] = "";

	(void)state;
	SKIP_UNLESS_NETNS();
	job_fixture_init(&f, NULL, 21000, 21049);
	probe_init(&a, "a", log);
	probe_init(&b, "b", log);
	a.fail_port = PS_ERR_IO;
	assert_int_equal(run_scan(&f.job, sinks, 2, NULL, NULL, NULL, &diag), PS_ERR_IO);
	assert_string_equal(diag.msg, "a cannot write");
	/* Delivery stopped at the failure; no sink may claim a finished scan. */
	assert_int_equal(a.ports, 2);
	assert_int_equal(b.ports, 1);
	assert_false(a.ended || b.ended);
	assert_true(a.aborted && b.aborted);
	target_list_release(&f.targets);
}

static int warnings;

static void count_warning(void *ctx, const char *msg)
{
	(void)msg;
	(*(int *)ctx)++;
}

static void test_history_sink_records(void **state)
{
	char path[] = "/tmp/ps_test_run_XXXXXX";
	struct job_fixture f;
	struct run_history_sink hs;
	struct run_sink *sinks[] = {&hs.sink};
	struct store *st;
	int64_t old_id = 0, new_id = 0;
	int fd, l1;

	(void)state;
	SKIP_UNLESS_NETNS();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	l1 = listen_on(22022);
	job_fixture_init(&f, NULL, 22000, 22031);
	run_history_sink_init(&hs, path);
	assert_int_equal(run_scan(&f.job, sinks, 1, NULL, NULL, NULL, NULL), PS_OK);
	run_history_sink_init(&hs, path);
	assert_int_equal(run_scan(&f.job, sinks, 1, NULL, NULL, NULL, NULL), PS_OK);
	/* Two finished scans of the same addresses and ports: diff's pair. */
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	assert_int_equal(store_last_pair(st, &old_id, &new_id, NULL), PS_OK);
	assert_true(old_id > 0 && new_id > old_id);
	store_close(st);
	/* A database that cannot be opened costs the record, not the scan: one warning, and the
	 * other sinks get every result. */
	{
		struct probe_sink after;
		struct run_sink *two[] = {&hs.sink, &after.sink};
		struct run_events ev = {.warning = count_warning, .ctx = &warnings};

		warnings = 0;
		probe_init(&after, "after", NULL);
		run_history_sink_init(&hs, "/nonexistent-dir/history.db");
		assert_int_equal(run_scan(&f.job, two, 2, NULL, &ev, NULL, NULL), PS_OK);
		assert_int_equal(warnings, 1);
		assert_int_equal(after.ports, 32);
		assert_true(after.ended);
	}
	close(l1);
	unlink(path);
	target_list_release(&f.targets);
}

/* A banner server: accepts and greets like sshd, for the service stage. */
static void *greeter(void *arg)
{
	int lfd = *(int *)arg, c;
	static const char hello[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";

	while ((c = accept(lfd, NULL, NULL)) >= 0) {
		if (write(c, hello, sizeof(hello) - 1) < 0) {
			/* the prober hung up first */
		}
		usleep(200000);
		close(c);
	}
	return NULL;
}

static void test_service_stage(void **state)
{
	struct job_fixture f;
	struct probe_sink a;
	struct run_sink *sinks[] = {&a.sink};
	struct kb *kb = NULL;
	pthread_t th;
	int lfd;

	(void)state;
	SKIP_UNLESS_NETNS();
	assert_int_equal(kb_load_builtin(&kb, NULL), PS_OK);
	lfd = listen_on(23456);
	assert_int_equal(pthread_create(&th, NULL, greeter, &lfd), 0);
	job_fixture_init(&f, kb, 23450, 23459);
	f.job.service = true;
	probe_init(&a, "a", NULL);
	assert_int_equal(run_scan(&f.job, sinks, 1, NULL, NULL, NULL, NULL), PS_OK);
	/* The open port reached the sink once, identified; the closed ones without service. */
	assert_int_equal(a.ports, 10);
	assert_int_equal(a.open, 1);
	assert_int_equal(a.with_service, 1);
	assert_string_equal(a.service, "ssh");
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(th, NULL);
	kb_free(kb);
	target_list_release(&f.targets);
}

/* ---- two runs at once ---- */

struct concurrent {
	struct job_fixture f;
	struct probe_sink sink;
	volatile sig_atomic_t stop;
	struct run_result res;
	enum ps_err err;
};

static void *run_thread(void *arg)
{
	struct concurrent *c = arg;
	struct run_sink *sinks[] = {&c->sink.sink};

	c->err = run_scan(&c->f.job, sinks, 1, &c->stop, NULL, &c->res, NULL);
	return NULL;
}

static void test_two_runs_at_once(void **state)
{
	static struct concurrent a, b;
	pthread_t ta, tb;
	int la[3], lb[2];

	(void)state;
	SKIP_UNLESS_NETNS();
	la[0] = listen_on(30001);
	la[1] = listen_on(30500);
	la[2] = listen_on(32000);
	lb[0] = listen_on(40007);
	lb[1] = listen_on(41999);
	job_fixture_init(&a.f, NULL, 30000, 31999 + 1);
	job_fixture_init(&b.f, NULL, 40000, 41999);
	probe_init(&a.sink, "a", NULL);
	probe_init(&b.sink, "b", NULL);
	assert_int_equal(pthread_create(&ta, NULL, run_thread, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, run_thread, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.err, PS_OK);
	assert_int_equal(b.err, PS_OK);
	/* Each run saw exactly its own ports, each once, with the right states. */
	assert_int_equal(a.sink.ports, 2001);
	assert_int_equal(a.sink.open, 3);
	assert_true(portset_has(&a.sink.open_ports, 30001) &&
		    portset_has(&a.sink.open_ports, 30500) &&
		    portset_has(&a.sink.open_ports, 32000));
	assert_int_equal(a.sink.closed, 1998);
	assert_int_equal(b.sink.ports, 2000);
	assert_int_equal(b.sink.open, 2);
	assert_true(portset_has(&b.sink.open_ports, 40007) &&
		    portset_has(&b.sink.open_ports, 41999));
	assert_int_equal(b.sink.closed, 1998);
	assert_false(a.res.summary.interrupted || b.res.summary.interrupted);
	for (size_t i = 0; i < 3; i++)
		close(la[i]);
	close(lb[0]);
	close(lb[1]);
	target_list_release(&a.f.targets);
	target_list_release(&b.f.targets);
}

/* Stopping one run (its own flag) leaves the other whole. */
static void test_stop_is_per_run(void **state)
{
	static struct concurrent a, b;
	pthread_t ta, tb;

	(void)state;
	SKIP_UNLESS_NETNS();
	job_fixture_init(&a.f, NULL, 1, 65535);
	job_fixture_init(&b.f, NULL, 50000, 50999);
	a.f.job.tuning.rate_pps = 2000; /* slow enough to be still running when stopped */
	probe_init(&a.sink, "a", NULL);
	probe_init(&b.sink, "b", NULL);
	a.stop = 1;
	assert_int_equal(pthread_create(&ta, NULL, run_thread, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, run_thread, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.err, PS_OK);
	assert_int_equal(b.err, PS_OK);
	assert_true(a.sink.ended && a.sink.interrupted);
	assert_true(a.sink.ports < 65535);
	assert_true(b.sink.ended && !b.sink.interrupted);
	assert_int_equal(b.sink.ports, 1000);
	assert_int_equal(b.sink.closed, 1000);
	target_list_release(&a.f.targets);
	target_list_release(&b.f.targets);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unknown_engine_begins_nothing),
	    cmocka_unit_test(test_begin_failure_aborts_earlier_sinks),
	    cmocka_unit_test(test_sinks_in_order_exact),
	    cmocka_unit_test(test_port_failure_fails_run_and_aborts),
	    cmocka_unit_test(test_history_sink_records),
	    cmocka_unit_test(test_service_stage),
	    cmocka_unit_test(test_two_runs_at_once),
	    cmocka_unit_test(test_stop_is_per_run),
	};

	return cmocka_run_group_tests(tests, setup_netns, NULL);
}
