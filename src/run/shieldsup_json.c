/* SPDX-License-Identifier: MIT */
/* The ShieldsUP result as one JSON object (a JSON Lines record beside the port lines). */
#include <jansson.h>
#include <netinet/in.h>

#include "shieldsup.h"

static const char *answer_key(enum shieldsup_answer a)
{
	switch (a) {
	case SHIELDSUP_SILENT:
		return "silent";
	case SHIELDSUP_ANSWERED:
		return "answered";
	case SHIELDSUP_REFUSED:
		return "icmp-error";
	case SHIELDSUP_NOT_TESTED:
		break;
	}
	return "not-tested";
}

/* Strings here were cleaned (text_clean) when they were read; jansson checks UTF-8 again. */
static void set_str(json_t *o, const char *key, const char *s)
{
	if (s && s[0])
		json_object_set_new(o, key, json_string(s));
}

static json_t *upnp_json(const struct shieldsup_upnp *u, const struct shieldsup_verdict *v)
{
	json_t *o = json_object(), *h = json_array();
	size_t i;

	if (!o || !h) {
		json_decref(o);
		json_decref(h);
		return NULL;
	}
	json_object_set_new(o, "answer", json_string(answer_key(u->answer)));
	json_object_set_new(o, "exposed", json_boolean(v->upnp_exposed));
	json_object_set_new(o, "msearch_sent", json_integer(u->sent));
	if (u->answer == SHIELDSUP_ANSWERED) {
		json_object_set_new(o, "reply_ms", json_integer(u->reply_ms));
		json_object_set_new(o, "reply_port", json_integer(u->reply_port));
		json_object_set_new(o, "reply_bytes", json_integer((json_int_t)u->reply_len));
		set_str(o, "status", u->status);
		for (i = 0; i < u->nheaders; i++)
			json_array_append_new(h, json_string(u->headers[i]));
		if (u->headers_cut)
			json_object_set_new(o, "headers_cut", json_integer((json_int_t)u->headers_cut));
	}
	json_object_set_new(o, "headers", h);
	set_str(o, "note", u->note);
	return o;
}

static json_t *state_json(const struct shieldsup_result *r, uint16_t port)
{
	enum port_state st = shieldsup_port_state(r, port);

	return st == PORT_STATE_COUNT ? json_null() : json_string(port_state_name(st));
}

static json_t *sharing_json(const struct shieldsup_result *r, const struct shieldsup_verdict *v)
{
	json_t *o = json_object(), *nb = json_object();

	if (!o || !nb) {
		json_decref(o);
		json_decref(nb);
		return NULL;
	}
	json_object_set_new(o, "reachable", json_boolean(v->file_sharing));
	json_object_set_new(o, "tcp_139", state_json(r, 139));
	json_object_set_new(o, "tcp_445", state_json(r, 445));
	json_object_set_new(nb, "answer", json_string(answer_key(r->netbios.answer)));
	json_object_set_new(nb, "sent", json_integer(r->netbios.sent));
	set_str(nb, "names", r->netbios.names);
	set_str(nb, "note", r->netbios.note);
	json_object_set_new(o, "netbios_137", nb);
	return o;
}

static json_t *ports_json(const struct shieldsup_result *r, const struct shieldsup_verdict *v)
{
	json_t *o = json_object(), *answered = json_array();
	size_t i;

	if (!o || !answered) {
		json_decref(o);
		json_decref(answered);
		return NULL;
	}
	json_object_set_new(o, "set", json_string(shieldsup_set_name(r->set)));
	json_object_set_new(o, "tested", json_integer((json_int_t)v->tested));
	json_object_set_new(o, "open", json_integer((json_int_t)v->open));
	json_object_set_new(o, "closed", json_integer((json_int_t)v->closed));
	json_object_set_new(o, "stealth", json_integer((json_int_t)(v->tested - v->answered)));
	json_object_set_new(o, "port0_tested", json_boolean(r->port0_tested));
	set_str(o, "note", r->ports_note);
	for (i = 0; i < r->nports; i++) {
		const struct shieldsup_port *p = &r->ports[i];
		struct port_result res = {.state = p->state, .reason = p->reason};

		if (port_result_answered(&res))
			json_array_append_new(
			    answered, json_pack("{si ss ss}", "port", p->port, "state",
						port_state_name((enum port_state)p->state), "reason",
						port_reason_name((enum port_reason)p->reason)));
	}
	json_object_set_new(o, "answered", answered);
	return o;
}

static json_t *ping_json(const struct shieldsup_ping *p)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "answer", json_string(answer_key(p->answer)));
	if (p->answer == SHIELDSUP_ANSWERED)
		json_object_set_new(o, "rtt_ms", json_real(p->rtt_us / 1000.0));
	set_str(o, "note", p->note);
	return o;
}

static json_t *unsolicited_json(const struct shieldsup_unsolicited *u)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "observed", json_boolean(u->observed));
	if (u->observed) {
		json_object_set_new(o, "count", json_integer((json_int_t)u->count));
		set_str(o, "first", u->first);
	} else {
		set_str(o, "note", u->note);
	}
	return o;
}

json_t *shieldsup_json(const struct shieldsup_result *r, const struct shieldsup_verdict *v)
{
	char addr[PS_ADDR_STRLEN];
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "target", json_string(ps_addr_format(&r->target, addr,
								      sizeof(addr))));
	json_object_set_new(o, "upnp", upnp_json(&r->upnp, v));
	json_object_set_new(o, "file_sharing", sharing_json(r, v));
	json_object_set_new(o, "ports", ports_json(r, v));
	json_object_set_new(o, "ping", ping_json(&r->ping));
	json_object_set_new(o, "unsolicited", unsolicited_json(&r->unsolicited));
	json_object_set_new(o, "solicited", json_string(v->solicited));
	json_object_set_new(o, "truestealth", json_string(shieldsup_stealth_name(v->stealth)));
	json_object_set_new(o, "verdict", json_string(v->text));
	return o;
}
