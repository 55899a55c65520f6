/* SPDX-License-Identifier: MIT */
/*
 * History in SQLite (store_sqlite_backend). The schema is versioned with PRAGMA user_version
 * and migrated step by step on open, each step in its own BEGIN IMMEDIATE transaction that
 * reads the version again once it holds the lock, so processes opening one new file at once
 * each see the work of the one before and never create a table twice.
 *
 * A scan is four tables: its row in scans (with its port set as ranges), one row per host in
 * hosts with every port's code as runs (hoststates.h), one row per open or answered filtered
 * port in ports with the details, and the hosts silent on every port as sorted address lists
 * in dark_hosts. A single-host scan of every port is a few hundred bytes instead of 65535 rows
 * (4-7 MB), a /16 with 3000 hosts up about 150 KB; see bench/RESULTS.md, "History".
 *
 * Writes go in checkpoints: one transaction holds the port rows since the last one, committed
 * every STORE_BATCH_ROWS rows or STORE_BATCH_NS, whichever comes first, with the hosts that
 * changed when writing them keeps within 1/STORE_HOSTS_SHARE of the scan's time (a /16
 * rewrites 65536 host rows each time, one host one). A killed scan loses at most what came
 * after the last checkpoint and never leaves half of one (WAL makes every commit atomic;
 * synchronous=NORMAL is durable against a killed process, only a power cut can lose the last
 * commits); scans.recorded always counts what a load gives back.
 */
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "core/clock.h"
#include "hoststates.h"
#include "snapshot.h"

#define STORE_BATCH_ROWS	8192
#define STORE_BATCH_NS		(250 * 1000000ull)
#define STORE_CHECK_EVERY	256 /* results between two looks at the clock */
#define STORE_HOSTS_SHARE	33  /* host rows take at most 1/33 of the scan's time */
#define STORE_HOST_ROW_GUESS_NS 2000
#define STORE_BUSY_MS		10000

struct sqlite_conn {
	sqlite3 *db;
	char *path;
	int schema;
	sqlite3_stmt *insert_port;
	sqlite3_stmt *put_host;
	/* The scan being recorded (scan_id 0: none). */
	int64_t scan_id;
	struct hoststates hs;
	int in_batch;
	uint32_t batch_rows;
	uint32_t since_clock;
	uint64_t start_ns;
	uint64_t last_commit_ns;
	uint64_t hosts_cost_ns; /* spent writing host rows so far */
	uint64_t host_row_ns;	/* what one host row costs (measured; a guess until then) */
	uint64_t outside;	/* rows for ports outside the port set (no cell) */
	/* What load_scan gets back from what is committed: host codes as last written and the
	 * rows since (progress; see flush_hosts). */
	uint64_t written_covered;
	uint64_t rows_since;
	uint8_t *blob;
	char identity[STORE_IDENTITY_LEN + 1];
};

static enum ps_err db_fail(struct sqlite_conn *c, struct ps_diag *diag, const char *what)
{
	int code = sqlite3_errcode(c->db);

	return ps_fail(diag,
		       code == SQLITE_NOTADB || code == SQLITE_CORRUPT || code == SQLITE_CANTOPEN
			   ? PS_ERR_INVALID
		       : code == SQLITE_NOMEM				? PS_ERR_NOMEM
		       : code == SQLITE_READONLY || code == SQLITE_PERM ? PS_ERR_PERMISSION
									: PS_ERR_IO,
		       "history database: %s: %s", what, sqlite3_errmsg(c->db));
}

static enum ps_err exec(struct sqlite_conn *c, const char *sql, struct ps_diag *diag)
{
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(c, diag, "statement failed");
	return PS_OK;
}

static int get_int(struct sqlite_conn *c, const char *sql, int *out)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Families and protocols on disk are 4/6 and IANA numbers, not this system's AF_ values. */
static int family_code(const struct ps_addr *a)
{
	return a->family == AF_INET6 ? 6 : 4;
}

static void bind_text(sqlite3_stmt *s, int col, const char *text)
{
	if (text)
		sqlite3_bind_text(s, col, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, col);
}

static void bind_addr(sqlite3_stmt *s, int col, const struct ps_addr *a)
{
	sqlite3_bind_int(s, col, family_code(a));
	sqlite3_bind_blob(s, col + 1, a->bytes, (int)ps_addr_len(a), SQLITE_STATIC);
}

/* ---- recording -------------------------------------------------------------------------- */

static enum ps_err prepare_writes(struct sqlite_conn *c, struct ps_diag *diag)
{
	if (!c->insert_port &&
	    sqlite3_prepare_v2(
		c->db,
		"INSERT INTO ports (scan_id, family, addr, proto, port, state, reason,"
		" ttl, rtt_us, tries, svc_name, svc_product, svc_version, svc_info,"
		" svc_confidence, svc_flags)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		-1, &c->insert_port, NULL) != SQLITE_OK)
		return db_fail(c, diag, "prepare");
	if (!c->put_host &&
	    sqlite3_prepare_v2(
		c->db,
		"INSERT OR REPLACE INTO hosts (scan_id, host_no, family, addr, proto,"
		" hostname, states) VALUES (?,?,?,?,?,?,?)",
		-1, &c->put_host, NULL) != SQLITE_OK)
		return db_fail(c, diag, "prepare");
	return PS_OK;
}

/* Starts recording into scan id: the codes, indexed by ports (NULL: every port). */
static enum ps_err recording_start(struct sqlite_conn *c, int64_t id, const struct portset *ports,
				   struct ps_diag *diag)
{
	enum ps_err err;

	if ((err = prepare_writes(c, diag)))
		return err;
	if ((err = hoststates_init(&c->hs, ports)))
		return err;
	c->blob = malloc(HOSTSTATES_MAX_BLOB(c->hs.nports));
	if (!c->blob) {
		hoststates_release(&c->hs);
		return PS_ERR_NOMEM;
	}
	c->scan_id = id;
	c->outside = 0;
	c->written_covered = 0;
	c->rows_since = 0;
	c->batch_rows = 0;
	c->since_clock = 0;
	c->identity[0] = '\0';
	c->start_ns = c->last_commit_ns = ps_now_ns();
	c->hosts_cost_ns = 0;
	c->host_row_ns = STORE_HOST_ROW_GUESS_NS;
	return PS_OK;
}

static void recording_stop(struct sqlite_conn *c)
{
	hoststates_release(&c->hs);
	free(c->blob);
	c->blob = NULL;
	c->scan_id = 0;
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

static enum ps_err insert_port_row(struct sqlite_conn *c, const struct port_result *res,
				   struct ps_diag *diag)
{
	sqlite3_stmt *s = c->insert_port;

	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, c->scan_id);
	bind_addr(s, 2, &res->addr);
	sqlite3_bind_int(s, 4, res->proto);
	sqlite3_bind_int(s, 5, res->port);
	bind_text(s, 6, port_state_name(res->state));
	bind_text(s, 7, port_reason_name(res->reason));
	sqlite3_bind_int(s, 8, res->ttl);
	sqlite3_bind_int64(s, 9, res->rtt_us);
	sqlite3_bind_int(s, 10, res->tries);
	bind_service(s, res->service);
	if (sqlite3_step(s) != SQLITE_DONE)
		return db_fail(c, diag, "recording a result");
	return PS_OK;
}

static enum ps_err batch_begin(struct sqlite_conn *c, struct ps_diag *diag)
{
	enum ps_err err;

	if (c->in_batch)
		return PS_OK;
	if ((err = exec(c, "BEGIN IMMEDIATE", diag)))
		return err;
	c->in_batch = 1;
	return PS_OK;
}

static enum ps_err batch_commit(struct sqlite_conn *c, struct ps_diag *diag)
{
	if (!c->in_batch)
		return PS_OK;
	c->in_batch = 0;
	c->batch_rows = 0;
	return exec(c, "COMMIT", diag);
}

/*
 * One result: a code in its host's cells, and for what a diff needs more of (open, answered,
 * identified) a row. *row says whether a row was written; in_txn: the caller holds a
 * transaction already (a migration), else the batch begins here.
 */
static enum ps_err record_port(struct sqlite_conn *c, const struct port_result *res, int in_txn,
			       int *row, struct ps_diag *diag)
{
	enum hoststates_code code = res->state == PORT_CLOSED	? HOSTSTATES_CLOSED
				    : port_result_answered(res) ? HOSTSTATES_LISTED
								: HOSTSTATES_SILENT;
	enum ps_err err;

	/* open|filtered has no cell code of its own (silent cells load back as filtered). */
	if (res->service || res->state >= PORT_STATE_COUNT || res->state == PORT_OPEN_FILTERED)
		code = HOSTSTATES_LISTED;
	size_t host = 0;

	*row = 0;
	err = hoststates_set(&c->hs, &res->addr, res->proto, res->hostname, res->port, code, &host);
	if (err == PS_ERR_RANGE) {
		c->outside++;
		code = HOSTSTATES_LISTED; /* not in the port set: the row is all there is */
	} else if (err) {
		return err;
	} else if (code == HOSTSTATES_LISTED) {
		c->hs.hosts[host].rows_since++;
		c->rows_since++;
	}
	if (code != HOSTSTATES_LISTED)
		return PS_OK;
	*row = 1;
	if (!in_txn && (err = batch_begin(c, diag)))
		return err;
	return insert_port_row(c, res, diag);
}

/*
 * The progress count, what load_scan would give back from what is committed: every host's
 * ports as its row was last written, the rows for open and answered ports since (each such
 * port is LISTED in the host codes, so written hosts count it once), and rows outside the
 * port set.
 */
static enum ps_err write_progress(struct sqlite_conn *c, struct ps_diag *diag)
{
	sqlite3_stmt *u = NULL;
	enum ps_err err = PS_OK;

	if (sqlite3_prepare_v2(c->db, "UPDATE scans SET recorded = ? WHERE id = ?", -1, &u, NULL) !=
	    SQLITE_OK)
		return db_fail(c, diag, "prepare");
	sqlite3_bind_int64(u, 1, (sqlite3_int64)c->written_covered + (sqlite3_int64)c->rows_since +
				  (sqlite3_int64)c->outside);
	sqlite3_bind_int64(u, 2, c->scan_id);
	if (sqlite3_step(u) != SQLITE_DONE)
		err = db_fail(c, diag, "recording progress");
	sqlite3_finalize(u);
	return err;
}

/*
 * Writes every host whose codes changed since it was last written; before the end (all 0)
 * not the hosts that have not answered on any port yet: most of them end dark (in a
 * dark_hosts list), and a row written for one now would have to be deleted then. A killed
 * scan shows their ports as never scanned, which diff does not compare.
 */
static enum ps_err flush_hosts(struct sqlite_conn *c, int all, struct ps_diag *diag)
{
	sqlite3_stmt *s = c->put_host;
	uint64_t t0 = ps_now_ns(), written = 0;
	size_t i;

	for (i = 0; i < c->hs.nhosts && c->hs.ndirty; i++) {
		struct hoststates_host *h = &c->hs.hosts[i];

		if (!h->dirty || (!all && !h->answered))
			continue;
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, c->scan_id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		bind_addr(s, 3, &h->addr);
		sqlite3_bind_int(s, 5, h->proto);
		bind_text(s, 6, h->hostname);
		sqlite3_bind_blob(s, 7, c->blob, (int)hoststates_encode(&c->hs, i, c->blob),
				  SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			return db_fail(c, diag, "recording a host");
		h->dirty = 0;
		h->written = 1;
		c->hs.ndirty--;
		c->written_covered += h->covered - h->written_covered;
		h->written_covered = h->covered;
		c->rows_since -= h->rows_since;
		h->rows_since = 0;
		written++;
	}
	if (written) {
		uint64_t cost = ps_now_ns() - t0;

		c->hosts_cost_ns += cost;
		c->host_row_ns = cost / written + 1;
	}
	return write_progress(c, diag);
}

/* The dark hosts' order in a list: protocol, family, address. */
static int dark_order(const void *a, const void *b)
{
	const struct hoststates_host *x = *(const struct hoststates_host *const *)a;
	const struct hoststates_host *y = *(const struct hoststates_host *const *)b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return ps_addr_cmp(&x->addr, &y->addr);
}

#define STORE_DARK_PER_ROW 65536

/* One dark_hosts row: hosts[0..n), one protocol and family. */
static enum ps_err put_dark_row(struct sqlite_conn *c, struct hoststates_host **hosts, size_t n,
				struct ps_diag *diag)
{
	struct ps_addr *addrs = malloc(n * sizeof(*addrs));
	uint8_t *blob = malloc(n * HOSTSTATES_LIST_MAX_BYTES);
	sqlite3_stmt *s = NULL;
	enum ps_err err = PS_OK;
	size_t i;

	if (!addrs || !blob) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		addrs[i] = hosts[i]->addr;
	if (sqlite3_prepare_v2(c->db,
			       "INSERT INTO dark_hosts (scan_id, family, proto, addrs)"
			       " VALUES (?, ?, ?, ?)",
			       -1, &s, NULL) != SQLITE_OK) {
		err = db_fail(c, diag, "prepare");
		goto out;
	}
	sqlite3_bind_int64(s, 1, c->scan_id);
	sqlite3_bind_int(s, 2, family_code(&hosts[0]->addr));
	sqlite3_bind_int(s, 3, hosts[0]->proto);
	sqlite3_bind_blob(s, 4, blob, (int)hoststates_list_encode(addrs, n, blob), SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		err = db_fail(c, diag, "recording dark hosts");
out:
	sqlite3_finalize(s);
	free(addrs);
	free(blob);
	return err;
}

static enum ps_err drop_host_row(struct sqlite_conn *c, size_t host, struct ps_diag *diag)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(c->db, "DELETE FROM hosts WHERE scan_id = ? AND host_no = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(c, diag, "prepare");
	sqlite3_bind_int64(s, 1, c->scan_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)host);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? PS_OK : db_fail(c, diag, "recording dark hosts");
}

/*
 * The end of a recording: hosts silent on every port go into dark_hosts lists (a /16 with
 * 3000 hosts up: 62536 rows fewer, 0.09 s and 1.8 MB), the others into their rows.
 */
static enum ps_err write_hosts_final(struct sqlite_conn *c, struct ps_diag *diag)
{
	struct hoststates_host **dark = malloc((c->hs.nhosts + 1) * sizeof(*dark));
	enum ps_err err = PS_OK;
	size_t i, n = 0, first;

	if (!dark)
		return PS_ERR_NOMEM;
	for (i = 0; !err && i < c->hs.nhosts; i++) {
		struct hoststates_host *h = &c->hs.hosts[i];

		if (!c->hs.nports || h->hostname || !hoststates_all(&c->hs, i, HOSTSTATES_SILENT))
			continue;
		if (h->written)
			err = drop_host_row(c, i, diag);
		dark[n++] = h;
		if (h->dirty) {
			h->dirty = 0;
			c->hs.ndirty--;
		}
		c->written_covered += h->covered - h->written_covered;
		h->written_covered = h->covered;
	}
	if (!err && n)
		qsort(dark, n, sizeof(*dark), dark_order);
	for (first = 0; !err && first < n;) {
		size_t end = first + 1;

		while (end < n && end - first < STORE_DARK_PER_ROW &&
		       dark[end]->proto == dark[first]->proto &&
		       dark[end]->addr.family == dark[first]->addr.family)
			end++;
		err = put_dark_row(c, dark + first, end - first, diag);
		first = end;
	}
	free(dark);
	return err ? err : flush_hosts(c, 1, diag);
}

/*
 * Commits the rows so far; the changed hosts too when that keeps their cost within
 * 1/STORE_HOSTS_SHARE of the time scanned (always when all is set). A /16 changes 65536 host
 * rows between two checkpoints; one host of 65535 ports changes one.
 */
static enum ps_err checkpoint(struct sqlite_conn *c, int all, struct ps_diag *diag)
{
	uint64_t now = ps_now_ns();
	uint64_t predicted = c->hosts_cost_ns + (uint64_t)c->hs.ndirty * c->host_row_ns;
	enum ps_err err;

	if ((err = batch_begin(c, diag)))
		return err;
	if (all || predicted * STORE_HOSTS_SHARE <= now - c->start_ns)
		err = flush_hosts(c, all, diag);
	else
		err = write_progress(c, diag);
	if (err || (err = batch_commit(c, diag)))
		return err;
	c->last_commit_ns = ps_now_ns();
	return PS_OK;
}

static enum ps_err sq_scan_port(void *conn, const struct port_result *res, struct ps_diag *diag)
{
	struct sqlite_conn *c = conn;
	enum ps_err err;
	int row;

	if (!c->scan_id)
		return ps_fail(diag, PS_ERR_INVALID, "history: no scan is being recorded");
	/* Codes wait in memory until the next checkpoint; rows go into its transaction. */
	if ((err = record_port(c, res, 0, &row, diag)))
		return err;
	c->batch_rows += (uint32_t)row;
	if (++c->since_clock < STORE_CHECK_EVERY && !row)
		return PS_OK;
	c->since_clock = 0;
	if (c->batch_rows >= STORE_BATCH_ROWS || ps_now_ns() - c->last_commit_ns >= STORE_BATCH_NS)
		return checkpoint(c, 0, diag);
	return PS_OK;
}

static enum ps_err sq_scan_commit(void *conn, struct ps_diag *diag)
{
	struct sqlite_conn *c = conn;

	return c->scan_id ? checkpoint(c, 1, diag) : batch_commit(c, diag);
}

static void sq_scan_abort(void *conn)
{
	struct sqlite_conn *c = conn;

	if (!c->scan_id)
		return;
	/* What the scan reached stays, as an incomplete scan; a failure here loses only that. */
	if (checkpoint(c, 1, NULL) && c->in_batch) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		c->in_batch = 0;
	}
	recording_stop(c);
}

/*
 * A shard recorded again replaces its earlier recording: the old rows go in the transaction
 * that inserts the new scan row (left open for sq_scan_begin to commit), so the fleet never
 * holds the shard twice, nor loses it while the new recording has not begun.
 */
static enum ps_err drop_shard(struct sqlite_conn *c, const struct store_scan_params *p,
			      struct ps_diag *diag)
{
	static const char *const sql[] = {
	    "DELETE FROM hosts WHERE scan_id IN (SELECT id FROM scans WHERE fleet = ?1 AND"
	    " shard = ?2)",
	    "DELETE FROM ports WHERE scan_id IN (SELECT id FROM scans WHERE fleet = ?1 AND"
	    " shard = ?2)",
	    "DELETE FROM dark_hosts WHERE scan_id IN (SELECT id FROM scans WHERE fleet = ?1 AND"
	    " shard = ?2)",
	    "DELETE FROM scans WHERE fleet = ?1 AND shard = ?2",
	};
	enum ps_err err;
	size_t i;

	if ((err = batch_begin(c, diag)))
		return err;
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *s;
		int rc;

		if (sqlite3_prepare_v2(c->db, sql[i], -1, &s, NULL) != SQLITE_OK)
			return db_fail(c, diag, "prepare");
		bind_text(s, 1, p->fleet);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)p->shard);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return db_fail(c, diag, "replacing the shard's earlier recording");
	}
	return PS_OK;
}

static enum ps_err sq_scan_begin(void *conn, const struct store_scan_params *p, int64_t *id,
				 struct ps_diag *diag)
{
	struct sqlite_conn *c = conn;
	uint8_t *port_set = NULL;
	sqlite3_stmt *s = NULL;
	enum ps_err err = PS_OK;

	if (c->scan_id)
		return ps_fail(diag, PS_ERR_INVALID, "history: a scan is already being recorded");
	if (sqlite3_db_readonly(c->db, "main") == 1)
		return ps_fail(diag, PS_ERR_PERMISSION,
			       "history database %s is read-only: this scan cannot be recorded",
			       c->path);
	if (p->identity && strlen(p->identity) != STORE_IDENTITY_LEN)
		return ps_fail(diag, PS_ERR_INVALID, "history: a scan identity has %d hex digits",
			       STORE_IDENTITY_LEN);
	if (p->ports && !(port_set = malloc(4u * p->ports->count + 4u)))
		return PS_ERR_NOMEM;
	if (p->fleet && p->nshards > 1 && (err = drop_shard(c, p, diag)))
		goto out;
	if (sqlite3_prepare_v2(c->db,
			       "INSERT INTO scans (started, args, engine, ports_spec, targets,"
			       " targets_key, port_set, fleet, shard, shards)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &s, NULL) != SQLITE_OK) {
		err = db_fail(c, diag, "prepare");
		goto out;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)p->start);
	bind_text(s, 2, p->args);
	bind_text(s, 3, p->engine);
	bind_text(s, 4, p->ports_spec);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)p->targets);
	bind_text(s, 6, p->identity);
	if (port_set)
		sqlite3_bind_blob(s, 7, port_set, (int)hoststates_ports_encode(p->ports, port_set),
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 7); /* every port */
	if (p->fleet && p->nshards > 1) {
		bind_text(s, 8, p->fleet);
		sqlite3_bind_int64(s, 9, (sqlite3_int64)p->shard);
		sqlite3_bind_int64(s, 10, (sqlite3_int64)p->nshards);
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		err = db_fail(c, diag, "recording the scan");
		goto out;
	}
	if (c->in_batch && (err = batch_commit(c, diag)))
		goto out;
	if ((err = recording_start(c, sqlite3_last_insert_rowid(c->db), p->ports, diag)))
		goto out;
	/*
	 * A scan's process does not checkpoint the WAL when it closes: that is two fsyncs and the
	 * copy of every page, 15 ms of a 0.3 s scan here. The WAL stays on disk, consistent; the
	 * next reader that closes it, or the automatic checkpoint at 1000 pages, folds it in.
	 */
	sqlite3_db_config(c->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	/* A scan commits about 30 pages: fold the WAL in every few scans, keep it at 1 MiB. */
	sqlite3_exec(c->db, "PRAGMA wal_autocheckpoint = 256; PRAGMA journal_size_limit = 1048576",
		     NULL, NULL, NULL);
	if (p->identity)
		memcpy(c->identity, p->identity, STORE_IDENTITY_LEN + 1);
	if (id)
		*id = c->scan_id;
out:
	sqlite3_finalize(s);
	free(port_set);
	if (err && c->in_batch) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		c->in_batch = 0;
	}
	return err;
}

/*
 * The identity of what was recorded, for callers that gave none (and old scans): the hosts'
 * addresses and every port some host has a code for.
 */
static enum ps_err identity_of_recording(struct sqlite_conn *c)
{
	struct target_range *ranges = calloc(c->hs.nhosts + 1, sizeof(*ranges));
	struct portset *seen = calloc(1, sizeof(*seen));
	enum ps_err err = PS_ERR_NOMEM;
	size_t i;
	uint32_t pos;

	if (!ranges || !seen)
		goto out;
	for (i = 0; i < c->hs.nhosts; i++) {
		ranges[i].family = c->hs.hosts[i].addr.family;
		ranges[i].lo = ranges[i].hi = ps_addr_to_u128(&c->hs.hosts[i].addr);
		for (pos = 0; pos < c->hs.nports; pos++)
			if (hoststates_get(&c->hs, i, pos) != HOSTSTATES_NOT_SCANNED)
				portset_add(seen, c->hs.ports[pos]);
	}
	err = store_identity_of_ranges(ranges, c->hs.nhosts, seen, c->identity);
out:
	free(ranges);
	free(seen);
	return err;
}

static enum ps_err sq_scan_end(void *conn, const struct store_scan_totals *t, struct ps_diag *diag)
{
	struct sqlite_conn *c = conn;
	sqlite3_stmt *s = NULL;
	enum ps_err err;

	if (!c->scan_id)
		return ps_fail(diag, PS_ERR_INVALID, "history: no scan is being recorded");
	if (!c->identity[0] && (err = identity_of_recording(c)))
		goto out;
	/* The last hosts and the end in one transaction: a finished scan is a whole one. */
	if ((err = batch_begin(c, diag)) || (err = write_hosts_final(c, diag)))
		goto out;
	if (sqlite3_prepare_v2(c->db,
			       "UPDATE scans SET finished = strftime('%s','now'), targets_key = ?,"
			       " hosts_up = ?, ports_scanned = ?, open = ?, closed = ?,"
			       " filtered = ?, elapsed = ?, interrupted = ? WHERE id = ?",
			       -1, &s, NULL) != SQLITE_OK) {
		err = db_fail(c, diag, "prepare");
		goto out;
	}
	bind_text(s, 1, c->identity);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)t->hosts_up);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)t->ports_scanned);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)t->open);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)t->closed);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)t->filtered);
	sqlite3_bind_double(s, 7, t->elapsed_s);
	sqlite3_bind_int(s, 8, t->interrupted != 0);
	sqlite3_bind_int64(s, 9, c->scan_id);
	if (sqlite3_step(s) != SQLITE_DONE) {
		err = db_fail(c, diag, "finishing the scan");
		goto out;
	}
	err = batch_commit(c, diag);
out:
	sqlite3_finalize(s);
	if (err && c->in_batch) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		c->in_batch = 0;
	}
	recording_stop(c);
	return err;
}

/* ---- schema ----------------------------------------------------------------------------- */

/*
 * The current schema, for a new file. Old files get there through the steps below; both ends
 * must agree (test_store checks a migrated file against a new one).
 */
static const char schema_current[] =
    "CREATE TABLE IF NOT EXISTS scans ("
    " id INTEGER PRIMARY KEY,"
    " started INTEGER NOT NULL,"
    " finished INTEGER,"
    " args TEXT, engine TEXT, ports_spec TEXT,"
    " targets INTEGER NOT NULL DEFAULT 0,"
    " targets_key TEXT,"
    " hosts_up INTEGER, ports_scanned INTEGER,"
    " open INTEGER, closed INTEGER, filtered INTEGER,"
    " elapsed REAL, interrupted INTEGER NOT NULL DEFAULT 0,"
    " port_set BLOB, recorded INTEGER NOT NULL DEFAULT 0,"
    " fleet TEXT, shard INTEGER, shards INTEGER);"
    "CREATE INDEX IF NOT EXISTS scans_by_targets ON scans (targets_key, id);"
    /* states: every port of the scan's port set as runs of codes (hoststates.h). Host rows are
     * numbered in the order hosts first answered, so inserts append to the b-tree. */
    "CREATE TABLE IF NOT EXISTS hosts ("
    " scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
    " host_no INTEGER NOT NULL,"
    " family INTEGER NOT NULL, addr BLOB NOT NULL, proto INTEGER NOT NULL,"
    " hostname TEXT, states BLOB NOT NULL,"
    " PRIMARY KEY (scan_id, host_no)) WITHOUT ROWID;"
    /* Open ports, filtered ports that drew an answer, identified ports: with their details. */
    "CREATE TABLE IF NOT EXISTS ports ("
    " scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
    " family INTEGER NOT NULL, addr BLOB NOT NULL, proto INTEGER NOT NULL,"
    " port INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT,"
    " ttl INTEGER, rtt_us INTEGER, tries INTEGER,"
    " svc_name TEXT, svc_product TEXT, svc_version TEXT, svc_info TEXT,"
    " svc_confidence TEXT, svc_flags INTEGER);"
    "CREATE INDEX IF NOT EXISTS ports_by_scan ON ports (scan_id);"
    /* Hosts silent on every port of the scan (most of a network is dark): sorted address
     * lists (hoststates_list_encode) instead of a hosts row each, written when a scan ends. */
    "CREATE TABLE IF NOT EXISTS dark_hosts ("
    " scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
    " family INTEGER NOT NULL, proto INTEGER NOT NULL, addrs BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS dark_hosts_by_scan ON dark_hosts (scan_id);";

/* Steps n -> n+1 for old files. Append only; never edit a step. */
static const char migrate_1_to_2[] = "ALTER TABLE results ADD COLUMN svc_name TEXT;"
				     "ALTER TABLE results ADD COLUMN svc_product TEXT;"
				     "ALTER TABLE results ADD COLUMN svc_version TEXT;"
				     "ALTER TABLE results ADD COLUMN svc_info TEXT;"
				     "ALTER TABLE results ADD COLUMN svc_confidence TEXT;"
				     "ALTER TABLE results ADD COLUMN svc_flags INTEGER;"
				     "CREATE INDEX scans_by_targets ON scans (targets_key, id);";

/*
 * Schema 4: the shards of a split scan. The index is apart from schema_current because the
 * step from 2 to 3 runs schema_current on a scans table without the fleet column.
 */
static const char fleet_index[] = "CREATE UNIQUE INDEX IF NOT EXISTS scans_by_fleet"
				  " ON scans (fleet, shard) WHERE fleet IS NOT NULL;";
static const char migrate_3_to_4[] = "ALTER TABLE scans ADD COLUMN fleet TEXT;"
				     "ALTER TABLE scans ADD COLUMN shard INTEGER;"
				     "ALTER TABLE scans ADD COLUMN shards INTEGER;";

/*
 * A scan as history shows it: a scan that was not split, or all the shards of a fleet, with
 * the smallest id of them as its id. done: every shard there and finished.
 */
#define SCAN_UNITS                                                                                 \
	"WITH units AS (SELECT min(id) AS id, min(targets_key) AS key, count(*) AS n,"             \
	" count(finished) AS n_done, max(coalesce(shards, 1)) AS want FROM scans"                  \
	" GROUP BY coalesce(fleet, 'scan:' || id)),"                                               \
	" done_units AS (SELECT id, key FROM units WHERE n_done = n AND n = want) "

static int parse_name(const char *text, const char *(*name)(int), int count)
{
	int i;

	for (i = 0; text && i < count; i++)
		if (!strcmp(text, name(i)))
			return i;
	return -1;
}

static const char *state_name(int i)
{
	return port_state_name((enum port_state)i);
}

static const char *reason_name(int i)
{
	return port_reason_name((enum port_reason)i);
}

static void copy_col(sqlite3_stmt *s, int col, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

/*
 * A schema 2 row as the result it once was. Rows that do not decode (a hand-edited file) are
 * skipped: load_scan refused them before, so no diff loses a port it could show.
 */
static int old_row(sqlite3_stmt *s, struct port_result *res, struct service_info *svc)
{
	const char *addr = (const char *)sqlite3_column_text(s, 0);
	const char *proto = (const char *)sqlite3_column_text(s, 1);
	const char *conf = (const char *)sqlite3_column_text(s, 9);
	sqlite3_int64 port = sqlite3_column_int64(s, 2);
	int state =
	    parse_name((const char *)sqlite3_column_text(s, 4), state_name, PORT_STATE_COUNT);
	int reason = parse_name((const char *)sqlite3_column_text(s, 5), reason_name, REASON_COUNT);

	memset(res, 0, sizeof(*res));
	if (!addr || ps_addr_parse(addr, &res->addr) || port < 1 || port > 65535 || state < 0)
		return -1;
	if (proto && !strcmp(proto, "udp"))
		res->proto = IPPROTO_UDP;
	else if (proto && !strcmp(proto, "tcp"))
		res->proto = IPPROTO_TCP;
	else
		return -1;
	res->port = (uint16_t)port;
	res->state = (uint8_t)state;
	res->reason = (uint8_t)(reason < 0 ? REASON_NONE : reason);
	/* A closed or filtered port kept no reason in schema 1: what it was does not matter to
	 * diff, only that a filtered one is not taken for an answered one. */
	if (reason < 0 && state == PORT_FILTERED)
		res->reason = REASON_NO_RESPONSE;
	res->hostname = (const char *)sqlite3_column_text(s, 3);
	res->ttl = (uint8_t)sqlite3_column_int(s, 10);
	res->rtt_us = (uint32_t)sqlite3_column_int64(s, 11);
	res->tries = (uint8_t)sqlite3_column_int(s, 12);
	if (sqlite3_column_type(s, 6) != SQLITE_NULL || sqlite3_column_type(s, 7) != SQLITE_NULL ||
	    sqlite3_column_type(s, 8) != SQLITE_NULL) {
		memset(svc, 0, sizeof(*svc));
		copy_col(s, 6, svc->name, sizeof(svc->name));
		copy_col(s, 7, svc->product, sizeof(svc->product));
		copy_col(s, 8, svc->version, sizeof(svc->version));
		svc->confidence =
		    conf && !strcmp(conf, "matched") ? SERVICE_MATCHED : SERVICE_GUESSED;
		res->service = svc;
	}
	return 0;
}

/* The distinct ports of an old scan: its port set. */
static enum ps_err old_port_set(struct sqlite_conn *c, int64_t id, struct portset *ports,
				struct ps_diag *diag)
{
	sqlite3_stmt *s;
	int rc;

	portset_clear(ports);
	if (sqlite3_prepare_v2(c->db, "SELECT DISTINCT port FROM results WHERE scan_id = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(c, diag, "prepare");
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sqlite3_int64 p = sqlite3_column_int64(s, 0);

		if (p >= 1 && p <= 65535)
			portset_add(ports, (uint16_t)p);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? PS_OK : db_fail(c, diag, "reading an old scan");
}

/* One old scan into the new tables, through the same path a scan records by. */
static enum ps_err convert_scan(struct sqlite_conn *c, int64_t id, int finished,
				struct portset *ports, struct ps_diag *diag)
{
	sqlite3_stmt *s = NULL, *u = NULL;
	uint8_t *port_set = NULL;
	enum ps_err err;
	int rc, row;

	if ((err = old_port_set(c, id, ports, diag)) || (err = recording_start(c, id, ports, diag)))
		return err;
	if (!(port_set = malloc(4u * ports->count + 4u))) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	if (sqlite3_prepare_v2(c->db,
			       "SELECT addr, proto, port, hostname, state, reason, svc_name,"
			       " svc_product, svc_version, svc_confidence, ttl, rtt_us, tries"
			       " FROM results WHERE scan_id = ? ORDER BY rowid",
			       -1, &s, NULL) != SQLITE_OK) {
		err = db_fail(c, diag, "prepare");
		goto out;
	}
	sqlite3_bind_int64(s, 1, id);
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct port_result res;
		struct service_info svc;

		if (!old_row(s, &res, &svc))
			err = record_port(c, &res, 1, &row, diag);
	}
	if (!err && rc != SQLITE_DONE)
		err = db_fail(c, diag, "reading an old scan");
	if (!err && finished)
		err = identity_of_recording(c);
	if (!err)
		err = write_hosts_final(c, diag);
	if (err)
		goto out;
	if (sqlite3_prepare_v2(c->db, "UPDATE scans SET port_set = ?, targets_key = ? WHERE id = ?",
			       -1, &u, NULL) != SQLITE_OK) {
		err = db_fail(c, diag, "prepare");
		goto out;
	}
	sqlite3_bind_blob(u, 1, port_set, (int)hoststates_ports_encode(ports, port_set),
			  SQLITE_STATIC);
	if (finished)
		bind_text(u, 2, c->identity);
	else
		sqlite3_bind_null(u, 2);
	sqlite3_bind_int64(u, 3, id);
	if (sqlite3_step(u) != SQLITE_DONE)
		err = db_fail(c, diag, "migrating a scan");
out:
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	free(port_set);
	recording_stop(c);
	return err;
}

/*
 * 2 -> 3: one row per port becomes runs per host and rows for what diff needs details of; the
 * targets key (FNV over the stored rows) becomes the identity of the same addresses and ports,
 * so the first scan after the upgrade diffs against the last one before it.
 */
static enum ps_err migrate_2_to_3(struct sqlite_conn *c, struct ps_diag *diag)
{
	struct portset *ports = malloc(sizeof(*ports));
	sqlite3_stmt *s = NULL;
	enum ps_err err;
	int rc;

	if (!ports)
		return PS_ERR_NOMEM;
	if ((err = exec(c,
			"ALTER TABLE scans ADD COLUMN port_set BLOB;"
			"ALTER TABLE scans ADD COLUMN recorded INTEGER NOT NULL DEFAULT 0;",
			diag)) ||
	    (err = exec(c, schema_current, diag)))
		goto out;
	if (sqlite3_prepare_v2(c->db, "SELECT id, finished IS NOT NULL FROM scans ORDER BY id", -1,
			       &s, NULL) != SQLITE_OK) {
		err = db_fail(c, diag, "prepare");
		goto out;
	}
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW)
		err = convert_scan(c, sqlite3_column_int64(s, 0), sqlite3_column_int(s, 1), ports,
				   diag);
	if (!err && rc != SQLITE_DONE)
		err = db_fail(c, diag, "reading old scans");
	sqlite3_finalize(s);
	s = NULL;
	if (!err)
		err = exec(c, "DROP INDEX IF EXISTS results_by_scan; DROP TABLE results;", diag);
out:
	sqlite3_finalize(s);
	free(ports);
	return err;
}

static int has_tables(struct sqlite_conn *c)
{
	int n = 0;

	return !get_int(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", &n) && n;
}

/* One step from version to version + 1 (0: a new file gets the current schema at once). */
static enum ps_err migrate_step(struct sqlite_conn *c, int version, struct ps_diag *diag)
{
	enum ps_err err;

	switch (version) {
	case 0:
		if (has_tables(c))
			return ps_fail(diag, PS_ERR_INVALID,
				       "history database %s is not a portsight history (it holds "
				       "tables of something else)",
				       c->path);
		err = exec(c, schema_current, diag);
		return err ? err : exec(c, fleet_index, diag);
	case 1:
		return exec(c, migrate_1_to_2, diag);
	case 2:
		return migrate_2_to_3(c, diag);
	case 3:
		err = exec(c, migrate_3_to_4, diag);
		return err ? err : exec(c, fleet_index, diag);
	}
	return ps_fail(diag, PS_ERR_INVALID, "history database: no migration from schema %d",
		       version);
}

static enum ps_err migrate(struct sqlite_conn *c, struct ps_diag *diag)
{
	char sql[64];
	int version;
	enum ps_err err;

	for (;;) {
		if (get_int(c, "PRAGMA user_version", &version))
			return db_fail(c, diag, "cannot read the schema version");
		if (version > STORE_SCHEMA_VERSION || version < 0)
			return ps_fail(diag, PS_ERR_UNSUPPORTED,
				       "history database has schema %d, newer than this portsight "
				       "(%d)",
				       version, STORE_SCHEMA_VERSION);
		if (version == STORE_SCHEMA_VERSION)
			break;
		if (sqlite3_db_readonly(c->db, "main") == 1)
			return ps_fail(diag, PS_ERR_PERMISSION,
				       "history database %s is read-only and needs an upgrade to "
				       "schema %d",
				       c->path, STORE_SCHEMA_VERSION);
		if ((err = exec(c, "BEGIN IMMEDIATE", diag)))
			return err;
		/* Another process may have done this step while we waited for the lock. */
		if (get_int(c, "PRAGMA user_version", &version)) {
			err = db_fail(c, diag, "cannot read the schema version");
			goto fail;
		}
		if (version < STORE_SCHEMA_VERSION) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
				 version ? version + 1 : STORE_SCHEMA_VERSION);
			if ((err = migrate_step(c, version, diag)) || (err = exec(c, sql, diag)))
				goto fail;
		}
		if ((err = exec(c, "COMMIT", diag)))
			goto fail;
	}
	c->schema = version;
	return PS_OK;
fail:
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

/* A file whose tables lack what we read is someone else's, whatever its user_version says. */
static enum ps_err check_tables(struct sqlite_conn *c, struct ps_diag *diag)
{
	static const char *const probes[] = {
	    "SELECT id, started, finished, args, engine, ports_spec, targets_key, targets,"
	    " hosts_up, recorded, open, closed, filtered, elapsed, interrupted, port_set,"
	    " fleet, shard, shards FROM scans LIMIT 0",
	    "SELECT scan_id, host_no, family, addr, proto, hostname, states FROM hosts LIMIT 0",
	    "SELECT scan_id, family, addr, proto, port, state, reason, ttl, rtt_us, tries,"
	    " svc_name, svc_product, svc_version, svc_info, svc_confidence, svc_flags"
	    " FROM ports LIMIT 0",
	    "SELECT scan_id, family, proto, addrs FROM dark_hosts LIMIT 0",
	};
	sqlite3_stmt *s;
	size_t i;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		if (sqlite3_prepare_v2(c->db, probes[i], -1, &s, NULL) != SQLITE_OK)
			return ps_fail(diag, PS_ERR_INVALID,
				       "history database %s is not a portsight history (%s)",
				       c->path, sqlite3_errmsg(c->db));
		sqlite3_finalize(s);
	}
	return PS_OK;
}

static void sq_close(void *conn)
{
	struct sqlite_conn *c = conn;

	if (!c)
		return;
	sq_scan_abort(c);
	if (c->in_batch)
		sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(c->insert_port);
	sqlite3_finalize(c->put_host);
	sqlite3_close(c->db);
	free(c->path);
	free(c);
}

/* WAL needs a moment alone with a new file; SQLite does not retry that through the busy
 * handler, so four processes creating one file at once retry here. */
static int set_wal(struct sqlite_conn *c)
{
	int rc, tries;

	for (tries = 0; tries < 200; tries++) {
		rc = sqlite3_exec(c->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			return rc;
		sqlite3_sleep(10);
	}
	return rc;
}

/*
 * A WAL file on a read-only disk cannot be opened the usual way (its -shm cannot be made), so
 * it is opened as immutable: history and diff read it, a scan is refused (scan_begin). 0 when
 * that worked, with c->db replaced.
 */
static int open_read_only(struct sqlite_conn *c)
{
	int code = sqlite3_errcode(c->db);
	char uri[4200];
	size_t n = 0;
	const char *p;
	sqlite3 *db = NULL;

	if (code != SQLITE_CANTOPEN && code != SQLITE_READONLY && code != SQLITE_PERM)
		return -1;
	n = (size_t)snprintf(uri, sizeof(uri), "file:");
	for (p = c->path; *p && n + 4 < sizeof(uri); p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			n +=
			    (size_t)snprintf(uri + n, sizeof(uri) - n, "%%%02X", (unsigned char)*p);
		else
			uri[n++] = *p;
	}
	if (*p || n + sizeof("?immutable=1") > sizeof(uri))
		return -1;
	memcpy(uri + n, "?immutable=1", sizeof("?immutable=1"));
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_close(c->db);
	c->db = db;
	return 0;
}

static enum ps_err sq_open(const char *path, void **out, struct ps_diag *diag)
{
	struct sqlite_conn *c;
	struct stat sb;
	enum ps_err err;

	*out = NULL;
	/* SQLite takes "" as a temporary database: the history would vanish without a word. */
	if (!path[0])
		return ps_fail(diag, PS_ERR_INVALID, "history database: empty file name");
	/* SQLite says only "unable to open database file" for these. */
	if (!stat(path, &sb) && S_ISDIR(sb.st_mode))
		return ps_fail(diag, PS_ERR_INVALID, "history database %s is a directory", path);
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		return PS_ERR_NOMEM;
	}
	/*
	 * One thread at a time uses a connection, so no SQLite mutexes; and the foreign keys the
	 * schema declares are not enforced (SQLite's default): checking the scan row under every
	 * host row doubled their cost (65536 rows of a /16: 0.27 s -> 0.09 s with both). Nothing
	 * deletes scans yet; whatever will must turn them on or delete hosts and ports itself.
	 */
	if (sqlite3_open_v2(path, &c->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		err = c->db ? db_fail(c, diag, path) : PS_ERR_NOMEM;
		goto fail;
	}
	sqlite3_busy_timeout(c->db, STORE_BUSY_MS);
	/* The first statement is the first read: a file that is not SQLite fails here. */
	if (set_wal(c) != SQLITE_OK) {
		err = db_fail(c, diag, path);
		if (open_read_only(c))
			goto fail;
	}
	if ((!sqlite3_db_readonly(c->db, "main") &&
	     (err = exec(c, "PRAGMA synchronous = NORMAL", diag))) ||
	    (err = migrate(c, diag)) || (err = check_tables(c, diag)))
		goto fail;
	*out = c;
	return PS_OK;
fail:
	sq_close(c);
	return err;
}

static int sq_schema(const void *conn)
{
	const struct sqlite_conn *c = conn;

	return c->schema;
}

/* ---- reading ---------------------------------------------------------------------------- */

static const char *col_text(sqlite3_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s, col);
}

static uint64_t col_u64(sqlite3_stmt *s, int col)
{
	sqlite3_int64 v = sqlite3_column_int64(s, col);

	return v > 0 ? (uint64_t)v : 0;
}

static enum ps_err sq_list_scans(void *conn, unsigned limit, store_scan_fn fn, void *ctx,
				 struct ps_diag *diag)
{
	struct sqlite_conn *c = conn;
	sqlite3_stmt *s;
	enum ps_err err = PS_OK;
	int rc;

	if (sqlite3_prepare_v2(
		c->db,
		/* The shards of a fleet as one scan: its numbers are their sums (hosts up:
		 * a host answering in two shards counts twice), finished when all are. */
		"SELECT min(id), min(started),"
		" CASE WHEN count(finished) = count(*) AND count(*) = max(coalesce(shards, 1))"
		" THEN max(finished) END,"
		" min(args), min(engine), min(ports_spec), min(targets_key), max(targets),"
		" sum(hosts_up), sum(recorded), sum(open), sum(closed), sum(filtered),"
		" max(elapsed), max(interrupted), max(shards), count(finished), fleet"
		" FROM scans GROUP BY coalesce(fleet, 'scan:' || id) ORDER BY min(id) DESC LIMIT ?",
		-1, &s, NULL) != SQLITE_OK)
		return db_fail(c, diag, "prepare");
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
		    .shards = col_u64(s, 15),
		    .shards_done = col_u64(s, 16),
		    .fleet = col_text(s, 17),
		};

		if (row.shards < 2)
			row.shards = row.shards_done = 0;

		err = fn(ctx, &row);
	}
	if (!err && rc != SQLITE_DONE)
		err = db_fail(c, diag, "listing scans");
	sqlite3_finalize(s);
	return err;
}

static enum ps_err sq_last_pair(void *conn, int64_t *old_id, int64_t *new_id, struct ps_diag *diag)
{
	struct sqlite_conn *c = conn;
	sqlite3_stmt *s;
	enum ps_err err = PS_OK;
	int rc;

	if (sqlite3_prepare_v2(
		c->db,
		SCAN_UNITS "SELECT n.id, (SELECT o.id FROM done_units o"
			   " WHERE o.key = n.key AND o.id < n.id ORDER BY o.id DESC LIMIT 1)"
			   " FROM done_units n ORDER BY n.id DESC LIMIT 1",
		-1, &s, NULL) != SQLITE_OK)
		return db_fail(c, diag, "prepare");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 1) != SQLITE_NULL) {
		*new_id = sqlite3_column_int64(s, 0);
		*old_id = sqlite3_column_int64(s, 1);
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		err = ps_fail(diag, PS_ERR_NOT_FOUND,
			      "history holds no earlier finished scan of the same targets to "
			      "compare the last one with");
	} else {
		err = db_fail(c, diag, "finding scans");
	}
	sqlite3_finalize(s);
	return err;
}

/* The label and port set of scan id; PS_ERR_NOT_FOUND when there is none. */
static enum ps_err load_header(struct sqlite_conn *c, int64_t id, struct snapshot *snap,
			       struct portset *ports, struct ps_diag *diag)
{
	sqlite3_stmt *s;
	enum ps_err err = PS_OK;
	int found;

	if (sqlite3_prepare_v2(c->db,
			       "SELECT min(started), port_set, max(finished IS NULL OR interrupted)"
			       " OR count(*) < max(coalesce(shards, 1)), max(shards) FROM scans"
			       " WHERE id = ?1 OR fleet = (SELECT fleet FROM scans WHERE id = ?1)"
			       " HAVING count(*) > 0",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(c, diag, "prepare");
	sqlite3_bind_int64(s, 1, id);
	found = sqlite3_step(s) == SQLITE_ROW;
	if (found) {
		time_t when = (time_t)sqlite3_column_int64(s, 0);
		char buf[32] = "";
		struct tm tm;

		if (localtime_r(&when, &tm))
			strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(snap->label, sizeof(snap->label), "scan %lld (%s%s%s)", (long long)id, buf,
			 sqlite3_column_int64(s, 3) > 1 ? ", sharded" : "",
			 sqlite3_column_int(s, 2) ? ", partial" : "");
		if (sqlite3_column_type(s, 1) == SQLITE_NULL) {
			portset_clear(ports);
			portset_add_range(ports, 1, PORTSET_MAX_PORT);
		} else {
			err = hoststates_ports_decode(sqlite3_column_blob(s, 1),
						      (size_t)sqlite3_column_bytes(s, 1), ports,
						      diag);
		}
	}
	sqlite3_finalize(s);
	if (!found)
		return ps_fail(diag, PS_ERR_NOT_FOUND, "history has no scan %lld", (long long)id);
	return err;
}

struct dark_load {
	struct hoststates_load *load;
	uint8_t proto;
};

/* A dark host: every port of the scan filtered, no response. */
static enum ps_err add_dark(void *ctx, const struct ps_addr *addr)
{
	struct dark_load *d = ctx;
	uint32_t pos;
	enum ps_err err;

	for (pos = 0; pos < d->load->nports; pos++)
		if ((err = snapshot_add(d->load->snap, addr, d->load->ports[pos], d->proto,
					PORT_FILTERED, NULL)))
			return err;
	return PS_OK;
}

static enum ps_err load_dark(struct sqlite_conn *c, int64_t id, struct hoststates_load *load,
			     struct ps_diag *diag)
{
	struct dark_load d = {.load = load};
	sqlite3_stmt *s;
	enum ps_err err = PS_OK;
	int rc;

	if (sqlite3_prepare_v2(c->db,
			       "SELECT family, proto, addrs FROM dark_hosts WHERE scan_id = ?", -1,
			       &s, NULL) != SQLITE_OK)
		return db_fail(c, diag, "prepare");
	sqlite3_bind_int64(s, 1, id);
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int proto = sqlite3_column_int(s, 1);

		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
			err = ps_fail(diag, PS_ERR_INVALID, "history: a bad protocol %d", proto);
			break;
		}
		d.proto = (uint8_t)proto;
		err =
		    hoststates_list_decode(sqlite3_column_int(s, 0), sqlite3_column_blob(s, 2),
					   (size_t)sqlite3_column_bytes(s, 2), add_dark, &d, diag);
	}
	if (!err && rc != SQLITE_DONE)
		err = db_fail(c, diag, "reading dark hosts");
	sqlite3_finalize(s);
	return err;
}

static enum ps_err load_hosts(struct sqlite_conn *c, int64_t id, const struct portset *ports,
			      struct snapshot *snap, struct ps_diag *diag)
{
	struct hoststates_load load = {.snap = snap};
	sqlite3_stmt *s;
	enum ps_err err = PS_OK;
	int rc;

	if (!(load.ports = malloc(65536 * sizeof(*load.ports))))
		return PS_ERR_NOMEM;
	load.nports = (uint32_t)portset_to_array(ports, load.ports);
	if (sqlite3_prepare_v2(c->db,
			       "SELECT family, addr, proto, states FROM hosts WHERE scan_id = ?"
			       " ORDER BY host_no",
			       -1, &s, NULL) != SQLITE_OK) {
		free(load.ports);
		return db_fail(c, diag, "prepare");
	}
	sqlite3_bind_int64(s, 1, id);
	/* Rows are decoded like any file: a hand-edited database gets an error, not a crash. */
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW)
		err = hoststates_load_host(
		    &load, sqlite3_column_int(s, 0), sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1), sqlite3_column_int(s, 2),
		    sqlite3_column_blob(s, 3), (size_t)sqlite3_column_bytes(s, 3), diag);
	if (!err && rc != SQLITE_DONE)
		err = db_fail(c, diag, "reading hosts");
	sqlite3_finalize(s);
	if (!err)
		err = load_dark(c, id, &load, diag);
	free(load.ports);
	return err;
}

static enum ps_err add_port_row(struct snapshot *snap, sqlite3_stmt *s, struct ps_diag *diag)
{
	struct snap_service svc = {0};
	const char *conf = col_text(s, 8);
	struct ps_addr addr;
	sqlite3_int64 port = sqlite3_column_int64(s, 3);
	int proto = sqlite3_column_int(s, 2);
	int state = parse_name(col_text(s, 4), state_name, PORT_STATE_COUNT);
	enum ps_err err;

	if ((err = hoststates_addr_decode(sqlite3_column_int(s, 0), sqlite3_column_blob(s, 1),
					  (size_t)sqlite3_column_bytes(s, 1), &addr, diag)))
		return err;
	if (port < 1 || port > 65535 || (proto != IPPROTO_TCP && proto != IPPROTO_UDP) || state < 0)
		return ps_fail(diag, PS_ERR_INVALID, "history: a bad port row (%lld/%d %.16s)",
			       (long long)port, proto, col_text(s, 4) ? col_text(s, 4) : "");
	copy_col(s, 5, svc.name, sizeof(svc.name));
	copy_col(s, 6, svc.product, sizeof(svc.product));
	copy_col(s, 7, svc.version, sizeof(svc.version));
	svc.probed = conf && !strcmp(conf, "matched");
	return snapshot_add(snap, &addr, (uint16_t)port, (uint8_t)proto, (uint8_t)state, &svc);
}

/* One recorded scan row (a whole scan, or one shard of one) into snap. */
static enum ps_err load_member(struct sqlite_conn *c, int64_t id, const struct portset *ports,
			       struct snapshot *snap, struct ps_diag *diag)
{
	sqlite3_stmt *s = NULL;
	enum ps_err err;
	int rc;

	if ((err = load_hosts(c, id, ports, snap, diag)))
		return err;
	if (sqlite3_prepare_v2(c->db,
			       "SELECT family, addr, proto, port, state, svc_name, svc_product,"
			       " svc_version, svc_confidence FROM ports WHERE scan_id = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(c, diag, "prepare");
	sqlite3_bind_int64(s, 1, id);
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW)
		err = add_port_row(snap, s, diag);
	if (!err && rc != SQLITE_DONE)
		err = db_fail(c, diag, "reading results");
	sqlite3_finalize(s);
	return err;
}

/* The rows of scan id: itself, or every shard of its fleet. */
static enum ps_err load_members(struct sqlite_conn *c, int64_t id, int64_t **out, size_t *n,
				struct ps_diag *diag)
{
	sqlite3_stmt *s;
	enum ps_err err = PS_OK;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(c->db,
			       "SELECT id FROM scans WHERE id = ?1 OR fleet ="
			       " (SELECT fleet FROM scans WHERE id = ?1) ORDER BY id",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(c, diag, "prepare");
	sqlite3_bind_int64(s, 1, id);
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			int64_t *grown = realloc(*out, (cap = cap ? 2 * cap : 8) * sizeof(**out));

			if (!grown) {
				err = PS_ERR_NOMEM;
				break;
			}
			*out = grown;
		}
		(*out)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	if (!err && rc != SQLITE_DONE)
		err = db_fail(c, diag, "finding the shards");
	sqlite3_finalize(s);
	return err;
}

static enum ps_err sq_load_scan(void *conn, int64_t id, struct snapshot *snap, struct ps_diag *diag)
{
	struct sqlite_conn *c = conn;
	struct portset *ports = malloc(sizeof(*ports));
	int64_t *members = NULL;
	size_t nmembers = 0, i;
	enum ps_err err;

	if (!ports)
		return PS_ERR_NOMEM;
	if ((err = load_header(c, id, snap, ports, diag)) ||
	    (err = load_members(c, id, &members, &nmembers, diag)))
		goto out;
	for (i = 0; !err && i < nmembers; i++)
		err = load_member(c, members[i], ports, snap, diag);
	if (err)
		goto out;
	/* Every port the scan reached is in snap: one that is not was never scanned. */
	snap->absent_unscanned = 1;
out:
	free(members);
	free(ports);
	return err;
}

const struct store_backend store_sqlite_backend = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .schema = sq_schema,
    .scan_begin = sq_scan_begin,
    .scan_port = sq_scan_port,
    .scan_commit = sq_scan_commit,
    .scan_end = sq_scan_end,
    .scan_abort = sq_scan_abort,
    .list_scans = sq_list_scans,
    .last_pair = sq_last_pair,
    .load_scan = sq_load_scan,
};
