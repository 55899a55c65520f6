/* SPDX-License-Identifier: MIT */
/*
 * History in SQLite. The schema is versioned with PRAGMA user_version and migrated step by
 * step on open, each step in its own transaction. Results go in batches: one transaction per
 * STORE_BATCH_ROWS rows or STORE_BATCH_NS of scanning, whichever comes first, so a killed scan
 * loses at most the batch in flight and never leaves half of one (WAL makes every commit
 * atomic; synchronous=NORMAL is durable against a killed process, only a power cut can lose
 * the last commits).
 */
#include "store.h"

#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "snapshot.h"

#define STORE_BATCH_ROWS 8192
#define STORE_BATCH_NS	 (250 * 1000000ull)

struct store {
	sqlite3 *db;
	int schema;
	sqlite3_stmt *insert;
	int64_t scan_id; /* the scan being recorded, 0 when none */
	int in_batch;
	uint32_t batch_rows;
	uint64_t batch_start_ns;
};

/* Migration n brings a file from user_version n-1 to n. Append only; never edit a step. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
    /* 1: scans and their port states */
    "CREATE TABLE scans ("
    " id INTEGER PRIMARY KEY,"
    " started INTEGER NOT NULL,"
    " finished INTEGER,"
    " args TEXT, engine TEXT, ports_spec TEXT,"
    " targets INTEGER NOT NULL DEFAULT 0,"
    " targets_key TEXT,"
    " hosts_up INTEGER, ports_scanned INTEGER,"
    " open INTEGER, closed INTEGER, filtered INTEGER,"
    " elapsed REAL, interrupted INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE results ("
    " scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
    " addr TEXT NOT NULL, proto TEXT NOT NULL, port INTEGER NOT NULL,"
    " hostname TEXT, state TEXT NOT NULL, reason TEXT,"
    " ttl INTEGER, rtt_us INTEGER, tries INTEGER);"
    /* Rows go in arrival order (the rowid) with an index on the scan only: both append at the
     * right edge of their b-tree. A key on (addr, port) made every shuffled insert touch its
     * own page, 7x slower on 1M results (bench/RESULTS.md). Engines report each port once. */
    "CREATE INDEX results_by_scan ON results (scan_id);",
    /* 2: service identification, and the lookup diff's default pair needs */
    "ALTER TABLE results ADD COLUMN svc_name TEXT;"
    "ALTER TABLE results ADD COLUMN svc_product TEXT;"
    "ALTER TABLE results ADD COLUMN svc_version TEXT;"
    "ALTER TABLE results ADD COLUMN svc_info TEXT;"
    "ALTER TABLE results ADD COLUMN svc_confidence TEXT;"
    "ALTER TABLE results ADD COLUMN svc_flags INTEGER;"
    "CREATE INDEX scans_by_targets ON scans (targets_key, id);",
};

static enum ps_err db_fail(struct store *st, struct ps_diag *diag, const char *what)
{
	int code = sqlite3_errcode(st->db);

	return ps_fail(diag,
		       code == SQLITE_NOTADB || code == SQLITE_CORRUPT || code == SQLITE_CANTOPEN
			   ? PS_ERR_INVALID
		       : code == SQLITE_NOMEM				? PS_ERR_NOMEM
		       : code == SQLITE_READONLY || code == SQLITE_PERM ? PS_ERR_PERMISSION
									: PS_ERR_IO,
		       "history database: %s: %s", what, sqlite3_errmsg(st->db));
}

static enum ps_err exec(struct store *st, const char *sql, struct ps_diag *diag)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(st, diag, "statement failed");
	return PS_OK;
}

static int get_int(struct store *st, const char *sql, int *out)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

static enum ps_err migrate(struct store *st, struct ps_diag *diag)
{
	char sql[64];
	int version;
	enum ps_err err;

	if (get_int(st, "PRAGMA user_version", &version))
		return db_fail(st, diag, "cannot read the schema version");
	if (version > STORE_SCHEMA_VERSION)
		return ps_fail(diag, PS_ERR_UNSUPPORTED,
			       "history database has schema %d, newer than this portsight (%d)",
			       version, STORE_SCHEMA_VERSION);
	for (; version < STORE_SCHEMA_VERSION; version++) {
		if ((err = exec(st, "BEGIN IMMEDIATE", diag)))
			return err;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
		if ((err = exec(st, migrations[version], diag)) || (err = exec(st, sql, diag))) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return err;
		}
		if ((err = exec(st, "COMMIT", diag)))
			return err;
	}
	st->schema = version;
	return PS_OK;
}

enum ps_err store_open(const char *path, struct store **out, struct ps_diag *diag)
{
	struct store *st = calloc(1, sizeof(*st));
	struct stat sb;
	enum ps_err err;

	*out = NULL;
	if (!st)
		return PS_ERR_NOMEM;
	/* SQLite takes "" as a temporary database: the history would vanish without a word. */
	if (!path[0]) {
		free(st);
		return ps_fail(diag, PS_ERR_INVALID, "history database: empty file name");
	}
	/* SQLite says only "unable to open database file" for these. */
	if (!stat(path, &sb) && S_ISDIR(sb.st_mode)) {
		free(st);
		return ps_fail(diag, PS_ERR_INVALID, "history database %s is a directory", path);
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		err = st->db ? db_fail(st, diag, path) : PS_ERR_NOMEM;
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	/* The first statement is the first read: a file that is not SQLite fails here. */
	if (sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK) {
		err = db_fail(st, diag, path);
		goto fail;
	}
	if ((err = exec(st, "PRAGMA synchronous = NORMAL", diag)) ||
	    (err = exec(st, "PRAGMA foreign_keys = ON", diag)) || (err = migrate(st, diag)))
		goto fail;
	*out = st;
	return PS_OK;
fail:
	store_close(st);
	return err;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->in_batch)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(st->insert);
	sqlite3_close(st->db);
	free(st);
}

int store_schema(const struct store *st)
{
	return st->schema;
}

static void bind_text(sqlite3_stmt *s, int col, const char *text)
{
	if (text)
		sqlite3_bind_text(s, col, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, col);
}

enum ps_err store_scan_begin(struct store *st, const struct store_scan_params *p, int64_t *id,
			     struct ps_diag *diag)
{
	sqlite3_stmt *s = NULL;
	enum ps_err err = PS_OK;

	if (st->scan_id)
		return ps_fail(diag, PS_ERR_INVALID, "history: a scan is already being recorded");
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO scans (started, args, engine, ports_spec, targets) "
			       "VALUES (?, ?, ?, ?, ?)",
			       -1, &s, NULL) != SQLITE_OK) {
		err = db_fail(st, diag, "prepare");
		goto out;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)p->start);
	bind_text(s, 2, p->args);
	bind_text(s, 3, p->engine);
	bind_text(s, 4, p->ports_spec);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)p->targets);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err = db_fail(st, diag, "recording the scan");
		goto out;
	}
	st->scan_id = sqlite3_last_insert_rowid(st->db);
	if (!st->insert &&
	    sqlite3_prepare_v2(st->db,
			       "INSERT INTO results (scan_id, addr, proto, port, hostname,"
			       " state, reason, ttl, rtt_us, tries, svc_name, svc_product,"
			       " svc_version, svc_info, svc_confidence, svc_flags)"
			       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &st->insert, NULL) != SQLITE_OK) {
		err = db_fail(st, diag, "prepare");
		st->scan_id = 0;
		goto out;
	}
	if (id)
		*id = st->scan_id;
out:
	sqlite3_finalize(s);
	return err;
}

enum ps_err store_scan_commit(struct store *st, struct ps_diag *diag)
{
	if (!st->in_batch)
		return PS_OK;
	st->in_batch = 0;
	return exec(st, "COMMIT", diag);
}

/* Binds at most len bytes of a fixed-size field that may lack its terminator. */
static void bind_field(sqlite3_stmt *s, int col, const char *field, size_t len)
{
	size_t n = strnlen(field, len);

	if (n)
		sqlite3_bind_text(s, col, field, (int)n, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, col);
}

static void bind_service(sqlite3_stmt *s, const struct service_info *svc)
{
	int col;

	if (!svc) {
		for (col = 11; col <= 16; col++)
			sqlite3_bind_null(s, col);
		return;
	}
	bind_field(s, 11, svc->name, sizeof(svc->name));
	bind_field(s, 12, svc->product, sizeof(svc->product));
	bind_field(s, 13, svc->version, sizeof(svc->version));
	bind_field(s, 14, svc->info, sizeof(svc->info));
	bind_text(s, 15, svc->confidence == SERVICE_MATCHED ? "matched" : "guessed");
	sqlite3_bind_int64(s, 16, svc->flags);
}

enum ps_err store_scan_port(struct store *st, const struct port_result *res, struct ps_diag *diag)
{
	sqlite3_stmt *s = st->insert;
	char addr[PS_ADDR_STRLEN];
	enum ps_err err;

	if (!st->scan_id)
		return ps_fail(diag, PS_ERR_INVALID, "history: no scan is being recorded");
	if (!st->in_batch) {
		if ((err = exec(st, "BEGIN IMMEDIATE", diag)))
			return err;
		st->in_batch = 1;
		st->batch_rows = 0;
		st->batch_start_ns = ps_now_ns();
	}
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, st->scan_id);
	bind_text(s, 2, ps_addr_format(&res->addr, addr, sizeof(addr)));
	bind_text(s, 3, res->proto == IPPROTO_UDP ? "udp" : "tcp");
	sqlite3_bind_int(s, 4, res->port);
	bind_text(s, 5, res->hostname);
	bind_text(s, 6, port_state_name(res->state));
	bind_text(s, 7, port_reason_name(res->reason));
	sqlite3_bind_int(s, 8, res->ttl);
	sqlite3_bind_int64(s, 9, res->rtt_us);
	sqlite3_bind_int(s, 10, res->tries);
	bind_service(s, res->service);
	if (sqlite3_step(s) != SQLITE_DONE)
		return db_fail(st, diag, "recording a result");
	if (++st->batch_rows >= STORE_BATCH_ROWS ||
	    ps_now_ns() - st->batch_start_ns >= STORE_BATCH_NS)
		return store_scan_commit(st, diag);
	return PS_OK;
}

static enum ps_err hash_column(struct store *st, const char *sql, uint64_t *h, struct ps_diag *diag)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, diag, "prepare");
	sqlite3_bind_int64(s, 1, st->scan_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *a = sqlite3_column_text(s, 0);

		for (; a && *a; a++)
			*h = (*h ^ *a) * 1099511628211ull;
		*h = (*h ^ ',') * 1099511628211ull;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? PS_OK : db_fail(st, diag, "reading targets");
}

/*
 * FNV-1a over the sorted distinct addresses, then the sorted distinct ports: equal keys mean
 * the same targets scanned on the same ports, which is what diff compares by default.
 */
static enum ps_err targets_key(struct store *st, char *key, size_t len, struct ps_diag *diag)
{
	uint64_t h = 1469598103934665603ull;
	enum ps_err err;

	if ((err = hash_column(st,
			       "SELECT DISTINCT addr FROM results WHERE scan_id = ? ORDER BY addr",
			       &h, diag)) ||
	    (err = hash_column(st,
			       "SELECT DISTINCT proto || '/' || port FROM results WHERE scan_id = ?"
			       " ORDER BY proto, port",
			       &h, diag)))
		return err;
	snprintf(key, len, "%016llx", (unsigned long long)h);
	return PS_OK;
}

enum ps_err store_scan_end(struct store *st, const struct store_scan_totals *t,
			   struct ps_diag *diag)
{
	sqlite3_stmt *s = NULL;
	char key[32];
	enum ps_err err;

	if (!st->scan_id)
		return ps_fail(diag, PS_ERR_INVALID, "history: no scan is being recorded");
	if ((err = store_scan_commit(st, diag)) || (err = targets_key(st, key, sizeof(key), diag)))
		goto out;
	if (sqlite3_prepare_v2(st->db,
			       "UPDATE scans SET finished = strftime('%s','now'), targets_key = ?,"
			       " hosts_up = ?, ports_scanned = ?, open = ?, closed = ?,"
			       " filtered = ?, elapsed = ?, interrupted = ? WHERE id = ?",
			       -1, &s, NULL) != SQLITE_OK) {
		err = db_fail(st, diag, "prepare");
		goto out;
	}
	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)t->hosts_up);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)t->ports_scanned);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)t->open);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)t->closed);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)t->filtered);
	sqlite3_bind_double(s, 7, t->elapsed_s);
	sqlite3_bind_int(s, 8, t->interrupted != 0);
	sqlite3_bind_int64(s, 9, st->scan_id);
	if (sqlite3_step(s) != SQLITE_DONE)
		err = db_fail(st, diag, "finishing the scan");
out:
	sqlite3_finalize(s);
	st->scan_id = 0;
	return err;
}

static const char *col_text(sqlite3_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s, col);
}

static uint64_t col_u64(sqlite3_stmt *s, int col)
{
	sqlite3_int64 v = sqlite3_column_int64(s, col);

	return v > 0 ? (uint64_t)v : 0;
}

enum ps_err store_list_scans(struct store *st, unsigned limit, store_scan_fn fn, void *ctx,
			     struct ps_diag *diag)
{
	sqlite3_stmt *s;
	enum ps_err err = PS_OK;
	int rc;

	if (sqlite3_prepare_v2(
		st->db,
		"SELECT id, started, finished, args, engine, ports_spec, targets_key,"
		" targets, hosts_up, (SELECT count(*) FROM results r WHERE"
		" r.scan_id = scans.id), open, closed, filtered, elapsed, interrupted"
		" FROM scans ORDER BY id DESC LIMIT ?",
		-1, &s, NULL) != SQLITE_OK)
		return db_fail(st, diag, "prepare");
	sqlite3_bind_int64(s, 1, limit ? (sqlite3_int64)limit : -1);
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_scan_row row = {
		    .id = sqlite3_column_int64(s, 0),
		    .started = (time_t)sqlite3_column_int64(s, 1),
		    .finished = (time_t)sqlite3_column_int64(s, 2),
		    .args = col_text(s, 3),
		    .engine = col_text(s, 4),
		    .ports_spec = col_text(s, 5),
		    .targets_key = col_text(s, 6),
		    .targets = col_u64(s, 7),
		    .hosts_up = col_u64(s, 8),
		    .results = col_u64(s, 9),
		    .open = col_u64(s, 10),
		    .closed = col_u64(s, 11),
		    .filtered = col_u64(s, 12),
		    .elapsed_s = sqlite3_column_double(s, 13),
		    .interrupted = sqlite3_column_int(s, 14),
		};

		err = fn(ctx, &row);
	}
	if (!err && rc != SQLITE_DONE)
		err = db_fail(st, diag, "listing scans");
	sqlite3_finalize(s);
	return err;
}

enum ps_err store_last_pair(struct store *st, int64_t *old_id, int64_t *new_id,
			    struct ps_diag *diag)
{
	sqlite3_stmt *s;
	enum ps_err err = PS_OK;
	int rc;

	if (sqlite3_prepare_v2(
		st->db,
		"SELECT n.id, (SELECT o.id FROM scans o WHERE o.finished IS NOT NULL"
		" AND o.targets_key = n.targets_key AND o.id < n.id"
		" ORDER BY o.id DESC LIMIT 1)"
		" FROM scans n WHERE n.finished IS NOT NULL ORDER BY n.id DESC LIMIT 1",
		-1, &s, NULL) != SQLITE_OK)
		return db_fail(st, diag, "prepare");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 1) != SQLITE_NULL) {
		*new_id = sqlite3_column_int64(s, 0);
		*old_id = sqlite3_column_int64(s, 1);
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		err = ps_fail(diag, PS_ERR_NOT_FOUND,
			      "history holds no earlier finished scan of the same targets to "
			      "compare the last one with");
	} else {
		err = db_fail(st, diag, "finding scans");
	}
	sqlite3_finalize(s);
	return err;
}

static enum ps_err add_row(struct snapshot *snap, sqlite3_stmt *s, struct ps_diag *diag)
{
	struct snap_service svc = {0};
	const char *conf = col_text(s, 7);

	snprintf(svc.name, sizeof(svc.name), "%s", col_text(s, 4) ? col_text(s, 4) : "");
	snprintf(svc.product, sizeof(svc.product), "%s", col_text(s, 5) ? col_text(s, 5) : "");
	snprintf(svc.version, sizeof(svc.version), "%s", col_text(s, 6) ? col_text(s, 6) : "");
	svc.probed = conf && !strcmp(conf, "matched");
	return snapshot_add_text(snap, col_text(s, 0), sqlite3_column_int64(s, 1), col_text(s, 2),
				 col_text(s, 3), &svc, diag);
}

enum ps_err store_load_scan(struct store *st, int64_t id, struct snapshot *snap,
			    struct ps_diag *diag)
{
	sqlite3_stmt *s;
	enum ps_err err = PS_OK;
	int rc, found;

	if (sqlite3_prepare_v2(st->db, "SELECT started FROM scans WHERE id = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return db_fail(st, diag, "prepare");
	sqlite3_bind_int64(s, 1, id);
	found = sqlite3_step(s) == SQLITE_ROW;
	if (found) {
		time_t when = (time_t)sqlite3_column_int64(s, 0);
		char buf[32] = "";
		struct tm tm;

		if (localtime_r(&when, &tm))
			strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(snap->label, sizeof(snap->label), "scan %lld (%s)", (long long)id, buf);
	}
	sqlite3_finalize(s);
	if (!found)
		return ps_fail(diag, PS_ERR_NOT_FOUND, "history has no scan %lld", (long long)id);
	if (sqlite3_prepare_v2(
		st->db,
		"SELECT addr, port, proto, state, svc_name, svc_product, svc_version,"
		" svc_confidence"
		" FROM results WHERE scan_id = ?",
		-1, &s, NULL) != SQLITE_OK)
		return db_fail(st, diag, "prepare");
	sqlite3_bind_int64(s, 1, id);
	/* Rows are decoded like any file: a hand-edited database gets an error, not a crash. */
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW)
		err = add_row(snap, s, diag);
	if (!err && rc != SQLITE_DONE)
		err = db_fail(st, diag, "reading results");
	sqlite3_finalize(s);
	return err;
}
