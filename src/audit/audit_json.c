/* SPDX-License-Identifier: MIT */
#include "audit_json.h"

#include <stdlib.h>

#include "advice.h"
#include "core/textclean.h"

/*
 * Members are added through these helpers, which remember a failure instead of returning it,
 * so a builder reads as the record it makes; the caller checks once at the end.
 */
struct jobj {
	json_t *o;
	bool failed;
};

static void put(struct jobj *j, const char *key, json_t *v)
{
	/* json_object_set_new() takes v even when it fails, and fails on v == NULL. */
	if (json_object_set_new(j->o, key, v))
		j->failed = true;
}

/* A string from outside, as valid UTF-8; NULL (JSON null) for NULL. */
static json_t *text_json(const char *s)
{
	char *clean;
	json_t *v;

	if (!s)
		return json_null();
	clean = text_clean_dup(s, TEXT_UTF8);
	if (!clean)
		return NULL;
	v = json_string(clean);
	free(clean);
	return v;
}

static void put_str(struct jobj *j, const char *key, const char *s)
{
	put(j, key, text_json(s));
}

/* An empty string means "none" in our structs: null in JSON. */
static void put_str_or_null(struct jobj *j, const char *key, const char *s)
{
	put(j, key, text_json(s && s[0] ? s : NULL));
}

static void put_uint(struct jobj *j, const char *key, unsigned long long v)
{
	put(j, key, json_integer((json_int_t)v));
}

static void put_bool(struct jobj *j, const char *key, bool v)
{
	put(j, key, json_boolean(v));
}

static json_t *finish(struct jobj *j)
{
	if (j->failed) {
		json_decref(j->o);
		return NULL;
	}
	return j->o;
}

static void append(json_t *a, json_t *v, bool *failed)
{
	if (json_array_append_new(a, v))
		*failed = true;
}

static bool start(struct jobj *j)
{
	j->o = json_object();
	j->failed = false;
	return j->o != NULL;
}

static json_t *proc_json(const struct audit_proc *p)
{
	struct jobj j;

	if (!start(&j))
		return NULL;
	put_uint(&j, "pid", (unsigned long long)p->pid);
	put_str(&j, "name", p->comm);
	put_str(&j, "cmdline", p->cmdline);
	put_str(&j, "exe", p->exe);
	put_str(&j, "unit", p->unit);
	return finish(&j);
}

static json_t *warnings_json(unsigned warn, bool *failed)
{
	json_t *a = json_array();

	if (!a) {
		*failed = true;
		return NULL;
	}
	if (warn & AUDIT_WARN_TROJAN)
		append(a, json_string("trojan-port"), failed);
	if (warn & AUDIT_WARN_UNEXPECTED)
		append(a, json_string("unexpected-program"), failed);
	if (warn & AUDIT_WARN_ADHOC)
		append(a, json_string("ad-hoc-listener"), failed);
	return a;
}

static json_t *advice_json(const struct audit_report *r, const struct audit_socket *s, bool *failed)
{
	struct audit_advice adv[AUDIT_ADVICE_MAX];
	size_t k, n = audit_advise(r, s, adv);
	json_t *a = json_array();

	if (!a) {
		*failed = true;
		return NULL;
	}
	for (k = 0; k < n; k++) {
		struct jobj j;

		if (!start(&j)) {
			*failed = true;
			break;
		}
		put_str(&j, "kind", audit_advice_kind_name(adv[k].kind));
		put_str(&j, "text", adv[k].text);
		put_str_or_null(&j, "command", adv[k].command);
		append(a, finish(&j), failed);
	}
	return a;
}

void audit_json_cache_init(struct audit_json_cache *c)
{
	c->procs = NULL;
	c->nprocs = 0;
}

void audit_json_cache_release(struct audit_json_cache *c)
{
	size_t i;

	for (i = 0; i < c->nprocs; i++)
		json_decref(c->procs[i]);
	free(c->procs);
	audit_json_cache_init(c);
}

/* Process k of r as JSON, built once when a cache is given; a new reference either way. */
static json_t *proc_ref(struct audit_json_cache *c, const struct audit_report *r, size_t k)
{
	if (!c)
		return proc_json(&r->procs[k]);
	if (!c->procs) {
		c->procs = calloc(r->nprocs ? r->nprocs : 1, sizeof(*c->procs));
		if (!c->procs)
			return NULL;
		c->nprocs = r->nprocs;
	}
	if (k >= c->nprocs)
		return proc_json(&r->procs[k]);
	if (!c->procs[k])
		c->procs[k] = proc_json(&r->procs[k]);
	return c->procs[k] ? json_incref(c->procs[k]) : NULL;
}

json_t *audit_socket_json(const struct audit_report *r, const struct audit_socket *s, bool advice)
{
	return audit_socket_json_cached(NULL, r, s, advice);
}

json_t *audit_socket_json_cached(struct audit_json_cache *c, const struct audit_report *r,
				 const struct audit_socket *s, bool advice)
{
	struct jobj j;
	char addr[PS_ADDR_STRLEN];
	json_t *procs;
	size_t k;

	if (!start(&j))
		return NULL;
	ps_addr_format(&s->addr, addr, sizeof(addr));
	put_str(&j, "type", "socket");
	put_str(&j, "proto", audit_proto_name(s->proto));
	put_str(&j, "address", addr);
	put_uint(&j, "port", s->port);
	put_str(&j, "state", audit_state_name(s->state));
	put_str(&j, "exposure", audit_exposure_name(s->exposure));
	put_bool(&j, "accepts_ipv4", s->accepts_v4);
	put_bool(&j, "accepts_ipv6", s->accepts_v6);
	put(&j, "v6only", s->v6only < 0 ? json_null() : json_boolean(s->v6only));
	put_uint(&j, "ifindex", s->ifindex);
	put_str_or_null(&j, "device", s->device);
	put_uint(&j, "uid", s->uid);
	put_str_or_null(&j, "user", s->user);
	put_uint(&j, "inode", s->inode);
	put_uint(&j, "netns", r->netns_ino);
	put_str(&j, "firewall", audit_fw_verdict_name(s->fw));
	put_str(&j, "firewall_ipv4", audit_fw_verdict_name(s->fw_v4));
	put_str(&j, "firewall_ipv6", audit_fw_verdict_name(s->fw_v6));
	put_str_or_null(&j, "firewall_why", s->fw_why);
	put_str_or_null(&j, "service", s->service);
	put(&j, "warnings", warnings_json(s->warn, &j.failed));
	put_str_or_null(&j, "warning", s->warn_text);
	/* A warning this port may deserve could not be judged: its owner is not visible. */
	put_bool(&j, "owner_not_visible", s->owner_unseen);
	procs = json_array();
	for (k = 0; procs && k < s->nprocs; k++)
		append(procs, proc_ref(c, r, s->procs[k]), &j.failed);
	put(&j, "processes", procs);
	if (advice)
		put(&j, "advice", advice_json(r, s, &j.failed));
	return finish(&j);
}

json_t *audit_summary_json(const struct audit_report *r, const char *netns_name)
{
	struct jobj j;

	if (!start(&j))
		return NULL;
	put_str(&j, "type", "summary");
	put_uint(&j, "sockets", r->nsocks);
	put_uint(&j, "unowned", r->nsocks_unowned);
	put_uint(&j, "procs_fd_denied", r->nprocs_fd_denied);
	put_uint(&j, "procs_vanished", r->nprocs_vanished);
	put_uint(&j, "malformed_messages", r->nmsgs_malformed);
	put_uint(&j, "netns", r->netns_ino);
	put_str(&j, "netns_name", netns_name);
	put_bool(&j, "dump_interrupted", r->dump_interrupted);
	put_str_or_null(&j, "dump_note", r->dump_cut_short ? r->dump_note : NULL);
	put_bool(&j, "udp_unavailable", r->udp_unavailable);
	put_str(&j, "firewall", audit_fw_verdict_name(r->fw_state));
	put_str_or_null(&j, "firewall_note", r->fw_note);
	put_bool(&j, "kb", r->kb_joined);
	put_str_or_null(&j, "kb_note", r->kb_note);
	return finish(&j);
}
