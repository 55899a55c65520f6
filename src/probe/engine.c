/* SPDX-License-Identifier: MIT */
/*
 * The identification engine: one epoll loop drives every open port at once. Each port is a
 * session; each probe is its own non-blocking connection (a probe the service did not expect
 * can leave it in a state where the next one means nothing, so connections are not reused).
 *
 * Per session: the NULL probe (connect and listen for a banner) first, a TLS handshake at the
 * same time on ports where TLS is likely, then the payload probes in order of likelihood, a
 * few connections at once. A hard match ends the session; a soft match narrows the remaining
 * probes to its service. A successful handshake restarts the sequence inside the tunnel.
 */
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/dynbuf.h"
#include "probe_internal.h"
#include "tls.h"

#define REPLY_MAX    16384u /* an endless banner stops here */
#define MS	     1000000ull
#define DEFAULT_WAIT 400u
#define DEFAULT_MAXW 3000u
#define DEFAULT_BUDG 10000u

enum conn_state { C_CONNECTING, C_HANDSHAKE, C_SENDING, C_READING };

struct session;

struct conn {
	int fd;
	SSL *ssl;
	struct session *sess;
	const struct pdb_probe *probe; /* NULL probe, handshake or payload probe */
	enum conn_state state;
	bool tunnel;   /* the probe runs inside TLS */
	bool matched;  /* a hard match is in: only lingering for the rest */
	unsigned rank; /* 0 for the banner and the handshake, then 1 + place in the plan */
	size_t sent;
	struct dynbuf reply;
	uint64_t start_ns; /* the probe went out (or the connect started) */
	uint64_t deadline_ns;
	uint32_t events; /* what epoll waits for now */
	struct conn *next_dead;
};

struct session {
	size_t idx;
	uint16_t port;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *hostname;
	uint64_t budget_ns;
	const struct pdb_probe **plan;
	size_t nplan;
	size_t next;
	unsigned active;
	bool started;
	bool done;
	bool tunnel; /* a handshake worked: later probes go inside TLS */
	bool tls_tried;
	bool null_done; /* the plain NULL probe finished: the plan may start */
	enum probe_match_kind kind;
	struct probe_match_result match;
	unsigned best_rank; /* of the hard match in match (kind == PROBE_MATCH_HARD) */
	struct service_info *out;
};

struct engine {
	const struct probe_opts *opts;
	const struct probe_db *db;
	struct probe_matcher *matcher; /* this run's match data: the db is shared, read-only */
	const struct pdb_probe *null_probe;
	const struct pdb_probe *handshake;
	SSL_CTX *ssl_ctx;
	int ep;
	struct conn **conns; /* every open connection, for timeouts */
	/*
	 * Closed connections are freed only after the epoll batch: a later event of the same
	 * batch may still name one, and a reused address would send it to a new connection.
	 */
	struct conn *dead;
	size_t nconns;
	size_t conns_cap;
	uint64_t
	    max_latency_ns; /* slowest first reply byte seen: the adaptive wait grows with it */
	uint64_t min_rtt_ns;
	size_t finished; /* sessions done, so the loop need not count them */
	struct probe_stats *stats;
};

/* ---- timing ---- */

static uint64_t wait_ns(const struct engine *e, const struct pdb_probe *probe)
{
	uint64_t base = (e->opts->wait_ms ? e->opts->wait_ms : DEFAULT_WAIT) * MS;
	uint64_t max = (e->opts->max_wait_ms ? e->opts->max_wait_ms : DEFAULT_MAXW) * MS;
	uint64_t w = base + 2 * e->max_latency_ns + 8 * e->min_rtt_ns;

	if (w > max)
		w = max;
	if (probe && probe->wait_ms && probe->wait_ms * MS < w)
		w = probe->wait_ms * MS;
	return w;
}

/* Once a reply has started, silence this long means it has ended. */
static uint64_t quiet_ns(const struct engine *e)
{
	return 120 * MS + 4 * e->min_rtt_ns;
}

/* ---- connections ---- */

static enum ps_err track(struct engine *e, struct conn *c)
{
	if (e->nconns == e->conns_cap) {
		size_t cap = e->conns_cap ? e->conns_cap * 2 : 256;
		struct conn **v = realloc(e->conns, cap * sizeof(*v));

		if (!v)
			return PS_ERR_NOMEM;
		e->conns = v;
		e->conns_cap = cap;
	}
	e->conns[e->nconns++] = c;
	return PS_OK;
}

static void conn_close(struct engine *e, struct conn *c)
{
	size_t i;

	for (i = 0; i < e->nconns; i++)
		if (e->conns[i] == c) {
			e->conns[i] = e->conns[--e->nconns];
			break;
		}
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->ssl = NULL;
	dynbuf_release(&c->reply);
	c->sess->active--;
	c->next_dead = e->dead;
	e->dead = c;
}

static void bury(struct engine *e)
{
	while (e->dead) {
		struct conn *c = e->dead;

		e->dead = c->next_dead;
		free(c);
	}
}

static void set_events(struct engine *e, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	if (c->events != events && !epoll_ctl(e->ep, EPOLL_CTL_MOD, c->fd, &ev))
		c->events = events;
}

static enum ps_err conn_open(struct engine *e, struct session *s, const struct pdb_probe *probe,
			     bool tunnel, unsigned rank)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev;
	enum ps_err err = PS_OK;

	if (!c)
		return PS_ERR_NOMEM;
	c->sess = s;
	c->rank = rank;
	c->probe = probe;
	c->tunnel = tunnel || probe == e->handshake;
	dynbuf_init(&c->reply, REPLY_MAX);
	s->active++;
	c->fd = socket(s->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (c->fd < 0) {
		err = errno == EMFILE || errno == ENFILE ? PS_ERR_TOO_LARGE : PS_ERR_SYSTEM;
		goto fail;
	}
	c->start_ns = ps_now_ns();
	c->deadline_ns = c->start_ns + wait_ns(e, probe) * 2;
	if (connect(c->fd, (struct sockaddr *)&s->ss, s->sslen) && errno != EINPROGRESS) {
		/* Refused now: the port closed since the scan; the session learns nothing here. */
		c->deadline_ns = c->start_ns;
	}
	c->state = C_CONNECTING;
	c->events = EPOLLOUT;
	ev.events = c->events;
	ev.data.ptr = c;
	if (epoll_ctl(e->ep, EPOLL_CTL_ADD, c->fd, &ev)) {
		err = PS_ERR_SYSTEM;
		goto fail;
	}
	if ((err = track(e, c)))
		goto fail_ep;
	e->stats->connections++;
	return PS_OK;
fail_ep:
	epoll_ctl(e->ep, EPOLL_CTL_DEL, c->fd, NULL);
fail:
	if (c->fd >= 0)
		close(c->fd);
	dynbuf_release(&c->reply);
	s->active--;
	free(c);
	return err;
}

/* ---- the plan: which probes, in which order ---- */

static bool probe_knows(const struct pdb_probe *p, const char *service)
{
	size_t i;

	for (i = 0; i < p->nmatches; i++)
		if (!p->matches[i].soft && !strcasecmp(p->matches[i].service, service))
			return true;
	return false;
}

static bool plan_wants(const struct engine *e, const struct session *s, const struct pdb_probe *p)
{
	if (p->proto != IPPROTO_TCP || p == e->null_probe || p->handshake || !p->payload_len)
		return false;
	if (s->kind == PROBE_MATCH_SOFT && !probe_knows(p, s->match.service))
		return false;
	return true;
}

static bool probe_for_port(const struct pdb_probe *p, uint16_t port, bool tunnel)
{
	return pdb_ports_has(tunnel ? &p->tls_ports : &p->ports, port) ||
	       (tunnel && pdb_ports_has(&p->ports, port));
}

/*
 * The probes registered for this port come first, then the rest up to the intensity, each
 * group by rarity. The handshake takes its place among them by its own rarity unless it runs
 * already. A stable selection sort: the database order breaks ties.
 */
static enum ps_err plan_build(struct engine *e, struct session *s)
{
	size_t n = e->db->nprobes, i, k = 0;
	unsigned intensity = e->opts->intensity ? e->opts->intensity : 7;
	unsigned pass, rarity;

	free(s->plan);
	s->plan = calloc(n + 1, sizeof(*s->plan));
	s->nplan = 0;
	s->next = 0;
	if (!s->plan)
		return PS_ERR_NOMEM;
	for (pass = 0; pass < 2; pass++)
		for (rarity = 0; rarity <= 9; rarity++)
			for (i = 0; i < n; i++) {
				const struct pdb_probe *p = &e->db->probes[i];
				bool mine = probe_for_port(p, s->port, s->tunnel);
				/* plan_wants skips handshakes; ours goes on fresh plain sessions */
				bool handshake = p == e->handshake && !s->tunnel && !s->tls_tried &&
						 s->kind == PROBE_MATCH_NONE;

				if (p->rarity != rarity || mine != (pass == 0))
					continue;
				if (pass == 1 && p->rarity > intensity)
					continue;
				if (handshake || plan_wants(e, s, p))
					s->plan[k++] = p;
			}
	s->nplan = k;
	return PS_OK;
}

/* ---- sessions ---- */

static void session_finish(struct engine *e, struct session *s)
{
	size_t i;

	if (!s->done)
		e->finished++;
	s->done = true;
	for (i = 0; i < e->nconns;) {
		if (e->conns[i]->sess == s)
			conn_close(e, e->conns[i]);
		else
			i++;
	}
}

static bool tls_likely(const struct engine *e, uint16_t port)
{
	size_t i;

	for (i = 0; i < e->db->nprobes; i++)
		if (pdb_ports_has(&e->db->probes[i].tls_ports, port) ||
		    (e->db->probes[i].handshake && pdb_ports_has(&e->db->probes[i].ports, port)))
			return true;
	return false;
}

static enum ps_err session_start(struct engine *e, struct session *s)
{
	enum ps_err err;

	s->started = true;
	s->budget_ns =
	    ps_now_ns() + (e->opts->port_budget_ms ? e->opts->port_budget_ms : DEFAULT_BUDG) * MS;
	if ((err = conn_open(e, s, e->null_probe, false, 0)))
		return err;
	if (e->handshake && tls_likely(e, s->port)) {
		s->tls_tried = true;
		err = conn_open(e, s, e->handshake, false, 0);
	}
	return err;
}

/*
 * Probes run a few at once, so a generic probe can answer before the one made for the port
 * (http-get's "-ERR" from Redis before redis-info's version). A hard match waits for the
 * connections that rank above it.
 */
static bool better_pending(const struct engine *e, const struct session *s)
{
	size_t i;

	for (i = 0; i < e->nconns; i++)
		if (e->conns[i]->sess == s && e->conns[i]->rank < s->best_rank)
			return true;
	return false;
}

/* Launches queued probes up to the per-port limit; finishes the session when none are left. */
static enum ps_err session_pump(struct engine *e, struct session *s)
{
	unsigned per_port = e->opts->probes_per_port ? e->opts->probes_per_port : 3;
	enum ps_err err;

	if (s->done)
		return PS_OK;
	if (ps_now_ns() >= s->budget_ns || (s->kind == PROBE_MATCH_HARD && !better_pending(e, s))) {
		session_finish(e, s);
		return PS_OK;
	}
	if (s->kind == PROBE_MATCH_HARD)
		return PS_OK;
	if (!s->null_done)
		return PS_OK;
	while (s->active < per_port && s->next < s->nplan) {
		const struct pdb_probe *p = s->plan[s->next++];

		if (p == e->handshake) {
			if (s->tls_tried || s->tunnel)
				continue;
			s->tls_tried = true;
		} else if (!plan_wants(e, s, p)) {
			continue; /* a soft match since the plan was made ruled it out */
		}
		if ((err = conn_open(e, s, p, s->tunnel && p != e->handshake, (unsigned)s->next)))
			return err;
	}
	if (!s->active && s->next >= s->nplan)
		session_finish(e, s);
	return PS_OK;
}

/* A reply is complete (or the connection failed): what did it say? */
static enum ps_err conn_done(struct engine *e, struct conn *c)
{
	struct session *s = c->sess;
	struct probe_match_result res;
	enum probe_match_kind kind = PROBE_MATCH_NONE;
	const char *name = c->probe ? c->probe->name : NULL;
	bool was_null = c->probe == e->null_probe && !c->tunnel;
	enum ps_err err = PS_OK;

	if (c->reply.len && !s->done) {
		struct service_http http;

		if (c->probe == e->handshake)
			name = NULL; /* the NULL probe inside the tunnel */
		kind = probe_db_match(e->db, e->matcher, name, c->reply.data, c->reply.len,
				      s->kind == PROBE_MATCH_SOFT ? s->match.service : NULL, &res);
		if (!s->out->http.status && !probe_http_parse(c->reply.data, c->reply.len, &http)) {
			s->out->http = http;
			s->out->flags |= SERVICE_FLAG_HTTP;
		}
		if (!c->tunnel && !s->tls_tried && e->handshake &&
		    probe_tls_sniff(c->reply.data, c->reply.len, NULL)) {
			/* It answered in TLS: put the handshake next. */
			s->tls_tried = true;
			err = conn_open(e, s, e->handshake, false, 0);
		}
	}
	conn_close(e, c);
	if (err)
		return err;
	if (s->done)
		return PS_OK;
	if (kind == PROBE_MATCH_HARD && (s->kind != PROBE_MATCH_HARD || c->rank < s->best_rank)) {
		s->kind = kind;
		s->match = res;
		s->best_rank = c->rank;
	}
	if (s->kind == PROBE_MATCH_HARD)
		return session_pump(e, s);
	if (kind == PROBE_MATCH_SOFT && s->kind == PROBE_MATCH_NONE) {
		s->kind = kind;
		s->match = res;
	}
	if (was_null) {
		s->null_done = true;
		if (!s->tunnel && (err = plan_build(e, s)))
			return err;
	}
	return session_pump(e, s);
}

/* The handshake worked: record the certificate, then listen inside the tunnel. */
static enum ps_err tunnel_open(struct engine *e, struct conn *c)
{
	struct session *s = c->sess;
	enum ps_err err;

	e->stats->tls_handshakes++;
	if (!s->tunnel) {
		probe_tls_session_fill(c->ssl, (int64_t)time(NULL), &s->out->tls, &s->out->flags);
		s->tunnel = true;
		/* Probes in the clear are pointless now; the soft match too (it said "ssl"). */
		if (s->kind == PROBE_MATCH_SOFT)
			s->kind = PROBE_MATCH_NONE;
		s->null_done = true;
		if ((err = plan_build(e, s)))
			return err;
	}
	c->state = C_READING;
	c->start_ns = ps_now_ns();
	c->deadline_ns = c->start_ns + wait_ns(e, e->null_probe);
	return PS_OK;
}

/* ---- I/O ---- */

static void note_first_byte(struct engine *e, struct conn *c)
{
	uint64_t now = ps_now_ns(), lat = now - c->start_ns;

	if (!c->reply.len && lat > e->max_latency_ns)
		e->max_latency_ns = lat;
	if (c->deadline_ns > now + quiet_ns(e))
		c->deadline_ns = now + quiet_ns(e);
}

/* After new bytes: a hard match means the reply is complete enough; linger briefly. */
static void check_early_match(struct engine *e, struct conn *c)
{
	struct probe_match_result res;
	const char *name = c->probe == e->handshake ? NULL : (c->probe ? c->probe->name : NULL);
	struct session *s = c->sess;
	uint64_t linger = 30 * MS + 2 * e->min_rtt_ns;

	if (c->matched)
		return;
	if (probe_db_match(e->db, e->matcher, name, c->reply.data, c->reply.len,
			   s->kind == PROBE_MATCH_SOFT ? s->match.service : NULL,
			   &res) == PROBE_MATCH_HARD) {
		c->matched = true;
		if (c->deadline_ns > ps_now_ns() + linger)
			c->deadline_ns = ps_now_ns() + linger;
	}
}

/* Reads what is there. Returns true when the reply is complete (EOF, error, cap). */
static bool conn_read(struct engine *e, struct conn *c)
{
	char buf[4096];
	bool got = false, end = false;

	for (;;) {
		size_t room = c->reply.max - c->reply.len;
		ssize_t n;

		if (!room) {
			end = true;
			break;
		}
		if (room > sizeof(buf))
			room = sizeof(buf);
		if (c->ssl) {
			int r = SSL_read(c->ssl, buf, (int)room);

			if (r <= 0) {
				int why = SSL_get_error(c->ssl, r);

				end = why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE;
				ERR_clear_error();
				break;
			}
			n = r;
		} else {
			n = recv(c->fd, buf, room, 0);
			if (n <= 0) {
				end = n == 0 || (errno != EAGAIN && errno != EINTR);
				break;
			}
		}
		note_first_byte(e, c);
		dynbuf_add(&c->reply, buf, (size_t)n);
		got = true;
	}
	if (got && !end)
		check_early_match(e, c);
	return end;
}

static bool conn_send(struct engine *e, struct conn *c)
{
	const struct pdb_probe *p = c->probe;

	while (p && c->sent < p->payload_len) {
		size_t left = p->payload_len - c->sent;
		ssize_t n;

		if (c->ssl) {
			int r = SSL_write(c->ssl, p->payload + c->sent, (int)left);

			if (r <= 0) {
				int why = SSL_get_error(c->ssl, r);

				ERR_clear_error();
				if (why == SSL_ERROR_WANT_WRITE || why == SSL_ERROR_WANT_READ)
					return false;
				return true;
			}
			n = r;
		} else {
			n = send(c->fd, p->payload + c->sent, left, MSG_NOSIGNAL);
			if (n < 0)
				return errno != EAGAIN && errno != EINTR;
		}
		c->sent += (size_t)n;
	}
	if (p && p->payload_len)
		e->stats->probes_sent++;
	c->state = C_READING;
	c->start_ns = ps_now_ns();
	c->deadline_ns = c->start_ns + wait_ns(e, p);
	set_events(e, c, EPOLLIN);
	return false;
}

/* Drives SSL_connect; true when the connection is finished (failed). */
static bool conn_handshake(struct engine *e, struct conn *c)
{
	int r = SSL_connect(c->ssl);
	int why;

	if (r == 1) {
		if (c->probe == e->handshake) {
			if (tunnel_open(e, c))
				return true;
			set_events(e, c, EPOLLIN);
			return false;
		}
		c->state = C_SENDING;
		return conn_send(e, c);
	}
	why = SSL_get_error(c->ssl, r);
	ERR_clear_error();
	if (why == SSL_ERROR_WANT_READ) {
		set_events(e, c, EPOLLIN);
		return false;
	}
	if (why == SSL_ERROR_WANT_WRITE) {
		set_events(e, c, EPOLLOUT);
		return false;
	}
	return true;
}

static bool conn_connected(struct engine *e, struct conn *c)
{
	struct session *s = c->sess;
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	uint64_t rtt;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr)
		return true;
	rtt = ps_now_ns() - c->start_ns;
	if (!e->min_rtt_ns || rtt < e->min_rtt_ns)
		e->min_rtt_ns = rtt;
	if (c->tunnel) {
		c->ssl = SSL_new(e->ssl_ctx);
		if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
			return true;
		if (s->hostname)
			SSL_set_tlsext_host_name(c->ssl, s->hostname);
		c->state = C_HANDSHAKE;
		c->start_ns = ps_now_ns();
		c->deadline_ns = c->start_ns + 2 * wait_ns(e, NULL);
		return conn_handshake(e, c);
	}
	c->state = C_SENDING;
	return conn_send(e, c);
}

static bool conn_event(struct engine *e, struct conn *c, uint32_t events)
{
	switch (c->state) {
	case C_CONNECTING:
		return conn_connected(e, c);
	case C_HANDSHAKE:
		return conn_handshake(e, c);
	case C_SENDING:
		return conn_send(e, c);
	case C_READING:
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			return conn_read(e, c);
		return false;
	}
	return true;
}

/* ---- results ---- */

static const char *const tls_names[][2] = {
    {"http", "https"}, {"imap", "imaps"}, {"pop3", "pop3s"}, {"smtp", "smtps"},
    {"ftp", "ftps"},   {"ldap", "ldaps"}, {"nntp", "nntps"}, {"irc", "ircs"},
};

static void tunnel_name(char *dst, size_t size, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(tls_names) / sizeof(tls_names[0]); i++)
		if (!strcasecmp(name, tls_names[i][0])) {
			snprintf(dst, size, "%s", tls_names[i][1]);
			return;
		}
	if (!strcasecmp(name, "ssl") || !strcasecmp(name, "tls"))
		snprintf(dst, size, "ssl");
	else
		snprintf(dst, size, "ssl/%.27s", name);
}

/* "nginx/1.24.0 (Debian)" -> product nginx, version 1.24.0, when no match line said more. */
static void product_from_server(struct service_info *svc)
{
	const char *srv = svc->http.server, *slash, *end;

	if (svc->product[0] || !srv[0])
		return;
	slash = strchr(srv, '/');
	if (!slash) {
		text_clean_mem(svc->product, sizeof(svc->product), srv, strlen(srv), TEXT_ASCII);
		return;
	}
	text_clean_mem(svc->product, sizeof(svc->product), srv, (size_t)(slash - srv), TEXT_ASCII);
	end = strchr(slash + 1, ' ');
	text_clean_mem(svc->version, sizeof(svc->version), slash + 1,
		       end ? (size_t)(end - slash - 1) : strlen(slash + 1), TEXT_ASCII);
}

static void session_result(struct engine *e, struct session *s, const struct port_result *res)
{
	struct service_info *svc = s->out;

	if (s->kind != PROBE_MATCH_NONE) {
		if (s->tunnel)
			tunnel_name(svc->name, sizeof(svc->name), s->match.service);
		else
			snprintf(svc->name, sizeof(svc->name), "%s", s->match.service);
		snprintf(svc->product, sizeof(svc->product), "%s", s->match.product);
		snprintf(svc->version, sizeof(svc->version), "%s", s->match.version);
		snprintf(svc->info, sizeof(svc->info), "%s", s->match.info);
		svc->confidence = SERVICE_MATCHED;
	} else if (s->tunnel) {
		snprintf(svc->name, sizeof(svc->name), "ssl");
		svc->confidence = SERVICE_MATCHED;
	}
	if (!strcmp(svc->name, "http") || !strcmp(svc->name, "https"))
		product_from_server(svc);
	probe_classify(e->db, e->opts->lore, res->port, res->proto, s->kind != PROBE_MATCH_NONE && s->match.backdoor, svc);
	if (svc->confidence == SERVICE_MATCHED)
		e->stats->matched++;
	else if (strcmp(svc->name, "unknown"))
		e->stats->guessed++;
	else
		e->stats->unknown++;
}

/* ---- the loop ---- */

static void expire(struct engine *e, uint64_t now, struct session *sessions, size_t nsess,
		   enum ps_err *err)
{
	size_t i;

	for (i = 0; i < e->nconns && !*err;) {
		struct conn *c = e->conns[i];

		if (now >= c->deadline_ns || now >= c->sess->budget_ns) {
			*err = conn_done(e, c);
			i = 0; /* conn_done reshuffles the array */
			continue;
		}
		i++;
	}
	for (i = 0; i < nsess && !*err; i++)
		if (sessions[i].started && !sessions[i].done && !sessions[i].active)
			*err = session_pump(e, &sessions[i]);
}

static int next_timeout_ms(const struct engine *e, uint64_t now)
{
	uint64_t next = now + 100 * MS;
	size_t i;

	for (i = 0; i < e->nconns; i++)
		if (e->conns[i]->deadline_ns < next)
			next = e->conns[i]->deadline_ns;
	return next <= now ? 0 : (int)((next - now + MS - 1) / MS);
}

static unsigned parallel_limit(const struct probe_opts *opts)
{
	unsigned per_port = opts->probes_per_port ? opts->probes_per_port : 3;
	unsigned want = opts->max_parallel ? opts->max_parallel : 512;
	struct rlimit rl;

	/* Each port holds up to per_port + 1 descriptors; keep 64 for everything else. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY) {
		rlim_t fit = rl.rlim_cur > 96 ? (rl.rlim_cur - 64) / (per_port + 1) : 8;

		if (want > fit)
			want = (unsigned)fit;
	}
	return want ? want : 1;
}

static enum ps_err run(struct engine *e, struct session *sessions, size_t nsess)
{
	struct epoll_event evs[256];
	unsigned limit = parallel_limit(e->opts);
	size_t started = 0, i;
	enum ps_err err = PS_OK;

	for (;;) {
		size_t running = started - e->finished;
		uint64_t now;
		int n;

		if (e->opts->stop && *e->opts->stop)
			return PS_ERR_INTERRUPTED;
		while (running < limit && started < nsess) {
			if ((err = session_start(e, &sessions[started++])))
				return err;
			running++;
		}
		if (!running && started == nsess)
			return PS_OK;
		n = epoll_wait(e->ep, evs, 256, next_timeout_ms(e, ps_now_ns()));
		if (n < 0 && errno != EINTR)
			return PS_ERR_SYSTEM;
		for (i = 0; i < (size_t)(n > 0 ? n : 0) && !err; i++) {
			struct conn *c = evs[i].data.ptr;
			size_t k;
			bool alive = false;

			/* An earlier event in this batch may have closed it (session finished). */
			for (k = 0; k < e->nconns && !alive; k++)
				alive = e->conns[k] == c;
			if (alive && conn_event(e, c, evs[i].events))
				err = conn_done(e, c);
		}
		now = ps_now_ns();
		if (!err)
			expire(e, now, sessions, started, &err);
		bury(e);
		if (err)
			return err;
	}
}

static enum ps_err engine_init(struct engine *e, const struct probe_opts *opts,
			       struct probe_stats *stats, struct ps_diag *diag)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	e->opts = opts;
	e->db = opts->db;
	e->stats = stats;
	e->ep = -1;
	e->null_probe = pdb_find_probe(e->db, "NULL");
	for (i = 0; i < e->db->nprobes; i++)
		if (e->db->probes[i].handshake && e->db->probes[i].proto == IPPROTO_TCP) {
			e->handshake = &e->db->probes[i];
			break;
		}
	if (probe_matcher_new(&e->matcher))
		return PS_ERR_NOMEM;
	e->ssl_ctx = probe_tls_ctx_new();
	if (!e->ssl_ctx)
		return ps_fail(diag, PS_ERR_SYSTEM, "OpenSSL: cannot create a TLS context");
	e->ep = epoll_create1(EPOLL_CLOEXEC);
	if (e->ep < 0)
		return ps_fail(diag, PS_ERR_SYSTEM, "epoll_create1: %s", strerror(errno));
	return PS_OK;
}

static void engine_release(struct engine *e)
{
	while (e->nconns)
		conn_close(e, e->conns[e->nconns - 1]);
	bury(e);
	free(e->conns);
	if (e->ep >= 0)
		close(e->ep);
	SSL_CTX_free(e->ssl_ctx);
	probe_matcher_free(e->matcher);
}

enum ps_err probe_identify(const struct probe_opts *opts, const struct port_result *ports,
			   struct service_info *out, size_t n, struct probe_stats *stats,
			   struct ps_diag *diag)
{
	struct probe_stats local;
	struct session *sessions = NULL;
	struct engine e;
	sigset_t pipe_set, old_set;
	size_t nsess = 0, i;
	enum ps_err err;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (!opts || !opts->db)
		return ps_fail(diag, PS_ERR_INVALID,
			       "service identification needs a probe database");
	memset(out, 0, n * sizeof(*out));
	/* OpenSSL writes with write(2): a peer that resets must not kill us with SIGPIPE. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	err = engine_init(&e, opts, stats, diag);
	if (err)
		goto out;
	sessions = calloc(n ? n : 1, sizeof(*sessions));
	if (!sessions) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct session *s = &sessions[nsess];

		if (ports[i].state != PORT_OPEN || ports[i].proto != IPPROTO_TCP || !e.null_probe)
			continue;
		s->idx = i;
		s->port = ports[i].port;
		s->sslen = ps_addr_to_sockaddr(&ports[i].addr, ports[i].port, &s->ss);
		s->hostname = ports[i].hostname;
		s->out = &out[i];
		nsess++;
	}
	err = run(&e, sessions, nsess);
	if (err && err != PS_ERR_INTERRUPTED)
		ps_fail(diag, err, "service identification: %s", ps_strerror(err));
	while (e.nconns)
		conn_close(&e, e.conns[e.nconns - 1]);
	for (i = 0; i < nsess; i++)
		session_result(&e, &sessions[i], &ports[sessions[i].idx]);
	/* Ports without a session (not open, not TCP) get the port number's guess. */
	for (i = 0; i < n; i++)
		if (!out[i].name[0])
			probe_classify(e.db, opts->lore, ports[i].port, ports[i].proto, false,
				       &out[i]);
	stats->max_wait_ms = (uint32_t)(wait_ns(&e, NULL) / MS);
out:
	for (i = 0; i < nsess; i++)
		free(sessions[i].plan);
	free(sessions);
	engine_release(&e);
	{
		/* Swallow a SIGPIPE that arrived while blocked, then restore the mask. */
		struct timespec zero = {0, 0};

		while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	return err;
}
