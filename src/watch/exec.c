/* SPDX-License-Identifier: MIT */
/*
 * --exec: `sh -c COMMAND` per event, the event in the environment (PORTSIGHT_EVENT, _PROTO,
 * _ADDR, _PORT, _PID, _PROGRAM, _EXPOSURE, _FIREWALL, _NETNS, _WARNING) and as one JSON line
 * on its standard input. posix_spawn, not fork: the webhook thread may hold a lock at the
 * moment we spawn. Children are reaped without waiting; a command that never ends costs a
 * slot, and with every slot taken further events are counted as dropped, never waited for.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "watch.h"

extern char **environ;

#define EXEC_SLOTS	   32
#define EXEC_ENV_VARS	   10
#define EXEC_CLOSE_WAIT_MS 10000

struct exec_ctx {
	const char *command;
	pid_t running[EXEC_SLOTS];
	size_t nrunning;
	size_t dropped, failed, spawned;
};

static void reap(struct exec_ctx *c, bool block)
{
	size_t i = 0;

	while (i < c->nrunning) {
		int status;
		pid_t r = waitpid(c->running[i], &status, block ? 0 : WNOHANG);

		if (r == 0 || (r < 0 && errno == EINTR)) {
			i++;
			continue;
		}
		if (r > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			c->failed++;
		c->running[i] = c->running[--c->nrunning];
	}
}

static enum ps_err exec_open(void **ctx, const struct watch_channel_opts *o, struct ps_diag *diag)
{
	struct exec_ctx *c;

	if (!o->target || !o->target[0])
		return ps_fail(diag, PS_ERR_INVALID, "--exec needs a command");
	c = calloc(1, sizeof(*c));
	if (!c)
		return PS_ERR_NOMEM;
	c->command = o->target;
	*ctx = c;
	return PS_OK;
}

static char **build_env(const struct watch_event *ev, char vars[EXEC_ENV_VARS][256])
{
	const struct watch_listener *l = &ev->l;
	char addr[PS_ADDR_STRLEN];
	size_t n = 0, i, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + EXEC_ENV_VARS + 1, sizeof(*env));
	if (!env)
		return NULL;
	/* Our variables win over inherited ones of the same name. */
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "PORTSIGHT_", 10))
			env[k++] = environ[i];
	snprintf(vars[0], 256, "PORTSIGHT_EVENT=%s", watch_event_kind_name(ev->kind));
	snprintf(vars[1], 256, "PORTSIGHT_PROTO=%s", audit_proto_name(l->proto));
	snprintf(vars[2], 256, "PORTSIGHT_ADDR=%s", ps_addr_format(&l->addr, addr, sizeof(addr)));
	snprintf(vars[3], 256, "PORTSIGHT_PORT=%u", l->port);
	snprintf(vars[4], 256, "PORTSIGHT_PID=%d", (int)l->pid);
	snprintf(vars[5], 256, "PORTSIGHT_PROGRAM=%s", l->program);
	snprintf(vars[6], 256, "PORTSIGHT_EXPOSURE=%s", audit_exposure_name(l->exposure));
	snprintf(vars[7], 256, "PORTSIGHT_FIREWALL=%s", audit_fw_verdict_name(l->fw));
	snprintf(vars[8], 256, "PORTSIGHT_NETNS=%s", l->netns);
	snprintf(vars[9], 256, "PORTSIGHT_WARNING=%s", l->warn_text);
	for (i = 0; i < EXEC_ENV_VARS; i++)
		env[k++] = vars[i];
	env[k] = NULL;
	return env;
}

static enum ps_err exec_emit(void *ctx, const struct watch_event *ev, const char *json,
			     struct ps_diag *diag)
{
	struct exec_ctx *c = ctx;
	char vars[EXEC_ENV_VARS][256];
	char *argv[] = {"sh", "-c", (char *)c->command, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	enum ps_err err = PS_OK;
	int pipefd[2] = {-1, -1}, rc;
	char **env = NULL;
	pid_t pid;

	reap(c, false);
	if (c->nrunning == EXEC_SLOTS) {
		c->dropped++;
		return PS_OK;
	}
	env = build_env(ev, vars);
	if (!env)
		return PS_ERR_NOMEM;
	if (pipe2(pipefd, O_CLOEXEC)) {
		err = ps_fail(diag, PS_ERR_SYSTEM, "--exec: pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[0], 0);
	/* The watch blocks the signals it reads through a signalfd and ignores SIGPIPE; the
	 * command must get the defaults back, or it could not be stopped by Ctrl-C. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[0]);
	if (rc) {
		c->failed++;
		close(pipefd[1]);
		goto out;
	}
	c->spawned++;
	c->running[c->nrunning++] = pid;
	/* One event is far below the pipe's capacity: the write does not wait for the child. A
	 * command that exits without reading gets EPIPE (SIGPIPE is ignored by the caller). */
	fcntl(pipefd[1], F_SETFL, O_NONBLOCK);
	if (write(pipefd[1], json, strlen(json)) < 0 || write(pipefd[1], "\n", 1) < 0)
		(void)0; /* the command chose not to read: its environment has the event */
	close(pipefd[1]);
out:
	free(env);
	return err;
}

/* Give running commands a moment to finish (a --once run must not cut its alerts short), but
 * never hang on one that does not end. */
static void drain(struct exec_ctx *c)
{
	struct timespec pause = {0, 10000000L}; /* 10 ms */
	int waited;

	for (waited = 0; waited < EXEC_CLOSE_WAIT_MS; waited += 10) {
		reap(c, false);
		if (!c->nrunning)
			break;
		nanosleep(&pause, NULL);
	}
}

static void exec_summary(void *ctx, char *buf, size_t len)
{
	struct exec_ctx *c = ctx;

	drain(c);
	buf[0] = '\0';
	if (c->failed || c->dropped || c->nrunning)
		snprintf(buf, len,
			 "--exec: %zu of %zu commands failed, %zu events dropped, %zu "
			 "still running",
			 c->failed, c->spawned, c->dropped, c->nrunning);
}

static void exec_close(void *ctx)
{
	struct exec_ctx *c = ctx;

	drain(c);
	free(c);
}

const struct watch_channel watch_chan_exec = {
    .name = "exec",
    .open = exec_open,
    .emit = exec_emit,
    .summary = exec_summary,
    .close = exec_close,
};
