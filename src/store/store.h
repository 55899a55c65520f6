/* SPDX-License-Identifier: MIT */
#ifndef PS_STORE_STORE_H
#define PS_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"
#include "core/result.h"

/*
 * The scan history: one SQLite file (WAL journal) holding every scan's parameters and every
 * port result. Results are written in batched transactions, so a scan killed at any moment
 * leaves a consistent database holding the batches committed so far; the scan row then has no
 * end time and history shows it as incomplete.
 */
struct store;

/* The schema version this build writes; older files are migrated on open. */
#define STORE_SCHEMA_VERSION 2

struct store_scan_params {
	const char *args;	/* the command line */
	const char *engine;	/* "connect", "syn" */
	const char *ports_spec; /* as the user gave it */
	uint64_t targets;	/* addresses to scan */
	time_t start;
};

struct store_scan_totals {
	uint64_t hosts_up;
	uint64_t ports_scanned;
	uint64_t open;
	uint64_t closed;
	uint64_t filtered;
	double elapsed_s;
	int interrupted;
};

/* A scan as history lists it; the strings live until the callback returns. */
struct store_scan_row {
	int64_t id;
	time_t started;
	time_t finished; /* 0: the scan never ended (killed) */
	const char *args;
	const char *engine;
	const char *ports_spec;
	const char *targets_key; /* same key = same addresses and ports; NULL when unfinished */
	uint64_t targets;
	uint64_t hosts_up;
	uint64_t results; /* port results stored */
	uint64_t open;
	uint64_t closed;
	uint64_t filtered;
	double elapsed_s;
	int interrupted;
};

typedef enum ps_err (*store_scan_fn)(void *ctx, const struct store_scan_row *row);

/* Opens (creating when missing) and migrates the database at path. */
enum ps_err store_open(const char *path, struct store **out, struct ps_diag *diag);
void store_close(struct store *st);
/* The schema version of the open file (after migration). */
int store_schema(const struct store *st);

/* Recording one scan: begin, every result, end. One scan at a time per store. */
enum ps_err store_scan_begin(struct store *st, const struct store_scan_params *p, int64_t *id,
			     struct ps_diag *diag);
enum ps_err store_scan_port(struct store *st, const struct port_result *res, struct ps_diag *diag);
/* Commits what is pending without ending the scan (done every batch anyway). */
enum ps_err store_scan_commit(struct store *st, struct ps_diag *diag);
enum ps_err store_scan_end(struct store *st, const struct store_scan_totals *t,
			   struct ps_diag *diag);

/* Scans, newest first; limit 0 = all. */
enum ps_err store_list_scans(struct store *st, unsigned limit, store_scan_fn fn, void *ctx,
			     struct ps_diag *diag);
/* The newest finished scan and the finished scan before it of the same addresses and ports. */
enum ps_err store_last_pair(struct store *st, int64_t *old_id, int64_t *new_id,
			    struct ps_diag *diag);

struct snapshot;
/* Loads scan id's results into snap. */
enum ps_err store_load_scan(struct store *st, int64_t id, struct snapshot *snap,
			    struct ps_diag *diag);

/*
 * The default database: $XDG_STATE_HOME/portsight/history.db, else
 * ~/.local/state/portsight/history.db. 0, or -1 when neither variable is usable.
 */
int store_default_path(char *buf, size_t len);
/* mkdir -p of path's directory (0700), only below a base that exists ($XDG_STATE_HOME's
 * parent or $HOME); 0, or -1 with errno. */
int store_make_parents(const char *path);

#endif
