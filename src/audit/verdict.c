/* SPDX-License-Identifier: MIT */
#include "verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

static bool seen_before(const struct audit_report *r, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (r->socks[k].proto == r->socks[i].proto && r->socks[k].port == r->socks[i].port)
			return true;
	return false;
}

/* The port of socket i as another host would see it, over all its sockets. */
static enum audit_outside port_view(const struct audit_report *r, size_t i)
{
	enum audit_outside worst = AUDIT_OUTSIDE_NONE;
	size_t k;

	for (k = i; k < r->nsocks; k++) {
		enum audit_outside view;

		if (r->socks[k].proto != r->socks[i].proto || r->socks[k].port != r->socks[i].port)
			continue;
		view = audit_outside_view(&r->socks[k]);
		if (rank(view) > rank(worst))
			worst = view;
	}
	return worst;
}

static void add(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* "tcp/22, tcp/80, ..." for the ports whose view is view, at most 8 named. */
static void name_ports(const struct audit_report *r, enum audit_outside view, char *buf, size_t len)
{
	size_t i, named = 0;

	for (i = 0; i < r->nsocks; i++) {
		if (seen_before(r, i) || port_view(r, i) != view)
			continue;
		if (named++ == 8) {
			add(buf, len, ", \u2026");
			return;
		}
		add(buf, len, "%s%s/%u", named > 1 ? ", " : "", audit_proto_name(r->socks[i].proto),
		    r->socks[i].port);
	}
}

/* "; of 4 ports listening: 1 loopback-only, 1 Stealth, 1 Closed to other hosts" */
static void add_rest(const struct audit_verdict *v, char *buf, size_t len)
{
	const char *sep = "";

	if (v->ports == v->open + v->unknown)
		return;
	add(buf, len, "; of %zu port%s listening, ", v->ports, plural(v->ports));
	if (v->loopback_only) {
		add(buf, len, "%zu loopback-only", v->loopback_only);
		sep = ", ";
	}
	if (v->stealth) {
		add(buf, len, "%s%zu Stealth", sep, v->stealth);
		sep = ", ";
	}
	if (v->closed)
		add(buf, len, "%s%zu Closed", sep, v->closed);
	if (v->stealth || v->closed)
		add(buf, len, " to other hosts");
}

void audit_verdict_of(const struct audit_report *r, const char *why, struct audit_verdict *v)
{
	char ports[128] = "";
	size_t i;

	memset(v, 0, sizeof(*v));
	if (!r) {
		v->kind = AUDIT_VERDICT_UNKNOWN;
		snprintf(v->text, sizeof(v->text),
			 "UNKNOWN: the listening sockets could not be read%s%s%s", why ? " (" : "",
			 why ? why : "", why ? ")" : "");
		return;
	}
	for (i = 0; i < r->nsocks; i++) {
		if (r->socks[i].warn && !audit_warning_repeats(r, i))
			v->warnings++;
		if (seen_before(r, i))
			continue;
		v->ports++;
		switch (port_view(r, i)) {
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
	if (v->open) {
		v->kind = AUDIT_VERDICT_EXPOSED;
		name_ports(r, AUDIT_OUTSIDE_OPEN, ports, sizeof(ports));
		snprintf(v->text, sizeof(v->text),
			 "EXPOSED: %zu port%s reachable from other hosts (%s)", v->open,
			 plural(v->open), ports);
		if (v->unknown)
			add(v->text, sizeof(v->text), ", %zu more the firewall could not judge",
			    v->unknown);
	} else if (v->unknown) {
		v->kind = AUDIT_VERDICT_UNKNOWN;
		name_ports(r, AUDIT_OUTSIDE_UNKNOWN, ports, sizeof(ports));
		snprintf(
		    v->text, sizeof(v->text),
		    "UNKNOWN: %zu port%s listen%s for other hosts (%s) and the firewall could not "
		    "be judged: %s",
		    v->unknown, plural(v->unknown), v->unknown == 1 ? "s" : "", ports,
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
		add(v->text, sizeof(v->text), "; %zu warning%s (above)", v->warnings,
		    plural(v->warnings));
	v->findings = v->open || v->warnings;
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
