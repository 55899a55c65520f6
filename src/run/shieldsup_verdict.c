/* SPDX-License-Identifier: MIT */
/*
 * The TruStealth verdict: a host passes only when nothing at all came back, from any port, the
 * UPnP and NetBIOS probes, or the ping. ShieldsUP's own rule judges the port grid and the ping
 * ("Ping reply: RECEIVED" fails a host whose ports are all stealth); an SSDP or NetBIOS reply
 * is an answer to a probe too, so it fails here as well. Pure: no I/O.
 */
#include <stdio.h>
#include <string.h>

#include "core/textbuf.h"
#include "shieldsup.h"

/* Solicited packets listed by name before "and N more". */
#define LISTED_MAX 8

static bool answered_any(enum shieldsup_answer a)
{
	return a == SHIELDSUP_ANSWERED || a == SHIELDSUP_REFUSED;
}

static bool port_answered(const struct shieldsup_port *p)
{
	struct port_result res = {.state = p->state, .reason = p->reason};

	return port_result_answered(&res);
}

const char *shieldsup_stealth_name(enum shieldsup_stealth s)
{
	switch (s) {
	case SHIELDSUP_STEALTH_PASSED:
		return "PASSED";
	case SHIELDSUP_STEALTH_FAILED:
		return "FAILED";
	case SHIELDSUP_STEALTH_UNKNOWN:
		break;
	}
	return "UNKNOWN";
}

const char *shieldsup_answer_name(enum shieldsup_answer a)
{
	switch (a) {
	case SHIELDSUP_SILENT:
		return "no reply";
	case SHIELDSUP_ANSWERED:
		return "answered";
	case SHIELDSUP_REFUSED:
		return "refused (ICMP error)";
	case SHIELDSUP_NOT_TESTED:
		break;
	}
	return "not tested";
}

/* "3 answered: 22/tcp open, 80/tcp closed, 1900/udp UPnP reply" or "none". */
static void solicited_text(const struct shieldsup_result *r, struct shieldsup_verdict *v)
{
	size_t listed = 0, total, i;
	char *b = v->solicited;
	size_t len = sizeof(v->solicited);

	total = v->answered + (v->upnp_answered ? 1 : 0) + (v->netbios_answered ? 1 : 0) +
		(v->ping_answered || r->ping.answer == SHIELDSUP_REFUSED ? 1 : 0);
	b[0] = '\0';
	if (!total) {
		snprintf(b, len, "none: nothing we sent drew an answer");
		return;
	}
	snprintf(b, len, "%zu answer%s:", total, text_plural(total));
	for (i = 0; i < r->nports; i++) {
		const struct shieldsup_port *p = &r->ports[i];

		if (!port_answered(p))
			continue;
		if (listed++ == LISTED_MAX)
			break;
		text_appendf(b, len, "%s %u/tcp %s", listed > 1 ? "," : "", p->port,
		    port_state_name((enum port_state)p->state));
		if (p->state == PORT_FILTERED)
			text_appendf(b, len, " (%s)", port_reason_name((enum port_reason)p->reason));
	}
	if (listed > LISTED_MAX)
		text_appendf(b, len, ", and %zu more port%s", v->answered - LISTED_MAX,
		    text_plural(v->answered - LISTED_MAX));
	if (v->upnp_answered)
		text_appendf(b, len, "%s 1900/udp %s", listed ? "," : "",
		    v->upnp_exposed ? "UPnP reply" : "ICMP error");
	listed += v->upnp_answered;
	if (v->netbios_answered)
		text_appendf(b, len, "%s 137/udp %s", listed ? "," : "",
		    r->netbios.answer == SHIELDSUP_ANSWERED ? "NetBIOS reply" : "ICMP error");
	listed += v->netbios_answered;
	if (answered_any(r->ping.answer))
		text_appendf(b, len, "%s ping %s", listed ? "," : "",
		    v->ping_answered ? "echo reply" : "ICMP error");
}

static void ping_text(const struct shieldsup_ping *p, struct shieldsup_verdict *v)
{
	switch (p->answer) {
	case SHIELDSUP_ANSWERED:
		snprintf(v->ping, sizeof(v->ping), "echo reply (%.2f ms)", p->rtt_us / 1000.0);
		break;
	case SHIELDSUP_SILENT:
		snprintf(v->ping, sizeof(v->ping), "no reply");
		break;
	case SHIELDSUP_REFUSED:
		snprintf(v->ping, sizeof(v->ping), "an ICMP error came back instead of a reply");
		break;
	case SHIELDSUP_NOT_TESTED:
		snprintf(v->ping, sizeof(v->ping), "not tested%s%.70s", p->note[0] ? ": " : "",
			 p->note);
		break;
	}
}

static void unsolicited_text(const struct shieldsup_unsolicited *u, struct shieldsup_verdict *v)
{
	if (!u->observed)
		v->unsolicited[0] = '\0';
	else if (!u->count)
		snprintf(v->unsolicited, sizeof(v->unsolicited),
			 "none: the host sent nothing we did not ask for");
	else
		snprintf(v->unsolicited, sizeof(v->unsolicited), "%llu packet%s (first: %.120s)",
			 (unsigned long long)u->count, text_plural((size_t)u->count), u->first);
}

/* Why TruStealth failed: every cause, in the order a user would fix them. */
static void failed_text(const struct shieldsup_result *r, struct shieldsup_verdict *v)
{
	char *t = v->text;
	size_t len = sizeof(v->text);
	const char *sep = "";

	snprintf(t, len, "TruStealth: FAILED: ");
	if (v->open) {
		text_appendf(t, len, "%zu port%s open", v->open, text_plural(v->open));
		sep = "; ";
	}
	if (v->answered - v->open) {
		text_appendf(t, len, "%s%zu port%s answered (closed or an ICMP error): the host is visible",
		    sep, v->answered - v->open, text_plural(v->answered - v->open));
		sep = "; ";
	}
	if (v->upnp_exposed) {
		text_appendf(t, len, "%sUPnP answered from the outside (SSDP on UDP 1900)", sep);
		sep = "; ";
	} else if (v->upnp_answered) {
		text_appendf(t, len, "%sUDP 1900 answered with an ICMP error", sep);
		sep = "; ";
	}
	if (r->netbios.answer == SHIELDSUP_ANSWERED) {
		text_appendf(t, len, "%sNetBIOS (UDP 137) answered", sep);
		sep = "; ";
	} else if (v->netbios_answered) {
		text_appendf(t, len, "%sUDP 137 answered with an ICMP error", sep);
		sep = "; ";
	}
	if (answered_any(r->ping.answer)) {
		text_appendf(t, len, "%s%sthe host answered a ping", sep,
		    !v->answered && !v->upnp_answered && !v->netbios_answered
			? "every port tested is stealth, but " : "");
		sep = "; ";
	}
	if (r->unsolicited.observed && r->unsolicited.count)
		text_appendf(t, len, "%sthe host sent %llu unsolicited packet%s", sep,
		    (unsigned long long)r->unsolicited.count,
		    text_plural((size_t)r->unsolicited.count));
}

void shieldsup_verdict_of(const struct shieldsup_result *r, struct shieldsup_verdict *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	v->tested = r->nports;
	for (i = 0; i < r->nports; i++) {
		const struct shieldsup_port *p = &r->ports[i];

		v->open += p->state == PORT_OPEN;
		v->closed += p->state == PORT_CLOSED;
		v->answered += port_answered(p);
	}
	v->upnp_exposed = r->upnp.answer == SHIELDSUP_ANSWERED;
	v->upnp_answered = answered_any(r->upnp.answer);
	v->netbios_answered = answered_any(r->netbios.answer);
	v->file_sharing = r->netbios.answer == SHIELDSUP_ANSWERED ||
			  shieldsup_port_state(r, 139) == PORT_OPEN ||
			  shieldsup_port_state(r, 445) == PORT_OPEN;
	v->ping_answered = r->ping.answer == SHIELDSUP_ANSWERED;
	solicited_text(r, v);
	ping_text(&r->ping, v);
	unsolicited_text(&r->unsolicited, v);

	if (v->answered || v->upnp_answered || v->netbios_answered ||
	    answered_any(r->ping.answer) || (r->unsolicited.observed && r->unsolicited.count)) {
		v->stealth = SHIELDSUP_STEALTH_FAILED;
		failed_text(r, v);
	} else if (!r->nports) {
		v->stealth = SHIELDSUP_STEALTH_UNKNOWN;
		snprintf(v->text, sizeof(v->text),
			 "TruStealth: UNKNOWN: nothing answered, but no port was tested");
	} else if (r->ping.answer == SHIELDSUP_NOT_TESTED) {
		v->stealth = SHIELDSUP_STEALTH_UNKNOWN;
		snprintf(v->text, sizeof(v->text),
			 "TruStealth: UNKNOWN: none of the %zu ports answered, but the ping could "
			 "not be tested (%.120s)",
			 r->nports, r->ping.note[0] ? r->ping.note : "no reason given");
	} else {
		v->stealth = SHIELDSUP_STEALTH_PASSED;
		snprintf(v->text, sizeof(v->text),
			 "TruStealth: PASSED: none of the %zu port%s answered%s, nor the ping: "
			 "nothing came back",
			 r->nports, text_plural(r->nports),
			 r->upnp.answer == SHIELDSUP_SILENT ? ", nor UPnP" : "");
	}
	v->findings = v->stealth == SHIELDSUP_STEALTH_FAILED;
}
