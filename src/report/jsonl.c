/* SPDX-License-Identifier: MIT */
/*
 * JSON Lines: one object per listed port, by address then port, then one summary object.
 */
#include <jansson.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include "formats.h"

static enum ps_err emit(struct report *r, json_t *obj)
{
	int rc;

	if (!obj)
		return PS_ERR_NOMEM;
	rc = json_dumpf(obj, r->out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(obj);
	if (rc || fputc('\n', r->out) == EOF)
		return PS_ERR_IO;
	return PS_OK;
}

/* Certificate times as RFC 3339 UTC, the form every JSON consumer parses. */
static json_t *time_json(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (!t || !gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(buf);
}

static void set_text(json_t *o, const char *key, const char *text)
{
	if (text[0])
		json_object_set_new(o, key, json_string(text));
}

/* The SANs arrive comma separated; JSON gets an array. */
static json_t *sans_json(const char *sans)
{
	json_t *a = json_array();

	while (*sans) {
		const char *comma = strchr(sans, ',');
		size_t len = comma ? (size_t)(comma - sans) : strlen(sans);

		if (len)
			json_array_append_new(a, json_stringn(sans, len));
		sans += len + (comma ? 1 : 0);
	}
	return a;
}

static json_t *tls_json(const struct service_info *svc)
{
	const struct service_tls *tls = &svc->tls;
	json_t *o = json_object();

	set_text(o, "version", tls->version);
	set_text(o, "cipher", tls->cipher);
	set_text(o, "subject_cn", tls->subject_cn);
	set_text(o, "issuer", tls->issuer);
	json_object_set_new(o, "sans", sans_json(tls->sans));
	json_object_set_new(o, "not_before", time_json(tls->not_before));
	json_object_set_new(o, "not_after", time_json(tls->not_after));
	json_object_set_new(o, "self_signed", json_boolean(svc->flags & SERVICE_FLAG_SELF_SIGNED));
	json_object_set_new(o, "expired", json_boolean(svc->flags & SERVICE_FLAG_EXPIRED));
	return o;
}

static json_t *http_json(const struct service_http *http)
{
	json_t *o = json_object();

	json_object_set_new(o, "status", json_integer(http->status));
	set_text(o, "server", http->server);
	set_text(o, "title", http->title);
	return o;
}

static json_t *service_json(const struct service_info *svc)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(svc->name));
	if (svc->product[0])
		json_object_set_new(o, "product", json_string(svc->product));
	if (svc->version[0])
		json_object_set_new(o, "version", json_string(svc->version));
	if (svc->info[0])
		json_object_set_new(o, "info", json_string(svc->info));
	json_object_set_new(o, "confidence", json_string(svc->confidence == SERVICE_MATCHED
								  ? "matched"
								  : "guessed"));
	json_object_set_new(o, "unexpected", json_boolean(svc->flags & SERVICE_FLAG_UNEXPECTED));
	json_object_set_new(o, "backdoor", json_boolean(svc->flags & SERVICE_FLAG_BACKDOOR));
	if (svc->flags & SERVICE_FLAG_TLS)
		json_object_set_new(o, "tls", tls_json(svc));
	if (svc->flags & SERVICE_FLAG_HTTP)
		json_object_set_new(o, "http", http_json(&svc->http));
	return o;
}

/* A string that may hold anything (a hostname, a banner) goes through jansson's escaping. */
static enum ps_err put_string(struct report *r, const char *key, const char *value)
{
	json_t *v = json_string(value);
	int rc;

	if (!v)
		return PS_ERR_INVALID; /* not UTF-8: callers hand over cleaned text */
	fprintf(r->out, ",\"%s\":", key);
	rc = json_dumpf(v, r->out, JSON_ENCODE_ANY);
	json_decref(v);
	return rc ? PS_ERR_IO : PS_OK;
}

/*
 * One line per port, a million of them in a /16 x 16 scan with --show all: the fixed fields
 * (an address, numbers, enum names) need no escaping and are printed directly, which measured
 * 4.4x faster than a jansson object per line (bench/report.sh); strings from outside go through
 * jansson.
 */
static enum ps_err jsonl_port(struct report *r, const struct port_result *res)
{
	char addr[PS_ADDR_STRLEN];
	enum ps_err err = PS_OK;
	const char *guess;

	if (!report_shows(r, res))
		return PS_OK;
	fprintf(r->out, "{\"ip\":\"%s\"", ps_addr_format(&res->addr, addr, sizeof(addr)));
	if (res->hostname && (err = put_string(r, "hostname", res->hostname)))
		return err;
	fprintf(r->out, ",\"port\":%u,\"proto\":\"%s\",\"state\":\"%s\",\"reason\":\"%s\"",
		res->port, res->proto == IPPROTO_UDP ? "udp" : "tcp", port_state_name(res->state),
		port_reason_name(res->reason));
	if (res->ttl)
		fprintf(r->out, ",\"ttl\":%u", res->ttl);
	if (res->rtt_us)
		fprintf(r->out, ",\"rtt_ms\":%.3f", res->rtt_us / 1000.0);
	guess = r->kb && !res->service ? kb_service_name(r->kb, res->port, res->proto) : NULL;
	if (guess && (err = put_string(r, "service_guess", guess)))
		return err;
	if (res->service) {
		json_t *svc = service_json(res->service);
		int rc;

		if (!svc)
			return PS_ERR_NOMEM;
		fputs(",\"service\":", r->out);
		rc = json_dumpf(svc, r->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(svc);
		if (rc)
			return PS_ERR_IO;
	}
	if (fputs("}\n", r->out) == EOF)
		return PS_ERR_IO;
	return PS_OK;
}

/*
 * Discovery's verdict on a host: {"host":...,"status":"up","reason":"echo-reply",...}; "host",
 * not a port record's "ip", so readers of port records pass it by.
 */
static enum ps_err jsonl_host(struct report *r, const struct ps_addr *addr, const char *hostname,
			      const struct host_status *st)
{
	char text[PS_ADDR_STRLEN];
	enum ps_err err;

	fprintf(r->out, "{\"host\":\"%s\"", ps_addr_format(addr, text, sizeof(text)));
	if (hostname && (err = put_string(r, "hostname", hostname)))
		return err;
	fprintf(r->out, ",\"status\":\"%s\",\"reason\":\"%s\",\"reason_ttl\":%u",
		st->up ? "up" : "down", port_reason_name(st->reason), st->ttl);
	if (st->rtt_us)
		fprintf(r->out, ",\"rtt_ms\":%.3f", st->rtt_us / 1000.0);
	return fputs("}\n", r->out) == EOF ? PS_ERR_IO : PS_OK;
}

static enum ps_err jsonl_end(struct report *r, const struct report_summary *sum)
{
	json_t *s = json_pack("{sI sI sI sI sI sI sI sI sf sb}", "targets", (json_int_t)sum->targets,
			      "hosts_up", (json_int_t)sum->hosts_up, "ports_scanned",
			      (json_int_t)sum->ports_scanned, "open", (json_int_t)sum->open,
			      "closed", (json_int_t)sum->closed, "filtered",
			      (json_int_t)sum->filtered, "stealth", (json_int_t)sum->stealth,
			      "no_route", (json_int_t)sum->no_route,
			      "elapsed_s", sum->elapsed_s, "interrupted", sum->interrupted);

	if (!s)
		return PS_ERR_NOMEM;
	if (sum->open_filtered &&
	    json_object_set_new(s, "open_filtered", json_integer((json_int_t)sum->open_filtered))) {
		json_decref(s);
		return PS_ERR_NOMEM;
	}
	if (sum->discovered &&
	    json_object_set_new(s, "hosts_down", json_integer((json_int_t)sum->hosts_down))) {
		json_decref(s);
		return PS_ERR_NOMEM;
	}
	return emit(r, json_pack("{so}", "summary", s));
}

const struct report_format report_jsonl = {
	.name = "jsonl",
	.port = jsonl_port,
	.end = jsonl_end,
	.host = jsonl_host,
	.by_host = true,
};
