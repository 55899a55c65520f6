/* SPDX-License-Identifier: MIT */
/* Running `nft -j list ruleset` and handing its output to the parser. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/dynbuf.h"
#include "firewall_internal.h"

extern char **environ;

/* A ruleset larger than this is not something we would judge rule by rule anyway. */
#define FW_JSON_MAX ((size_t)64 * 1024 * 1024)

static enum ps_err read_all(int fd, struct dynbuf *b)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		enum ps_err err;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return PS_ERR_IO;
		if (n == 0)
			return PS_OK;
		err = dynbuf_add(b, chunk, (size_t)n);
		if (err)
			return err;
	}
}

enum ps_err audit_fw_load(const char *nft, struct audit_fw **out, struct ps_diag *diag)
{
	char *argv[] = {(char *)(nft ? nft : "nft"), "-j", "list", "ruleset", NULL};
	posix_spawn_file_actions_t fa;
	struct dynbuf json, errs;
	int opipe[2] = {-1, -1}, epipe[2] = {-1, -1}, status = 0;
	enum ps_err err = PS_OK, rerr;
	bool fa_ready = false;
	pid_t pid = -1;

	*out = NULL;
	dynbuf_init(&json, FW_JSON_MAX);
	dynbuf_init(&errs, 4096);
	if (pipe2(opipe, O_CLOEXEC) || pipe2(epipe, O_CLOEXEC)) {
		err = ps_fail(diag, PS_ERR_SYSTEM, "pipe: %s", strerror(errno));
		goto out;
	}
	if (posix_spawn_file_actions_init(&fa)) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	fa_ready = true;
	posix_spawn_file_actions_adddup2(&fa, opipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, epipe[1], 2);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ)) {
		pid = -1;
		err = ps_fail(diag, PS_ERR_UNSUPPORTED, "%s not found", argv[0]);
		goto out;
	}
	close(opipe[1]);
	close(epipe[1]);
	opipe[1] = epipe[1] = -1;
	/* nft writes little to stderr, so reading stdout to the end first cannot deadlock. */
	rerr = read_all(opipe[0], &json);
	if (read_all(epipe[0], &errs) == PS_ERR_IO && !rerr)
		rerr = PS_ERR_IO;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *nl = errs.data ? strchr(errs.data, '\n') : NULL;

		if (nl)
			*nl = '\0';
		err = ps_fail(diag,
			      errs.data && strstr(errs.data, "not permitted") ? PS_ERR_PERMISSION
									      : PS_ERR_SYSTEM,
			      "%s -j list ruleset failed: %s", argv[0],
			      errs.data && errs.data[0] ? errs.data : "no message");
		goto out;
	}
	if (rerr) {
		err = ps_fail(diag, rerr, "reading nft output: %s", ps_strerror(rerr));
		goto out;
	}
	err = audit_fw_parse(json.data ? json.data : "", json.len, out, diag);
out:
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (fa_ready)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++) {
		if (opipe[i] >= 0)
			close(opipe[i]);
		if (epipe[i] >= 0)
			close(epipe[i]);
	}
	dynbuf_release(&json);
	dynbuf_release(&errs);
	return err;
}
