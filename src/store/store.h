/* SPDX-License-Identifier: MIT */
#ifndef PS_STORE_STORE_H
#define PS_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"
#include "core/portset.h"
#include "core/result.h"
#include "core/target.h"

/*
 * The scan history behind one interface: a backend (backend.h) chosen by store_open from the
 * location. SQLite (a path or "sqlite:PATH") is the embedded default; "postgresql://..." (a
 * libpq connection URI) is a PostgreSQL server (postgres.c).
 *
 * What is kept is what diff needs: every port's state, compactly (runs of closed, silent and
 * not-scanned ports per host over the scan's port set), and a row with the details for open
 * ports and filtered ports that drew an ICMP answer. Writes are batched in transactions, so
 * a scan killed at any moment leaves a consistent history holding the batches committed so
 * far; the scan then has no end time and history shows it as incomplete.
 */
struct store;

/* The schema version this build writes (SQLite); older files are migrated on open. */
#define STORE_SCHEMA_VERSION 4

/* A scan identity: SHA-256, hex. */
#define STORE_IDENTITY_LEN 64

struct store_scan_params {
	const char *args;	/* the command line */
	const char *engine;	/* "connect", "syn" */
	const char *ports_spec; /* as the user gave it */
	uint64_t targets;	/* addresses to scan */
	time_t start;
	/* The scan's port set: what every host's port states are indexed by. NULL: 1-65535. */
	const struct portset *ports;
	/*
	 * store_scan_identity() of the job: diff's default pair is two scans with the same one.
	 * NULL: computed at the end from the hosts and ports that were recorded.
	 */
	const char *identity;
	/*
	 * One shard of a split scan (nshards > 1): fleet names the whole scan, the same string
	 * on every shard. The shards of a fleet are one scan to history and diff; recording a
	 * (fleet, shard) again replaces what that shard recorded before. NULL: not split.
	 */
	const char *fleet;
	uint64_t shard;
	uint64_t nshards;
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
	const char *targets_key; /* same key = same addresses and ports; may be NULL */
	uint64_t targets;
	uint64_t hosts_up;
	uint64_t results; /* port results recorded (ports covered so far) */
	uint64_t open;
	uint64_t closed;
	uint64_t filtered;
	double elapsed_s;
	int interrupted;
	/* A split scan (its shards listed as one; id is its first shard's): how many shards it
	 * has and how many of them have finished. 0 and 0 for a scan that was not split. */
	uint64_t shards;
	uint64_t shards_done;
	const char *fleet;
};

typedef enum ps_err (*store_scan_fn)(void *ctx, const struct store_scan_row *row);

/*
 * Opens (creating when missing) and migrates the history at location: a file path or
 * "sqlite:PATH" (SQLite), "postgresql://..." (PostgreSQL; PS_ERR_UNSUPPORTED in a build
 * without libpq).
 */
enum ps_err store_open(const char *location, struct store **out, struct ps_diag *diag);
void store_close(struct store *st);
/* The file a location names (PATH of "sqlite:PATH", or the path itself); NULL for a server. */
const char *store_location_file(const char *location);
/* The schema version of the open database (after migration). */
int store_schema(const struct store *st);
/* "sqlite" */
const char *store_backend_name(const struct store *st);

/*
 * The identity of a job: SHA-256 over the canonical sorted, merged address ranges of targets
 * and the port ranges of ports, in hex. Equal for the same addresses and ports however they
 * were written ("192.0.2.0/31" and "192.0.2.0,192.0.2.1"; "22,80" and "80,22").
 */
enum ps_err store_scan_identity(const struct target_list *targets, const struct portset *ports,
				char out[STORE_IDENTITY_LEN + 1]);

/* Recording one scan: begin, every result, end. One scan at a time per store. */
enum ps_err store_scan_begin(struct store *st, const struct store_scan_params *p, int64_t *id,
			     struct ps_diag *diag);
enum ps_err store_scan_port(struct store *st, const struct port_result *res, struct ps_diag *diag);
/* Commits what is pending without ending the scan (done every batch anyway). */
enum ps_err store_scan_commit(struct store *st, struct ps_diag *diag);
enum ps_err store_scan_end(struct store *st, const struct store_scan_totals *t,
			   struct ps_diag *diag);
/* Stops a recording that will not end (setup failed, or the caller gives up): what was
 * committed stays, the scan shows as incomplete. No-op when nothing is being recorded. */
void store_scan_abort(struct store *st);

/* Scans, newest first; limit 0 = all. */
enum ps_err store_list_scans(struct store *st, unsigned limit, store_scan_fn fn, void *ctx,
			     struct ps_diag *diag);
/*
 * The newest finished scan and the finished scan before it of the same addresses and ports
 * (the same identity).
 */
enum ps_err store_last_pair(struct store *st, int64_t *old_id, int64_t *new_id,
			    struct ps_diag *diag);

struct snapshot;
/*
 * Loads scan id's results into snap: every port it covered, with its state (and service).
 * Ports it never reached are not in snap, which is marked so that diff skips them.
 */
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
