/* SPDX-License-Identifier: MIT */
/*
 * iptables-apply's safety for nft: --apply keeps a file while it waits, --confirm (another
 * process, typically from a second SSH login proving the rules let you in) removes it. The
 * file is named after the network namespace, so applies in two namespaces do not confirm
 * each other, and holds the waiting pid, so a file left by a killed apply is recognised.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harden.h"

enum ps_err harden_pending_path(const char *dir, char *buf, size_t len, struct ps_diag *diag)
{
	struct stat st;

	if (stat("/proc/thread-self/ns/net", &st))
		return ps_fail(diag, PS_ERR_SYSTEM, "which network namespace: %s", strerror(errno));
	if (mkdir(dir, 0700) && errno != EEXIST)
		return ps_fail(diag, errno == EACCES ? PS_ERR_PERMISSION : PS_ERR_IO, "%s: %s", dir,
			       strerror(errno));
	snprintf(buf, len, "%s/harden-%llu.pending", dir, (unsigned long long)st.st_ino);
	return PS_OK;
}

/* The pid in the file, or 0 when unreadable. */
static pid_t pending_pid(const char *path)
{
	char text[32] = "";
	FILE *f = fopen(path, "re");
	long pid = 0;

	if (!f)
		return 0;
	if (fgets(text, sizeof(text), f))
		pid = strtol(text, NULL, 10);
	fclose(f);
	return pid > 0 ? (pid_t)pid : 0;
}

static bool alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

enum ps_err harden_pending_create(const char *path, struct ps_diag *diag)
{
	char text[32];
	int fd, len;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		pid_t other = pending_pid(path);

		if (alive(other))
			return ps_fail(diag, PS_ERR_INVALID,
				       "another harden --apply (pid %d) is "
				       "waiting for confirmation",
				       (int)other);
		unlink(path); /* left by an apply that was killed */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return ps_fail(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
	len = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if (write(fd, text, (size_t)len) != len) {
		close(fd);
		unlink(path);
		return ps_fail(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
	}
	close(fd);
	return PS_OK;
}

bool harden_pending_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

enum ps_err harden_pending_confirm(const char *path, struct ps_diag *diag)
{
	if (!harden_pending_exists(path) || !alive(pending_pid(path)))
		return ps_fail(diag, PS_ERR_NOT_FOUND,
			       "no harden --apply is waiting for "
			       "confirmation in this network namespace");
	if (unlink(path))
		return ps_fail(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
	return PS_OK;
}

void harden_pending_clear(const char *path)
{
	unlink(path);
}
