/* SPDX-License-Identifier: MIT */
#include "snapshot.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void snapshot_init(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

void snapshot_release(struct snapshot *s)
{
	free(s->ports);
	free(s->services);
	snapshot_init(s);
}

static enum ps_err grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *np;

	if (n < *cap)
		return PS_OK;
	c = *cap ? *cap * 2 : 64;
	np = realloc(*p, c * size);
	if (!np)
		return PS_ERR_NOMEM;
	*p = np;
	*cap = c;
	return PS_OK;
}

enum ps_err snapshot_add(struct snapshot *s, const struct ps_addr *addr, uint16_t port,
			 uint8_t proto, uint8_t state, const struct snap_service *svc)
{
	struct snap_port *p;
	enum ps_err err;

	if (s->nports >= SNAPSHOT_MAX_PORTS)
		return PS_ERR_TOO_LARGE;
	if ((err = grow((void **)&s->ports, &s->ports_cap, s->nports, sizeof(*s->ports))))
		return err;
	p = &s->ports[s->nports];
	memset(p, 0, sizeof(*p));
	p->addr = *addr;
	p->port = port;
	p->proto = proto;
	p->state = state;
	if (svc && (svc->name[0] || svc->product[0] || svc->version[0])) {
		if ((err = grow((void **)&s->services, &s->services_cap, s->nservices,
				sizeof(*s->services))))
			return err;
		s->services[s->nservices++] = *svc;
		p->service = (uint32_t)s->nservices;
	}
	s->nports++;
	return PS_OK;
}

static int parse_state(const char *text)
{
	int st;

	for (st = 0; st < PORT_STATE_COUNT; st++)
		if (!strcmp(text, port_state_name(st)))
			return st;
	return -1;
}

enum ps_err snapshot_add_text(struct snapshot *s, const char *addr, long long port,
			      const char *proto, const char *state, const struct snap_service *svc,
			      struct ps_diag *diag)
{
	struct snap_service clean = {0};
	struct ps_addr a;
	uint8_t pr;
	int st;

	if (!addr || ps_addr_parse(addr, &a))
		return ps_fail(diag, PS_ERR_INVALID, "bad address '%.64s'", addr ? addr : "");
	if (port < 1 || port > 65535)
		return ps_fail(diag, PS_ERR_INVALID, "bad port %lld", port);
	if (proto && !strcmp(proto, "tcp"))
		pr = IPPROTO_TCP;
	else if (proto && !strcmp(proto, "udp"))
		pr = IPPROTO_UDP;
	else
		return ps_fail(diag, PS_ERR_INVALID, "unsupported protocol '%.16s'",
			       proto ? proto : "");
	/* nmap's other combined state (closed|filtered) describes no answer: count it filtered. */
	st = state ? parse_state(state) : -1;
	if (st < 0 && state && strchr(state, '|'))
		st = PORT_FILTERED;
	if (st < 0)
		return ps_fail(diag, PS_ERR_INVALID, "bad port state '%.32s'", state ? state : "");
	if (svc) {
		/* Terminated copies: the caller's arrays may be full to the last byte. */
		snprintf(clean.name, sizeof(clean.name), "%.*s", (int)sizeof(svc->name) - 1,
			 svc->name);
		snprintf(clean.product, sizeof(clean.product), "%.*s",
			 (int)sizeof(svc->product) - 1, svc->product);
		snprintf(clean.version, sizeof(clean.version), "%.*s",
			 (int)sizeof(svc->version) - 1, svc->version);
		clean.probed = svc->probed != 0;
	}
	return snapshot_add(s, &a, (uint16_t)port, pr, (uint8_t)st, svc ? &clean : NULL);
}

const struct snap_service *snapshot_service(const struct snapshot *s, const struct snap_port *p)
{
	return p->service && p->service <= s->nservices ? &s->services[p->service - 1] : NULL;
}

const char *diff_kind_name(enum diff_kind kind)
{
	switch (kind) {
	case DIFF_OPENED:
		return "opened";
	case DIFF_CLOSED:
		return "closed";
	case DIFF_SERVICE:
		return "service";
	case DIFF_STATE:
		return "state";
	}
	return "unknown";
}

static int port_key_cmp(const struct snap_port *x, const struct snap_port *y)
{
	int c;

	/* IPv4 as one big-endian number: ps_addr_cmp's memcmp is most of sorting a /16. */
	if (x->addr.family == AF_INET && y->addr.family == AF_INET) {
		uint32_t a, b;

		memcpy(&a, x->addr.bytes, 4);
		memcpy(&b, y->addr.bytes, 4);
		a = ntohl(a);
		b = ntohl(b);
		c = (a > b) - (a < b);
	} else {
		c = ps_addr_cmp(&x->addr, &y->addr);
	}
	if (c)
		return c;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return (x->port > y->port) - (x->port < y->port);
}

/* Ties (a file listing one port twice) order open first, so the repeat that stays is open. */
static int port_qsort_cmp(const void *a, const void *b)
{
	const struct snap_port *x = a, *y = b;
	int c = port_key_cmp(x, y);

	if (c)
		return c;
	if (x->state != y->state)
		return x->state < y->state ? -1 : 1;
	return (x->service > y->service) - (x->service < y->service);
}

static void normalize(struct snapshot *s)
{
	size_t i, out = 0;

	if (!s->nports)
		return;
	/* A stored scan comes back host by host, each host's ports in order: sorted already
	 * when its hosts are (one pass to know; the sort of 10^6 ports is most of a diff). */
	for (i = 1; i < s->nports && port_qsort_cmp(&s->ports[i - 1], &s->ports[i]) <= 0; i++)
		;
	if (i < s->nports)
		qsort(s->ports, s->nports, sizeof(*s->ports), port_qsort_cmp);
	for (i = 0; i < s->nports; i++)
		if (!out || port_key_cmp(&s->ports[out - 1], &s->ports[i]))
			s->ports[out++] = s->ports[i];
	s->nports = out;
}

static int same_text(const char *a, const char *b)
{
	return !strcmp(a, b);
}

static int service_changed(const struct snap_service *a, const struct snap_service *b)
{
	static const struct snap_service none;

	if (!a)
		a = &none;
	if (!b)
		b = &none;
	if (a->probed && b->probed && !same_text(a->name, b->name))
		return 1;
	return !same_text(a->product, b->product) || !same_text(a->version, b->version);
}

static enum ps_err classify(struct snapshot *o, struct snapshot *n, const struct snap_port *op,
			    const struct snap_port *np, diff_fn fn, void *ctx, size_t *changes)
{
	struct diff_change c = {
	    .old_port = op,
	    .new_port = np,
	    .old_service = op ? snapshot_service(o, op) : NULL,
	    .new_service = np ? snapshot_service(n, np) : NULL,
	};
	int was_open = op && op->state == PORT_OPEN, is_open = np && np->state == PORT_OPEN;

	if (is_open && !was_open)
		c.kind = DIFF_OPENED;
	else if (was_open && !is_open)
		c.kind = DIFF_CLOSED;
	else if (was_open && is_open && service_changed(c.old_service, c.new_service))
		c.kind = DIFF_SERVICE;
	else if (op && np && op->state != np->state)
		c.kind = DIFF_STATE;
	else
		return PS_OK;
	(*changes)++;
	return fn(ctx, &c);
}

enum ps_err snapshot_diff(struct snapshot *old_snap, struct snapshot *new_snap, diff_fn fn,
			  void *ctx, size_t *changes)
{
	size_t i = 0, j = 0;
	enum ps_err err = PS_OK;

	*changes = 0;
	normalize(old_snap);
	normalize(new_snap);
	while (!err && (i < old_snap->nports || j < new_snap->nports)) {
		const struct snap_port *op = i < old_snap->nports ? &old_snap->ports[i] : NULL;
		const struct snap_port *np = j < new_snap->nports ? &new_snap->ports[j] : NULL;
		int c = !op ? 1 : !np ? -1 : port_key_cmp(op, np);

		if (c < 0) {
			np = NULL, i++;
			if (new_snap->absent_unscanned)
				continue;
		} else if (c > 0) {
			op = NULL, j++;
			if (old_snap->absent_unscanned)
				continue;
		} else {
			i++, j++;
		}
		err = classify(old_snap, new_snap, op, np, fn, ctx, changes);
	}
	return err;
}
