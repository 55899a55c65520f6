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

int cmd_check(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_local(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* History database (cmd_history.c): the default path, and opening it with a CLI message on
 * failure (create: make the default directory; else a missing file is an error). */
struct store;
int cli_history_path(char *buf, size_t len);
int cli_history_open(const char *path, int create, struct store **out);
/* "portsight scan -p 22 host" from argv, for the record (malloc'd; NULL when out of memory). */
char *cli_join_args(int argc, char **argv);
/* Recording a scan into the history (--db FILE, default path; skipped with --no-db). */
struct report_meta;
struct report_summary;
struct port_result;
struct cli_history {
	struct store *st; /* NULL: not recording (never opened, or a write failed) */
};
/* Opens the database (path NULL = default) and records the start; an exit code on failure. */
struct target_list;
/* The scan's identity (which earlier scans diff compares it with) comes from targets and
 * meta->ports, before the scan. */
int cli_history_begin(struct cli_history *h, const char *path, const struct report_meta *meta,
		      const struct target_list *targets);
void cli_history_port(struct cli_history *h, const struct port_result *res);
/* Records the totals and closes; a failure is a warning (the scan itself worked). */
void cli_history_end(struct cli_history *h, const struct report_summary *sum);
/* Closes a recording that was begun but never ended (setup failed); no-op otherwise. */
void cli_history_abort(struct cli_history *h);

#endif
