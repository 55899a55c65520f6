/* SPDX-License-Identifier: MIT */
#include "privsep.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/priv.h"

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
 * The child's stop flag: a signal handler can only reach a static, and only the child ever
 * sets it (each scan forks a fresh child).
 */
static volatile sig_atomic_t child_stop;

static void on_stop_request(int sig)
{
	(void)sig;
	child_stop = 1;
}

void scan_privsep_emit(struct scan_privsep_out *out, const struct scan_privsep_record *rec)
{
	fwrite(rec, sizeof(*rec), 1, out->pipe);
}

static void run_child(int fd, scan_privsep_child_fn child, void *child_ctx,
		      const sigset_t *old_mask)
{
	struct privsep_end end;
	struct scan_privsep_out out;
	struct ps_diag diag = {{0}};
	enum ps_err err;

	memset(&end, 0, sizeof(end));
	/* Ctrl-C is the parent's to see; it asks for a stop with SIGUSR1, blocked until now. */
	signal(SIGINT, SIG_IGN);
	child_stop = 0;
	signal(SIGUSR1, on_stop_request);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	/* An orphaned scanner must not go on sending. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	out.pipe = fdopen(fd, "w");
	if (!out.pipe)
		_exit(1);
	err = net_priv_drop(&diag);
	if (!err)
		err = child(child_ctx, &child_stop, &out, &end.stats, &diag);
	end.marker.pair = END_OF_RESULTS;
	end.err = (int32_t)err;
	memcpy(end.msg, diag.msg, sizeof(end.msg));
	fwrite(&end, sizeof(end), 1, out.pipe);
	fclose(out.pipe);
	/* No atexit handlers or buffers of the parent's: they are the parent's to flush. */
	_exit(0);
}

/* Hands complete records in buf[0..*len) to on_record; keeps the tail. Returns true at end. */
static bool drain(uint8_t *buf, size_t *len, scan_privsep_record_fn on_record, void *ctx,
		  struct privsep_end *end, bool *have_end)
{
	size_t off = 0;

	while (*len - off >= sizeof(struct scan_privsep_record)) {
		struct scan_privsep_record rec;

		memcpy(&rec, buf + off, sizeof(rec));
		if (rec.pair == END_OF_RESULTS) {
			if (*len - off < sizeof(*end))
				break;
			memcpy(end, buf + off, sizeof(*end));
			*have_end = true;
			off = *len;
			break;
		}
		on_record(ctx, &rec);
		off += sizeof(rec);
	}
	memmove(buf, buf + off, *len - off);
	*len -= off;
	return *have_end;
}

enum ps_err scan_privsep_run(scan_privsep_child_fn child, void *child_ctx,
			     scan_privsep_release_fn release, scan_privsep_record_fn on_record,
			     void *record_ctx, const volatile sig_atomic_t *stop,
			     struct scan_stats *stats, struct ps_diag *diag)
{
	struct privsep_end end;
	bool have_end = false, asked_stop = false;
	sigset_t usr1, old_mask;
	size_t len = 0;
	uint8_t *buf;
	int fds[2], status = 0;
	enum ps_err err = PS_OK;
	pid_t pid;

	buf = malloc(READ_CHUNK + sizeof(end));
	if (!buf)
		return PS_ERR_NOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		free(buf);
		return ps_fail(diag, PS_ERR_SYSTEM, "pipe: %s", strerror(errno));
	}
	fflush(NULL); /* nothing buffered may be written twice */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old_mask);
	pid = fork();
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		free(buf);
		return ps_fail(diag, PS_ERR_SYSTEM, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		run_child(fds[1], child, child_ctx, &old_mask);
	}
	close(fds[1]);
	if (release)
		release(child_ctx);
	for (;;) {
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		ssize_t n;

		if (stop && *stop && !asked_stop) {
			kill(pid, SIGUSR1);
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
		if (drain(buf, &len, on_record, record_ctx, &end, &have_end))
			break;
	}
	close(fds[0]);
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
