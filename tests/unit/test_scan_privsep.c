/* SPDX-License-Identifier: MIT */
/*
 * Privilege separation (scan/privsep.c) without a packet: a child that only emits records.
 * Two runs at once in two threads of one process, one asked to stop: only that one stops
 * (the stop request is per run, not a process-wide flag), and the other delivers everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "net/sandbox.h"
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
		scan_privsep_emit(out, &rec, NULL);
		stats->probes_sent++;
		sleep_ms(1);
	}
	return PS_OK;
}

static void on_record(void *ctx, const struct scan_privsep_record *rec, const void *extra)
{
	struct run *r = ctx;

	(void)extra;
	__atomic_add_fetch(&r->delivered, 1, __ATOMIC_RELEASE);
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
	/*
	 * B starts once A's child runs: a fork while another thread is inside pthread_create
	 * leaves the sanitizer's thread registry locked in the child, whose stop watcher thread
	 * then never starts (an ASan artefact, about 1 run in 30 under load; glibc alone resets
	 * its own locks at fork).
	 */
	assert_int_equal(pthread_create(&ta, NULL, run_main, &a), 0);
	while (!__atomic_load_n(&a.delivered, __ATOMIC_ACQUIRE))
		sleep_ms(1);
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

		scan_privsep_emit(out, &rec, NULL);
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

/*
 * The -sV child's sandbox (NET_SANDBOX_STREAMS): TCP sockets over IPv4 and IPv6 of its own
 * and reading its descriptor limit are allowed; a raw socket, a UDP socket, a packet socket,
 * opening a file, raising the limit or an exec each stop it.
 */
enum stream_call {
	CALL_ALLOWED, /* tcp4, tcp6 (nonblocking), epoll, getrlimit: then returns 5 more */
	CALL_RAW,
	CALL_UDP,
	CALL_PACKET,
	CALL_OPEN,
	CALL_SETRLIMIT,
	CALL_EXEC,
	CALL_COUNT
};

static enum ps_err stream_child(void *ctx, const volatile sig_atomic_t *stop,
				struct scan_privsep_out *out, struct scan_stats *stats,
				struct ps_diag *diag)
{
	const enum stream_call *call = ctx;
	struct rlimit rl;
	unsigned i;
	int ok = 1;

	(void)stop;
	(void)stats;
	(void)diag;
	for (i = 0; i < 5; i++) {
		struct scan_privsep_record rec = {.pair = i, .state = 1};

		scan_privsep_emit(out, &rec, NULL);
	}
	switch (*call) {
	case CALL_ALLOWED:
		ok = socket(AF_INET, SOCK_STREAM, 0) >= 0 &&
		     socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) >= 0 &&
		     epoll_create1(EPOLL_CLOEXEC) >= 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0;
		for (i = 5; ok && i < 10; i++) {
			struct scan_privsep_record rec = {.pair = i, .state = 1};

			scan_privsep_emit(out, &rec, NULL);
		}
		return ok ? PS_OK : PS_ERR_SYSTEM;
	case CALL_RAW:
		(void)socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
		break;
	case CALL_UDP:
		(void)socket(AF_INET, SOCK_DGRAM, 0);
		break;
	case CALL_PACKET:
		(void)socket(AF_PACKET, SOCK_RAW, 0);
		break;
	case CALL_OPEN:
		(void)open("/etc/hostname", O_RDONLY);
		break;
	case CALL_SETRLIMIT:
		getrlimit(RLIMIT_NOFILE, &rl);
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		break;
	default:
		execl("/bin/true", "true", (char *)NULL);
	}
	return PS_OK; /* not reached: the sandbox stops the child first */
}

static void test_stream_sandbox(void **state)
{
	static const struct scan_privsep_jail jail = {.profile = NET_SANDBOX_STREAMS,
						      .who = "the stream child"};
	enum stream_call k;

	(void)state;
	for (k = CALL_ALLOWED; k < CALL_COUNT; k++) {
		struct run r = {0};
		struct scan_stats stats = {0};

		r.err = scan_privsep_run_as(&jail, stream_child, &k, NULL, on_record, &r, NULL,
					    &stats, &r.diag);
		if (k == CALL_ALLOWED) {
			assert_int_equal(r.err, PS_OK);
			assert_int_equal(r.delivered, 10);
			continue;
		}
		print_message("call %d: %s\n", (int)k, r.diag.msg);
		assert_int_equal(r.err, PS_ERR_PERMISSION);
		assert_non_null(strstr(r.diag.msg, "the stream child made a system call"));
		assert_int_equal(r.delivered, 5);
		assert_int_equal(r.last_pair, 4);
	}
}

/* serve's filter: exec, ptrace, namespaces fail with EPERM; sockets and files still work. */
static void test_deny_escapes(void **state)
{
	int status = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ps_diag diag = {{0}};
		int code = 0, fd;

		if (net_sandbox_deny_escapes(&diag))
			_exit(10);
		errno = 0;
		execl("/bin/true", "true", (char *)NULL);
		code |= errno == EPERM ? 0 : 1;
		code |= unshare(CLONE_NEWNET) < 0 && errno == EPERM ? 0 : 2;
		code |= ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 && errno == EPERM ? 0 : 4;
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		code |= fd >= 0 ? 0 : 8;
		fd = open("/dev/null", O_RDONLY);
		code |= fd >= 0 ? 0 : 16;
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* What a thread under serve's HTTP filter may do, and may not; bit n set: check n failed. */
static void *http_inner(void *arg)
{
	(void)arg;
	/* A thread it starts inherits the filter. */
	return (void *)(intptr_t)(socket(AF_INET, SOCK_DGRAM, 0) < 0 && errno == EPERM);
}

static void *http_thread(void *arg)
{
	int lfd = *(int *)arg, code = 0, fd;
	struct ps_diag diag = {{0}};
	pthread_t inner;
	void *ok = NULL;
	char buf[4];
	void *mem;

	if (net_sandbox_enter_http_thread(&diag))
		return (void *)(intptr_t)(1 << 20);
	errno = 0;
	code |= socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == EPERM ? 0 : 1 << 0;
	code |= open("/dev/null", O_RDONLY) < 0 && errno == EPERM ? 0 : 1 << 1;
	execl("/bin/true", "true", (char *)NULL);
	code |= errno == EPERM ? 0 : 1 << 2;
	code |= fork() < 0 && errno == EPERM ? 0 : 1 << 3;
	mem = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	code |= mem == MAP_FAILED && errno == EPERM ? 0 : 1 << 4;
	code |= kill(getppid(), 0) < 0 && errno == EPERM ? 0 : 1 << 5;
	code |= prctl(PR_SET_DUMPABLE, 1) < 0 && errno == EPERM ? 0 : 1 << 6;
	/* What a server thread does: threads, memory, accept, read, write. */
	code |= pthread_create(&inner, NULL, http_inner, NULL) == 0 ? 0 : 1 << 7;
	if (!(code & 1 << 7))
		code |= pthread_join(inner, &ok) == 0 && ok ? 0 : 1 << 8;
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	code |= mem != MAP_FAILED ? 0 : 1 << 9;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	code |= fd >= 0 && read(fd, buf, 2) == 2 && write(fd, "ok", 2) == 2 ? 0 : 1 << 10;
	if (fd >= 0)
		close(fd);
	return (void *)(intptr_t)code;
}

static void test_http_thread_sandbox(void **state)
{
	int status = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t len = sizeof(sa);
		int lfd = socket(AF_INET, SOCK_STREAM, 0), cfd, code;
		pthread_t t;
		void *res = NULL;
		char buf[2] = {0};

		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, len) || listen(lfd, 1) ||
		    getsockname(lfd, (struct sockaddr *)&sa, &len) ||
		    pthread_create(&t, NULL, http_thread, &lfd))
			_exit(100);
		cfd = socket(AF_INET, SOCK_STREAM, 0);
		if (cfd < 0 || connect(cfd, (struct sockaddr *)&sa, len) || write(cfd, "hi", 2) != 2)
			_exit(101);
		pthread_join(t, &res);
		code = (int)(intptr_t)res;
		if (code)
			_exit(code & 1 << 20 ? 102 : 1 + __builtin_ctz((unsigned)code));
		/* The peer got its answer; the other threads keep their reach. */
		if (read(cfd, buf, 2) != 2 || memcmp(buf, "ok", 2))
			_exit(103);
		_exit(socket(AF_INET, SOCK_DGRAM, 0) >= 0 && open("/dev/null", O_RDONLY) >= 0 ? 0
											: 104);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0); /* 1 + n: check n of http_thread failed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_runs_one_stopped),
	    cmocka_unit_test(test_stop_before_start),
	    cmocka_unit_test(test_sandbox_keeps_results),
	    cmocka_unit_test(test_stream_sandbox),
	    cmocka_unit_test(test_deny_escapes),
	    cmocka_unit_test(test_http_thread_sandbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
