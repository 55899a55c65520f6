/* SPDX-License-Identifier: MIT */
/*
 * The HTTP side of portsight serve, on libmicrohttpd: a pool of one epoll thread per core (a
 * thread per connection measured 4980 req/s with p99 26.6 ms; see bench/RESULTS.md). No
 * callback ever blocks a pool thread: a live view (Server-Sent Events, or the streamed page
 * without JavaScript) with nothing to say suspends its connection, and is resumed by its scan's
 * results, its end, or the reaper's tick (a heartbeat a second, which is also how a visitor who
 * left is noticed: the write fails, the view ends, and so does its scan). Limits:
 * libmicrohttpd's own (connections, per-address connections, an idle timeout, a memory pool per
 * connection that caps the request line and headers: 431 past it) and ours (request bodies,
 * scans in limits.c, and a deadline for a whole request, which an idle timeout alone is not: a
 * client trickling a byte every few seconds would hold its connection forever).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/priv.h"
#include "net/sandbox.h"
#include "net/siphash.h"
#include "report/verdict.h"
#include "run/run.h"
#include "run/shieldsup.h"
#include "scan/engine.h"
#include "serve_internal.h"

#define SERVE_PAGE_MAX	   (8u << 20) /* the largest page (a 65535-port list) */
#define SERVE_HEADER_POOL  16384      /* request line + headers (libmicrohttpd's pool) */
#define SERVE_KEEP_SCANS   64	      /* finished scans kept for their pages */
#define SERVE_VIEW_GRACE_S 10	      /* a live scan nobody follows stops after this */
#define SERVE_SESSION_LEN  32
#define SERVE_TICK_MS	   250 /* the reaper's period: heartbeats, deadlines, grace */
#define SERVE_WAKE_MS	   50  /* a scan resumes its views at most this often per result */
#define SERVE_BEAT_MS	   1000

struct serve_metrics {
	_Atomic uint64_t requests, scans_started, scans_finished, scans_interrupted, probes;
	_Atomic uint64_t refused[8];
	_Atomic uint64_t deadline_cut;
};

/* A connection, from accept to close: its request deadline (0: none now). */
struct conn_watch {
	int fd;
	_Atomic uint64_t deadline_ms;
	struct conn_watch *prev, *next;
};

enum refuse_reason { R_BAD_REQUEST, R_TOKEN, R_TOO_MANY_PORTS, R_ACTIVE, R_QUOTA, R_BUSY, R_BODY };
static const char *const refuse_names[] = {"bad_request", "token", "too_many_ports", "active",
					   "quota",	  "busy",  "body_too_large"};

struct serve {
	struct serve_opts o;
	struct serve_cidr *trusted;
	struct MHD_Daemon *mhd;
	struct net_siphash_key key;	    /* session tokens */
	struct net_siphash_key session_key; /* session ids: a keyed counter, no system call */
	_Atomic uint64_t sessions;
	struct serve_limits limits;
	uint32_t counts[SERVE_TEST_COUNT]; /* ports per test */
	struct portset presets[SERVE_TEST_COUNT];
	pthread_mutex_t lock; /* scans[], refs, running */
	pthread_cond_t idle;
	struct serve_scan *scans[SERVE_KEEP_SCANS];
	struct serve_scan *launch; /* accepted scans whose thread the reaper is to start */
	unsigned running;
	bool stopping;
	int listen_fd;
	pthread_t reaper;
	bool reaper_started;
	pthread_mutex_t conns_lock; /* conns: connections are added and removed, the reaper reads */
	struct conn_watch *conns;
	struct serve_metrics m;
	/* The consent page, built once: static text around three holes (marks 1 client, 2
	 * server, 3 token) that each request fills with a copy, no formatting. */
	char *consent;
	size_t consent_len;
	size_t consent_at[3];
	uint8_t consent_mark[3];
	/* The static files and /healthz: one response each, queued again and again. */
	struct MHD_Response *css, *js, *health;
};

/* ---- small helpers ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	if (!s || strlen(s) != n)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The token the consent form carries: bound to the session cookie and the visitor. */
static void session_token(const struct serve *srv, const char *session,
			  const struct ps_addr *client, char out[17])
{
	uint8_t msg[SERVE_SESSION_LEN + sizeof(*client)], mac[8];
	uint64_t h;

	memcpy(msg, session, SERVE_SESSION_LEN);
	memcpy(msg + SERVE_SESSION_LEN, client, sizeof(*client));
	h = net_siphash24(&srv->key, msg, sizeof(msg));
	memcpy(mac, &h, sizeof(mac));
	hex(mac, sizeof(mac), out);
}

static bool same_token(const char *a, const char *b)
{
	size_t i, n = strlen(b);
	unsigned char diff = 0;

	if (strlen(a) != n)
		return false;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static void log_rec(struct serve *srv, const struct serve_log_rec *rec)
{
	if (srv->o.log)
		srv->o.log(srv->o.log_ctx, rec);
}

/* ---- responses ---- */

static void security_headers(struct MHD_Response *r, const char *ctype, bool cache)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	/* The pages fetch nothing from anywhere else, and the browser is told to enforce it. */
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; style-src 'self'; script-src 'self'; "
				"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
				"base-uri 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				cache ? "public, max-age=3600" : "no-store");
}

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, const char *ctype,
				const void *data, size_t len, enum MHD_ResponseMemoryMode mode,
				const char *cookie)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	security_headers(r, ctype, mode == MHD_RESPMEM_PERSISTENT && status == 200);
	if (cookie)
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Sends the page in b, handing its memory to libmicrohttpd (no copy); b is left empty. */
static enum MHD_Result send_page(struct MHD_Connection *c, unsigned status, struct dynbuf *b,
				 const char *cookie)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!b->data)
		return send_buf(c, status, "text/html; charset=utf-8", "", 0,
				MHD_RESPMEM_PERSISTENT, cookie);
	r = MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_FREE);
	if (!r)
		return MHD_NO;
	dynbuf_init(b, b->max); /* the response owns the memory now */
	security_headers(r, "text/html; charset=utf-8", false);
	if (cookie)
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error(struct serve *srv, struct MHD_Connection *c, unsigned status,
				  int reason, const char *msg)
{
	struct dynbuf b;
	enum MHD_Result ret;

	if (reason >= 0)
		srv->m.refused[reason]++;
	dynbuf_init(&b, (size_t)64 * 1024);
	if (serve_page_error(&b, status, msg)) {
		dynbuf_release(&b);
		return MHD_NO;
	}
	ret = send_page(c, status, &b, NULL);
	dynbuf_release(&b);
	return ret;
}

/* ---- who is asking ---- */

struct header_join {
	const char *name;
	struct dynbuf *buf;
	bool overflow;
};

/* Every line of a header, in order, joined with ", " (RFC 7230 3.2.2). */
static enum MHD_Result join_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct header_join *j = cls;

	(void)kind;
	if (strcasecmp(key, j->name) || !value)
		return MHD_YES;
	if ((j->buf->len && dynbuf_add(j->buf, ", ", 2)) ||
	    dynbuf_add(j->buf, value, strlen(value)))
		j->overflow = true;
	return MHD_YES;
}

static bool header_all(struct MHD_Connection *c, const char *name, struct dynbuf *b)
{
	struct header_join j = {.name = name, .buf = b};

	MHD_get_connection_values(c, MHD_HEADER_KIND, join_header, &j);
	return !j.overflow;
}

static enum ps_err client_of(struct serve *srv, struct MHD_Connection *c, struct ps_addr *out,
			     struct ps_diag *diag)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct dynbuf fwd, xff;
	struct ps_addr peer;
	enum ps_err err;

	if (!ci || ps_addr_from_sockaddr(ci->client_addr, &peer, NULL))
		return ps_fail(diag, PS_ERR_INVALID, "no peer address");
	dynbuf_init(&fwd, 4096);
	dynbuf_init(&xff, 4096);
	if (!header_all(c, "Forwarded", &fwd) || !header_all(c, "X-Forwarded-For", &xff))
		err = ps_fail(diag, PS_ERR_TOO_LARGE, "forwarding headers too long");
	else
		err = serve_client_addr(&peer, srv->trusted, srv->o.ntrusted,
					fwd.len ? fwd.data : NULL, xff.len ? xff.data : NULL, out,
					diag);
	dynbuf_release(&fwd);
	dynbuf_release(&xff);
	return err;
}

static void local_of(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct ps_addr a;

	snprintf(out, len, "this server");
	if (!ci || getsockname(ci->connect_fd, (struct sockaddr *)&ss, &sl) ||
	    ps_addr_from_sockaddr((struct sockaddr *)&ss, &a, NULL))
		return;
	serve_addr_unmap(&a);
	ps_addr_format(&a, out, len);
}

/* Query arguments: /port may have "port"; nothing else takes any (a "target" is a 400). */
struct query_check {
	const char *allowed;
	unsigned bad;
	const char *value;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct query_check *q = cls;

	(void)kind;
	if (q->allowed && !strcmp(key, q->allowed) && !q->value)
		q->value = value ? value : "";
	else
		q->bad++;
	return MHD_YES;
}

/* ---- scans ---- */

static void views_wake_locked(struct serve_scan *s);
static void conns_cut_late(struct serve *srv);

static void scan_unref_locked(struct serve *srv, struct serve_scan *s)
{
	(void)srv;
	if (--s->refs)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->ss);
	free(s->html);
	free(s->jsonl);
	free(s);
}

static void scan_unref(struct serve *srv, struct serve_scan *s)
{
	pthread_mutex_lock(&srv->lock);
	scan_unref_locked(srv, s);
	pthread_mutex_unlock(&srv->lock);
}

/* The scan called id, if it is the visitor's own; a reference the caller drops. */
static struct serve_scan *scan_find(struct serve *srv, const char *id, const struct ps_addr *who)
{
	struct serve_scan *found = NULL;
	size_t i;

	if (!is_hex(id, SERVE_ID_LEN))
		return NULL;
	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < SERVE_KEEP_SCANS; i++) {
		struct serve_scan *s = srv->scans[i];

		if (s && !strcmp(s->id, id) && !ps_addr_cmp(&s->client, who)) {
			found = s;
			found->refs++;
			break;
		}
	}
	pthread_mutex_unlock(&srv->lock);
	return found;
}

/* Keeps s in the table, pushing out the oldest finished scan nobody looks at. */
static bool scan_insert(struct serve *srv, struct serve_scan *s)
{
	struct serve_scan *oldest = NULL;
	size_t i, slot = SERVE_KEEP_SCANS;

	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < SERVE_KEEP_SCANS && slot == SERVE_KEEP_SCANS; i++)
		if (!srv->scans[i])
			slot = i;
	for (i = 0; slot == SERVE_KEEP_SCANS && i < SERVE_KEEP_SCANS; i++) {
		struct serve_scan *t = srv->scans[i];

		if (t->refs == 1 && t->done && (!oldest || t->started < oldest->started)) {
			oldest = t;
			slot = i;
		}
	}
	if (slot < SERVE_KEEP_SCANS) {
		if (srv->scans[slot])
			scan_unref_locked(srv, srv->scans[slot]);
		srv->scans[slot] = s;
		s->refs++;
	}
	pthread_mutex_unlock(&srv->lock);
	return slot < SERVE_KEEP_SCANS;
}

static enum ps_err on_result(void *ctx, const struct port_result *res)
{
	struct serve_scan *s = ctx;
	uint8_t cell = res->state == PORT_OPEN	   ? CELL_OPEN
		       : port_result_answered(res) ? CELL_CLOSED
						   : CELL_STEALTH;

	pthread_mutex_lock(&s->lock);
	if (s->state[res->port] == CELL_PENDING && s->nresults < 65536) {
		s->state[res->port] = cell;
		s->order[s->nresults++] = res->port;
		s->nopen += cell == CELL_OPEN;
		s->nclosed += cell == CELL_CLOSED;
		s->nstealth += cell == CELL_STEALTH;
		if (s->ss)
			shieldsup_port_add(s->ss, res);
	}
	/* Results come in bursts: one resume per burst, and the reaper's tick for the tail. */
	if (s->waiting) {
		uint64_t now = now_ms();

		if (now - s->woken_ms >= SERVE_WAKE_MS) {
			s->woken_ms = now;
			views_wake_locked(s);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return PS_OK;
}

static void scan_warning(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg; /* a history problem costs the record, not the scan */
}

/* Reads a memstream's result into *out; a failed stream gives nothing. */
static void take_stream(FILE *f, char **buf, size_t *len, char **out, size_t *outlen)
{
	if (!f)
		return;
	if (fclose(f)) {
		free(*buf);
		*buf = NULL;
		*len = 0;
	}
	*out = *buf;
	*outlen = *len;
}

/* ---- TruStealth: ShieldsUP's tests past the ports ---- */

static void shieldsup_part(struct serve_scan *s, bool ran)
{
	struct shieldsup_opts o;
	struct shieldsup_verdict v;
	struct ps_diag diag = {{0}};

	/* The ping's pace and stop flag (its target is the visitor, nobody else). */
	struct scan_opts ping = {.rate_pps = 100, .max_retries = 1, .stop = &s->stop};

	if (ran && !s->stop) {
		shieldsup_opts_init(&o);
		o.ping = shieldsup_ping_echo;
		o.ping_ctx = &ping;
		o.stop = &s->stop;
		shieldsup_test_host(&o, s->ss, &diag);
	}
	shieldsup_verdict_of(s->ss, &v);
	pthread_mutex_lock(&s->lock);
	s->ssv = v;
	pthread_mutex_unlock(&s->lock);
}

/* The JSON Lines download ends with the TruStealth record, as `scan --shieldsup` writes it. */
static void shieldsup_jsonl(struct serve_scan *s)
{
	json_t *rec = json_object(), *body = shieldsup_json(s->ss, &s->ssv);
	char *line = NULL, *grown;
	size_t n;

	if (!rec || !body || json_object_set_new(rec, "shieldsup", body))
		goto out;
	body = NULL;
	line = json_dumps(rec, JSON_COMPACT);
	if (!line)
		goto out;
	n = strlen(line);
	grown = realloc(s->jsonl, s->jsonl_len + n + 2);
	if (!grown)
		goto out;
	memcpy(grown + s->jsonl_len, line, n);
	grown[s->jsonl_len + n] = '\n';
	grown[s->jsonl_len + n + 1] = '\0';
	s->jsonl = grown;
	s->jsonl_len += n + 1;
out:
	free(line);
	json_decref(body);
	json_decref(rec);
}

static void *scan_thread(void *arg)
{
	struct serve_scan *s = arg;
	struct serve *srv = s->srv;
	struct run_observer_sink obs;
	struct run_report_sink html, jsonl;
	struct run_history_sink hist;
	struct run_sink *sinks[4];
	struct run_events events = {.warning = scan_warning};
	struct run_result result = {0};
	struct target_list targets;
	struct ps_diag diag = {{0}};
	char *hbuf = NULL, *jbuf = NULL, args[128];
	size_t hlen = 0, jlen = 0, nsinks = 0;
	FILE *hf = open_memstream(&hbuf, &hlen), *jf = open_memstream(&jbuf, &jlen);
	struct serve_log_rec rec;
	enum ps_err err = PS_OK;
	unsigned show =
	    s->nports <= SERVE_GRID_MAX ? REPORT_SHOW_ALL : REPORT_SHOW_OPEN | REPORT_SHOW_CLOSED;
	struct run_job job = {
	    .kb = srv->o.kb,
	    .targets = &targets,
	    .ports = &s->ports,
	    .ports_spec = s->spec,
	    .engine = srv->o.engine,
	    .args = args,
	};

	target_list_init(&targets);
	snprintf(args, sizeof(args), "portsight serve: %s test for %s", serve_test_name(s->test),
		 s->client_text);
	/* The shared probe budget: each of the scans that may run at once gets its share. */
	job.tuning.rate_pps = srv->o.max_rate / srv->o.max_scans;
	if (!job.tuning.rate_pps)
		job.tuning.rate_pps = 1;
	if (!hf || !jf)
		err = ps_fail(&diag, PS_ERR_NOMEM, "out of memory");
	if (!err)
		err = target_list_add_spec(&targets, s->client_text, NULL, NULL, &diag);
	if (!err)
		err = target_list_finish(&targets, NULL, 1, &diag);
	if (!err) {
		run_observer_sink_init(&obs, on_result, s);
		obs.sink.early = true;
		sinks[nsinks++] = &obs.sink;
		run_report_sink_init(&html, report_format_find("html"), hf, "report.html", show);
		sinks[nsinks++] = &html.sink;
		run_report_sink_init(&jsonl, report_format_find("jsonl"), jf, "report.jsonl", show);
		sinks[nsinks++] = &jsonl.sink;
		if (!srv->o.no_db) {
			run_history_sink_init(&hist, srv->o.db);
			sinks[nsinks++] = &hist.sink;
		}
		err = run_scan(&job, sinks, nsinks, &s->stop, &events, &result, &diag);
	}
	if (s->ss)
		shieldsup_part(s, !err);
	take_stream(hf, &hbuf, &hlen, &s->html, &s->html_len);
	take_stream(jf, &jbuf, &jlen, &s->jsonl, &s->jsonl_len);
	if (s->ss && s->jsonl)
		shieldsup_jsonl(s);

	pthread_mutex_lock(&s->lock);
	s->sum = result.summary;
	snprintf(s->engine, sizeof(s->engine), "%s", result.engine ? result.engine->name : "-");
	if (err)
		snprintf(s->error, sizeof(s->error), "%s", ps_diag_text(&diag, err));
	s->done = true;
	views_wake_locked(s);
	pthread_mutex_unlock(&s->lock);
	target_list_release(&targets);

	srv->m.scans_finished++;
	srv->m.scans_interrupted += s->sum.interrupted != 0;
	srv->m.probes += result.stats.probes_sent;
	serve_limits_done(&srv->limits, &s->client);
	rec = (struct serve_log_rec){.when = s->started,
				     .client = s->client_text,
				     .test = serve_test_name(s->test),
				     .ports = s->spec,
				     .nports = s->nports,
				     .engine = s->engine,
				     .sum = &s->sum,
				     .error = err ? s->error : NULL};
	log_rec(srv, &rec);

	pthread_mutex_lock(&srv->lock);
	srv->running--;
	pthread_cond_broadcast(&srv->idle);
	scan_unref_locked(srv, s);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

/*
 * Starts the threads of the scans the request threads accepted (the server's lock held): a
 * request thread may not start one itself, its threads inherit its seccomp filter and a scan
 * needs sockets. With stop set (the server stopping), or no thread to be had, the scan ends
 * with an error instead.
 */
static void launch_scans_locked(struct serve *srv, bool stop)
{
	struct serve_scan *s;

	while ((s = srv->launch) != NULL) {
		pthread_attr_t attr;
		pthread_t tid;
		bool started = false;

		srv->launch = s->launch_next;
		s->launch_next = NULL;
		if (!stop && !pthread_attr_init(&attr)) {
			pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
			started = !pthread_create(&tid, &attr, scan_thread, s);
			pthread_attr_destroy(&attr);
		}
		if (started)
			continue;
		pthread_mutex_lock(&s->lock);
		s->done = true;
		snprintf(s->error, sizeof(s->error), "%s",
			 stop ? "the server stopped before the scan began" : "no thread");
		views_wake_locked(s);
		pthread_mutex_unlock(&s->lock);
		serve_limits_done(&srv->limits, &s->client);
		srv->running--;
		scan_unref_locked(srv, s); /* the thread's: the table and the response keep it */
		pthread_cond_broadcast(&srv->idle);
	}
}

/*
 * Starts the scans the request threads accepted, and stops the ones nobody follows (the
 * visitor left, or never came to watch) or run too long.
 */
static void *reaper_thread(void *arg)
{
	struct serve *srv = arg;
	size_t i;

	pthread_mutex_lock(&srv->lock);
	while (!srv->stopping) {
		struct timespec ts;
		time_t now = time(NULL);

		launch_scans_locked(srv, false);

		for (i = 0; i < SERVE_KEEP_SCANS; i++) {
			struct serve_scan *s = srv->scans[i];

			if (!s)
				continue;
			pthread_mutex_lock(&s->lock);
			if (!s->done && ((s->live && !s->ever_viewed &&
					  now - s->started > SERVE_VIEW_GRACE_S) ||
					 now - s->started > (time_t)srv->o.scan_timeout_s))
				s->stop = 1;
			views_wake_locked(s); /* the tail of a burst, and heartbeats */
			pthread_mutex_unlock(&s->lock);
		}
		conns_cut_late(srv);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SERVE_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&srv->idle, &srv->lock, &ts);
	}
	launch_scans_locked(srv, true);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

/* ---- live views: the event stream and the streamed page ---- */

struct serve_view {
	struct serve *srv;
	struct serve_scan *scan;
	struct MHD_Connection *conn;
	bool sse;
	bool suspended;		  /* on scan->waiting (under the scan's lock) */
	struct serve_view *next;  /* on scan->waiting */
	uint32_t cursor;	  /* results sent */
	int phase;		  /* 0 intro, 1 results, 3 end */
	uint64_t next_beat_ms;	  /* when silence gets a heartbeat (or a progress line) */
	struct dynbuf out;	  /* text produced but not sent yet */
	size_t sent;
};

/* Resumes every view waiting for news (the scan's lock held). A view suspends only under this
 * lock and is resumed only from this list, so a resume never comes before its suspend. */
static void views_wake_locked(struct serve_scan *s)
{
	while (s->waiting) {
		struct serve_view *v = s->waiting;

		s->waiting = v->next;
		v->next = NULL;
		v->suspended = false;
		MHD_resume_connection(v->conn);
	}
}

static void view_attach(struct serve_scan *s)
{
	pthread_mutex_lock(&s->lock);
	s->viewers++;
	s->ever_viewed = true;
	pthread_mutex_unlock(&s->lock);
}

static void view_free(void *cls)
{
	struct serve_view *v = cls, **pp;
	struct serve_scan *s = v->scan;

	pthread_mutex_lock(&s->lock);
	for (pp = &s->waiting; *pp; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	/* The last viewer left before the end: the visitor is gone, so is the scan. */
	if (--s->viewers == 0 && !s->done)
		s->stop = 1;
	pthread_mutex_unlock(&s->lock);
	scan_unref(v->srv, s);
	dynbuf_release(&v->out);
	free(v);
}

static void sse_done(struct serve_view *v)
{
	struct serve_scan *s = v->scan;
	struct verdict vd;

	verdict_of(s->nopen, s->nclosed, s->nstealth, &vd);
	dynbuf_addf(&v->out,
		    "event: done\ndata: {\"verdict\":\"%s\",\"text\":\"%s\",\"open\":%" PRIu32
		    ",\"closed\":%" PRIu32 ",\"stealth\":%" PRIu32
		    ",\"interrupted\":%s,\"result\":\"/scan/%s\"}\n\n",
		    verdict_kind_name(vd.kind), vd.text, s->nopen, s->nclosed, s->nstealth,
		    s->sum.interrupted ? "true" : "false", s->id);
	if (s->ss) {
		/* The same object, with the TruStealth verdict (its text JSON-escaped). */
		json_t *ts = json_pack("{s:s,s:s}", "truestealth",
				       shieldsup_stealth_name(s->ssv.stealth), "truestealth_text",
				       s->ssv.text);
		char *j = ts ? json_dumps(ts, JSON_COMPACT) : NULL;

		if (j && v->out.len >= 3 && j[0] == '{') {
			v->out.len -= 3; /* "}\n\n" */
			dynbuf_addf(&v->out, ",%s\n\n", j + 1);
		}
		free(j);
		json_decref(ts);
	}
}

/* Fills v->out with what there is to say now, without waiting (the scan's lock held); false
 * when there is nothing yet. */
static bool view_produce(struct serve_view *v)
{
	static const char letter[] = {'?', 'o', 'c', 's'};
	struct serve_scan *s = v->scan;
	uint64_t now = now_ms();

	if (v->phase == 0) {
		if (v->sse)
			dynbuf_addf(&v->out, "retry: 60000\n\n");
		else if (!serve_page_head(&v->out, "Scanning"))
			serve_page_stream_intro(&v->out, s);
		v->phase = 1;
		v->next_beat_ms = now + SERVE_BEAT_MS;
		return true;
	}
	if (v->sse) {
		while (v->cursor < s->nresults && v->out.len < 16384) {
			uint16_t p = s->order[v->cursor++];

			dynbuf_addf(&v->out, "event: port\ndata: %u %c\n\n", p,
				    letter[s->state[p]]);
		}
	} else {
		v->cursor = s->nresults; /* the page shows progress, once a second */
	}
	if (s->done && v->cursor == s->nresults) {
		if (v->sse)
			sse_done(v);
		else if (!serve_page_result(&v->out, v->srv->o.kb, s))
			serve_page_foot(&v->out);
		v->phase = 3;
		return true;
	}
	if (!v->out.len && now >= v->next_beat_ms) {
		/* Something to write, news or not: a visitor who left makes the write fail. */
		if (v->sse)
			dynbuf_addf(&v->out, ": %" PRIu32 "/%" PRIu32 "\n\n", s->nresults,
				    s->nports);
		else
			dynbuf_addf(&v->out,
				    "<p class=\"prog\">%" PRIu32 " of %" PRIu32
				    " ports probed&hellip;</p>\n",
				    s->nresults, s->nports);
	}
	if (v->out.len)
		v->next_beat_ms = now + SERVE_BEAT_MS;
	return v->out.len > 0;
}

static ssize_t view_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct serve_view *v = cls;
	struct serve_scan *s = v->scan;
	size_t n;

	(void)pos;
	while (v->sent == v->out.len) {
		dynbuf_reset(&v->out);
		v->sent = 0;
		if (v->phase == 3)
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&s->lock);
		if (!view_produce(v)) {
			/* Nothing to say: give the pool thread back until there is. */
			v->suspended = true;
			v->next = s->waiting;
			s->waiting = v;
			MHD_suspend_connection(v->conn);
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
		pthread_mutex_unlock(&s->lock);
	}
	n = v->out.len - v->sent;
	if (n > max)
		n = max;
	memcpy(buf, v->out.data + v->sent, n);
	v->sent += n;
	return (ssize_t)n;
}

static enum MHD_Result send_view(struct serve *srv, struct MHD_Connection *c, struct serve_scan *s,
				 bool sse)
{
	struct serve_view *v = calloc(1, sizeof(*v));
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!v) {
		scan_unref(srv, s);
		return MHD_NO;
	}
	v->srv = srv;
	v->scan = s; /* the caller's reference is now the view's */
	v->conn = c;
	v->sse = sse;
	dynbuf_init(&v->out, SERVE_PAGE_MAX);
	view_attach(s);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, (size_t)32 * 1024, view_read, v,
					      view_free);
	if (!r) {
		view_free(v);
		return MHD_NO;
	}
	security_headers(r, sse ? "text/event-stream" : "text/html; charset=utf-8", false);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- pages ---- */

static enum MHD_Result page_consent(struct serve *srv, struct MHD_Connection *c,
				    const struct ps_addr *client)
{
	const char *session = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "psid");
	char fresh[SERVE_SESSION_LEN + 1], token[17], who[PS_ADDR_STRLEN], here[PS_ADDR_STRLEN];
	char cookie[128];
	uint8_t rnd[SERVE_SESSION_LEN / 2];
	const char *fill[4] = {NULL};
	size_t flen[3], total = srv->consent_len, from, i;
	struct dynbuf b;
	enum MHD_Result ret;
	bool new_session = !is_hex(session, SERVE_SESSION_LEN);

	if (new_session) {
		uint64_t n = srv->sessions++, h[2];

		/* Unpredictable without the key; the token is a MAC over it anyway. */
		h[0] = net_siphash24(&srv->session_key, &n, sizeof(n));
		n = ~n;
		h[1] = net_siphash24(&srv->session_key, &n, sizeof(n));
		memcpy(rnd, h, sizeof(rnd));
		hex(rnd, sizeof(rnd), fresh);
		session = fresh;
		snprintf(cookie, sizeof(cookie), "psid=%s; Path=/; HttpOnly; SameSite=Strict%s",
			 fresh, srv->o.tls_cert ? "; Secure" : "");
	}
	session_token(srv, session, client, token);
	ps_addr_format(client, who, sizeof(who));
	local_of(c, here, sizeof(here));
	fill[1] = who;
	fill[2] = here;
	fill[3] = token;
	for (i = 0; i < 3; i++) {
		flen[i] = strlen(fill[srv->consent_mark[i]]);
		total += flen[i];
	}
	dynbuf_init(&b, total);
	for (i = 0, from = 0; i < 3; i++) {
		dynbuf_add(&b, srv->consent + from, srv->consent_at[i] - from);
		dynbuf_add(&b, fill[srv->consent_mark[i]], flen[i]);
		from = srv->consent_at[i] + 1;
	}
	if (dynbuf_add(&b, srv->consent + from, srv->consent_len - from)) {
		dynbuf_release(&b);
		return MHD_NO;
	}
	ret = send_page(c, MHD_HTTP_OK, &b, new_session ? cookie : NULL);
	dynbuf_release(&b);
	return ret;
}

/* The consent page with its holes, once at start (see struct serve). */
static enum ps_err consent_build(struct serve *srv, struct ps_diag *diag)
{
	struct dynbuf b;
	size_t i, n = 0;

	dynbuf_init(&b, (size_t)256 * 1024);
	if (serve_page_consent(&b, &srv->o, "\001", "\002", "\003", srv->counts) ||
	    dynbuf_add(&b, "", 1)) {
		dynbuf_release(&b);
		return ps_fail(diag, PS_ERR_NOMEM, "serve: out of memory");
	}
	for (i = 0; i + 1 < b.len; i++)
		if (b.data[i] >= 1 && b.data[i] <= 3) {
			if (n == 3)
				break;
			srv->consent_at[n] = i;
			srv->consent_mark[n++] = (uint8_t)b.data[i];
		}
	if (n != 3 || i + 1 < b.len) {
		dynbuf_release(&b);
		return ps_fail(diag, PS_ERR_INVALID, "serve: the consent page lost a field");
	}
	srv->consent_len = b.len - 1;
	srv->consent = b.data; /* the buffer is ours now */
	return PS_OK;
}

static enum MHD_Result page_port(struct serve *srv, struct MHD_Connection *c, const char *text)
{
	struct dynbuf b;
	enum MHD_Result ret;
	uint16_t port;

	if (!text || !serve_port_parse(text, &port))
		return send_error(srv, c, MHD_HTTP_BAD_REQUEST, R_BAD_REQUEST,
				  "A port is a number from 1 to 65535.");
	dynbuf_init(&b, (size_t)256 * 1024);
	if (serve_page_port(&b, srv->o.kb, port)) {
		dynbuf_release(&b);
		return MHD_NO;
	}
	ret = send_page(c, MHD_HTTP_OK, &b, NULL);
	dynbuf_release(&b);
	return ret;
}

static enum MHD_Result page_scan(struct serve *srv, struct MHD_Connection *c,
				 const struct ps_addr *client, const char *rest)
{
	char id[SERVE_ID_LEN + 1];
	const char *sub = strchr(rest, '/');
	size_t idlen = sub ? (size_t)(sub - rest) : strlen(rest);
	struct serve_scan *s;
	struct dynbuf b;
	enum MHD_Result ret;

	if (idlen != SERVE_ID_LEN)
		return send_error(srv, c, MHD_HTTP_NOT_FOUND, -1, "No such scan.");
	memcpy(id, rest, idlen);
	id[idlen] = '\0';
	s = scan_find(srv, id, client);
	if (!s)
		return send_error(srv, c, MHD_HTTP_NOT_FOUND, -1,
				  "No such scan of yours (results are kept for a while, and only "
				  "for the address that was scanned).");
	if (sub && !strcmp(sub, "/events"))
		return send_view(srv, c, s, true);
	pthread_mutex_lock(&s->lock);
	bool done = s->done;
	pthread_mutex_unlock(&s->lock);
	if (sub && (!strcmp(sub, "/report.html") || !strcmp(sub, "/report.jsonl"))) {
		bool is_html = !strcmp(sub, "/report.html");
		const char *data = is_html ? s->html : s->jsonl;
		size_t len = is_html ? s->html_len : s->jsonl_len;

		if (!done || !data)
			ret = send_error(srv, c, MHD_HTTP_CONFLICT, -1,
					 "The report is ready when the scan ends.");
		else
			ret = send_buf(c, MHD_HTTP_OK,
				       is_html ? "text/html; charset=utf-8"
					       : "application/jsonl; charset=utf-8",
				       data, len, MHD_RESPMEM_MUST_COPY, NULL);
		scan_unref(srv, s);
		return ret;
	}
	if (sub) {
		scan_unref(srv, s);
		return send_error(srv, c, MHD_HTTP_NOT_FOUND, -1, "No such page.");
	}
	if (!done)
		return send_view(srv, c, s, false); /* the streamed page until it ends */
	dynbuf_init(&b, SERVE_PAGE_MAX);
	if (serve_page_head(&b, "Results") || serve_page_result(&b, srv->o.kb, s) ||
	    serve_page_foot(&b))
		ret = MHD_NO;
	else
		ret = send_page(c, MHD_HTTP_OK, &b, NULL);
	dynbuf_release(&b);
	scan_unref(srv, s);
	return ret;
}

/* The JSON the live view starts from: where to listen, and the grid to draw. */
static enum MHD_Result send_live(struct serve *srv, struct MHD_Connection *c, struct serve_scan *s)
{
	struct dynbuf b;
	uint32_t p = 0;
	bool first = true;
	enum ps_err err;
	enum MHD_Result ret;

	dynbuf_init(&b, 1 << 20);
	err = dynbuf_addf(&b,
			  "{\"id\":\"%s\",\"client\":\"%s\",\"total\":%" PRIu32
			  ",\"events\":\"/scan/%s/events\",\"result\":\"/scan/%s\",\"grid\":",
			  s->id, s->client_text, s->nports, s->id, s->id);
	if (!err && s->nports > SERVE_GRID_MAX)
		err = dynbuf_addf(&b, "null");
	else if (!err) {
		err = dynbuf_add(&b, "[", 1);
		while (!err && (p = portset_next(&s->ports, p)) != 0) {
			err = dynbuf_addf(&b, "%s%" PRIu32, first ? "" : ",", p);
			first = false;
		}
		if (!err)
			err = dynbuf_add(&b, "]", 1);
	}
	if (!err)
		err = dynbuf_add(&b, "}", 1);
	ret = err ? MHD_NO
		  : send_buf(c, MHD_HTTP_OK, "application/json", b.data, b.len,
			     MHD_RESPMEM_MUST_COPY, NULL);
	dynbuf_release(&b);
	scan_unref(srv, s);
	return ret;
}

static void log_refusal(struct serve *srv, const struct ps_addr *client, const char *test,
			const char *why)
{
	char who[PS_ADDR_STRLEN];
	struct serve_log_rec rec = {.when = time(NULL), .test = test, .refused = why};

	rec.client = ps_addr_format(client, who, sizeof(who));
	log_rec(srv, &rec);
}

static enum MHD_Result start_scan(struct serve *srv, struct MHD_Connection *c,
				  const struct ps_addr *client, const char *body, size_t len)
{
	const char *session = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "psid");
	const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	struct ps_diag diag = {{0}};
	struct serve_form f;
	struct serve_scan *s;
	char token[17], msg[PS_DIAG_MAX + 64];
	uint8_t rnd[SERVE_ID_LEN / 2];
	enum serve_refusal r;
	struct serve_scan **tail;

	if (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33))
		return send_error(srv, c, MHD_HTTP_BAD_REQUEST, R_BAD_REQUEST,
				  "A scan request is a form (application/x-www-form-urlencoded).");
	if (serve_form_parse(body, len, &f, &diag)) {
		log_refusal(srv, client, "-", "bad_request");
		return send_error(srv, c, MHD_HTTP_BAD_REQUEST, R_BAD_REQUEST, diag.msg);
	}
	if (!is_hex(session, SERVE_SESSION_LEN) ||
	    (session_token(srv, session, client, token), !same_token(f.token, token))) {
		log_refusal(srv, client, serve_test_name(f.test), "token");
		return send_error(srv, c, MHD_HTTP_FORBIDDEN, R_TOKEN,
				  "This request does not come from your consent page (or your "
				  "session expired): load the page again and press Proceed.");
	}
	uint32_t count = f.test == SERVE_TEST_PORT ? 1 : srv->counts[f.test];

	if (count > srv->o.max_ports) {
		log_refusal(srv, client, serve_test_name(f.test), "too_many_ports");
		snprintf(msg, sizeof(msg), "This server scans at most %" PRIu32 " ports at a time.",
			 srv->o.max_ports);
		return send_error(srv, c, MHD_HTTP_FORBIDDEN, R_TOO_MANY_PORTS, msg);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return MHD_NO;
	r = serve_limits_acquire(&srv->limits, client, time(NULL));
	if (r != SERVE_OK) {
		free(s);
		log_refusal(srv, client, serve_test_name(f.test), serve_refusal_name(r));
		if (r == SERVE_REFUSE_BUSY)
			return send_error(srv, c, MHD_HTTP_SERVICE_UNAVAILABLE, R_BUSY,
					  "The server is busy with other visitors: try again in a "
					  "minute.");
		return send_error(srv, c, MHD_HTTP_TOO_MANY_REQUESTS,
				  r == SERVE_REFUSE_ACTIVE ? R_ACTIVE : R_QUOTA,
				  r == SERVE_REFUSE_ACTIVE
				      ? "A scan of your address is already running."
				      : "Your address used its scans for this hour.");
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		goto fail_limits;
	hex(rnd, sizeof(rnd), s->id);
	s->client = *client;
	ps_addr_format(client, s->client_text, sizeof(s->client_text));
	local_of(c, s->server_text, sizeof(s->server_text));
	s->test = f.test;
	s->port = f.port;
	snprintf(s->spec, sizeof(s->spec), "%s", serve_test_spec(f.test, f.port, msg, sizeof(msg)));
	if (f.test == SERVE_TEST_PORT) {
		portset_clear(&s->ports);
		portset_add(&s->ports, f.port);
	} else {
		s->ports = srv->presets[f.test];
	}
	if (f.test == SERVE_TEST_SHIELDSUP) {
		s->ss = malloc(sizeof(*s->ss)); /* ~30 KB */
		if (!s->ss)
			goto fail_limits;
		shieldsup_result_init(s->ss, client, SHIELDSUP_SET_COMMON);
		snprintf(s->ss->ports_note, sizeof(s->ss->ports_note),
			 "port 0 not tested: portsight serve probes ports 1-65535 only");
	}
	s->nports = s->ports.count;
	s->started = time(NULL);
	s->live = f.live;
	s->srv = srv;
	s->refs = 1; /* the scan thread's */
	pthread_mutex_init(&s->lock, NULL);
	if (!scan_insert(srv, s)) {
		pthread_mutex_destroy(&s->lock);
		serve_limits_done(&srv->limits, client);
		free(s->ss);
		free(s);
		log_refusal(srv, client, serve_test_name(f.test), "busy");
		return send_error(srv, c, MHD_HTTP_SERVICE_UNAVAILABLE, R_BUSY,
				  "The server is busy with other visitors: try again in a minute.");
	}
	/* The reaper starts its thread (launch_scans_locked), at once. */
	pthread_mutex_lock(&srv->lock);
	s->refs++; /* the response's */
	srv->running++;
	for (tail = &srv->launch; *tail; tail = &(*tail)->launch_next)
		;
	*tail = s;
	pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
	srv->m.scans_started++;
	if (f.live)
		return send_live(srv, c, s);
	return send_view(srv, c, s, false);

fail_limits:
	serve_limits_done(&srv->limits, client);
	free(s->ss);
	free(s);
	return MHD_NO;
}

static enum MHD_Result page_metrics(struct serve *srv, struct MHD_Connection *c)
{
	struct dynbuf b;
	enum MHD_Result ret;
	size_t i;

	dynbuf_init(&b, 16384);
	dynbuf_addf(&b,
		    "# HELP portsight_serve_requests_total HTTP requests.\n"
		    "# TYPE portsight_serve_requests_total counter\n"
		    "portsight_serve_requests_total %" PRIu64 "\n"
		    "# TYPE portsight_serve_scans_started_total counter\n"
		    "portsight_serve_scans_started_total %" PRIu64 "\n"
		    "# TYPE portsight_serve_scans_finished_total counter\n"
		    "portsight_serve_scans_finished_total %" PRIu64 "\n"
		    "# TYPE portsight_serve_scans_interrupted_total counter\n"
		    "portsight_serve_scans_interrupted_total %" PRIu64 "\n"
		    "# TYPE portsight_serve_probes_total counter\n"
		    "portsight_serve_probes_total %" PRIu64 "\n"
		    "# HELP portsight_serve_deadline_cut_total connections cut off for a request "
		    "that did not arrive in time.\n"
		    "# TYPE portsight_serve_deadline_cut_total counter\n"
		    "portsight_serve_deadline_cut_total %" PRIu64 "\n"
		    "# TYPE portsight_serve_scans_running gauge\n"
		    "portsight_serve_scans_running %u\n"
		    "# TYPE portsight_serve_refusals_total counter\n",
		    (uint64_t)srv->m.requests, (uint64_t)srv->m.scans_started,
		    (uint64_t)srv->m.scans_finished, (uint64_t)srv->m.scans_interrupted,
		    (uint64_t)srv->m.probes, (uint64_t)srv->m.deadline_cut, srv->limits.active);
	for (i = 0; i < sizeof(refuse_names) / sizeof(refuse_names[0]); i++)
		dynbuf_addf(&b, "portsight_serve_refusals_total{reason=\"%s\"} %" PRIu64 "\n",
			    refuse_names[i], (uint64_t)srv->m.refused[i]);
	ret = send_buf(c, MHD_HTTP_OK, "text/plain; version=0.0.4", b.data, b.len,
		       MHD_RESPMEM_MUST_COPY, NULL);
	dynbuf_release(&b);
	return ret;
}

/* ---- connections: a deadline for each whole request ---- */

static void conn_arm(struct serve *srv, struct MHD_Connection *c, bool on)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_watch *w = ci ? ci->socket_context : NULL;

	if (w)
		w->deadline_ms = on ? now_ms() + (uint64_t)srv->o.request_timeout_s * 1000u : 0;
}

/* From accept to close: the request line, headers and body must all arrive within the
 * deadline, from the accept or from the end of the previous response on the connection. */
static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	struct serve *srv = cls;
	struct conn_watch *w = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		w = calloc(1, sizeof(*w));
		if (!w || !ci) {
			free(w);
			return; /* no deadline for it, but the idle timeout still holds */
		}
		w->fd = ci->connect_fd;
		w->deadline_ms = now_ms() + (uint64_t)srv->o.request_timeout_s * 1000u;
		pthread_mutex_lock(&srv->conns_lock);
		w->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = w;
		srv->conns = w;
		pthread_mutex_unlock(&srv->conns_lock);
		*socket_context = w;
		return;
	}
	if (!w)
		return;
	/* Closed: libmicrohttpd says so before it closes the socket, so the reaper never shuts
	 * down a number the kernel gave to another connection. */
	pthread_mutex_lock(&srv->conns_lock);
	if (w->prev)
		w->prev->next = w->next;
	else
		srv->conns = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&srv->conns_lock);
	free(w);
	*socket_context = NULL;
}

/* Past its deadline, a connection is shut down: its pool thread sees the end and closes it. */
static void conns_cut_late(struct serve *srv)
{
	uint64_t now = now_ms();
	struct conn_watch *w;

	pthread_mutex_lock(&srv->conns_lock);
	for (w = srv->conns; w; w = w->next) {
		uint64_t d = w->deadline_ms;

		if (d && now >= d) {
			w->deadline_ms = 0;
			shutdown(w->fd, SHUT_RDWR);
			srv->m.deadline_cut++;
		}
	}
	pthread_mutex_unlock(&srv->conns_lock);
}

/* ---- the request handler ---- */

struct request {
	struct dynbuf body;
	bool too_large;
};

extern const char serve_css_text[], serve_js_text[];
extern const size_t serve_css_len, serve_js_len;

static enum MHD_Result handle_get(struct serve *srv, struct MHD_Connection *c, const char *url,
				  const struct ps_addr *client)
{
	struct query_check q = {.allowed = !strcmp(url, "/port") ? "port" : NULL};

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_arg, &q);
	if (q.bad)
		return send_error(srv, c, MHD_HTTP_BAD_REQUEST, R_BAD_REQUEST,
				  "This server takes no parameters: it scans only the address "
				  "you connect from.");
	if (!strcmp(url, "/"))
		return page_consent(srv, c, client);
	if (!strcmp(url, "/static/serve.css"))
		return MHD_queue_response(c, MHD_HTTP_OK, srv->css);
	if (!strcmp(url, "/static/serve.js"))
		return MHD_queue_response(c, MHD_HTTP_OK, srv->js);
	if (!strcmp(url, "/port"))
		return page_port(srv, c, q.value);
	if (!strncmp(url, "/port/", 6))
		return page_port(srv, c, url + 6);
	if (!strncmp(url, "/scan/", 6))
		return page_scan(srv, c, client, url + 6);
	if (!strcmp(url, "/healthz"))
		return MHD_queue_response(c, MHD_HTTP_OK, srv->health);
	if (!strcmp(url, "/metrics"))
		return page_metrics(srv, c);
	return send_error(srv, c, MHD_HTTP_NOT_FOUND, -1, "No such page.");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **req_cls)
{
	struct serve *srv = cls;
	struct request *req = *req_cls;
	struct ps_diag diag = {{0}};
	struct ps_addr client;
	bool post = !strcmp(method, MHD_HTTP_METHOD_POST);

	(void)version;
	if (!req) {
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		dynbuf_init(&req->body, SERVE_BODY_MAX);
		*req_cls = req;
		srv->m.requests++;
		/* Answer from the next call, for a GET too: libmicrohttpd (0.9.75) closes the
		 * connection after a response queued from the first one (measured: every wrk
		 * request was a new connection). A POST's body comes in between. */
		return MHD_YES;
	}
	if (post && *upload_size) {
		if (dynbuf_add(&req->body, upload, *upload_size))
			req->too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}
	conn_arm(srv, c, false); /* the request is all here */
	if (client_of(srv, c, &client, &diag))
		return send_error(srv, c, MHD_HTTP_BAD_REQUEST, R_BAD_REQUEST,
				  "Cannot tell which address you connect from.");
	if (post) {
		struct query_check q = {0};

		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_arg, &q);
		if (strcmp(url, "/scan"))
			return send_error(srv, c, MHD_HTTP_NOT_FOUND, -1, "No such page.");
		if (q.bad)
			return send_error(srv, c, MHD_HTTP_BAD_REQUEST, R_BAD_REQUEST,
					  "This server takes no parameters: it scans only the "
					  "address you connect from.");
		if (req->too_large)
			return send_error(srv, c, MHD_HTTP_CONTENT_TOO_LARGE, R_BODY,
					  "Request body too large.");
		return start_scan(srv, c, &client, req->body.data ? req->body.data : "",
				  req->body.len);
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return send_error(srv, c, MHD_HTTP_METHOD_NOT_ALLOWED, R_BAD_REQUEST,
				  "Method not allowed.");
	return handle_get(srv, c, url, &client);
}

static void request_done(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *req = *req_cls;

	(void)toe;
	conn_arm(cls, c, true); /* the next request on this connection has its own deadline */
	if (!req)
		return;
	dynbuf_release(&req->body);
	free(req);
	*req_cls = NULL;
}

/* libmicrohttpd's own messages would go to stderr: a library does not print. */
static void mhd_quiet(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
}

/* ---- start and stop ---- */

enum ps_err serve_listen_parse(const char *text, struct ps_addr *addr, bool *any, uint16_t *port,
			       struct ps_diag *diag)
{
	const char *colon = strrchr(text, ':');
	char host[PS_ADDR_STRLEN + 2];
	size_t hlen;

	if (!colon || !serve_port_parse(colon + 1, port))
		return ps_fail(diag, PS_ERR_INVALID, "--listen \"%.64s\": want ADDR:PORT", text);
	hlen = (size_t)(colon - text);
	if (hlen >= 2 && text[0] == '[' && text[hlen - 1] == ']') {
		text++;
		hlen -= 2;
	}
	*any = hlen == 0;
	memset(addr, 0, sizeof(*addr));
	if (*any)
		return PS_OK;
	if (hlen >= sizeof(host))
		return ps_fail(diag, PS_ERR_INVALID, "--listen \"%.64s\": bad address", text);
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (ps_addr_parse(host, addr))
		return ps_fail(diag, PS_ERR_INVALID,
			       "--listen \"%.64s\": not an address (no names: say which one)",
			       text);
	return PS_OK;
}

static enum ps_err load_presets(struct serve *srv, struct ps_diag *diag)
{
	static const char *const specs[SERVE_TEST_COUNT] = {
	    [SERVE_TEST_COMMON] = "common",
	    [SERVE_TEST_SERVICE] = "service",
	    [SERVE_TEST_ALL] = "1-65535",
	    [SERVE_TEST_TROJANS] = "trojans",
	    [SERVE_TEST_SHIELDSUP] = "shieldsup-common",
	};
	int t;
	enum ps_err err;

	for (t = SERVE_TEST_COMMON; t < SERVE_TEST_COUNT; t++) {
		if (!specs[t]) {
			srv->counts[t] = 1;
			continue;
		}
		err = portset_parse(&srv->presets[t], specs[t], kb_preset, (void *)srv->o.kb, diag);
		if (err)
			return err;
		srv->counts[t] = srv->presets[t].count;
	}
	return PS_OK;
}

static struct MHD_Response *static_response(const char *ctype, const char *data, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);

	if (r)
		security_headers(r, ctype, true);
	return r;
}

static enum ps_err static_responses(struct serve *srv, struct ps_diag *diag)
{
	srv->css = static_response("text/css; charset=utf-8", serve_css_text, serve_css_len);
	srv->js = static_response("text/javascript; charset=utf-8", serve_js_text, serve_js_len);
	srv->health = static_response("text/plain", "ok\n", 3);
	if (!srv->css || !srv->js || !srv->health)
		return ps_fail(diag, PS_ERR_NOMEM, "serve: out of memory");
	return PS_OK;
}

/* The listening socket, made here: the threads that will accept on it may not make one. */
static enum ps_err listen_socket(struct serve *srv, const struct sockaddr_storage *ss, bool any,
				 struct ps_diag *diag)
{
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1,
	    zero = 0;

	if (fd < 0)
		return ps_fail(diag, PS_ERR_SYSTEM, "serve: socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, any ? &zero : &one, sizeof(int));
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, SOMAXCONN)) {
		int e = errno;

		close(fd);
		return ps_fail(diag, PS_ERR_SYSTEM, "serve: cannot listen on %s (%s)",
			       srv->o.listen, strerror(e));
	}
	srv->listen_fd = fd;
	return PS_OK;
}

struct http_start {
	struct serve *srv;
	unsigned flags;
	enum ps_err err;
	struct ps_diag diag;
};

/*
 * Confines itself (no capabilities, net_sandbox_enter_http_thread) and starts
 * libmicrohttpd, whose pool threads inherit both: every byte of every request is parsed
 * without privilege, under the allowlist. Then ends.
 */
static void *http_start_thread(void *arg)
{
	struct http_start *st = arg;
	struct serve *srv = st->srv;
	const struct serve_opts *opts = &srv->o;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	/* No capability (this thread's and its threads' only: the scans keep theirs), then
	 * the allowlist. */
	st->err = net_priv_drop(&st->diag);
	if (!st->err)
		st->err = net_sandbox_enter_http_thread(&st->diag);
	if (st->err)
		return NULL;
	srv->mhd = MHD_start_daemon(
	    st->flags, 0, NULL, NULL, handler, srv, MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
	    MHD_OPTION_CONNECTION_LIMIT, opts->max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    opts->per_ip_conns, MHD_OPTION_CONNECTION_TIMEOUT, opts->client_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVE_HEADER_POOL,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cores > 0 ? cores : 1),
	    MHD_OPTION_NOTIFY_CONNECTION, conn_notify, srv, MHD_OPTION_NOTIFY_COMPLETED,
	    request_done, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_quiet, srv,
	    opts->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, opts->tls_cert,
	    MHD_OPTION_HTTPS_MEM_KEY, opts->tls_key, MHD_OPTION_END);
	if (!srv->mhd)
		st->err = ps_fail(&st->diag, PS_ERR_SYSTEM, "serve: cannot serve on %s (%s)",
				  opts->listen,
				  errno ? strerror(errno) : "libmicrohttpd refused the options");
	return NULL;
}

enum ps_err serve_start(const struct serve_opts *opts, struct serve **out, struct ps_diag *diag)
{
	struct serve *srv = calloc(1, sizeof(*srv));
	struct sockaddr_storage ss;
	struct ps_addr addr = {0};
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
	struct http_start st = {0};
	pthread_t tid;
	uint16_t port = 0;
	bool any = false;
	enum ps_err err;

	*out = NULL;
	if (!srv)
		return PS_ERR_NOMEM;
	srv->o = *opts;
	srv->listen_fd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_mutex_init(&srv->conns_lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	if (!srv->o.request_timeout_s)
		srv->o.request_timeout_s = 30;
	err = serve_listen_parse(opts->listen, &addr, &any, &port, diag);
	if (err)
		goto fail;
	if (opts->ntrusted) {
		srv->trusted = calloc(opts->ntrusted, sizeof(*srv->trusted));
		if (!srv->trusted) {
			err = PS_ERR_NOMEM;
			goto fail;
		}
		memcpy(srv->trusted, opts->trusted, opts->ntrusted * sizeof(*srv->trusted));
	}
	if (!srv->o.max_scans || !srv->o.max_rate || !srv->o.max_ports) {
		err = ps_fail(diag, PS_ERR_RANGE, "serve: limits must be at least 1");
		goto fail;
	}
	err = serve_limits_init(&srv->limits, srv->o.max_scans, srv->o.quota, 4096);
	if (err) {
		err =
		    ps_fail(diag, err, "serve: quota must be 1-%d scans an hour", SERVE_QUOTA_MAX);
		goto fail;
	}
	err = load_presets(srv, diag);
	if (!err)
		err = consent_build(srv, diag);
	if (!err)
		err = static_responses(srv, diag);
	if (err)
		goto fail;
	if (getrandom(&srv->key, sizeof(srv->key), 0) != (ssize_t)sizeof(srv->key) ||
	    getrandom(&srv->session_key, sizeof(srv->session_key), 0) !=
		(ssize_t)sizeof(srv->session_key)) {
		err = ps_fail(diag, PS_ERR_SYSTEM, "serve: no random numbers");
		goto fail;
	}
	if (any) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		memset(&ss, 0, sizeof(ss));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		flags |= MHD_USE_DUAL_STACK;
	} else {
		ps_addr_to_sockaddr(&addr, port, &ss);
		if (addr.family == AF_INET6)
			flags |= MHD_USE_IPv6;
	}
	if (opts->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			err = ps_fail(diag, PS_ERR_UNSUPPORTED,
				      "serve: this libmicrohttpd has no TLS (GnuTLS)");
			goto fail;
		}
		flags |= MHD_USE_TLS;
	}
	/*
	 * Before any thread starts (they inherit it): no thread of the process, scans included,
	 * may exec, ptrace, change namespaces, mounts or modules (net/sandbox).
	 */
	if ((err = net_sandbox_deny_escapes(diag)))
		goto fail;
	if ((err = listen_socket(srv, &ss, any, diag)))
		goto fail;
	/* The reaper first: it starts the scans, which the request threads may not. */
	if (pthread_create(&srv->reaper, NULL, reaper_thread, srv)) {
		err = ps_fail(diag, PS_ERR_SYSTEM, "serve: no thread");
		goto fail;
	}
	srv->reaper_started = true;
	st.srv = srv;
	st.flags = flags;
	if (pthread_create(&tid, NULL, http_start_thread, &st)) {
		err = ps_fail(diag, PS_ERR_SYSTEM, "serve: no thread");
		goto fail;
	}
	pthread_join(tid, NULL);
	if (st.err) {
		*diag = st.diag;
		err = st.err;
		goto fail;
	}
	*out = srv;
	return PS_OK;
fail:
	serve_stop(srv);
	return err;
}

void serve_stop(struct serve *srv)
{
	size_t i;

	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	for (i = 0; i < SERVE_KEEP_SCANS; i++)
		if (srv->scans[i])
			srv->scans[i]->stop = 1;
	pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
	if (srv->reaper_started)
		pthread_join(srv->reaper, NULL);
	/* Views end once their scans do; then the daemon's threads can be joined. */
	pthread_mutex_lock(&srv->lock);
	while (srv->running) {
		launch_scans_locked(srv, true); /* accepted after the reaper ended */
		if (srv->running)
			pthread_cond_wait(&srv->idle, &srv->lock);
	}
	pthread_mutex_unlock(&srv->lock);
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd); /* closes the listening socket too */
	else if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	for (i = 0; i < SERVE_KEEP_SCANS; i++)
		if (srv->scans[i])
			scan_unref(srv, srv->scans[i]);
	serve_limits_release(&srv->limits);
	if (srv->css)
		MHD_destroy_response(srv->css);
	if (srv->js)
		MHD_destroy_response(srv->js);
	if (srv->health)
		MHD_destroy_response(srv->health);
	free(srv->consent);
	pthread_mutex_destroy(&srv->lock);
	pthread_mutex_destroy(&srv->conns_lock);
	pthread_cond_destroy(&srv->idle);
	free(srv->trusted);
	free(srv);
}
