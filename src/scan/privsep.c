/* SPDX-License-Identifier: MIT */
#include "privsep.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/priv.h"
#include "net/sandbox.h"

#define END_OF_RESULTS UINT64_MAX
#define STOP_POLL_MS 50
#define READ_CHUNK 65536

/* What the child sends after its last record. */
struct privsep_end {
	struct scan_privsep_record marker; /* pair == END_OF_RESULTS */
	struct scan_stats stats;
	int32_t err;
	char msg[PS_DIAG_MAX];
};

/*
 * How a stop request reaches the child: the parent writes a byte to (or closes) the stop
 * pipe, and a thread of the child waiting on it sets the child's flag. A signal would need a
 * handler, and a handler can only reach a static: one flag per process, where each run must
 * have its own (two scans in two threads of one process fork two children, each told apart).
 */
struct stop_watch {
	int fd; /* read end of the stop pipe */
	volatile sig_atomic_t stop;
};

static void *stop_watch_main(void *arg)
{
	struct stop_watch *w = arg;
	char byte;

	while (read(w->fd, &byte, 1) < 0 && errno == EINTR)
		;
	w->stop = 1; /* a byte, or the parent is gone (end of file) */
	return NULL;
}

/* write() all of it; async-signal-safe (the SIGSYS handler uses it too). */
static void write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void out_flush(struct scan_privsep_out *out)
{
	size_t len = out->len;

	write_all(out->fd, out->buf, len);
	out->len = 0;
}

void scan_privsep_flush(struct scan_privsep_out *out)
{
	out_flush(out);
}

void scan_privsep_emit(struct scan_privsep_out *out, const struct scan_privsep_record *rec,
		       const void *extra)
{
	struct scan_privsep_record r = *rec;
	size_t len;

	if (!extra || r.extra_len > SCAN_PRIVSEP_EXTRA_MAX)
		r.extra_len = 0;
	len = sizeof(r) + r.extra_len;
	if (out->len + len > sizeof(out->buf))
		out_flush(out);
	memcpy(out->buf + out->len, &r, sizeof(r));
	if (r.extra_len)
		memcpy(out->buf + out->len + sizeof(r), extra, r.extra_len);
	out->len += len; /* only now: a trap sends complete records only */
}

/*
 * The sandbox traps a forbidden system call with SIGSYS (SCMP_ACT_TRAP). The handler sends the
 * records found so far and an end record that says what happened, then ends the child: a
 * hostile packet costs the rest of the scan, never what was already found. A signal handler
 * reaches only statics; this one is the child's own, set after the fork. Records are emitted
 * by one thread, so the buffer is never half-written when another thread traps.
 */
static struct scan_privsep_out *trap_out;
static const char *trap_who; /* "the packet reader" */

/* Appends the string s at *at in msg (PS_DIAG_MAX bytes); async-signal-safe. */
static void msg_add(char *msg, size_t *at, const char *s)
{
	while (*s && *at + 1 < PS_DIAG_MAX)
		msg[(*at)++] = *s++;
	msg[*at] = '\0';
}

static void on_sigsys(int sig, siginfo_t *info, void *uctx)
{
	struct privsep_end end;
	char num[12], digits[12];
	int n = info->si_syscall, k = 0, i;
	size_t at = 0;

	(void)sig;
	(void)uctx;
	memset(&end, 0, sizeof(end));
	end.marker.pair = END_OF_RESULTS;
	end.err = PS_ERR_PERMISSION;
	do
		num[k++] = (char)('0' + n % 10);
	while ((n /= 10) && k < (int)sizeof(num) - 1);
	for (i = 0; i < k; i++)
		digits[i] = num[k - 1 - i];
	digits[k] = '\0';
	msg_add(end.msg, &at, trap_who ? trap_who : "the sandboxed child");
	msg_add(end.msg, &at, " made a system call its sandbox forbids (number ");
	msg_add(end.msg, &at, digits);
	msg_add(end.msg, &at, ") and was stopped; the results before are kept");
	if (trap_out) {
		write_all(trap_out->fd, trap_out->buf, trap_out->len);
		write_all(trap_out->fd, (const uint8_t *)&end, sizeof(end));
	}
	_exit(0);
}

/* The watcher runs with every signal blocked: they are the scanning thread's to take. */
static bool stop_watch_start(struct stop_watch *w)
{
	sigset_t all, old;
	pthread_t thread;
	bool ok;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ok = pthread_create(&thread, NULL, stop_watch_main, w) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ok)
		pthread_detach(thread);
	return ok;
}

static void run_child(int fd, int stop_fd, const struct scan_privsep_jail *jail,
		      scan_privsep_child_fn child, void *child_ctx)
{
	struct stop_watch watch = {.fd = stop_fd, .stop = 0};
	struct privsep_end end;
	struct scan_privsep_out out;
	struct ps_diag diag = {{0}};
	enum ps_err err;

	memset(&end, 0, sizeof(end));
	/* Ctrl-C is the parent's to see; it asks for a stop through the stop pipe. */
	signal(SIGINT, SIG_IGN);
	/* The parent may catch SIGTERM (scan --resume): here it must kill, as PDEATHSIG means. */
	signal(SIGTERM, SIG_DFL);
	/* An orphaned scanner must not go on sending. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	out.fd = fd;
	out.len = 0;
	err = stop_watch_start(&watch) ? PS_OK
				       : ps_fail(&diag, PS_ERR_SYSTEM, "stop watcher: no thread");
	if (!err)
		err = net_priv_drop(&diag);
	if (!err) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		trap_out = &out;
		trap_who = jail->who;
		sigaction(SIGSYS, &sa, NULL);
		if (jail->prepare)
			jail->prepare(child_ctx);
		err = net_sandbox_enter_as(jail->profile, &diag);
	}
	if (!err)
		err = child(child_ctx, &watch.stop, &out, &end.stats, &diag);
	end.marker.pair = END_OF_RESULTS;
	end.err = (int32_t)err;
	memcpy(end.msg, diag.msg, sizeof(end.msg));
	out_flush(&out);
	write_all(out.fd, (const uint8_t *)&end, sizeof(end));
	close(out.fd);
	/* No atexit handlers or buffers of the parent's: they are the parent's to flush. */
	_exit(0);
}

/* Hands complete records in buf[0..*len) to on_record; keeps the tail. Returns true at end. */
static bool drain(uint8_t *buf, size_t *len, scan_privsep_record_fn on_record, void *ctx,
		  struct privsep_end *end, bool *have_end, bool *corrupt)
{
	size_t off = 0;

	while (*len - off >= sizeof(struct scan_privsep_record)) {
		struct scan_privsep_record rec;

		memcpy(&rec, buf + off, sizeof(rec));
		/* The child is not trusted: a length past the cap ends its stream. */
		if (rec.pair != END_OF_RESULTS && rec.extra_len > SCAN_PRIVSEP_EXTRA_MAX) {
			off = *len;
			*corrupt = true;
			break;
		}
		if (rec.pair != END_OF_RESULTS && *len - off < sizeof(rec) + rec.extra_len)
			break;
		if (rec.pair == END_OF_RESULTS) {
			if (*len - off < sizeof(*end))
				break;
			memcpy(end, buf + off, sizeof(*end));
			*have_end = true;
			off = *len;
			break;
		}
		on_record(ctx, &rec, rec.extra_len ? buf + off + sizeof(rec) : NULL);
		off += sizeof(rec) + rec.extra_len;
	}
	memmove(buf, buf + off, *len - off);
	*len -= off;
	return *have_end || *corrupt;
}

enum ps_err scan_privsep_run(scan_privsep_child_fn child, void *child_ctx,
			     scan_privsep_release_fn release, scan_privsep_record_fn on_record,
			     void *record_ctx, const volatile sig_atomic_t *stop,
			     struct scan_stats *stats, struct ps_diag *diag)
{
	static const struct scan_privsep_jail reader = {.profile = NET_SANDBOX_PACKETS,
							.who = "the packet reader"};

	return scan_privsep_run_as(&reader, child, child_ctx, release, on_record, record_ctx,
				   stop, stats, diag);
}

enum ps_err scan_privsep_run_as(const struct scan_privsep_jail *jail, scan_privsep_child_fn child,
				void *child_ctx, scan_privsep_release_fn release,
				scan_privsep_record_fn on_record, void *record_ctx,
				const volatile sig_atomic_t *stop, struct scan_stats *stats,
				struct ps_diag *diag)
{
	struct privsep_end end;
	bool have_end = false, asked_stop = false, corrupt = false;
	size_t len = 0;
	uint8_t *buf;
	int fds[2], stop_fds[2], status = 0;
	enum ps_err err = PS_OK;
	pid_t pid;

	buf = malloc(READ_CHUNK + sizeof(end));
	if (!buf)
		return PS_ERR_NOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		free(buf);
		return ps_fail(diag, PS_ERR_SYSTEM, "pipe: %s", strerror(errno));
	}
	if (pipe2(stop_fds, O_CLOEXEC) < 0) {
		close(fds[0]);
		close(fds[1]);
		free(buf);
		return ps_fail(diag, PS_ERR_SYSTEM, "pipe: %s", strerror(errno));
	}
	fflush(NULL); /* nothing buffered may be written twice */
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		close(stop_fds[0]);
		close(stop_fds[1]);
		free(buf);
		return ps_fail(diag, PS_ERR_SYSTEM, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		close(stop_fds[1]);
		run_child(fds[1], stop_fds[0], jail, child, child_ctx);
	}
	close(fds[1]);
	close(stop_fds[0]);
	if (release)
		release(child_ctx);
	for (;;) {
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		ssize_t n;

		if (stop && *stop && !asked_stop) {
			(void)!write(stop_fds[1], "", 1);
			asked_stop = true;
		}
		if (poll(&pfd, 1, STOP_POLL_MS) <= 0)
			continue;
		n = read(fds[0], buf + len, READ_CHUNK + sizeof(end) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (drain(buf, &len, on_record, record_ctx, &end, &have_end, &corrupt))
			break;
	}
	close(fds[0]);
	close(stop_fds[1]);
	/*
	 * A child that sent its end record is done: reap it if it is gone, else leave it to
	 * finish closing its sockets on its own (a zombie for the rest of our life at worst).
	 * One that did not is dying or dead: wait for its status.
	 */
	if (have_end)
		(void)waitpid(pid, &status, WNOHANG);
	else
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	free(buf);
	if (corrupt) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return ps_fail(diag, PS_ERR_SYSTEM, "the scanning process sent a corrupt record");
	}
	if (!have_end && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		return ps_fail(diag, PS_ERR_SYSTEM,
			       "%s made a system call its sandbox forbids and was stopped; the "
			       "results it sent before are kept",
			       jail->who);
	if (!have_end)
		return ps_fail(diag, PS_ERR_SYSTEM, "the scanning process ended early (status %d)",
			       status);
	if (stats)
		*stats = end.stats;
	err = (enum ps_err)end.err;
	if (err && diag) {
		memcpy(diag->msg, end.msg, sizeof(diag->msg));
		diag->msg[sizeof(diag->msg) - 1] = '\0';
	}
	return err;
}
