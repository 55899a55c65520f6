/* SPDX-License-Identifier: MIT */
/* History store: migrations, a recording round trip, a killed recording, diff logic, XML. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "store/snapshot.h"
#include "store/store.h"

static char *tmp_db(void)
{
	char *path = strdup("/tmp/ps_test_store_XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	return path;
}

static void rm_db(char *path)
{
	char side[512];

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
	store_close(st);
	assert_int_equal(query_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	/* The columns and index of migration 2 exist. */
	assert_int_equal(query_int(path, "SELECT count(*) FROM pragma_table_info('results')"
					 " WHERE name LIKE 'svc_%'"),
			 6);
	assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
					 " AND name = 'scans_by_targets'"),
			 1);
	/* Opening again is a no-op. */
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	store_close(st);
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
	assert_int_equal(store_schema(st), 2);
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

static void test_refuses_newer_and_garbage(void **unused)
{
	char *path = tmp_db();
	struct ps_diag diag = {{0}};
	struct store *st = NULL;
	FILE *f;

	(void)unused;
	exec_sql(path, "PRAGMA user_version = 99;");
	assert_int_equal(store_open(path, &st, &diag), PS_ERR_UNSUPPORTED);
	assert_null(st);
	assert_non_null(strstr(diag.msg, "99"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a database, it is a text file with enough bytes to look like one....."
	      "................................................................................",
	      f);
	fclose(f);
	assert_int_equal(store_open(path, &st, &diag), PS_ERR_INVALID);
	assert_null(st);
	rm_db(path);
}

/* Result i of the synthetic scan: hosts 192.0.2.1-4, ports 1.., open every 97th. */
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
	struct store_scan_params params = {.args = "portsight scan -p 1-5000 192.0.2.1-4",
					   .engine = "connect",
					   .ports_spec = "1-5000",
					   .targets = 4,
					   .start = 1700000000};
	struct store_scan_totals totals = {
	    .hosts_up = 4, .ports_scanned = ROUND_TRIP_N, .elapsed_s = 2.5};
	struct list_ctx lc = {0};
	struct snapshot snap;
	struct store *st;
	int64_t id = 0;
	unsigned i, open = 0;

	(void)unused;
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	assert_int_equal(store_scan_begin(st, &params, &id, NULL), PS_OK);
	assert_true(id > 0);
	for (i = 0; i < ROUND_TRIP_N; i++) {
		struct port_result res;
		struct service_info svc;

		synth(i, &res, &svc);
		open += res.state == PORT_OPEN;
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
	snapshot_release(&snap);
	store_close(st);
	assert_int_equal(query_int(path, "SELECT count(*) FROM scans"), 1);
	rm_db(path);
}

/* A process killed in the middle of a batch: the database stays consistent and readable. */
static void test_killed_recording(void **unused)
{
	char *path = tmp_db();
	struct list_ctx lc = {0};
	struct store *st;
	long long rows;
	pid_t pid;
	int status;

	(void)unused;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store_scan_params params = {
		    .args = "killed", .engine = "connect", .targets = 4, .start = 1};
		unsigned i;

		if (store_open(path, &st, NULL) || store_scan_begin(st, &params, NULL, NULL))
			_exit(2);
		for (i = 0; i < 10000; i++) {
			struct port_result res;
			struct service_info svc;

			synth(i, &res, &svc);
			if (store_scan_port(st, &res, NULL))
				_exit(3);
		}
		_exit(0); /* no commit, no close: as if killed */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(query_int(path, "SELECT count(*) FROM pragma_integrity_check"
					 " WHERE integrity_check = 'ok'"),
			 1);
	rows = query_int(path, "SELECT count(*) FROM results");
	/* Whole batches only: 8192 rows, or time-based batches, never the uncommitted tail. */
	assert_true(rows < 10000);
	assert_int_equal(store_open(path, &st, NULL), PS_OK);
	assert_int_equal(store_list_scans(st, 0, collect_rows, &lc, NULL), PS_OK);
	assert_int_equal(lc.rows, 1);
	assert_false(lc.first_finished);
	assert_int_equal(lc.first.results, rows);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_migrate_empty_file),
	    cmocka_unit_test(test_migrate_from_v1),
	    cmocka_unit_test(test_refuses_newer_and_garbage),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_killed_recording),
	    cmocka_unit_test(test_last_pair_same_targets),
	    cmocka_unit_test(test_diff_logic),
	    cmocka_unit_test(test_row_decode),
	    cmocka_unit_test(test_nmapxml),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
