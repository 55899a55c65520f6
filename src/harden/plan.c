/* SPDX-License-Identifier: MIT */
/* The planner: which exposed ports to close, and the nft table that closes them. */
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dynbuf.h"
#include "harden.h"
#include "kb/kb.h"

void harden_opts_init(struct harden_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->keep_ssh = true;
	o->mode = HARDEN_DROP;
}

/* ---- port lists --------------------------------------------------------------------------- */

static enum ps_err add_range(struct harden_ports *out, uint8_t proto, unsigned long lo,
			     unsigned long hi, const char *name, struct ps_diag *diag)
{
	struct harden_range *r;

	if (out->n == HARDEN_RANGES_MAX)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "more than %d ports or ranges",
			       HARDEN_RANGES_MAX);
	r = &out->v[out->n++];
	r->proto = proto;
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	snprintf(r->name, sizeof(r->name), "%s", name);
	return PS_OK;
}

static bool parse_port(const char *s, const char **end, unsigned long *out)
{
	unsigned long v = 0;
	const char *p = s;

	while (isdigit((unsigned char)*p) && v <= 65535)
		v = v * 10 + (unsigned long)(*p++ - '0');
	*end = p;
	*out = v;
	return p != s && v >= 1 && v <= 65535 && !isdigit((unsigned char)*p);
}

static enum ps_err parse_item(const char *item, const struct kb *kb, struct harden_ports *out,
			      struct ps_diag *diag)
{
	char word[48];
	const char *slash = strchr(item, '/'), *end;
	uint8_t proto = 0;
	unsigned long lo, hi;
	size_t len = slash ? (size_t)(slash - item) : strlen(item);

	if (!len || len >= sizeof(word))
		return ps_fail(diag, PS_ERR_INVALID, "'%s' is not a port, range or service", item);
	memcpy(word, item, len);
	word[len] = '\0';
	if (slash) {
		if (!strcmp(slash + 1, "tcp"))
			proto = IPPROTO_TCP;
		else if (!strcmp(slash + 1, "udp"))
			proto = IPPROTO_UDP;
		else
			return ps_fail(diag, PS_ERR_INVALID, "'%s': the protocol is tcp or udp",
				       item);
	}
	if (isdigit((unsigned char)word[0])) {
		if (!parse_port(word, &end, &lo))
			return ps_fail(diag, PS_ERR_INVALID, "'%s': a port is 1-65535", item);
		hi = lo;
		if (*end == '-' && !parse_port(end + 1, &end, &hi))
			return ps_fail(diag, PS_ERR_INVALID, "'%s': a port is 1-65535", item);
		if (*end || hi < lo)
			return ps_fail(diag, PS_ERR_INVALID, "'%s' is not a port or range", item);
		return add_range(out, proto, lo, hi, item, diag);
	} else {
		const struct kb_entry *found[16];
		size_t n = kb ? kb_find_service(kb, word, found, 16) : 0, i, added = 0;
		enum ps_err err = PS_OK;

		for (i = 0; i < n && i < 16 && !err; i++) {
			if (proto && found[i]->proto != proto)
				continue;
			err = add_range(out, found[i]->proto, found[i]->port, found[i]->port, word,
					diag);
			added++;
		}
		if (!err && !added)
			err = ps_fail(diag, PS_ERR_INVALID,
				      "unknown service '%s' (give a port "
				      "number, e.g. 8080/tcp)",
				      item);
		return err;
	}
}

enum ps_err harden_ports_parse(const char *list, const struct kb *kb, struct harden_ports *out,
			       struct ps_diag *diag)
{
	const char *p = list;
	enum ps_err err = PS_OK;

	if (!*list)
		return ps_fail(diag, PS_ERR_INVALID, "an empty port list");
	while (!err) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char item[64];

		if (!len || len >= sizeof(item))
			return ps_fail(diag, PS_ERR_INVALID,
				       "'%.*s' is not a port, range or service",
				       (int)(len > 40 ? 40 : len), p);
		memcpy(item, p, len);
		item[len] = '\0';
		err = parse_item(item, kb, out, diag);
		if (!comma)
			break;
		p = comma + 1;
	}
	return err;
}

bool harden_ports_match(const struct harden_ports *p, uint8_t proto, uint16_t port,
			const char **name)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct harden_range *r = &p->v[i];

		if ((!r->proto || r->proto == proto) && port >= r->lo && port <= r->hi) {
			if (name)
				*name = r->name;
			return true;
		}
	}
	return false;
}

/* ---- the plan ----------------------------------------------------------------------------- */

static int cmp_item(const void *a, const void *b)
{
	const struct harden_item *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

static const char *owner(const struct audit_report *r, const struct audit_socket *s)
{
	return s->nprocs ? r->procs[s->procs[0]].comm : "";
}

/* Decides one port: the SSH session first (locking ourselves out is the one unrecoverable
 * mistake), then what the user said, then the ssh default. */
static void decide(struct harden_item *it, const struct harden_opts *o)
{
	const char *name = NULL;

	if (it->proto == IPPROTO_TCP && o->session_port && it->port == o->session_port) {
		it->close = false;
		snprintf(it->reason, sizeof(it->reason), "the SSH session in use (never closed)");
	} else if (harden_ports_match(&o->refuse, it->proto, it->port, &name)) {
		it->close = true;
		snprintf(it->reason, sizeof(it->reason), "refused (--refuse %s)", name);
	} else if (harden_ports_match(&o->allow, it->proto, it->port, &name)) {
		it->close = false;
		snprintf(it->reason, sizeof(it->reason), "allowed (--allow %s)", name);
	} else if (o->keep_ssh &&
		   ((it->proto == IPPROTO_TCP && it->port == 22) || !strcmp(it->program, "sshd"))) {
		it->close = false;
		snprintf(it->reason, sizeof(it->reason), "ssh is kept (--refuse ssh closes it)");
	} else {
		it->close = true;
		snprintf(it->reason, sizeof(it->reason), "not allowed");
	}
}

static enum ps_err add_item(struct harden_plan *p, size_t *cap, const struct audit_report *r,
			    const struct audit_socket *s)
{
	struct harden_item *it;
	size_t i;

	for (i = 0; i < p->n; i++) {
		it = &p->items[i];
		if (it->proto != s->proto || it->port != s->port)
			continue;
		/* Several sockets on one port (v4 and v6, one per address): the most exposed and
		 * the most permissive verdict speak for the port, as a scan would see it. */
		if (s->exposure < it->exposure)
			it->exposure = s->exposure;
		if (audit_outside_view(s) == AUDIT_OUTSIDE_OPEN ||
		    it->before == AUDIT_OUTSIDE_UNKNOWN)
			it->before = audit_outside_view(s);
		if (!it->program[0])
			snprintf(it->program, sizeof(it->program), "%s", owner(r, s));
		return PS_OK;
	}
	if (p->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct harden_item *v = reallocarray(p->items, ncap, sizeof(*v));

		if (!v)
			return PS_ERR_NOMEM;
		p->items = v;
		*cap = ncap;
	}
	it = &p->items[p->n++];
	memset(it, 0, sizeof(*it));
	it->proto = s->proto;
	it->port = s->port;
	it->exposure = s->exposure;
	it->before = audit_outside_view(s);
	snprintf(it->program, sizeof(it->program), "%s", owner(r, s));
	return PS_OK;
}

enum ps_err harden_plan_build(const struct audit_report *r, const struct harden_opts *o,
			      struct harden_plan *out, struct ps_diag *diag)
{
	enum ps_err err = PS_OK;
	size_t i, cap = 0;

	(void)diag;
	memset(out, 0, sizeof(*out));
	out->mode = o->mode;
	out->stealth_ping = o->stealth_ping;
	for (i = 0; i < r->nsocks && !err; i++)
		if (r->socks[i].exposure != AUDIT_EXPOSE_LOOPBACK)
			err = add_item(out, &cap, r, &r->socks[i]);
	if (err) {
		harden_plan_release(out);
		return err;
	}
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(*out->items), cmp_item);
	for (i = 0; i < out->n; i++) {
		struct harden_item *it = &out->items[i];

		decide(it, o);
		/* A drop in any base chain is final, so ours closes a port whatever the other
		 * tables say; what stays open keeps the view it has. */
		it->after = !it->close		     ? it->before
			    : o->mode == HARDEN_DROP ? AUDIT_OUTSIDE_STEALTH
						     : AUDIT_OUTSIDE_CLOSED;
		out->nclose += it->close;
		out->nchange += it->after != it->before;
	}
	return PS_OK;
}

void harden_plan_release(struct harden_plan *p)
{
	free(p->items);
	memset(p, 0, sizeof(*p));
}

/* ---- rendering ---------------------------------------------------------------------------- */

static enum ps_err render_ports(struct dynbuf *b, const struct harden_plan *p, uint8_t proto)
{
	const char *verdict = p->mode == HARDEN_DROP ? "drop"
			      : proto == IPPROTO_TCP ? "reject with tcp reset"
						     : "reject with icmpx type port-unreachable";
	enum ps_err err = PS_OK;
	size_t i, n = 0;

	for (i = 0; i < p->n && !err; i++) {
		if (p->items[i].proto != proto || !p->items[i].close)
			continue;
		if (!n)
			err = dynbuf_addf(b, "\t\t%s dport { %u",
					  proto == IPPROTO_TCP ? "tcp" : "udp", p->items[i].port);
		else
			err = dynbuf_addf(b, ", %u", p->items[i].port);
		n++;
	}
	if (n && !err)
		err = dynbuf_addf(b, " } %s\n", verdict);
	return err;
}

char *harden_render(const struct harden_plan *p)
{
	struct dynbuf b;
	enum ps_err err;

	dynbuf_init(&b, (size_t)16 * 1024 * 1024);
	/* Priority -10: before the usual filter chains, though any order would do (a drop is
	 * final in every base chain; our accepts only end our own chain). */
	err = dynbuf_addf(&b,
			  "table inet %s {\n"
			  "\tchain input {\n"
			  "\t\ttype filter hook input priority filter - 10; policy accept;\n"
			  "\t\tiif \"lo\" accept\n"
			  "\t\tct state established,related accept\n",
			  HARDEN_TABLE);
	if (!err)
		err = render_ports(&b, p, IPPROTO_TCP);
	if (!err)
		err = render_ports(&b, p, IPPROTO_UDP);
	if (!err && p->stealth_ping)
		err = dynbuf_addf(&b, "\t\ticmp type echo-request drop\n"
				      "\t\ticmpv6 type echo-request drop\n");
	if (!err)
		err = dynbuf_addf(&b, "\t}\n}\n");
	if (err || !b.data) {
		dynbuf_release(&b);
		return NULL;
	}
	return b.data; /* handed over: the caller frees it */
}
