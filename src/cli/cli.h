/* SPDX-License-Identifier: MIT */
#ifndef PS_CLI_CLI_H
#define PS_CLI_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "core/err.h"

/*
 * Exit codes (documented in the README):
 *   0   success (for `diff`: nothing changed)
 *   1   the command worked and reports a finding (`diff`: something changed)
 *   2   usage error: bad option, port spec, target, file
 *   3   runtime failure: out of memory, no permission, system error
 *   130 interrupted by Ctrl-C (partial results were printed)
 */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FINDINGS = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_FAILURE = 3,
	CLI_EXIT_INTERRUPTED = 130,
};

/* Setup flags of a subcommand (git's builtin table). */
#define CMD_NEEDS_RAW_OR_FALLBACK 0x1u /* prefers CAP_NET_RAW, works without */

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
	unsigned flags;
	const char *summary;
};

/* "portsight: <message>" on stderr, one line. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports err with its detail and returns the matching exit code. */
int cli_fail(enum ps_err err, const struct ps_diag *diag);

/* portsight --version: the version, the build's options and the libraries' versions. */
void cli_print_version(FILE *out);

int cmd_check(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_local(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_harden(int argc, char **argv);

/* History database (cmd_history.c): opening it with a CLI message on failure (create: make
 * the default directory; else a missing file is an error). */
struct store;
int cli_history_open(const char *path, int create, struct store **out);
/* "portsight scan -p 22 host" from argv, for the record (malloc'd; NULL when out of memory). */
char *cli_join_args(int argc, char **argv);

#endif
