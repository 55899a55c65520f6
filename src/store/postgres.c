/* SPDX-License-Identifier: MIT */
/*
 * History in PostgreSQL (store_postgres_backend), through libpq: the same four tables as the
 * SQLite backend (a scan row, host rows of run-encoded port codes, rows for open and answered
 * ports, lists of dark hosts; hoststates.h), so history and diff give the same answers on
 * both. What differs is how rows travel: results are gathered in memory and sent with COPY
 * (one round trip per checkpoint instead of one per row), and host rows go through a staging
 * table and one upsert.
 *
 * The schema version lives in portsight_schema; migrations run in one transaction under an
 * advisory lock, so the shards of a fleet opening one new database at once create it once.
 * Schema 4 is the first PostgreSQL schema (the SQLite numbering, which reached the shard
 * columns at 4); a database of a newer schema is refused.
 */
#include <errno.h>
#include <limits.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "core/clock.h"
#include "hoststates.h"
#include "snapshot.h"

#define PG_BATCH_ROWS	  65536
#define PG_BATCH_NS	  (250 * 1000000ull)
#define PG_CHECK_EVERY	  256
/* Host rows of a scan still going are rewritten at most this often: a /16 changes 65536 of
 * them between two checkpoints, and their upsert costs the server more than the port rows. */
#define PG_HOSTS_NS (2000 * 1000000ull)
#define PG_COPY_MAX	  (64u << 20) /* a COPY buffer this big is sent at once */
#define PG_MIGRATION_LOCK 0x706f727473696768ll /* "portsigh" */

/* A text buffer for COPY rows, capped: past PG_COPY_MAX it is sent before it grows more. */
struct copybuf {
	char *data;
	size_t len, cap;
	int failed;
};

struct pg_conn {
	PGconn *db;
	int schema;
	int64_t scan_id; /* 0: not recording */
	struct hoststates hs;
	uint8_t *blob;
	struct copybuf ports; /* port rows not sent yet */
	struct copybuf hosts; /* host rows of one checkpoint, written before (the upsert) */
	struct copybuf fresh; /* host rows of one checkpoint, written for the first time */
	uint32_t since_clock;
	uint64_t last_commit_ns;
	uint64_t last_hosts_ns;
	uint64_t outside;
	uint64_t written_covered, rows_since;
	char identity[STORE_IDENTITY_LEN + 1];
};

/* The first line of libpq's message: errors stay one line. */
static enum ps_err pg_fail(struct pg_conn *c, struct ps_diag *diag, const char *what)
{
	const char *msg = c->db ? PQerrorMessage(c->db) : "out of memory";
	size_t n = strcspn(msg, "\n");

	return ps_fail(diag, PS_ERR_IO, "history database (PostgreSQL): %s: %.*s", what, (int)n,
		       msg);
}

static enum ps_err pg_result(struct pg_conn *c, PGresult *r, ExecStatusType want,
			     struct ps_diag *diag, const char *what)
{
	enum ps_err err = PS_OK;

	if (!r || PQresultStatus(r) != want) {
		const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c->db);
		size_t n = strcspn(msg, "\n");

		err = ps_fail(diag, PS_ERR_IO, "history database (PostgreSQL): %s: %.*s", what,
			      (int)n, msg);
	}
	PQclear(r);
	return err;
}

static enum ps_err pg_exec(struct pg_conn *c, const char *sql, struct ps_diag *diag)
{
	return pg_result(c, PQexec(c->db, sql), PGRES_COMMAND_OK, diag, "query");
}

/* A query with text parameters; *out gets the result (PGRES_TUPLES_OK) to PQclear. */
static enum ps_err pg_query(struct pg_conn *c, const char *sql, int n, const char *const *params,
			    PGresult **out, struct ps_diag *diag)
{
	PGresult *r = PQexecParams(c->db, sql, n, NULL, params, NULL, NULL, 0);

	*out = NULL;
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_result(c, r, PGRES_TUPLES_OK, diag, "query");
	*out = r;
	return PS_OK;
}

static enum ps_err pg_command(struct pg_conn *c, const char *sql, int n,
			      const char *const *params, struct ps_diag *diag)
{
	return pg_result(c, PQexecParams(c->db, sql, n, NULL, params, NULL, NULL, 0),
			 PGRES_COMMAND_OK, diag, "query");
}

/* ---- COPY text ------------------------------------------------------------------------- */

static void copy_put(struct copybuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(grown = realloc(b->data, cap))) {
			b->failed = 1;
			return;
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static void copy_sep(struct copybuf *b, char c)
{
	copy_put(b, &c, 1);
}

/* A text field of COPY's text format: backslash, tab, newline and CR escaped; NULL is \N. */
static void copy_text(struct copybuf *b, const char *s, size_t max)
{
	size_t i;

	if (!s || !s[0]) {
		copy_put(b, "\\N", 2);
		return;
	}
	for (i = 0; i < max && s[i]; i++) {
		char esc[2] = {'\\', 0};

		switch (s[i]) {
		case '\\':
			esc[1] = '\\';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		default:
			copy_put(b, s + i, 1);
			continue;
		}
		copy_put(b, esc, 2);
	}
}

static void copy_int(struct copybuf *b, long long v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%lld", v);

	copy_put(b, num, (size_t)n);
}

/* bytea in COPY text: \\x and hex digits (the backslash itself escaped). */
static void copy_bytes(struct copybuf *b, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	copy_put(b, "\\\\x", 3);
	for (i = 0; i < n; i++) {
		char hx[2] = {digits[p[i] >> 4], digits[p[i] & 15]};

		copy_put(b, hx, 2);
	}
}

static enum ps_err copy_send(struct pg_conn *c, const char *sql, struct copybuf *b,
			     struct ps_diag *diag)
{
	enum ps_err err;

	if (b->failed) {
		b->failed = 0;
		b->len = 0;
		return ps_fail(diag, PS_ERR_NOMEM, "history: out of memory gathering rows");
	}
	if (!b->len)
		return PS_OK;
	if ((err = pg_result(c, PQexec(c->db, sql), PGRES_COPY_IN, diag, "COPY")))
		return err;
	if (PQputCopyData(c->db, b->data, (int)b->len) != 1 || PQputCopyEnd(c->db, NULL) != 1)
		return pg_fail(c, diag, "COPY");
	b->len = 0;
	return pg_result(c, PQgetResult(c->db), PGRES_COMMAND_OK, diag, "COPY");
}

static int family_code(const struct ps_addr *a)
{
	return a->family == AF_INET6 ? 6 : 4;
}

/* ---- recording ------------------------------------------------------------------------- */

static void put_port_row(struct pg_conn *c, const struct port_result *res)
{
	struct copybuf *b = &c->ports;
	const struct service_info *svc = res->service;

	copy_int(b, c->scan_id);
	copy_sep(b, '\t');
	copy_int(b, family_code(&res->addr));
	copy_sep(b, '\t');
	copy_bytes(b, res->addr.bytes, ps_addr_len(&res->addr));
	copy_sep(b, '\t');
	copy_int(b, res->proto);
	copy_sep(b, '\t');
	copy_int(b, res->port);
	copy_sep(b, '\t');
	copy_text(b, port_state_name(res->state), 64);
	copy_sep(b, '\t');
	copy_text(b, port_reason_name(res->reason), 64);
	copy_sep(b, '\t');
	copy_int(b, res->ttl);
	copy_sep(b, '\t');
	copy_int(b, res->rtt_us);
	copy_sep(b, '\t');
	copy_int(b, res->tries);
	copy_sep(b, '\t');
	if (svc) {
		copy_text(b, svc->name, sizeof(svc->name));
		copy_sep(b, '\t');
		copy_text(b, svc->product, sizeof(svc->product));
		copy_sep(b, '\t');
		copy_text(b, svc->version, sizeof(svc->version));
		copy_sep(b, '\t');
		copy_text(b, svc->info, sizeof(svc->info));
		copy_sep(b, '\t');
		copy_text(b, svc->confidence == SERVICE_MATCHED ? "matched" : "guessed", 16);
		copy_sep(b, '\t');
		copy_int(b, svc->flags);
	} else {
		copy_put(b, "\\N\t\\N\t\\N\t\\N\t\\N\t\\N", 17);
	}
	copy_sep(b, '\n');
}

#define PORTS_COPY                                                                                 \
	"COPY ports (scan_id, family, addr, proto, port, state, reason, ttl, rtt_us, tries,"      \
	" svc_name, svc_product, svc_version, svc_info, svc_confidence, svc_flags) FROM STDIN"

/* Every changed host that has answered (all: every changed host), through one upsert. */
static enum ps_err flush_hosts(struct pg_conn *c, int all, struct ps_diag *diag)
{
	char id[24], recorded[24];
	const char *params[2] = {id, recorded};
	enum ps_err err;
	size_t i;

	c->hosts.len = c->fresh.len = 0;
	for (i = 0; i < c->hs.nhosts && c->hs.ndirty; i++) {
		struct hoststates_host *h = &c->hs.hosts[i];
		/* A host's first row goes straight into hosts; a rewrite through the upsert. */
		struct copybuf *b = h->written ? &c->hosts : &c->fresh;

		if (!h->dirty || (!all && !h->answered))
			continue;
		if (!h->written) {
			copy_int(b, c->scan_id);
			copy_sep(b, '\t');
		}
		copy_int(b, (long long)i);
		copy_sep(b, '\t');
		copy_int(b, family_code(&h->addr));
		copy_sep(b, '\t');
		copy_bytes(b, h->addr.bytes, ps_addr_len(&h->addr));
		copy_sep(b, '\t');
		copy_int(b, h->proto);
		copy_sep(b, '\t');
		copy_text(b, h->hostname, 1024);
		copy_sep(b, '\t');
		copy_bytes(b, c->blob, hoststates_encode(&c->hs, i, c->blob));
		copy_sep(b, '\n');
		h->dirty = 0;
		h->written = 1;
		c->hs.ndirty--;
		c->written_covered += h->covered - h->written_covered;
		h->written_covered = h->covered;
		c->rows_since -= h->rows_since;
		h->rows_since = 0;
	}
	snprintf(id, sizeof(id), "%lld", (long long)c->scan_id);
	snprintf(recorded, sizeof(recorded), "%llu",
		 (unsigned long long)c->written_covered + c->rows_since + c->outside);
	if ((err = copy_send(c,
			     "COPY hosts (scan_id, host_no, family, addr, proto, hostname, states)"
			     " FROM STDIN",
			     &c->fresh, diag)))
		return err;
	if (c->hosts.len &&
	    ((err = pg_exec(c, "TRUNCATE ps_hosts_stage", diag)) ||
	     (err = copy_send(c, "COPY ps_hosts_stage FROM STDIN", &c->hosts, diag)) ||
	     (err = pg_command(c,
			       "INSERT INTO hosts (scan_id, host_no, family, addr, proto, hostname,"
			       " states) SELECT $1, host_no, family, addr, proto, hostname, states"
			       " FROM ps_hosts_stage ON CONFLICT (scan_id, host_no) DO UPDATE SET"
			       " states = EXCLUDED.states, hostname = EXCLUDED.hostname",
			       1, params, diag))))
		return err;
	return pg_command(c, "UPDATE scans SET recorded = $2 WHERE id = $1", 2, params, diag);
}

/* One transaction: the port rows since the last checkpoint, the changed hosts, progress. */
static enum ps_err checkpoint(struct pg_conn *c, int all, struct ps_diag *diag)
{
	enum ps_err err;
	uint64_t now = ps_now_ns();
	int hosts = all || now - c->last_hosts_ns >= PG_HOSTS_NS;

	if ((err = pg_exec(c, "BEGIN", diag)))
		return err;
	if ((err = copy_send(c, PORTS_COPY, &c->ports, diag)) ||
	    (hosts && (err = flush_hosts(c, all, diag))) || (err = pg_exec(c, "COMMIT", diag))) {
		PQclear(PQexec(c->db, "ROLLBACK"));
		return err;
	}
	c->last_commit_ns = ps_now_ns();
	if (hosts)
		c->last_hosts_ns = c->last_commit_ns;
	return PS_OK;
}

static enum ps_err pg_scan_port(void *conn, const struct port_result *res, struct ps_diag *diag)
{
	struct pg_conn *c = conn;
	enum hoststates_code code = res->state == PORT_CLOSED	? HOSTSTATES_CLOSED
				    : port_result_answered(res) ? HOSTSTATES_LISTED
								: HOSTSTATES_SILENT;
	size_t host = 0;
	enum ps_err err;

	if (!c->scan_id)
		return ps_fail(diag, PS_ERR_INVALID, "history: no scan is being recorded");
	if (res->service || res->state >= PORT_STATE_COUNT)
		code = HOSTSTATES_LISTED;
	err = hoststates_set(&c->hs, &res->addr, res->proto, res->hostname, res->port, code, &host);
	if (err == PS_ERR_RANGE) {
		c->outside++;
		code = HOSTSTATES_LISTED;
	} else if (err) {
		return err;
	} else if (code == HOSTSTATES_LISTED) {
		c->hs.hosts[host].rows_since++;
		c->rows_since++;
	}
	if (code == HOSTSTATES_LISTED)
		put_port_row(c, res);
	if (c->ports.len > PG_COPY_MAX)
		return checkpoint(c, 0, diag);
	if (++c->since_clock < PG_CHECK_EVERY)
		return PS_OK;
	c->since_clock = 0;
	if (ps_now_ns() - c->last_commit_ns < PG_BATCH_NS)
		return PS_OK;
	return checkpoint(c, 0, diag);
}

static enum ps_err pg_scan_commit(void *conn, struct ps_diag *diag)
{
	struct pg_conn *c = conn;

	return c->scan_id ? checkpoint(c, 1, diag) : PS_OK;
}

static void recording_stop(struct pg_conn *c)
{
	hoststates_release(&c->hs);
	free(c->blob);
	c->blob = NULL;
	c->scan_id = 0;
	c->ports.len = c->hosts.len = c->fresh.len = 0;
	c->ports.failed = c->hosts.failed = c->fresh.failed = 0;
}

static void pg_scan_abort(void *conn)
{
	struct pg_conn *c = conn;

	if (!c->scan_id)
		return;
	(void)checkpoint(c, 1, NULL);
	recording_stop(c);
}

static enum ps_err pg_scan_begin(void *conn, const struct store_scan_params *p, int64_t *id,
				 struct ps_diag *diag)
{
	struct pg_conn *c = conn;
	char started[24], targets[24], shard[24], shards[24], *port_set = NULL;
	const char *params[9];
	uint8_t *ports_blob = NULL;
	size_t plen = 0;
	int sharded = p->fleet && p->nshards > 1;
	PGresult *r = NULL;
	enum ps_err err;

	if (c->scan_id)
		return ps_fail(diag, PS_ERR_INVALID, "history: a scan is already being recorded");
	if (p->identity && strlen(p->identity) != STORE_IDENTITY_LEN)
		return ps_fail(diag, PS_ERR_INVALID, "history: a scan identity has %d hex digits",
			       STORE_IDENTITY_LEN);
	if (p->ports) {
		if (!(ports_blob = malloc(4u * p->ports->count + 4u)))
			return PS_ERR_NOMEM;
		plen = hoststates_ports_encode(p->ports, ports_blob);
		port_set = (char *)PQescapeByteaConn(c->db, ports_blob, plen, &plen);
		free(ports_blob);
		if (!port_set)
			return PS_ERR_NOMEM;
	}
	snprintf(started, sizeof(started), "%lld", (long long)p->start);
	snprintf(targets, sizeof(targets), "%llu", (unsigned long long)p->targets);
	snprintf(shard, sizeof(shard), "%llu", (unsigned long long)p->shard);
	snprintf(shards, sizeof(shards), "%llu", (unsigned long long)p->nshards);
	params[0] = started;
	params[1] = p->args;
	params[2] = p->engine;
	params[3] = p->ports_spec;
	params[4] = targets;
	params[5] = p->identity;
	params[6] = port_set;
	params[7] = sharded ? p->fleet : NULL;
	params[8] = sharded ? shard : NULL;
	if ((err = pg_exec(c, "BEGIN", diag)))
		goto out;
	/* A shard recorded again replaces itself (the rows go by ON DELETE CASCADE), in the
	 * transaction that records it anew. */
	if (sharded && (err = pg_command(c, "DELETE FROM scans WHERE fleet = $1 AND shard = $2", 2,
					 params + 7, diag)))
		goto fail;
	{
		const char *insert_params[10] = {params[0], params[1], params[2], params[3],
						 params[4], params[5], params[6], params[7],
						 params[8], sharded ? shards : NULL};

		if ((err = pg_query(c,
				    "INSERT INTO scans (started, args, engine, ports_spec, targets,"
				    " targets_key, port_set, fleet, shard, shards) VALUES ($1, $2,"
				    " $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
				    10, insert_params, &r, diag)))
			goto fail;
	}
	if ((err = pg_exec(c, "COMMIT", diag)))
		goto out;
	if ((err = hoststates_init(&c->hs, p->ports)))
		goto out;
	if (!(c->blob = malloc(HOSTSTATES_MAX_BLOB(c->hs.nports)))) {
		hoststates_release(&c->hs);
		err = PS_ERR_NOMEM;
		goto out;
	}
	c->scan_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	c->outside = c->written_covered = c->rows_since = 0;
	c->since_clock = 0;
	c->last_commit_ns = c->last_hosts_ns = ps_now_ns();
	c->identity[0] = '\0';
	if (p->identity)
		memcpy(c->identity, p->identity, STORE_IDENTITY_LEN + 1);
	if (id)
		*id = c->scan_id;
	goto out;
fail:
	PQclear(PQexec(c->db, "ROLLBACK"));
out:
	PQclear(r);
	PQfreemem(port_set);
	return err;
}

/* Same as the SQLite backend: for a scan recorded without one, from what was recorded. */
static enum ps_err identity_of_recording(struct pg_conn *c)
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

static int dark_order(const void *a, const void *b)
{
	const struct hoststates_host *x = *(const struct hoststates_host *const *)a;
	const struct hoststates_host *y = *(const struct hoststates_host *const *)b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	return ps_addr_cmp(&x->addr, &y->addr);
}

#define PG_DARK_PER_ROW 65536

/* Hosts silent on every port: out of hosts, into address lists (as the SQLite backend). */
static enum ps_err write_dark(struct pg_conn *c, struct ps_diag *diag)
{
	struct hoststates_host **dark = malloc((c->hs.nhosts + 1) * sizeof(*dark));
	struct ps_addr *addrs = malloc((c->hs.nhosts + 1) * sizeof(*addrs));
	uint8_t *list = malloc((size_t)PG_DARK_PER_ROW * HOSTSTATES_LIST_MAX_BYTES);
	char id[24], host_no[24];
	const char *params[2] = {id, host_no};
	enum ps_err err = PS_OK;
	size_t i, n = 0, first;

	if (!dark || !addrs || !list) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	snprintf(id, sizeof(id), "%lld", (long long)c->scan_id);
	for (i = 0; !err && i < c->hs.nhosts; i++) {
		struct hoststates_host *h = &c->hs.hosts[i];

		if (!c->hs.nports || h->hostname || !hoststates_all(&c->hs, i, HOSTSTATES_SILENT))
			continue;
		if (h->written) {
			snprintf(host_no, sizeof(host_no), "%zu", i);
			err = pg_command(c, "DELETE FROM hosts WHERE scan_id = $1 AND host_no = $2",
					 2, params, diag);
		}
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
	c->hosts.len = 0;
	for (first = 0; !err && first < n;) {
		size_t end = first + 1, k;

		while (end < n && end - first < PG_DARK_PER_ROW &&
		       dark[end]->proto == dark[first]->proto &&
		       dark[end]->addr.family == dark[first]->addr.family)
			end++;
		for (k = first; k < end; k++)
			addrs[k - first] = dark[k]->addr;
		copy_int(&c->hosts, c->scan_id);
		copy_sep(&c->hosts, '\t');
		copy_int(&c->hosts, family_code(&dark[first]->addr));
		copy_sep(&c->hosts, '\t');
		copy_int(&c->hosts, dark[first]->proto);
		copy_sep(&c->hosts, '\t');
		copy_bytes(&c->hosts, list, hoststates_list_encode(addrs, end - first, list));
		copy_sep(&c->hosts, '\n');
		first = end;
	}
	if (!err)
		err = copy_send(c, "COPY dark_hosts (scan_id, family, proto, addrs) FROM STDIN",
				&c->hosts, diag);
out:
	free(dark);
	free(addrs);
	free(list);
	return err;
}

static enum ps_err pg_scan_end(void *conn, const struct store_scan_totals *t, struct ps_diag *diag)
{
	struct pg_conn *c = conn;
	char v[9][32];
	const char *params[10];
	enum ps_err err;
	int i;

	if (!c->scan_id)
		return ps_fail(diag, PS_ERR_INVALID, "history: no scan is being recorded");
	if (!c->identity[0] && (err = identity_of_recording(c)))
		goto out;
	snprintf(v[0], sizeof(v[0]), "%lld", (long long)c->scan_id);
	snprintf(v[1], sizeof(v[1]), "%llu", (unsigned long long)t->hosts_up);
	snprintf(v[2], sizeof(v[2]), "%llu", (unsigned long long)t->ports_scanned);
	snprintf(v[3], sizeof(v[3]), "%llu", (unsigned long long)t->open);
	snprintf(v[4], sizeof(v[4]), "%llu", (unsigned long long)t->closed);
	snprintf(v[5], sizeof(v[5]), "%llu", (unsigned long long)t->filtered);
	snprintf(v[6], sizeof(v[6]), "%.17g", t->elapsed_s);
	snprintf(v[7], sizeof(v[7]), "%d", t->interrupted != 0);
	for (i = 0; i < 8; i++)
		params[i] = v[i];
	params[8] = c->identity;
	/* The last rows, the dark lists and the end in one transaction: a finished scan is a
	 * whole one. */
	if ((err = pg_exec(c, "BEGIN", diag)))
		goto out;
	if ((err = copy_send(c, PORTS_COPY, &c->ports, diag)) || (err = write_dark(c, diag)) ||
	    (err = flush_hosts(c, 1, diag)) ||
	    (err = pg_command(c,
			      "UPDATE scans SET finished = extract(epoch FROM now())::bigint,"
			      " hosts_up = $2, ports_scanned = $3, open = $4, closed = $5,"
			      " filtered = $6, elapsed = $7, interrupted = $8, targets_key = $9"
			      " WHERE id = $1",
			      9, params, diag)) ||
	    (err = pg_exec(c, "COMMIT", diag)))
		PQclear(PQexec(c->db, "ROLLBACK"));
out:
	recording_stop(c);
	return err;
}

/* ---- schema ---------------------------------------------------------------------------- */

static const char schema_4[] =
    "CREATE TABLE scans ("
    " id bigserial PRIMARY KEY,"
    " started bigint NOT NULL,"
    " finished bigint,"
    " args text, engine text, ports_spec text,"
    " targets bigint NOT NULL DEFAULT 0,"
    " targets_key text,"
    " hosts_up bigint, ports_scanned bigint,"
    " open bigint, closed bigint, filtered bigint,"
    " elapsed double precision, interrupted integer NOT NULL DEFAULT 0,"
    " port_set bytea, recorded bigint NOT NULL DEFAULT 0,"
    " fleet text, shard bigint, shards bigint);"
    "CREATE INDEX scans_by_targets ON scans (targets_key, id);"
    "CREATE UNIQUE INDEX scans_by_fleet ON scans (fleet, shard) WHERE fleet IS NOT NULL;"
    "CREATE TABLE hosts ("
    " scan_id bigint NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
    " host_no bigint NOT NULL,"
    " family integer NOT NULL, addr bytea NOT NULL, proto integer NOT NULL,"
    " hostname text, states bytea NOT NULL,"
    " PRIMARY KEY (scan_id, host_no));"
    "CREATE TABLE ports ("
    " scan_id bigint NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
    " family integer NOT NULL, addr bytea NOT NULL, proto integer NOT NULL,"
    " port integer NOT NULL, state text NOT NULL, reason text,"
    " ttl integer, rtt_us bigint, tries integer,"
    " svc_name text, svc_product text, svc_version text, svc_info text,"
    " svc_confidence text, svc_flags bigint);"
    "CREATE INDEX ports_by_scan ON ports (scan_id);"
    "CREATE TABLE dark_hosts ("
    " scan_id bigint NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
    " family integer NOT NULL, proto integer NOT NULL, addrs bytea NOT NULL);"
    "CREATE INDEX dark_hosts_by_scan ON dark_hosts (scan_id);";

/* Steps: migrations[v] takes schema v to the next one listed (0: an empty database). */
static const struct pg_migration {
	int from, to;
	const char *sql;
} migrations[] = {
    {0, 4, schema_4},
};

static enum ps_err schema_version(struct pg_conn *c, int *version, struct ps_diag *diag)
{
	PGresult *r;
	enum ps_err err;
	const char *text;
	char *end;
	long v;
	int bad;

	if ((err = pg_exec(c, "CREATE TABLE IF NOT EXISTS portsight_schema (version integer NOT"
			      " NULL)",
			   diag)) ||
	    (err = pg_query(c, "SELECT coalesce(max(version), 0) FROM portsight_schema", 0, NULL,
			    &r, diag)))
		return err;
	text = PQgetvalue(r, 0, 0);
	errno = 0;
	v = strtol(text, &end, 10);
	bad = errno || end == text || *end || v < 0 || v > INT_MAX;
	PQclear(r);
	if (bad)
		return ps_fail(diag, PS_ERR_INVALID,
			       "history database (PostgreSQL): unreadable schema version");
	*version = (int)v;
	return PS_OK;
}

static enum ps_err migrate(struct pg_conn *c, struct ps_diag *diag)
{
	char lock[64];
	int version = 0;
	enum ps_err err;
	size_t i;

	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%lld)", PG_MIGRATION_LOCK);
	if ((err = pg_exec(c, "BEGIN", diag)))
		return err;
	if ((err = pg_result(c, PQexec(c->db, lock), PGRES_TUPLES_OK, diag, "locking the schema")) ||
	    (err = schema_version(c, &version, diag)))
		goto fail;
	if (version > STORE_SCHEMA_VERSION) {
		err = ps_fail(diag, PS_ERR_UNSUPPORTED,
			      "history database has schema %d, newer than this portsight (%d)",
			      version, STORE_SCHEMA_VERSION);
		goto fail;
	}
	for (i = 0; version < STORE_SCHEMA_VERSION && i < sizeof(migrations) / sizeof(migrations[0]);
	     i++) {
		char set[96];

		if (migrations[i].from != version)
			continue;
		snprintf(set, sizeof(set),
			 "DELETE FROM portsight_schema; INSERT INTO portsight_schema VALUES (%d)",
			 migrations[i].to);
		if ((err = pg_exec(c, migrations[i].sql, diag)) || (err = pg_exec(c, set, diag)))
			goto fail;
		version = migrations[i].to;
	}
	if (version != STORE_SCHEMA_VERSION) {
		err = ps_fail(diag, PS_ERR_INVALID, "history database: no migration from schema %d",
			      version);
		goto fail;
	}
	if ((err = pg_exec(c, "COMMIT", diag)))
		return err;
	c->schema = version;
	return PS_OK;
fail:
	PQclear(PQexec(c->db, "ROLLBACK"));
	return err;
}

static void pg_close(void *conn)
{
	struct pg_conn *c = conn;

	if (!c)
		return;
	recording_stop(c);
	PQfinish(c->db);
	free(c->ports.data);
	free(c->hosts.data);
	free(c->fresh.data);
	free(c);
}

/* libpq's notices (NOTICE: relation exists...) would print: a library stays silent. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static enum ps_err pg_open(const char *location, void **out, struct ps_diag *diag)
{
	struct pg_conn *c = calloc(1, sizeof(*c));
	enum ps_err err;

	*out = NULL;
	if (!c)
		return PS_ERR_NOMEM;
	c->db = PQconnectdb(location);
	if (!c->db || PQstatus(c->db) != CONNECTION_OK) {
		err = pg_fail(c, diag, "cannot connect");
		goto fail;
	}
	PQsetNoticeProcessor(c->db, quiet, NULL);
	if ((err = migrate(c, diag)) ||
	    (err = pg_exec(c, "CREATE TEMP TABLE ps_hosts_stage (host_no bigint, family integer,"
			      " addr bytea, proto integer, hostname text, states bytea)",
			   diag)))
		goto fail;
	*out = c;
	return PS_OK;
fail:
	pg_close(c);
	return err;
}

static int pg_schema(const void *conn)
{
	return ((const struct pg_conn *)conn)->schema;
}

/* ---- reading --------------------------------------------------------------------------- */

static const char *col(PGresult *r, int row, int column)
{
	return PQgetisnull(r, row, column) ? NULL : PQgetvalue(r, row, column);
}

static uint64_t col_u64(PGresult *r, int row, int column)
{
	const char *v = col(r, row, column);

	return v ? strtoull(v, NULL, 10) : 0;
}

static enum ps_err pg_list_scans(void *conn, unsigned limit, store_scan_fn fn, void *ctx,
				 struct ps_diag *diag)
{
	struct pg_conn *c = conn;
	char lim[24];
	const char *params[1] = {limit ? lim : NULL};
	PGresult *r;
	enum ps_err err;
	int i;

	snprintf(lim, sizeof(lim), "%u", limit);
	if ((err = pg_query(
		 c,
		 "SELECT min(id), min(started),"
		 " CASE WHEN count(finished) = count(*) AND count(*) = max(coalesce(shards, 1))"
		 " THEN max(finished) END,"
		 " min(args), min(engine), min(ports_spec), min(targets_key), max(targets),"
		 " sum(hosts_up), sum(recorded), sum(open), sum(closed), sum(filtered),"
		 " max(elapsed), max(interrupted), max(shards), count(finished), min(fleet)"
		 " FROM scans GROUP BY coalesce(fleet, 'scan:' || id) ORDER BY min(id) DESC"
		 " LIMIT $1::bigint",
		 1, params, &r, diag)))
		return err;
	for (i = 0; !err && i < PQntuples(r); i++) {
		struct store_scan_row row = {
		    .id = (int64_t)col_u64(r, i, 0),
		    .started = (time_t)col_u64(r, i, 1),
		    .finished = (time_t)col_u64(r, i, 2),
		    .args = col(r, i, 3),
		    .engine = col(r, i, 4),
		    .ports_spec = col(r, i, 5),
		    .targets_key = col(r, i, 6),
		    .targets = col_u64(r, i, 7),
		    .hosts_up = col_u64(r, i, 8),
		    .results = col_u64(r, i, 9),
		    .open = col_u64(r, i, 10),
		    .closed = col_u64(r, i, 11),
		    .filtered = col_u64(r, i, 12),
		    .elapsed_s = col(r, i, 13) ? strtod(col(r, i, 13), NULL) : 0,
		    .interrupted = (int)col_u64(r, i, 14),
		    .shards = col_u64(r, i, 15),
		    .shards_done = col_u64(r, i, 16),
		    .fleet = col(r, i, 17),
		};

		if (row.shards < 2)
			row.shards = row.shards_done = 0;
		err = fn(ctx, &row);
	}
	PQclear(r);
	return err;
}

static enum ps_err pg_last_pair(void *conn, int64_t *old_id, int64_t *new_id,
				struct ps_diag *diag)
{
	struct pg_conn *c = conn;
	PGresult *r;
	enum ps_err err;

	if ((err = pg_query(c,
			    "WITH units AS (SELECT min(id) AS id, min(targets_key) AS key,"
			    " count(*) AS n, count(finished) AS n_done,"
			    " max(coalesce(shards, 1)) AS want FROM scans"
			    " GROUP BY coalesce(fleet, 'scan:' || id)),"
			    " done_units AS (SELECT id, key FROM units WHERE n_done = n AND"
			    " n = want)"
			    " SELECT n.id, (SELECT o.id FROM done_units o WHERE o.key = n.key AND"
			    " o.id < n.id ORDER BY o.id DESC LIMIT 1)"
			    " FROM done_units n ORDER BY n.id DESC LIMIT 1",
			    0, NULL, &r, diag)))
		return err;
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 1)) {
		*new_id = (int64_t)col_u64(r, 0, 0);
		*old_id = (int64_t)col_u64(r, 0, 1);
	} else {
		err = ps_fail(diag, PS_ERR_NOT_FOUND,
			      "history holds no earlier finished scan of the same targets to "
			      "compare the last one with");
	}
	PQclear(r);
	return err;
}

/* A bytea column as bytes (PQfreemem them). */
static unsigned char *col_bytes(PGresult *r, int row, int column, size_t *len)
{
	*len = 0;
	if (PQgetisnull(r, row, column))
		return NULL;
	return PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, column), len);
}

static enum ps_err load_header(struct pg_conn *c, const char *id, struct snapshot *snap,
			       struct portset *ports, struct ps_diag *diag)
{
	const char *params[1] = {id};
	unsigned char *blob = NULL;
	size_t len;
	PGresult *r;
	enum ps_err err;

	if ((err = pg_query(c,
			    "SELECT min(started), (array_agg(port_set))[1],"
			    " bool_or(finished IS NULL OR interrupted <> 0) OR"
			    " count(*) < max(coalesce(shards, 1)), max(shards),"
			    " bool_and(port_set IS NULL) FROM scans WHERE id = $1::bigint OR"
			    " fleet = (SELECT fleet FROM scans WHERE id = $1::bigint)"
			    " HAVING count(*) > 0",
			    1, params, &r, diag)))
		return err;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return ps_fail(diag, PS_ERR_NOT_FOUND, "history has no scan %s", id);
	}
	{
		time_t when = (time_t)col_u64(r, 0, 0);
		char buf[32] = "";
		struct tm tm;

		if (localtime_r(&when, &tm))
			strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(snap->label, sizeof(snap->label), "scan %s (%s%s%s)", id, buf,
			 col_u64(r, 0, 3) > 1 ? ", sharded" : "",
			 col(r, 0, 2) && col(r, 0, 2)[0] == 't' ? ", partial" : "");
	}
	if (col(r, 0, 4) && col(r, 0, 4)[0] == 't') {
		portset_clear(ports);
		portset_add_range(ports, 1, PORTSET_MAX_PORT);
	} else if (!(blob = col_bytes(r, 0, 1, &len))) {
		err = PS_ERR_NOMEM;
	} else {
		err = hoststates_ports_decode(blob, len, ports, diag);
	}
	PQfreemem(blob);
	PQclear(r);
	return err;
}

struct dark_load {
	struct hoststates_load *load;
	uint8_t proto;
};

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

static enum ps_err load_member(struct pg_conn *c, const char *id, struct hoststates_load *load,
			       struct ps_diag *diag)
{
	const char *params[1] = {id};
	struct dark_load d = {.load = load};
	PGresult *r;
	enum ps_err err;
	int i;

	if ((err = pg_query(c,
			    "SELECT family, addr, proto, states FROM hosts WHERE scan_id ="
			    " $1::bigint ORDER BY host_no",
			    1, params, &r, diag)))
		return err;
	for (i = 0; !err && i < PQntuples(r); i++) {
		size_t alen, slen;
		unsigned char *a = col_bytes(r, i, 1, &alen), *st = col_bytes(r, i, 3, &slen);

		err = a && st ? hoststates_load_host(load, (int)col_u64(r, i, 0), a, alen,
						     (int)col_u64(r, i, 2), st, slen, diag)
			      : PS_ERR_NOMEM;
		PQfreemem(a);
		PQfreemem(st);
	}
	PQclear(r);
	if (err || (err = pg_query(c,
				   "SELECT family, proto, addrs FROM dark_hosts WHERE scan_id ="
				   " $1::bigint",
				   1, params, &r, diag)))
		return err;
	for (i = 0; !err && i < PQntuples(r); i++) {
		int proto = (int)col_u64(r, i, 1);
		size_t len;
		unsigned char *list;

		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
			err = ps_fail(diag, PS_ERR_INVALID, "history: a bad protocol %d", proto);
			break;
		}
		d.proto = (uint8_t)proto;
		if (!(list = col_bytes(r, i, 2, &len))) {
			err = PS_ERR_NOMEM;
			break;
		}
		err = hoststates_list_decode((int)col_u64(r, i, 0), list, len, add_dark, &d, diag);
		PQfreemem(list);
	}
	PQclear(r);
	if (err || (err = pg_query(c,
				   "SELECT family, addr, proto, port, state, svc_name, svc_product,"
				   " svc_version, svc_confidence FROM ports WHERE scan_id ="
				   " $1::bigint",
				   1, params, &r, diag)))
		return err;
	for (i = 0; !err && i < PQntuples(r); i++) {
		struct snap_service svc = {0};
		const char *conf = col(r, i, 8), *state_text = col(r, i, 4);
		unsigned long port = (unsigned long)col_u64(r, i, 3);
		int proto = (int)col_u64(r, i, 2), state = -1, k;
		struct ps_addr addr;
		size_t alen;
		unsigned char *a = col_bytes(r, i, 1, &alen);

		if (!a) {
			err = PS_ERR_NOMEM;
			break;
		}
		err = hoststates_addr_decode((int)col_u64(r, i, 0), a, alen, &addr, diag);
		PQfreemem(a);
		for (k = 0; state_text && k < PORT_STATE_COUNT; k++)
			if (!strcmp(state_text, port_state_name(k)))
				state = k;
		if (!err && (port < 1 || port > 65535 ||
			     (proto != IPPROTO_TCP && proto != IPPROTO_UDP) || state < 0))
			err = ps_fail(diag, PS_ERR_INVALID, "history: a bad port row (%lu/%d)", port,
				      proto);
		if (err)
			break;
		snprintf(svc.name, sizeof(svc.name), "%s", col(r, i, 5) ? col(r, i, 5) : "");
		snprintf(svc.product, sizeof(svc.product), "%s", col(r, i, 6) ? col(r, i, 6) : "");
		snprintf(svc.version, sizeof(svc.version), "%s", col(r, i, 7) ? col(r, i, 7) : "");
		svc.probed = conf && !strcmp(conf, "matched");
		err = snapshot_add(load->snap, &addr, (uint16_t)port, (uint8_t)proto,
				   (uint8_t)state, &svc);
	}
	PQclear(r);
	return err;
}

static enum ps_err pg_load_scan(void *conn, int64_t id, struct snapshot *snap,
				struct ps_diag *diag)
{
	struct pg_conn *c = conn;
	struct portset *ports = malloc(sizeof(*ports));
	struct hoststates_load load = {.snap = snap};
	char idtext[24];
	const char *params[1] = {idtext};
	PGresult *r = NULL;
	enum ps_err err;
	int i;

	load.ports = malloc(65536 * sizeof(*load.ports));
	if (!ports || !load.ports) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
	if ((err = load_header(c, idtext, snap, ports, diag)))
		goto out;
	load.nports = (uint32_t)portset_to_array(ports, load.ports);
	if ((err = pg_query(c,
			    "SELECT id FROM scans WHERE id = $1::bigint OR fleet ="
			    " (SELECT fleet FROM scans WHERE id = $1::bigint) ORDER BY id",
			    1, params, &r, diag)))
		goto out;
	for (i = 0; !err && i < PQntuples(r); i++)
		err = load_member(c, PQgetvalue(r, i, 0), &load, diag);
	snap->absent_unscanned = 1;
out:
	PQclear(r);
	free(load.ports);
	free(ports);
	return err;
}

const struct store_backend store_postgres_backend = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .schema = pg_schema,
    .scan_begin = pg_scan_begin,
    .scan_port = pg_scan_port,
    .scan_commit = pg_scan_commit,
    .scan_end = pg_scan_end,
    .scan_abort = pg_scan_abort,
    .list_scans = pg_list_scans,
    .last_pair = pg_last_pair,
    .load_scan = pg_load_scan,
};
