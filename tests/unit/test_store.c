/* SPDX-License-Identifier: MIT */
/*
 * History store: migrations (from schema 1 and 2, with the old SQL as fixtures), four
 * processes creating one file, bad files, a recording round trip, a killed recording, partial
 * scans in diff, the job identity, the port-run codec, diff logic, XML.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef PS_HAVE_LIBPQ
#include <libpq-fe.h>
#endif

#include "core/target.h"
#include "store/hoststates.h"
#include "store/snapshot.h"
#include "store/store.h"

/*
 * The history and diff tests run twice: on SQLite files, and (PORTSIGHT_TEST_PG set to a
 * libpq URI of a database the test may wipe; tests/store/test_postgres.sh starts a server)
 * on PostgreSQL, where a "new database" is that database with every portsight table dropped.
 */
static const char *pg_url;

#ifdef PS_HAVE_LIBPQ
static PGconn *pg_connect(void)
{
	PGconn *db = PQconnectdb(pg_url);

	if (PQstatus(db) != CONNECTION_OK)
		fail_msg("PostgreSQL %s: %s", pg_url, PQerrorMessage(db));
	return db;
}

static void pg_exec_sql(const char *sql)
{
	PGconn *db = pg_connect();
	PGresult *r = PQexec(db, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(db);
}

static long long pg_query_int(const char *sql)
{
	PGconn *db = pg_connect();
	PGresult *r = PQexec(db, sql);
	long long v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(db);
	return v;
}
#else
static void pg_exec_sql(const char *sql)
{
	(void)sql;
	fail_msg("built without libpq");
}

static long long pg_query_int(const char *sql)
{
	(void)sql;
	fail_msg("built without libpq");
	return -1;
}
#endif

static char *tmp_db(void)
{
	char *path;
	int fd;

	if (pg_url) {
		pg_exec_sql("DROP TABLE IF EXISTS dark_hosts, ports, hosts, scans, portsight_schema");
		return strdup(pg_url);
	}
	path = strdup("/tmp/ps_test_store_XXXXXX");
	fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	return path;
}

static void rm_db(char *path)
{
	char side[512];

	if (pg_url) {
		free(path);
		return;
	}
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	free(path);
}

static long long query_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;

	if (pg_url)
		return pg_query_int(sql);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db;

	if (pg_url) {
		pg_exec_sql(sql);
		return;
	}
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_migrate_empty_file(void **unused)
{
	char *path = tmp_db();
	struct store *st;

	(void)unused;
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	assert_int_equal(store_schema(st), STORE_SCHEMA_VERSION);
	assert_string_equal(store_backend_name(st), "sqlite");
	store_close(st);
	assert_int_equal(query_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	/* The tables of schema 3, and no row-per-port table. */
	assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
					 " AND name IN ('scans', 'hosts', 'ports')"),
			 3);
	assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master"
					 " WHERE name = 'results'"),
			 0);
	assert_int_equal(query_int(path, "SELECT count(*) FROM pragma_table_info('ports')"
					 " WHERE name LIKE 'svc_%'"),
			 6);
	assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
					 " AND name = 'scans_by_targets'"),
			 1);
	/* Opening again is a no-op; "sqlite:PATH" is the same file. */
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	store_close(st);
	{
		char url[512];

		snprintf(url, sizeof(url), "sqlite:%s", path);
		assert_int_equal(store_open(url, &st, NULL), PS_OK);
		assert_int_equal(store_schema(st), STORE_SCHEMA_VERSION);
		store_close(st);
	}
	rm_db(path);
}

static void test_migrate_from_v1(void **unused)
{
	char *path = tmp_db();
	struct store *st;
	struct snapshot snap;

	(void)unused;
	/* A file as schema 1 left it, with one scan in it. */
	exec_sql(path, "CREATE TABLE scans (id INTEGER PRIMARY KEY, started INTEGER NOT NULL,"
		       " finished INTEGER, args TEXT, engine TEXT, ports_spec TEXT,"
		       " targets INTEGER NOT NULL DEFAULT 0, targets_key TEXT, hosts_up INTEGER,"
		       " ports_scanned INTEGER, open INTEGER, closed INTEGER, filtered INTEGER,"
		       " elapsed REAL, interrupted INTEGER NOT NULL DEFAULT 0);"
		       "CREATE TABLE results (scan_id INTEGER NOT NULL REFERENCES scans(id)"
		       " ON DELETE CASCADE, addr TEXT NOT NULL, proto TEXT NOT NULL,"
		       " port INTEGER NOT NULL, hostname TEXT, state TEXT NOT NULL, reason TEXT,"
		       " ttl INTEGER, rtt_us INTEGER, tries INTEGER);"
		       "CREATE INDEX results_by_scan ON results (scan_id);"
		       "INSERT INTO scans (id, started, finished) VALUES (7, 1000, 1001);"
		       "INSERT INTO results (scan_id, addr, proto, port, state)"
		       " VALUES (7, '192.0.2.9', 'tcp', 443, 'open');"
		       "PRAGMA user_version = 1;");
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	assert_int_equal(store_schema(st), STORE_SCHEMA_VERSION);
	snapshot_init(&snap);
	assert_int_equal(store_load_scan(st, 7, &snap, NULL), PS_OK);
	assert_int_equal(snap.nports, 1);
	assert_int_equal(snap.ports[0].port, 443);
	assert_int_equal(snap.ports[0].state, PORT_OPEN);
	assert_null(snapshot_service(&snap, &snap.ports[0]));
	snapshot_release(&snap);
	store_close(st);
	rm_db(path);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Every bad state is one error with a reason, never a crash and never a store. */
static void expect_open_fails(const char *location, enum ps_err want, const char *words)
{
	struct ps_diag diag = {{0}};
	struct store *st = (struct store *)&diag; /* must be reset to NULL */

	assert_int_equal(store_open(location, &st, &diag), want);
	assert_null(st);
	if (!strstr(diag.msg, words))
		fail_msg("'%s': '%s' lacks '%s'", location, diag.msg, words);
}

static void test_refuses_bad_databases(void **unused)
{
	char *path = tmp_db();

	(void)unused;
	exec_sql(path, "PRAGMA user_version = 99;");
	expect_open_fails(path, PS_ERR_UNSUPPORTED, "99");
	write_file(path,
		   "this is not a database, it is a text file with enough bytes to look like "
		   "one..........................................................................."
		   "........................");
	expect_open_fails(path, PS_ERR_INVALID, "not a database");
	/* Someone else's SQLite file with a table called scans: refused, and left alone. */
	unlink(path);
	exec_sql(path, "CREATE TABLE scans (x TEXT); INSERT INTO scans VALUES ('theirs');");
	expect_open_fails(path, PS_ERR_INVALID, "not a portsight history");
	assert_int_equal(query_int(path, "SELECT count(*) FROM scans"), 1);
	assert_int_equal(query_int(path, "PRAGMA user_version"), 0);
	/* ... also when it claims our schema version. */
	exec_sql(path, "PRAGMA user_version = 3;");
	expect_open_fails(path, PS_ERR_INVALID, "not a portsight history");
	expect_open_fails("", PS_ERR_INVALID, "empty file name");
#ifdef PS_HAVE_LIBPQ
	/* A unix socket directory that does not exist: no name is looked up, nothing sent. */
	expect_open_fails("postgresql:///history?host=/nonexistent-portsight-dir", PS_ERR_IO,
			  "cannot connect");
	expect_open_fails("postgres:///history?host=/nonexistent-portsight-dir", PS_ERR_IO,
			  "cannot connect");
#else
	expect_open_fails("postgresql://db.example/history", PS_ERR_UNSUPPORTED, "PostgreSQL");
	expect_open_fails("postgres://db.example/history", PS_ERR_UNSUPPORTED, "PostgreSQL");
#endif
	expect_open_fails("mysql://db.example/history", PS_ERR_INVALID, "unknown kind");
	expect_open_fails("sqlite:", PS_ERR_INVALID, "empty file name");
	expect_open_fails("/tmp", PS_ERR_INVALID, "is a directory");
	expect_open_fails("/nonexistent-dir/history.db", PS_ERR_INVALID, "unable to open");
	rm_db(path);
}

/*
 * A file the process may read but not write: history reads it, a scan is refused with one
 * line. Root writes through file modes, so as root the file sits on a read-only mount of its
 * own (a private mount namespace in a child).
 */
static void read_only_checks(const char *dir, const char *path)
{
	struct store_scan_params params = {.args = "ro", .targets = 1};
	struct ps_diag diag = {{0}};
	struct store *st = NULL;

	(void)dir;
	if (store_open(path, &st, &diag)) {
		/* Reading a WAL file needs its -shm: a clear error is the other acceptable end. */
		if (!strstr(diag.msg, "read")) {
			fprintf(stderr, "read-only open: %s\n", diag.msg);
			_exit(10);
		}
		_exit(0);
	}
	if (store_list_scans(st, 0, NULL, NULL, NULL) != PS_OK)
		_exit(11);
	if (store_scan_begin(st, &params, NULL, &diag) != PS_ERR_PERMISSION ||
	    !strstr(diag.msg, "read-only"))
		_exit(12);
	store_close(st);
	_exit(0);
}

static void test_read_only_database(void **unused)
{
	char dir[] = "/tmp/ps_test_ro_XXXXXX", path[256];
	struct store *st;
	pid_t pid;
	int status;

	(void)unused;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/history.db", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0) {
			if (unshare(CLONE_NEWNS) ||
			    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			    mount("tmpfs", dir, "tmpfs", 0, "size=4m"))
				_exit(20);
		}
		if (store_open(path, &st, NULL))
			_exit(21);
		store_close(st);
		if (geteuid() == 0) {
			if (mount("tmpfs", dir, "tmpfs", MS_REMOUNT | MS_RDONLY, "size=4m"))
				_exit(22);
		} else if (chmod(path, 0444) || chmod(dir, 0555)) {
			_exit(23);
		}
		read_only_checks(dir, path);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	chmod(dir, 0755);
	snprintf(path, sizeof(path), "%s/history.db", dir);
	unlink(path);
	strcat(path, "-wal");
	unlink(path);
	snprintf(path, sizeof(path), "%s/history.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

/* Four processes creating one new file at once: each opens, records and ends a scan. */
static void test_concurrent_create(void **unused)
{
	char dir[] = "/tmp/ps_test_conc_XXXXXX", path[256];
	int go[2], i, status;
	pid_t pids[4];
	char byte;

	(void)unused;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/history.db", dir);
	assert_int_equal(pipe(go), 0);
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct store_scan_params params = {.args = "concurrent", .targets = 1};
			struct store_scan_totals totals = {0};
			struct port_result res = {.port = 22, .proto = IPPROTO_TCP};
			struct ps_diag diag = {{0}};
			struct store *st;

			close(go[1]);
			/* Everyone waits for the pipe to close, then all start at once. */
			if (read(go[0], &byte, 1) != 0)
				_exit(9);
			if (store_open(path, &st, &diag)) {
				fprintf(stderr, "child %d: %s\n", i, diag.msg);
				_exit(1);
			}
			ps_addr_parse("192.0.2.1", &res.addr);
			if (store_scan_begin(st, &params, NULL, &diag) ||
			    store_scan_port(st, &res, &diag) ||
			    store_scan_end(st, &totals, &diag)) {
				fprintf(stderr, "child %d: %s\n", i, diag.msg);
				_exit(2);
			}
			store_close(st);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(query_int(path, "SELECT count(*) FROM scans WHERE finished IS NOT NULL"),
			 4);
	assert_int_equal(query_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	rm_db(strdup(path));
	rmdir(dir);
}

/*
 * Result i of the synthetic scan: hosts 192.0.2.1-4, ports 1.., open every 97th, a third
 * filtered (half of them with an ICMP answer), the rest closed.
 */
static void synth(unsigned i, struct port_result *res, struct service_info *svc)
{
	char addr[32];

	memset(res, 0, sizeof(*res));
	snprintf(addr, sizeof(addr), "192.0.2.%u", 1 + i % 4);
	assert_int_equal(ps_addr_parse(addr, &res->addr), PS_OK);
	res->port = (uint16_t)(1 + i / 4);
	res->proto = IPPROTO_TCP;
	res->state = i % 97 == 0 ? PORT_OPEN : i % 3 ? PORT_CLOSED : PORT_FILTERED;
	res->reason = res->state == PORT_OPEN	  ? REASON_SYN_ACK
		      : res->state == PORT_CLOSED ? REASON_CONN_REFUSED
		      : i % 2			  ? REASON_ICMP_ADMIN_PROHIBITED
						  : REASON_NO_RESPONSE;
	res->hostname = "lab'; DROP TABLE scans; --";
	if (res->state == PORT_OPEN) {
		memset(svc, 0, sizeof(*svc));
		snprintf(svc->name, sizeof(svc->name), "svc%u", i);
		snprintf(svc->product, sizeof(svc->product), "Prod \"%u\" <x>", i);
		/* A full field without a terminator: the store must stop at the buffer's end. */
		memset(svc->version, 'v', sizeof(svc->version));
		svc->confidence = SERVICE_MATCHED;
		res->service = svc;
	}
}

struct list_ctx {
	int rows;
	struct store_scan_row first;
	char args[128];
	int first_finished;
};

static enum ps_err collect_rows(void *ctx, const struct store_scan_row *row)
{
	struct list_ctx *c = ctx;

	if (!c->rows++) {
		c->first = *row;
		snprintf(c->args, sizeof(c->args), "%s", row->args ? row->args : "");
		c->first_finished = row->finished != 0;
	}
	return PS_OK;
}

#define ROUND_TRIP_N 20000u

static void test_round_trip(void **unused)
{
	char *path = tmp_db();
	struct portset ports;
	struct store_scan_params params = {.args = "portsight scan -p 1-5000 192.0.2.1-4",
					   .engine = "connect",
					   .ports_spec = "1-5000",
					   .targets = 4,
					   .start = 1700000000,
					   .ports = &ports};
	struct store_scan_totals totals = {
	    .hosts_up = 4, .ports_scanned = ROUND_TRIP_N, .elapsed_s = 2.5};
	struct list_ctx lc = {0};
	struct snapshot snap;
	struct store *st;
	int64_t id = 0;
	unsigned i, open = 0, listed = 0;

	(void)unused;
	portset_clear(&ports);
	portset_add_range(&ports, 1, ROUND_TRIP_N / 4);
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	assert_int_equal(store_scan_begin(st, &params, &id, NULL), PS_OK);
	assert_true(id > 0);
	for (i = 0; i < ROUND_TRIP_N; i++) {
		struct port_result res;
		struct service_info svc;

		synth(i, &res, &svc);
		open += res.state == PORT_OPEN;
		listed += res.state == PORT_OPEN || res.reason == REASON_ICMP_ADMIN_PROHIBITED;
		assert_int_equal(store_scan_port(st, &res, NULL), PS_OK);
	}
	totals.open = open;
	assert_int_equal(store_scan_end(st, &totals, NULL), PS_OK);
	assert_int_equal(store_list_scans(st, 0, collect_rows, &lc, NULL), PS_OK);
	assert_int_equal(lc.rows, 1);
	assert_int_equal(lc.first.id, id);
	assert_true(lc.first_finished);
	assert_int_equal(lc.first.results, ROUND_TRIP_N);
	assert_int_equal(lc.first.open, open);
	assert_int_equal(lc.first.targets, 4);
	assert_string_equal(lc.args, params.args);

	snapshot_init(&snap);
	assert_int_equal(store_load_scan(st, id, &snap, NULL), PS_OK);
	assert_int_equal(snap.nports, ROUND_TRIP_N);
	for (i = 0; i < snap.nports; i++) {
		const struct snap_port *p = &snap.ports[i];
		const struct snap_service *svc = snapshot_service(&snap, p);
		/* Recover i from address and port, then compare with what was written. */
		unsigned idx = (unsigned)(p->port - 1) * 4 + (p->addr.bytes[3] - 1);
		struct port_result want;
		struct service_info wsvc;
		char name[32];

		synth(idx, &want, &wsvc);
		assert_int_equal(p->state, want.state);
		if (want.state == PORT_OPEN) {
			assert_non_null(svc);
			snprintf(name, sizeof(name), "svc%u", idx);
			assert_string_equal(svc->name, name);
			assert_string_equal(svc->product, wsvc.product);
			assert_int_equal(strlen(svc->version), sizeof(svc->version) - 1);
		} else {
			assert_null(svc);
		}
	}
	assert_int_equal(snap.absent_unscanned, 1);
	snapshot_release(&snap);
	store_close(st);
	assert_int_equal(query_int(path, "SELECT count(*) FROM scans"), 1);
	/* Compact: a row per host, and rows only for open and ICMP-answered ports. */
	assert_int_equal(query_int(path, "SELECT count(*) FROM hosts"), 4);
	assert_int_equal(query_int(path, "SELECT count(*) FROM ports"), listed);
	assert_int_equal(query_int(path, "SELECT count(*) FROM ports WHERE state = 'filtered'"
					 " AND reason = 'icmp-admin-prohibited'"),
			 listed - open);
	rm_db(path);
}

/* A process killed in the middle of a batch: the database stays consistent and readable. */
static void test_killed_recording(void **unused)
{
	char *path = tmp_db();
	struct list_ctx lc = {0};
	struct snapshot snap;
	struct store *st;
	size_t i;
	pid_t pid;
	int status;

	(void)unused;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store_scan_params params = {
		    .args = "killed", .engine = "connect", .targets = 4, .start = 1};
		unsigned n;

		if (store_open(path, &st, NULL) || store_scan_begin(st, &params, NULL, NULL))
			_exit(2);
		for (n = 0; n < 10000; n++) {
			struct port_result res;
			struct service_info svc;

			synth(n, &res, &svc);
			if (store_scan_port(st, &res, NULL))
				_exit(3);
			if (n == 5999 && store_scan_commit(st, NULL))
				_exit(4);
		}
		_exit(0); /* no commit, no close: as if killed */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(query_int(path, "SELECT count(*) FROM pragma_integrity_check"
					 " WHERE integrity_check = 'ok'"),
			 1);
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	assert_int_equal(store_list_scans(st, 0, collect_rows, &lc, NULL), PS_OK);
	assert_int_equal(lc.rows, 1);
	assert_false(lc.first_finished);
	/* Whole checkpoints only: the explicit one at 6000, maybe a timed one, never the tail. */
	assert_true(lc.first.results >= 6000 && lc.first.results < 10000);
	/* What history counts is what diff gets back, every port as it was written. */
	snapshot_init(&snap);
	assert_int_equal(store_load_scan(st, lc.first.id, &snap, NULL), PS_OK);
	assert_int_equal(snap.nports, lc.first.results);
	assert_non_null(strstr(snap.label, "partial"));
	for (i = 0; i < snap.nports; i++) {
		const struct snap_port *p = &snap.ports[i];
		unsigned idx = (unsigned)(p->port - 1) * 4 + (p->addr.bytes[3] - 1);
		struct port_result want;
		struct service_info wsvc;

		assert_true(idx < lc.first.results);
		synth(idx, &want, &wsvc);
		assert_int_equal(p->state, want.state);
	}
	snapshot_release(&snap);
	store_close(st);
	rm_db(path);
}

/* One finished scan of addr: ports[i] open when bit i of open_mask is set, else closed. */
static void record(struct store *st, const char *addr, const uint16_t *ports, size_t n,
		   unsigned open_mask, int64_t *id)
{
	struct store_scan_params params = {.args = addr, .engine = "connect", .targets = 1};
	struct store_scan_totals totals = {0};
	size_t i;

	assert_int_equal(store_scan_begin(st, &params, id, NULL), PS_OK);
	for (i = 0; i < n; i++) {
		struct port_result res = {.port = ports[i],
					  .proto = IPPROTO_TCP,
					  .state = (open_mask >> i) & 1 ? PORT_OPEN : PORT_CLOSED};

		assert_int_equal(ps_addr_parse(addr, &res.addr), PS_OK);
		assert_int_equal(store_scan_port(st, &res, NULL), PS_OK);
	}
	assert_int_equal(store_scan_end(st, &totals, NULL), PS_OK);
}

/* "The same targets": the same addresses scanned on the same ports, whatever their states. */
static void test_last_pair_same_targets(void **unused)
{
	char *path = tmp_db();
	static const uint16_t ports[] = {22, 80};
	int64_t a, b, c, d, old_id = 0, new_id = 0;
	struct store *st;

	(void)unused;
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	record(st, "192.0.2.1", ports, 2, 3, &a);
	assert_int_equal(store_last_pair(st, &old_id, &new_id, NULL), PS_ERR_NOT_FOUND);
	record(st, "192.0.2.2", ports, 2, 3, &b);
	assert_int_equal(store_last_pair(st, &old_id, &new_id, NULL), PS_ERR_NOT_FOUND);
	record(st, "192.0.2.1", ports, 2, 1, &c); /* 80 closed now: still the same targets */
	assert_int_equal(store_last_pair(st, &old_id, &new_id, NULL), PS_OK);
	assert_int_equal(old_id, a);
	assert_int_equal(new_id, c);
	record(st, "192.0.2.1", ports, 1, 1, &d); /* port 22 only: other targets */
	assert_int_equal(store_last_pair(st, &old_id, &new_id, NULL), PS_ERR_NOT_FOUND);
	(void)b;
	(void)d;
	store_close(st);
	rm_db(path);
}

/* A growing text of every change, for comparing whole diffs. */
struct change_text {
	char *buf;
	size_t len;
	size_t n;
};

static enum ps_err text_change(void *ctx, const struct diff_change *c)
{
	struct change_text *t = ctx;
	const struct snap_port *p = c->new_port ? c->new_port : c->old_port;
	char addr[PS_ADDR_STRLEN], line[256];
	int n;

	n = snprintf(line, sizeof(line), "%s %s %u %s>%s %s>%s\n", diff_kind_name(c->kind),
		     ps_addr_format(&p->addr, addr, sizeof(addr)), p->port,
		     c->old_port ? port_state_name(c->old_port->state) : "-",
		     c->new_port ? port_state_name(c->new_port->state) : "-",
		     c->old_service ? c->old_service->version : "-",
		     c->new_service ? c->new_service->version : "-");
	t->buf = realloc(t->buf, t->len + (size_t)n + 1);
	assert_non_null(t->buf);
	memcpy(t->buf + t->len, line, (size_t)n + 1);
	t->len += (size_t)n;
	t->n++;
	return PS_OK;
}

static void diff_text(struct snapshot *o, struct snapshot *n, struct change_text *t)
{
	size_t changes = 0;

	memset(t, 0, sizeof(*t));
	assert_int_equal(snapshot_diff(o, n, text_change, t, &changes), PS_OK);
	assert_int_equal(changes, t->n);
	if (!t->buf)
		t->buf = strdup("");
}

static void diff_ids(struct store *st, int64_t a, int64_t b, struct change_text *t)
{
	struct snapshot o, n;

	snapshot_init(&o);
	snapshot_init(&n);
	assert_int_equal(store_load_scan(st, a, &o, NULL), PS_OK);
	assert_int_equal(store_load_scan(st, b, &n, NULL), PS_OK);
	diff_text(&o, &n, t);
	snapshot_release(&o);
	snapshot_release(&n);
}

static void identity_of(const char *targets, const char *ports, char out[STORE_IDENTITY_LEN + 1])
{
	struct target_list list;
	struct portset set;

	target_list_init(&list);
	assert_int_equal(target_list_add_text(&list, targets, strlen(targets), NULL, NULL, NULL),
			 PS_OK);
	assert_int_equal(target_list_finish(&list, NULL, 1u << 20, NULL), PS_OK);
	assert_int_equal(portset_parse(&set, ports, NULL, NULL, NULL), PS_OK);
	assert_int_equal(store_scan_identity(&list, &set, out), PS_OK);
	assert_int_equal(strlen(out), STORE_IDENTITY_LEN);
	target_list_release(&list);
}

static void test_identity_from_job(void **unused)
{
	char a[STORE_IDENTITY_LEN + 1], b[STORE_IDENTITY_LEN + 1];

	(void)unused;
	identity_of("192.0.2.0/31 2001:db8::1", "22,80", a);
	identity_of("2001:db8::1, 192.0.2.1 192.0.2.0", "80,22,22", b);
	assert_string_equal(a, b);
	identity_of("192.0.2.0-192.0.2.1,2001:db8::1-1", "22,80", b);
	assert_string_equal(a, b);
	identity_of("192.0.2.0/31 2001:db8::1", "22,81", b);
	assert_string_not_equal(a, b);
	identity_of("192.0.2.0/31 2001:db8::2", "22,80", b);
	assert_string_not_equal(a, b);
	identity_of("192.0.2.0/30", "22,80", b);
	assert_string_not_equal(a, b);
	/* Ranges of ports are their ports: 20-22 is 20,21,22. */
	identity_of("192.0.2.7", "20-22", a);
	identity_of("192.0.2.7", "22,21,20", b);
	assert_string_equal(a, b);
	identity_of("192.0.2.7", "20-23", b);
	assert_string_not_equal(a, b);
}

/* Records one scan (params: a shard of a fleet, say) of results[i] = "PORT:STATE[:...]". */
static int64_t record_params(struct store *st, const struct store_scan_params *params,
			     const char *addr, const char *const *results, int interrupted)
{
	struct store_scan_totals totals = {.interrupted = interrupted};
	int64_t id = 0;
	size_t i;

	assert_int_equal(store_scan_begin(st, params, &id, NULL), PS_OK);
	for (i = 0; results[i]; i++) {
		struct port_result res = {.proto = IPPROTO_TCP};
		struct service_info svc = {.confidence = SERVICE_MATCHED};
		char state[32] = "", reason[32] = "", version[32] = "";
		unsigned port;
		int n =
		    /* NOLINTNEXTLINE(cert-err34-c): fixed test strings, no conversion error */
		    sscanf(results[i], "%u:%31[^:]:%31[^:]:%31s", &port, state, reason, version);
		int k;

		assert_true(n >= 2);
		assert_int_equal(ps_addr_parse(addr, &res.addr), PS_OK);
		res.port = (uint16_t)port;
		for (k = 0; k < PORT_STATE_COUNT; k++)
			if (!strcmp(state, port_state_name(k)))
				res.state = (uint8_t)k;
		res.reason = REASON_NO_RESPONSE;
		for (k = 0; n >= 3 && k < REASON_COUNT; k++)
			if (!strcmp(reason, port_reason_name(k)))
				res.reason = (uint8_t)k;
		if (n == 4) {
			snprintf(svc.name, sizeof(svc.name), "ssh");
			snprintf(svc.version, sizeof(svc.version), "%s", version);
			res.service = &svc;
		}
		assert_int_equal(store_scan_port(st, &res, NULL), PS_OK);
	}
	assert_int_equal(store_scan_end(st, &totals, NULL), PS_OK);
	return id;
}

/* Records one scan: results[i] = "PORT:STATE[:REASON[:VERSION]]" for addr. */
static int64_t record_job(struct store *st, const char *identity, const struct portset *ports,
			  const char *addr, const char *const *results, int interrupted)
{
	struct store_scan_params params = {
	    .args = addr, .engine = "syn", .targets = 1, .ports = ports, .identity = identity};

	return record_params(st, &params, addr, results, interrupted);
}

/* Every kind of change diff reports survives the compact store exactly. */
static void test_store_diff_exact(void **unused)
{
	static const char *const before[] = {"1:closed:reset",
					     "2:closed:reset",
					     "3:open:syn-ack:1.0",
					     "4:open:syn-ack",
					     "5:closed:reset",
					     "6:filtered:no-response",
					     "7:filtered:icmp-admin-prohibited",
					     "8:filtered:no-response",
					     NULL};
	static const char *const after[] = {"1:open:syn-ack",
					    "2:filtered:no-response",
					    "3:open:syn-ack:2.0",
					    "4:filtered:icmp-admin-prohibited",
					    "5:closed:reset",
					    "6:closed:reset",
					    "7:filtered:no-response",
					    "8:filtered:no-response",
					    NULL};
	char *path = tmp_db(), id[STORE_IDENTITY_LEN + 1];
	struct change_text t;
	struct portset ports;
	struct store *st;
	int64_t a, b, old_id = 0, new_id = 0;

	(void)unused;
	identity_of("192.0.2.9", "1-8", id);
	assert_int_equal(portset_parse(&ports, "1-8", NULL, NULL, NULL), PS_OK);
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	a = record_job(st, id, &ports, "192.0.2.9", before, 0);
	b = record_job(st, id, &ports, "192.0.2.9", after, 0);
	assert_int_equal(store_last_pair(st, &old_id, &new_id, NULL), PS_OK);
	assert_int_equal(old_id, a);
	assert_int_equal(new_id, b);
	diff_ids(st, a, b, &t);
	assert_string_equal(t.buf, "opened 192.0.2.9 1 closed>open ->-\n"
				   "state 192.0.2.9 2 closed>filtered ->-\n"
				   "service 192.0.2.9 3 open>open 1.0>2.0\n"
				   "closed 192.0.2.9 4 open>filtered ->-\n"
				   "state 192.0.2.9 6 filtered>closed ->-\n");
	free(t.buf);
	store_close(st);
	rm_db(path);
}

struct unit_list {
	int64_t ids[8];
	uint64_t shards[8], shards_done[8], results[8];
	time_t finished[8];
	size_t n;
};

static enum ps_err list_units(void *ctx, const struct store_scan_row *row)
{
	struct unit_list *l = ctx;

	assert_true(l->n < 8);
	l->ids[l->n] = row->id;
	l->shards[l->n] = row->shards;
	l->shards_done[l->n] = row->shards_done;
	l->results[l->n] = row->results;
	l->finished[l->n++] = row->finished;
	return PS_OK;
}

/*
 * The shards of a fleet are one scan: history lists them as one (unfinished until every shard
 * is), diff's default pair takes the whole fleet, a load gives every shard's ports, and a shard
 * recorded again replaces its rows instead of adding to them.
 */
static void test_shard_fleet(void **unused)
{
	static const char *const before[] = {"1:closed:reset",
					     "2:closed:reset",
					     "3:open:syn-ack:1.0",
					     "4:open:syn-ack",
					     "5:closed:reset",
					     "6:filtered:no-response",
					     "7:filtered:icmp-admin-prohibited",
					     "8:filtered:no-response",
					     NULL};
	/* Shard k of 4 scanned ports k+1 and k+5 (what "after" of test_store_diff_exact says). */
	static const char *const shard_results[4][3] = {
	    {"1:open:syn-ack", "5:closed:reset", NULL},
	    {"2:filtered:no-response", "6:closed:reset", NULL},
	    {"3:open:syn-ack:2.0", "7:filtered:no-response", NULL},
	    {"4:filtered:icmp-admin-prohibited", "8:filtered:no-response", NULL},
	};
	static const char *const shard1_again[] = {"2:closed:reset", "6:filtered:no-response",
						   NULL};
	char *path = tmp_db(), id[STORE_IDENTITY_LEN + 1];
	struct store_scan_params params = {
	    .args = "shard", .engine = "syn", .targets = 1, .fleet = "fleet-1", .nshards = 4};
	struct unit_list l = {0};
	struct change_text t;
	struct portset ports;
	struct store *st;
	int64_t a, first = 0, old_id = 0, new_id = 0;
	uint64_t k;

	(void)unused;
	identity_of("192.0.2.9", "1-8", id);
	assert_int_equal(portset_parse(&ports, "1-8", NULL, NULL, NULL), PS_OK);
	params.identity = id;
	params.ports = &ports;
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	a = record_job(st, id, &ports, "192.0.2.9", before, 0);
	for (k = 0; k < 3; k++) {
		params.shard = k;
		new_id = record_params(st, &params, "192.0.2.9", shard_results[k], 0);
		if (!first)
			first = new_id;
	}
	/* Three of four shards: one scan, not finished, not a side of diff's default pair. */
	assert_int_equal(store_list_scans(st, 0, list_units, &l, NULL), PS_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ids[0], first);
	assert_int_equal(l.shards[0], 4);
	assert_int_equal(l.shards_done[0], 3);
	assert_int_equal(l.finished[0], 0);
	assert_int_equal(l.results[0], 6);
	assert_int_equal(l.shards[1], 0);
	assert_int_equal(store_last_pair(st, &old_id, &new_id, NULL), PS_ERR_NOT_FOUND);

	params.shard = 3;
	record_params(st, &params, "192.0.2.9", shard_results[3], 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_list_scans(st, 0, list_units, &l, NULL), PS_OK);
	assert_int_equal(l.n, 2);
	assert_true(l.finished[0] != 0);
	assert_int_equal(l.results[0], 8);
	assert_int_equal(store_last_pair(st, &old_id, &new_id, NULL), PS_OK);
	assert_int_equal(old_id, a);
	assert_int_equal(new_id, first);
	diff_ids(st, a, first, &t);
	assert_string_equal(t.buf, "opened 192.0.2.9 1 closed>open ->-\n"
				   "state 192.0.2.9 2 closed>filtered ->-\n"
				   "service 192.0.2.9 3 open>open 1.0>2.0\n"
				   "closed 192.0.2.9 4 open>filtered ->-\n"
				   "state 192.0.2.9 6 filtered>closed ->-\n");
	free(t.buf);

	/* Shard 1 again: its new results replace the old, the fleet stays one scan of 8 ports. */
	params.shard = 1;
	record_params(st, &params, "192.0.2.9", shard1_again, 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_list_scans(st, 0, list_units, &l, NULL), PS_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.results[0], 8);
	assert_int_equal(query_int(path, "SELECT count(*) FROM scans WHERE fleet = 'fleet-1'"), 4);
	diff_ids(st, a, first, &t);
	assert_string_equal(t.buf, "opened 192.0.2.9 1 closed>open ->-\n"
				   "service 192.0.2.9 3 open>open 1.0>2.0\n"
				   "closed 192.0.2.9 4 open>filtered ->-\n");
	free(t.buf);
	store_close(st);
	rm_db(path);
}

/* A schema 3 file (before shards) gains the shard columns and keeps its scans. */
static void test_migrate_from_v3(void **unused)
{
	static const char *const results[] = {"22:open:syn-ack", "23:closed:reset", NULL};
	char *path = tmp_db(), id[STORE_IDENTITY_LEN + 1];
	struct unit_list l = {0};
	struct portset ports;
	struct store *st;

	(void)unused;
	identity_of("192.0.2.9", "22-23", id);
	assert_int_equal(portset_parse(&ports, "22-23", NULL, NULL, NULL), PS_OK);
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	record_job(st, id, &ports, "192.0.2.9", results, 0);
	store_close(st);
	/* Back to what schema 3 was: no shard columns, no fleet index. */
	exec_sql(path, "DROP INDEX scans_by_fleet; ALTER TABLE scans DROP COLUMN fleet;"
		       "ALTER TABLE scans DROP COLUMN shard; ALTER TABLE scans DROP COLUMN shards;"
		       "PRAGMA user_version = 3;");
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	assert_int_equal(store_schema(st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_list_scans(st, 0, list_units, &l, NULL), PS_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.results[0], 2);
	store_close(st);
	assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master WHERE name ="
					 " 'scans_by_fleet'"),
			 1);
	rm_db(path);
}

/*
 * An interrupted scan covers only the ports it reached: diff compares those and nothing else
 * (a scan stopped at 3% used to show every port it never reached as a change).
 */
static void test_partial_scan_diff(void **unused)
{
	char *path = tmp_db(), id[STORE_IDENTITY_LEN + 1];
	static const char *const none[] = {NULL};
	const char *full[1001], *part[31];
	char bufs[1000][32];
	struct list_ctx lc = {0};
	struct change_text t;
	struct portset ports;
	struct store *st;
	int64_t a, b, old_id = 0, new_id = 0;
	unsigned i;

	(void)unused;
	for (i = 0; i < 1000; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "%u:%s", i + 1,
			 i + 1 == 22 || i + 1 == 80 ? "open:syn-ack" : "closed:reset");
		full[i] = bufs[i];
	}
	full[1000] = NULL;
	for (i = 0; i < 30; i++)
		part[i] = full[i];
	part[22] = "23:open:syn-ack"; /* the one change within what was reached */
	part[30] = NULL;
	identity_of("192.0.2.9", "1-1000", id);
	assert_int_equal(portset_parse(&ports, "1-1000", NULL, NULL, NULL), PS_OK);
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	a = record_job(st, id, &ports, "192.0.2.9", full, 0);
	b = record_job(st, id, &ports, "192.0.2.9", part, 1);
	assert_int_equal(store_list_scans(st, 1, collect_rows, &lc, NULL), PS_OK);
	assert_int_equal(lc.first.results, 30);
	assert_true(lc.first.interrupted);
	/* The job's identity pairs them although b reached 30 ports of 1000. */
	assert_int_equal(store_last_pair(st, &old_id, &new_id, NULL), PS_OK);
	assert_int_equal(old_id, a);
	assert_int_equal(new_id, b);
	diff_ids(st, a, b, &t);
	assert_string_equal(t.buf, "opened 192.0.2.9 23 closed>open ->-\n");
	free(t.buf);
	diff_ids(st, b, a, &t);
	assert_string_equal(t.buf, "closed 192.0.2.9 23 open>closed ->-\n");
	free(t.buf);
	/* A scan that reached nothing has nothing to compare. */
	b = record_job(st, id, &ports, "192.0.2.9", none, 1);
	diff_ids(st, a, b, &t);
	assert_int_equal(t.n, 0);
	free(t.buf);
	store_close(st);
	rm_db(path);
}

/* Records addr's ports lo..hi as code ("s" silent, "c" closed, "o" open) with hostname. */
static void put_range(struct store *st, const char *addr, const char *hostname, unsigned lo,
		      unsigned hi, char code)
{
	unsigned p;

	for (p = lo; p <= hi; p++) {
		struct port_result res = {
		    .proto = IPPROTO_TCP, .port = (uint16_t)p, .hostname = hostname};

		assert_int_equal(ps_addr_parse(addr, &res.addr), PS_OK);
		res.state = code == 'o' ? PORT_OPEN : code == 'c' ? PORT_CLOSED : PORT_FILTERED;
		res.reason = code == 'o'   ? REASON_SYN_ACK
			     : code == 'c' ? REASON_RESET
					   : REASON_NO_RESPONSE;
		assert_int_equal(store_scan_port(st, &res, NULL), PS_OK);
	}
}

/*
 * Hosts silent on every port go into one address list per scan instead of a row each; they
 * load back as every port filtered, and a host that answers later is a change.
 */
static void test_dark_hosts(void **unused)
{
	char *path = tmp_db(), id[STORE_IDENTITY_LEN + 1];
	struct store_scan_params params = {.args = "dark", .targets = 6};
	struct store_scan_totals totals = {0};
	struct change_text t;
	struct snapshot snap;
	struct portset ports;
	struct store *st;
	int64_t a, b;
	int round;

	(void)unused;
	identity_of("192.0.2.1-4 2001:db8::5-6", "1-40", id);
	assert_int_equal(portset_parse(&ports, "1-40", NULL, NULL, NULL), PS_OK);
	params.ports = &ports;
	params.identity = id;
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	for (round = 0; round < 2; round++) {
		assert_int_equal(store_scan_begin(st, &params, round ? &b : &a, NULL), PS_OK);
		put_range(st, "192.0.2.1", NULL, 1, 40, 's');	 /* dark */
		put_range(st, "192.0.2.3", NULL, 1, 40, 's');	 /* dark */
		put_range(st, "2001:db8::6", NULL, 1, 40, 's');	 /* dark, IPv6 */
		put_range(st, "192.0.2.2", "named", 1, 40, 's'); /* named: keeps its row */
		put_range(st, "192.0.2.4", NULL, 1, 39, round ? 'c' : 's'); /* one port short */
		put_range(st, "2001:db8::5", NULL, 1, 20, 'c');
		put_range(st, "2001:db8::5", NULL, 21, 40, 's');
		if (round) /* 192.0.2.3 answers on 7 now */
			put_range(st, "192.0.2.3", NULL, 7, 7, 'c');
		/* A checkpoint in the middle: rows written before the end may turn dark. */
		assert_int_equal(store_scan_commit(st, NULL), PS_OK);
		assert_int_equal(store_scan_end(st, &totals, NULL), PS_OK);
	}
	/* Round 1: .1, .3 and ::6 dark (two lists: v4, v6); round 2: .1 and ::6. */
	assert_int_equal(query_int(path, "SELECT count(*) FROM dark_hosts"), 4);
	assert_int_equal(query_int(path, "SELECT count(*) FROM hosts WHERE scan_id = 1"), 3);
	assert_int_equal(query_int(path, "SELECT count(*) FROM hosts WHERE scan_id = 2"), 4);
	snapshot_init(&snap);
	assert_int_equal(store_load_scan(st, a, &snap, NULL), PS_OK);
	assert_int_equal(snap.nports, 6 * 40 - 1);
	snapshot_release(&snap);
	diff_ids(st, a, b, &t);
	assert_string_equal(t.buf, "state 192.0.2.3 7 filtered>closed ->-\n"
				   "state 192.0.2.4 1 filtered>closed ->-\n"
				   "state 192.0.2.4 2 filtered>closed ->-\n"
				   "state 192.0.2.4 3 filtered>closed ->-\n"
				   "state 192.0.2.4 4 filtered>closed ->-\n"
				   "state 192.0.2.4 5 filtered>closed ->-\n"
				   "state 192.0.2.4 6 filtered>closed ->-\n"
				   "state 192.0.2.4 7 filtered>closed ->-\n"
				   "state 192.0.2.4 8 filtered>closed ->-\n"
				   "state 192.0.2.4 9 filtered>closed ->-\n"
				   "state 192.0.2.4 10 filtered>closed ->-\n"
				   "state 192.0.2.4 11 filtered>closed ->-\n"
				   "state 192.0.2.4 12 filtered>closed ->-\n"
				   "state 192.0.2.4 13 filtered>closed ->-\n"
				   "state 192.0.2.4 14 filtered>closed ->-\n"
				   "state 192.0.2.4 15 filtered>closed ->-\n"
				   "state 192.0.2.4 16 filtered>closed ->-\n"
				   "state 192.0.2.4 17 filtered>closed ->-\n"
				   "state 192.0.2.4 18 filtered>closed ->-\n"
				   "state 192.0.2.4 19 filtered>closed ->-\n"
				   "state 192.0.2.4 20 filtered>closed ->-\n"
				   "state 192.0.2.4 21 filtered>closed ->-\n"
				   "state 192.0.2.4 22 filtered>closed ->-\n"
				   "state 192.0.2.4 23 filtered>closed ->-\n"
				   "state 192.0.2.4 24 filtered>closed ->-\n"
				   "state 192.0.2.4 25 filtered>closed ->-\n"
				   "state 192.0.2.4 26 filtered>closed ->-\n"
				   "state 192.0.2.4 27 filtered>closed ->-\n"
				   "state 192.0.2.4 28 filtered>closed ->-\n"
				   "state 192.0.2.4 29 filtered>closed ->-\n"
				   "state 192.0.2.4 30 filtered>closed ->-\n"
				   "state 192.0.2.4 31 filtered>closed ->-\n"
				   "state 192.0.2.4 32 filtered>closed ->-\n"
				   "state 192.0.2.4 33 filtered>closed ->-\n"
				   "state 192.0.2.4 34 filtered>closed ->-\n"
				   "state 192.0.2.4 35 filtered>closed ->-\n"
				   "state 192.0.2.4 36 filtered>closed ->-\n"
				   "state 192.0.2.4 37 filtered>closed ->-\n"
				   "state 192.0.2.4 38 filtered>closed ->-\n"
				   "state 192.0.2.4 39 filtered>closed ->-\n");
	free(t.buf);
	/* A hand-edited list is an error, not a misreading. */
	exec_sql(path, pg_url ? "UPDATE dark_hosts SET addrs = '\\x8080' WHERE family = 4"
			      : "UPDATE dark_hosts SET addrs = x'8080' WHERE family = 4");
	snapshot_init(&snap);
	assert_int_equal(store_load_scan(st, a, &snap, NULL), PS_ERR_INVALID);
	snapshot_release(&snap);
	store_close(st);
	rm_db(path);
}

/* The port-run codec: any codes round-trip, long runs are short, bad blobs are refused. */
static enum ps_err collect_runs(void *ctx, uint32_t first, uint32_t count,
				enum hoststates_code code)
{
	uint8_t *codes = ctx;

	memset(codes + first, (int)code, count);
	return PS_OK;
}

static void test_port_runs(void **unused)
{
	static uint8_t want[65535], got[65535], blob[HOSTSTATES_MAX_BLOB(65535)];
	static const uint8_t truncated[] = {0x85}, zero[] = {0x01}, too_long[] = {0xfd, 0xff, 0x1f};
	struct hoststates hs;
	struct portset ports;
	struct ps_addr addr;
	struct ps_diag diag = {{0}};
	uint32_t pos, seed = 12345;
	size_t len, host;

	(void)unused;
	portset_clear(&ports);
	portset_add_range(&ports, 1000, 1999);
	portset_add(&ports, 65535);
	assert_int_equal(hoststates_init(&hs, &ports), PS_OK);
	assert_int_equal(hs.nports, 1001);
	assert_int_equal(ps_addr_parse("2001:db8::7", &addr), PS_OK);
	for (pos = 0; pos < hs.nports; pos++) {
		seed = seed * 1103515245u + 12345u;
		/* Runs of random length, as real scans have them. */
		want[pos] = pos && (seed >> 16) % 4 ? want[pos - 1] : (uint8_t)((seed >> 8) % 4);
		if (want[pos])
			assert_int_equal(hoststates_set(&hs, &addr, IPPROTO_TCP, NULL,
							hs.ports[pos], want[pos], &host),
					 PS_OK);
	}
	assert_int_equal(
	    hoststates_set(&hs, &addr, IPPROTO_TCP, NULL, 999, HOSTSTATES_CLOSED, NULL),
	    PS_ERR_RANGE);
	assert_int_equal(hs.nhosts, 1);
	len = hoststates_encode(&hs, 0, blob);
	memset(got, 0xee, sizeof(got));
	assert_int_equal(hoststates_decode(blob, len, hs.nports, collect_runs, got, NULL), PS_OK);
	assert_memory_equal(got, want, hs.nports);
	/* Decoding against another port count is an error, not a misreading. */
	assert_int_equal(hoststates_decode(blob, len, hs.nports + 1, collect_runs, got, &diag),
			 PS_ERR_INVALID);
	assert_int_equal(hoststates_decode(blob, len, hs.nports - 1, collect_runs, got, &diag),
			 PS_ERR_INVALID);
	hoststates_release(&hs);

	/* Every port of a host closed is one run: a few bytes, not 65535 rows. */
	assert_int_equal(hoststates_init(&hs, NULL), PS_OK);
	for (pos = 1; pos <= 65535; pos++)
		assert_int_equal(hoststates_set(&hs, &addr, IPPROTO_TCP, NULL, (uint16_t)pos,
						HOSTSTATES_CLOSED, NULL),
				 PS_OK);
	assert_int_equal(hs.covered, 65535);
	len = hoststates_encode(&hs, 0, blob);
	assert_true(len <= 3);
	assert_int_equal(hoststates_decode(blob, len, 65535, collect_runs, got, NULL), PS_OK);
	hoststates_release(&hs);
	assert_int_equal(hoststates_decode(truncated, 1, 10, collect_runs, got, &diag),
			 PS_ERR_INVALID);
	assert_int_equal(hoststates_decode(zero, 1, 10, collect_runs, got, &diag), PS_ERR_INVALID);
	assert_int_equal(hoststates_decode(too_long, 3, 65535, collect_runs, got, &diag),
			 PS_ERR_INVALID);
}

/* A hand-edited history: a bad row is an error from load, never a crash. */
static void test_corrupt_rows(void **unused)
{
	static const char *const scan[] = {"1:open:syn-ack", "2:closed:reset", NULL};
	char *path = tmp_db();
	struct ps_diag diag = {{0}};
	struct snapshot snap;
	struct portset ports;
	struct store *st;
	int64_t id;
	static const char *const edits[] = {
	    "UPDATE hosts SET states = x'ff'",
	    "UPDATE hosts SET states = x'05'", /* one port of two */
	    "UPDATE hosts SET addr = x'0102'",
	    "UPDATE hosts SET family = 5",
	    "UPDATE ports SET state = 'ajar'",
	    "UPDATE ports SET port = 70000",
	    "UPDATE ports SET addr = x''",
	    "UPDATE scans SET port_set = x'000100'",
	    "UPDATE scans SET port_set = x'00050001'",
	};
	size_t i;

	(void)unused;
	assert_int_equal(portset_parse(&ports, "1-2", NULL, NULL, NULL), PS_OK);
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		assert_int_equal(store_open(path, &st, NULL), PS_OK);
		id = record_job(st, NULL, &ports, "192.0.2.9", scan, 0);
		store_close(st);
		exec_sql(path, edits[i]);
		assert_int_equal(store_open(path, &st, NULL), PS_OK);
		snapshot_init(&snap);
		if (store_load_scan(st, id, &snap, &diag) != PS_ERR_INVALID)
			fail_msg("'%s' was not refused", edits[i]);
		assert_non_null(strstr(diag.msg, "history"));
		snapshot_release(&snap);
		store_close(st);
		exec_sql(path, "DELETE FROM ports; DELETE FROM hosts; DELETE FROM scans;");
	}
	rm_db(path);
}

/*
 * Schema 2 exactly as portsight wrote it (the SQL of its migrations 1 and 2), for the
 * migration test. Never edit: it is what users' files hold.
 */
static const char schema_v2_sql[] =
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
    "CREATE INDEX results_by_scan ON results (scan_id);"
    "ALTER TABLE results ADD COLUMN svc_name TEXT;"
    "ALTER TABLE results ADD COLUMN svc_product TEXT;"
    "ALTER TABLE results ADD COLUMN svc_version TEXT;"
    "ALTER TABLE results ADD COLUMN svc_info TEXT;"
    "ALTER TABLE results ADD COLUMN svc_confidence TEXT;"
    "ALTER TABLE results ADD COLUMN svc_flags INTEGER;"
    "CREATE INDEX scans_by_targets ON scans (targets_key, id);"
    "PRAGMA user_version = 2;";

#define V2_PORTS 200
#define V2_ROWS	 (4 * V2_PORTS)

/* Row i of old scan `scan`: 192.0.2.1-3 and 2001:db8::5 on ports 1-200, scan 2 changed. */
static void v2_row(int scan, unsigned i, char *addr, int *port, const char **state,
		   const char **reason, const char **version)
{
	unsigned host = i % 4;

	*port = (int)(1 + i / 4);
	if (host < 3)
		sprintf(addr, "192.0.2.%u", 1 + host);
	else
		strcpy(addr, "2001:db8::5");
	*version = NULL;
	if (*port % 10 == 0) {
		*state = "open", *reason = "syn-ack";
		*version = scan == 2 && *port % 20 == 0 ? "2.0" : "1.0";
	} else if (*port % 7 == 0) {
		*state = "filtered";
		*reason = *port % 2 ? "icmp-admin-prohibited" : "no-response";
	} else {
		*state = "closed", *reason = "reset";
	}
	if (scan != 2 || host != 0)
		return;
	if (*port == 33) /* closed -> open */
		*state = "open", *reason = "syn-ack", *version = NULL;
	else if (*port == 50) /* open -> filtered, ICMP */
		*state = "filtered", *reason = "icmp-host-prohibited", *version = NULL;
	else if (*port == 101) /* closed -> no response */
		*state = "filtered", *reason = "no-response";
	else if (*port == 77) /* answered filtered -> closed */
		*state = "closed", *reason = "reset";
}

/* Old scan 1 and 2 finished (same targets), 3 killed after 100 rows; snaps get the rows. */
static void build_v2(const char *path, struct snapshot *snaps)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int scan;
	unsigned i;

	exec_sql(path, schema_v2_sql);
	exec_sql(path,
		 "INSERT INTO scans (id, started, finished, args, engine, targets, targets_key,"
		 " open) VALUES (1, 1000, 1001, 'portsight scan one', 'syn', 4,"
		 " '0123456789abcdef', 80),"
		 " (2, 2000, 2001, 'portsight scan two', 'syn', 4, '0123456789abcdef', 80),"
		 " (3, 3000, NULL, 'portsight scan killed', 'syn', 4, NULL, NULL);");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "INSERT INTO results (scan_id, addr, proto, port,"
					    " hostname, state, reason, ttl, rtt_us, tries,"
					    " svc_name, svc_product, svc_version, svc_confidence)"
					    " VALUES (?, ?, 'tcp', ?, 'lab', ?, ?, 64, 100, 1,"
					    " ?, ?, ?, 'matched')",
					    -1, &s, NULL),
			 SQLITE_OK);
	for (scan = 1; scan <= 3; scan++) {
		snapshot_init(&snaps[scan - 1]);
		/* Every port an old scan reached has a row: absent is unscanned there too. */
		snaps[scan - 1].absent_unscanned = 1;
		for (i = 0; i < (scan == 3 ? 100u : V2_ROWS); i++) {
			const char *state, *reason, *version;
			struct snap_service svc = {.probed = 1};
			char addr[64];
			int port;

			v2_row(scan, i, addr, &port, &state, &reason, &version);
			sqlite3_reset(s);
			sqlite3_bind_int(s, 1, scan);
			sqlite3_bind_text(s, 2, addr, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int(s, 3, port);
			sqlite3_bind_text(s, 4, state, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 5, reason, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 6, version ? "http" : NULL, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 7, version ? "srv" : NULL, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 8, version, -1, SQLITE_STATIC);
			assert_int_equal(sqlite3_step(s), SQLITE_DONE);
			/* What schema 2's load did with the row. */
			snprintf(svc.name, sizeof(svc.name), "%s", version ? "http" : "");
			snprintf(svc.product, sizeof(svc.product), "%s", version ? "srv" : "");
			snprintf(svc.version, sizeof(svc.version), "%s", version ? version : "");
			assert_int_equal(snapshot_add_text(&snaps[scan - 1], addr, port, "tcp",
							   state, &svc, NULL),
					 PS_OK);
		}
	}
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static enum ps_err all_rows(void *ctx, const struct store_scan_row *row)
{
	struct store_scan_row *rows = ctx;

	assert_true(row->id >= 1 && row->id <= 4);
	rows[row->id - 1] = *row;
	rows[row->id - 1].args = NULL; /* lives only in the callback */
	return PS_OK;
}

static void test_migrate_from_v2(void **unused)
{
	char *path = tmp_db(), id[STORE_IDENTITY_LEN + 1];
	struct snapshot want[3];
	struct store_scan_row rows[4];
	struct change_text t_want, t_got;
	struct portset ports;
	struct store *st;
	int64_t old_id = 0, new_id = 0, next;
	int scan;
	unsigned i;

	(void)unused;
	build_v2(path, want);
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	assert_int_equal(store_schema(st), STORE_SCHEMA_VERSION);
	assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master"
					 " WHERE name = 'results'"),
			 0);
	/* history: the same scans, their rows counted as results, the killed one incomplete. */
	memset(rows, 0, sizeof(rows));
	assert_int_equal(store_list_scans(st, 0, all_rows, rows, NULL), PS_OK);
	assert_int_equal(rows[0].results, V2_ROWS);
	assert_int_equal(rows[1].results, V2_ROWS);
	assert_int_equal(rows[2].results, 100);
	assert_int_equal(rows[0].open, 80);
	assert_true(rows[0].finished && rows[1].finished && !rows[2].finished);
	/* Every port as it was, and diff's answers as schema 2 gave them. */
	for (scan = 1; scan <= 3; scan++) {
		struct snapshot got;

		snapshot_init(&got);
		assert_int_equal(store_load_scan(st, scan, &got, NULL), PS_OK);
		diff_text(&want[scan - 1], &got, &t_got);
		if (t_got.n)
			fail_msg("scan %d differs after migration:\n%s", scan, t_got.buf);
		free(t_got.buf);
		assert_int_equal(got.nports, want[scan - 1].nports);
		snapshot_release(&got);
	}
	diff_text(&want[0], &want[1], &t_want);
	diff_ids(st, 1, 2, &t_got);
	assert_true(t_want.n >= 4 + 10);
	assert_string_equal(t_got.buf, t_want.buf);
	assert_non_null(strstr(t_got.buf, "opened 192.0.2.1 33 closed>open"));
	assert_non_null(strstr(t_got.buf, "closed 192.0.2.1 50 open>filtered"));
	assert_non_null(strstr(t_got.buf, "state 192.0.2.1 101 closed>filtered"));
	assert_non_null(strstr(t_got.buf, "service 192.0.2.1 20 open>open 1.0>2.0"));
	free(t_want.buf);
	free(t_got.buf);
	/* The ICMP reason of an answered filtered port is kept, not just its state. */
	assert_true(query_int(path, "SELECT count(*) FROM ports WHERE reason ="
				    " 'icmp-admin-prohibited'") > 0);
	/* The old scans' key became the identity: they pair, and the first scan of the same job
	 * after the upgrade pairs with the last one before it. */
	assert_int_equal(store_last_pair(st, &old_id, &new_id, NULL), PS_OK);
	assert_int_equal(old_id, 1);
	assert_int_equal(new_id, 2);
	identity_of("192.0.2.1-3 2001:db8::5", "1-200", id);
	assert_int_equal(portset_parse(&ports, "1-200", NULL, NULL, NULL), PS_OK);
	{
		static const char *const one[] = {"22:open:syn-ack", NULL};

		next = record_job(st, id, &ports, "192.0.2.1", one, 1);
	}
	assert_int_equal(store_last_pair(st, &old_id, &new_id, NULL), PS_OK);
	assert_int_equal(old_id, 2);
	assert_int_equal(new_id, next);
	store_close(st);
	for (i = 0; i < 3; i++)
		snapshot_release(&want[i]);
	rm_db(path);
}

struct change_log {
	char lines[16][96];
	int n;
};

static enum ps_err log_change(void *ctx, const struct diff_change *c)
{
	struct change_log *log = ctx;
	const struct snap_port *p = c->new_port ? c->new_port : c->old_port;
	char addr[PS_ADDR_STRLEN];

	assert_true(log->n < 16);
	snprintf(log->lines[log->n++], sizeof(log->lines[0]), "%s %s %u %s>%s",
		 diff_kind_name(c->kind), ps_addr_format(&p->addr, addr, sizeof(addr)), p->port,
		 c->old_port ? port_state_name(c->old_port->state) : "-",
		 c->new_port ? port_state_name(c->new_port->state) : "-");
	return PS_OK;
}

static void add_svc(struct snapshot *s, const char *addr, int port, const char *state,
		    const char *name, const char *version, int probed)
{
	struct snap_service svc = {.probed = (uint8_t)probed};

	snprintf(svc.name, sizeof(svc.name), "%s", name);
	snprintf(svc.version, sizeof(svc.version), "%s", version);
	assert_int_equal(snapshot_add_text(s, addr, port, "tcp", state, &svc, NULL), PS_OK);
}

static void add(struct snapshot *s, const char *addr, int port, const char *state, const char *name,
		const char *version)
{
	add_svc(s, addr, port, state, name, version, 1);
}

static void test_diff_logic(void **unused)
{
	struct snapshot o, n;
	struct change_log log = {0};
	size_t changes;

	(void)unused;
	snapshot_init(&o);
	snapshot_init(&n);
	add(&o, "192.0.2.2", 22, "open", "ssh", "9.2");
	add(&n, "192.0.2.2", 22, "open", "ssh", "9.2"); /* unchanged */
	add(&o, "192.0.2.2", 80, "open", "http", "1.0");
	add(&n, "192.0.2.2", 80, "open", "http", "2.0"); /* service */
	add(&o, "192.0.2.2", 443, "closed", "", "");
	add(&n, "192.0.2.2", 443, "open", "https", ""); /* opened */
	add(&o, "192.0.2.2", 25, "open", "smtp", "");
	add(&n, "192.0.2.2", 25, "filtered", "", ""); /* closed */
	add(&o, "192.0.2.2", 23, "closed", "", "");
	add(&n, "192.0.2.2", 23, "filtered", "", ""); /* state */
	add(&o, "192.0.2.2", 21, "closed", "", "");
	add(&n, "192.0.2.2", 21, "closed", "", "");	 /* unchanged */
	add(&n, "2001:db8::2", 8080, "open", "", "");	 /* opened, not listed before */
	add(&o, "192.0.2.3", 3306, "open", "mysql", ""); /* closed, not listed now */
	add(&o, "192.0.2.3", 1, "closed", "", "");	 /* not listed now, not open: nothing */
	/* Two port tables naming a port differently is no change; a probe saying so is. */
	add_svc(&o, "192.0.2.2", 8080, "open", "http-proxy", "", 0);
	add_svc(&n, "192.0.2.2", 8080, "open", "http-alt", "", 0);
	add_svc(&o, "192.0.2.2", 8081, "open", "http", "", 1);
	add_svc(&n, "192.0.2.2", 8081, "open", "ssh", "", 1);
	/* A repeated port: the open copy is the one kept. */
	add(&n, "192.0.2.2", 22, "closed", "", "");
	assert_int_equal(snapshot_diff(&o, &n, log_change, &log, &changes), PS_OK);
	assert_int_equal(changes, 7);
	assert_int_equal(log.n, 7);
	assert_string_equal(log.lines[0], "state 192.0.2.2 23 closed>filtered");
	assert_string_equal(log.lines[1], "closed 192.0.2.2 25 open>filtered");
	assert_string_equal(log.lines[2], "service 192.0.2.2 80 open>open");
	assert_string_equal(log.lines[3], "opened 192.0.2.2 443 closed>open");
	assert_string_equal(log.lines[4], "service 192.0.2.2 8081 open>open");
	assert_string_equal(log.lines[5], "closed 192.0.2.3 3306 open>-");
	assert_string_equal(log.lines[6], "opened 2001:db8::2 8080 ->open");
	/* Nothing changes against itself. */
	log.n = 0;
	assert_int_equal(snapshot_diff(&n, &n, log_change, &log, &changes), PS_OK);
	assert_int_equal(changes, 0);
	snapshot_release(&o);
	snapshot_release(&n);
}

static void test_row_decode(void **unused)
{
	struct snapshot s;
	struct ps_diag diag = {{0}};

	(void)unused;
	snapshot_init(&s);
	assert_int_equal(snapshot_add_text(&s, "192.0.2.300", 1, "tcp", "open", NULL, &diag),
			 PS_ERR_INVALID);
	assert_int_equal(snapshot_add_text(&s, NULL, 1, "tcp", "open", NULL, &diag),
			 PS_ERR_INVALID);
	assert_int_equal(snapshot_add_text(&s, "192.0.2.1", 0, "tcp", "open", NULL, &diag),
			 PS_ERR_INVALID);
	assert_int_equal(snapshot_add_text(&s, "192.0.2.1", 65536, "tcp", "open", NULL, &diag),
			 PS_ERR_INVALID);
	assert_int_equal(snapshot_add_text(&s, "192.0.2.1", 5, "sctp", "open", NULL, &diag),
			 PS_ERR_INVALID);
	assert_int_equal(snapshot_add_text(&s, "192.0.2.1", 5, "tcp", "ajar", NULL, &diag),
			 PS_ERR_INVALID);
	assert_non_null(strstr(diag.msg, "ajar"));
	assert_int_equal(s.nports, 0);
	assert_int_equal(snapshot_add_text(&s, "192.0.2.1", 5, "udp", "open|filtered", NULL, &diag),
			 PS_OK);
	assert_int_equal(s.ports[0].state, PORT_OPEN_FILTERED);
	assert_int_equal(s.ports[0].proto, IPPROTO_UDP);
	/* nmap's other combined state has no state of ours: no answer, filtered. */
	assert_int_equal(snapshot_add_text(&s, "192.0.2.1", 6, "tcp", "closed|filtered", NULL,
					   &diag),
			 PS_OK);
	assert_int_equal(s.ports[1].state, PORT_FILTERED);
	snapshot_release(&s);
}

static const char nmap_sample[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n"
    "<nmaprun scanner=\"nmap\" args=\"nmap -sT\" start=\"1\" version=\"7.93\" "
    "xmloutputversion=\"1.05\"><scaninfo type=\"connect\" protocol=\"tcp\" numservices=\"3\" "
    "services=\"22,80,81\"/><verbose level=\"0\"/><debugging level=\"0\"/>"
    "<host starttime=\"1\" endtime=\"2\"><status state=\"up\" reason=\"user-set\" "
    "reason_ttl=\"0\"/><address addr=\"192.0.2.2\" addrtype=\"ipv4\"/>"
    "<address addr=\"02:00:00:00:00:02\" addrtype=\"mac\"/><hostnames/><ports>"
    "<extraports state=\"closed\" count=\"1\"><extrareasons reason=\"conn-refused\" "
    "count=\"1\"/></extraports>"
    "<port protocol=\"tcp\" portid=\"22\"><state state=\"open\" reason=\"syn-ack\" "
    "reason_ttl=\"0\"/><service name=\"ssh\" product=\"OpenSSH &amp; co\" version=\"9.2\" "
    "method=\"probed\" conf=\"10\"/></port>"
    "<port protocol=\"tcp\" portid=\"80\"><state state=\"filtered\" reason=\"no-response\" "
    "reason_ttl=\"0\"/></port></ports></host>"
    "<runstats><finished time=\"2\" elapsed=\"1\"/><hosts up=\"1\" down=\"0\" total=\"1\"/>"
    "</runstats></nmaprun>\n";

static void test_nmapxml(void **unused)
{
	struct snapshot s;
	struct ps_diag diag = {{0}};
	const struct snap_service *svc;
	static const char entities[] =
	    "<?xml version=\"1.0\"?><!DOCTYPE nmaprun [<!ENTITY a \"aaaaaaaa\">"
	    "<!ENTITY b \"&a;&a;&a;&a;\">]><nmaprun>&b;</nmaprun>";
	static const char utf16[] = "\xff\xfe<\0n\0m\0";
	static const char trailing[] =
	    "<nmaprun><host><address addr=\"192.0.2.2\"/><port protocol=\"tcp\" portid=\"80x\">"
	    "<state state=\"open\"/></port></host></nmaprun>";

	(void)unused;
	snapshot_init(&s);
	assert_int_equal(nmapxml_parse(nmap_sample, strlen(nmap_sample), &s, &diag), PS_OK);
	assert_int_equal(s.nports, 2);
	assert_int_equal(s.ports[0].port, 22);
	assert_int_equal(s.ports[0].state, PORT_OPEN);
	svc = snapshot_service(&s, &s.ports[0]);
	assert_non_null(svc);
	assert_string_equal(svc->product, "OpenSSH & co");
	assert_string_equal(svc->version, "9.2");
	assert_true(svc->probed);
	assert_int_equal(s.ports[1].state, PORT_FILTERED);
	assert_int_equal(s.ports[0].addr.family, AF_INET);
	snapshot_release(&s);

	snapshot_init(&s);
	assert_int_equal(nmapxml_parse(entities, strlen(entities), &s, &diag), PS_ERR_INVALID);
	assert_non_null(strstr(diag.msg, "entities"));
	assert_int_equal(nmapxml_parse(utf16, sizeof(utf16) - 1, &s, &diag), PS_ERR_INVALID);
	assert_int_equal(nmapxml_parse("<html></html>", 13, &s, &diag), PS_ERR_INVALID);
	assert_non_null(strstr(diag.msg, "html"));
	assert_int_equal(nmapxml_parse("<nmaprun><host>", 15, &s, &diag), PS_ERR_INVALID);
	assert_non_null(strstr(diag.msg, "malformed"));
	/* A port before any address. */
	assert_int_equal(nmapxml_parse("<nmaprun><host><port protocol=\"tcp\" portid=\"1\">"
				       "<state state=\"open\"/></port></host></nmaprun>",
				       93, &s, &diag),
			 PS_ERR_INVALID);
	assert_int_equal(s.nports, 0);
	/* The whole portid is the number: "80x" is not port 80. */
	assert_int_equal(nmapxml_parse(trailing, strlen(trailing), &s, &diag), PS_ERR_INVALID);
	assert_int_equal(s.nports, 0);
	snapshot_release(&s);
}

/* PostgreSQL's bad states: a server that is not there, a schema newer than this build. */
static void test_pg_bad_states(void **unused)
{
	struct ps_diag diag = {{0}};
	struct store *st = NULL;
	char *url = tmp_db();

	(void)unused;
	assert_int_equal(store_open("postgresql:///x?host=/nonexistent-dir&connect_timeout=2", &st,
				    &diag),
			 PS_ERR_IO);
	assert_non_null(strstr(diag.msg, "cannot connect"));
	assert_null(strchr(diag.msg, '\n'));
	assert_int_equal(store_open(url, &st, NULL), PS_OK);
	assert_int_equal(store_schema(st), STORE_SCHEMA_VERSION);
	assert_string_equal(store_backend_name(st), "postgresql");
	store_close(st);
	pg_exec_sql("UPDATE portsight_schema SET version = 99");
	memset(&diag, 0, sizeof(diag));
	assert_int_equal(store_open(url, &st, &diag), PS_ERR_UNSUPPORTED);
	assert_non_null(strstr(diag.msg, "schema 99, newer than this portsight"));
	rm_db(url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_migrate_empty_file),
	    cmocka_unit_test(test_migrate_from_v1),
	    cmocka_unit_test(test_migrate_from_v2),
	    cmocka_unit_test(test_migrate_from_v3),
	    cmocka_unit_test(test_shard_fleet),
	    cmocka_unit_test(test_refuses_bad_databases),
	    cmocka_unit_test(test_read_only_database),
	    cmocka_unit_test(test_concurrent_create),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_killed_recording),
	    cmocka_unit_test(test_last_pair_same_targets),
	    cmocka_unit_test(test_identity_from_job),
	    cmocka_unit_test(test_store_diff_exact),
	    cmocka_unit_test(test_partial_scan_diff),
	    cmocka_unit_test(test_dark_hosts),
	    cmocka_unit_test(test_port_runs),
	    cmocka_unit_test(test_corrupt_rows),
	    cmocka_unit_test(test_diff_logic),
	    cmocka_unit_test(test_row_decode),
	    cmocka_unit_test(test_nmapxml),
	};

	/* The same history and diff checks on PostgreSQL. */
	const struct CMUnitTest pg_tests[] = {
	    cmocka_unit_test(test_pg_bad_states),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_last_pair_same_targets),
	    cmocka_unit_test(test_store_diff_exact),
	    cmocka_unit_test(test_partial_scan_diff),
	    cmocka_unit_test(test_dark_hosts),
	    cmocka_unit_test(test_shard_fleet),
	};
	int failed = cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);

	pg_url = getenv("PORTSIGHT_TEST_PG");
	if (!pg_url || !pg_url[0]) {
		pg_url = NULL;
		printf("# PostgreSQL half skipped: PORTSIGHT_TEST_PG not set (test_postgres.sh "
		       "sets it)\n");
		return failed;
	}
	return failed + cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
}
