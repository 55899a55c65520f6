/* SPDX-License-Identifier: MIT */
#include "verdict.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/textbuf.h"

/* OPEN > UNKNOWN > CLOSED > STEALTH > NONE: the view that matters most to the user. */
static int rank(enum audit_outside view)
{
	switch (view) {
	case AUDIT_OUTSIDE_OPEN:
		return 4;
	case AUDIT_OUTSIDE_UNKNOWN:
		return 3;
	case AUDIT_OUTSIDE_CLOSED:
		return 2;
	case AUDIT_OUTSIDE_STEALTH:
		return 1;
	case AUDIT_OUTSIDE_NONE:
		break;
	}
	return 0;
}

/*
 * Every (protocol, port) once, with the most exposed view over all its sockets (a daemon's v4
 * and v6 sockets are one port to the user). One pass: a report of 5000 sockets was quadratic.
 */
struct port_views {
	uint8_t worst[2][65536]; /* [udp][port]: rank of its most exposed view */
};

static int proto_slot(uint8_t proto)
{
	return proto == IPPROTO_UDP;
}

static struct port_views *port_views_new(const struct audit_report *r)
{
	struct port_views *pv = calloc(1, sizeof(*pv));
	size_t i;

	if (!pv)
		return NULL;
	for (i = 0; i < r->nsocks; i++) {
		const struct audit_socket *s = &r->socks[i];
		int slot = proto_slot(s->proto), k = rank(audit_outside_view(s));

		if (k > pv->worst[slot][s->port])
			pv->worst[slot][s->port] = (uint8_t)k;
	}
	return pv;
}

static const enum audit_outside by_rank[] = {AUDIT_OUTSIDE_NONE, AUDIT_OUTSIDE_STEALTH,
					       AUDIT_OUTSIDE_CLOSED, AUDIT_OUTSIDE_UNKNOWN,
					       AUDIT_OUTSIDE_OPEN};

/* Calls fn once per port, in socket order, with the port's view. */
typedef void (*port_fn)(void *ctx, const struct audit_socket *s, enum audit_outside view);

static void each_port(const struct audit_report *r, const struct port_views *pv, port_fn fn,
		      void *ctx)
{
	uint8_t *said = calloc(2, 65536);
	size_t i;

	if (!said)
		return;
	for (i = 0; i < r->nsocks; i++) {
		const struct audit_socket *s = &r->socks[i];
		int slot = proto_slot(s->proto);

		if (said[slot * 65536 + s->port])
			continue;
		said[slot * 65536 + s->port] = 1;
		fn(ctx, s, by_rank[pv->worst[slot][s->port]]);
	}
	free(said);
}

/* "tcp/22, tcp/80, ..." for the ports whose view is view, at most 8 named. */
struct name_ctx {
	enum audit_outside view;
	char *buf;
	size_t len;
	size_t named;
};

static void name_one(void *vctx, const struct audit_socket *s, enum audit_outside view)
{
	struct name_ctx *c = vctx;

	if (view != c->view || c->named > 8)
		return;
	if (c->named++ == 8) {
		text_appendf(c->buf, c->len, ", \u2026");
		return;
	}
	text_appendf(c->buf, c->len, "%s%s/%u", c->named > 1 ? ", " : "", audit_proto_name(s->proto),
	    s->port);
}

/* buf is written through c.buf by name_one; clang-tidy 14 does not follow it there. */
static void name_ports(const struct audit_report *r, const struct port_views *pv,
		       enum audit_outside view,
		       char *buf, /* NOLINT(readability-non-const-parameter) */
		       size_t len)
{
	struct name_ctx c = {view, buf, len, 0};

	each_port(r, pv, name_one, &c);
}

static void count_one(void *vctx, const struct audit_socket *s, enum audit_outside view)
{
	struct audit_verdict *v = vctx;

	(void)s;
	v->ports++;
	switch (view) {
	case AUDIT_OUTSIDE_OPEN:
		v->open++;
		break;
	case AUDIT_OUTSIDE_UNKNOWN:
		v->unknown++;
		break;
	case AUDIT_OUTSIDE_CLOSED:
		v->closed++;
		break;
	case AUDIT_OUTSIDE_STEALTH:
		v->stealth++;
		break;
	case AUDIT_OUTSIDE_NONE:
		v->loopback_only++;
		break;
	}
}

/* "; of 4 ports listening: 1 loopback-only, 1 Stealth, 1 Closed to other hosts" */
static void add_rest(const struct audit_verdict *v, char *buf, size_t len)
{
	const char *sep = "";

	if (v->ports == v->open + v->unknown)
		return;
	text_appendf(buf, len, "; of %zu port%s listening, ", v->ports, text_plural(v->ports));
	if (v->loopback_only) {
		text_appendf(buf, len, "%zu loopback-only", v->loopback_only);
		sep = ", ";
	}
	if (v->stealth) {
		text_appendf(buf, len, "%s%zu Stealth", sep, v->stealth);
		sep = ", ";
	}
	if (v->closed)
		text_appendf(buf, len, "%s%zu Closed", sep, v->closed);
	if (v->stealth || v->closed)
		text_appendf(buf, len, " to other hosts");
}

void audit_verdict_of(const struct audit_report *r, const char *why, struct audit_verdict *v)
{
	char ports[128] = "";
	struct port_views *pv;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (!r) {
		v->kind = AUDIT_VERDICT_UNKNOWN;
		snprintf(v->text, sizeof(v->text),
			 "UNKNOWN: the listening sockets could not be read%s%s%s", why ? " (" : "",
			 why ? why : "", why ? ")" : "");
		return;
	}
	pv = port_views_new(r);
	if (!pv) {
		v->kind = AUDIT_VERDICT_UNKNOWN;
		snprintf(v->text, sizeof(v->text), "UNKNOWN: out of memory");
		return;
	}
	for (i = 0; i < r->nsocks; i++)
		if (r->socks[i].warn && !audit_warning_repeats(r, i))
			v->warnings++;
	each_port(r, pv, count_one, v);
	if (v->open) {
		v->kind = AUDIT_VERDICT_EXPOSED;
		name_ports(r, pv, AUDIT_OUTSIDE_OPEN, ports, sizeof(ports));
		snprintf(v->text, sizeof(v->text),
			 "EXPOSED: %zu port%s reachable from other hosts (%s)", v->open,
			 text_plural(v->open), ports);
		if (v->unknown)
			text_appendf(v->text, sizeof(v->text), ", %zu more the firewall could not judge",
			    v->unknown);
	} else if (v->unknown) {
		v->kind = AUDIT_VERDICT_UNKNOWN;
		name_ports(r, pv, AUDIT_OUTSIDE_UNKNOWN, ports, sizeof(ports));
		snprintf(
		    v->text, sizeof(v->text),
		    "UNKNOWN: %zu port%s listen%s for other hosts (%s) and the firewall could not "
		    "be judged: %s",
		    v->unknown, text_plural(v->unknown), v->unknown == 1 ? "s" : "", ports,
		    r->fw_note[0] ? r->fw_note : "its ruleset was not read");
	} else if (v->ports) {
		v->kind = AUDIT_VERDICT_NOT_EXPOSED;
		snprintf(v->text, sizeof(v->text),
			 "NOT EXPOSED: no port is reachable from other hosts");
	} else {
		v->kind = AUDIT_VERDICT_NOT_EXPOSED;
		snprintf(v->text, sizeof(v->text), "NOT EXPOSED: nothing listens");
	}
	add_rest(v, v->text, sizeof(v->text));
	if (v->warnings)
		text_appendf(v->text, sizeof(v->text), "; %zu warning%s (above)", v->warnings,
		    text_plural(v->warnings));
	v->findings = v->open || v->warnings;
	free(pv);
}

const char *audit_verdict_name(enum audit_verdict_kind kind)
{
	switch (kind) {
	case AUDIT_VERDICT_EXPOSED:
		return "EXPOSED";
	case AUDIT_VERDICT_UNKNOWN:
		return "UNKNOWN";
	case AUDIT_VERDICT_NOT_EXPOSED:
		break;
	}
	return "NOT EXPOSED";
}
