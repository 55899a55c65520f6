/* SPDX-License-Identifier: MIT */
/* An event as one JSON object: what the jsonl, exec and webhook channels send. */
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/textclean.h"
#include "watch.h"

static void iso_time(double t, char *buf, size_t len)
{
	time_t sec = (time_t)t;
	struct tm tm;
	int ms = (int)((t - (double)sec) * 1000.0);

	if (ms < 0 || ms > 999)
		ms = 0;
	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

static int set_text(json_t *o, const char *key, const char *s)
{
	json_t *v = s[0] ? json_string(s) : json_null();

	if (!v) {
		/* Not UTF-8 (a process may name itself anything): each bad byte becomes U+FFFD
		 * rather than the field being lost. */
		char *clean = text_clean_dup(s, TEXT_UTF8);

		v = clean ? json_string(clean) : NULL;
		free(clean);
	}
	return json_object_set_new(o, key, v ? v : json_null());
}

static json_t *warnings(unsigned warn)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	if (warn & AUDIT_WARN_TROJAN)
		json_array_append_new(a, json_string("trojan"));
	if (warn & AUDIT_WARN_UNEXPECTED)
		json_array_append_new(a, json_string("unexpected"));
	if (warn & AUDIT_WARN_ADHOC)
		json_array_append_new(a, json_string("adhoc"));
	return a;
}

char *watch_event_json(const struct watch_event *ev)
{
	const struct watch_listener *l = &ev->l;
	char addr[PS_ADDR_STRLEN], when[64];
	json_t *o = json_object();
	char *out = NULL;
	int rc = 0;

	if (!o)
		return NULL;
	iso_time(ev->time, when, sizeof(when));
	rc |= json_object_set_new(o, "event", json_string(watch_event_kind_name(ev->kind)));
	rc |= json_object_set_new(o, "time", json_string(when));
	rc |= set_text(o, "netns", l->netns);
	rc |= json_object_set_new(o, "proto", json_string(audit_proto_name(l->proto)));
	rc |= json_object_set_new(o, "addr",
				  json_string(ps_addr_format(&l->addr, addr, sizeof(addr))));
	rc |= json_object_set_new(o, "port", json_integer(l->port));
	rc |= json_object_set_new(o, "exposure", json_string(audit_exposure_name(l->exposure)));
	rc |= json_object_set_new(o, "firewall", json_string(audit_fw_verdict_name(l->fw)));
	rc |= json_object_set_new(o, "pid", l->pid ? json_integer(l->pid) : json_null());
	rc |= set_text(o, "program", l->program);
	rc |= set_text(o, "exe", l->exe);
	rc |= set_text(o, "unit", l->unit);
	rc |= set_text(o, "user", l->user);
	rc |= json_object_set_new(o, "uid",
				  l->enriched && l->pid ? json_integer(l->uid) : json_null());
	rc |= set_text(o, "service", l->service);
	rc |= json_object_set_new(o, "warnings", warnings(l->warn));
	rc |= set_text(o, "warning", l->warn_text);
	rc |= json_object_set_new(o, "sockets", json_integer((json_int_t)l->nsockets));
	if (ev->kind == WATCH_EV_CHANGE) {
		rc |= set_text(o, "was_program", ev->was_program);
		rc |= set_text(o, "was_exe", ev->was_exe);
	}
	if (!rc)
		out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return out;
}
