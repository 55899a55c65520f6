/* SPDX-License-Identifier: MIT */
/*
 * CSV: a header, then one row per listed port, streamed as results arrive. Quoting follows
 * RFC 4180 (fields holding a comma, quote, CR or LF are quoted, quotes doubled, CRLF line
 * ends). Text from the wire that starts like a spreadsheet formula (= + - @) gets a leading
 * apostrophe, so opening the file in a spreadsheet cannot run a banner (OWASP "CSV injection").
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "fmtutil.h"
#include "formats.h"
#include "core/textclean.h"

static void cell(FILE *out, const char *s, int from_wire)
{
	const char *p;
	int quote = 0;

	if (!s)
		s = "";
	for (p = s; *p; p++)
		if (*p == ',' || *p == '"' || *p == '\r' || *p == '\n')
			quote = 1;
	if (from_wire && strchr("=+-@\t\r", s[0]) && s[0])
		quote = 2;
	if (!quote) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	if (quote == 2)
		fputc('\'', out);
	for (p = s; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

static void clean_field(char *dst, size_t dst_len, const char *src, size_t src_len)
{
	char raw[256];

	snprintf(raw, sizeof(raw), "%.*s", (int)(src_len - 1), src);
	text_clean(dst, dst_len, raw);
}

static enum ps_err csv_begin(struct report *r)
{
	fputs("address,hostname,port,protocol,state,reason,ttl,rtt_us,service,product,version,"
	      "info,confidence,flags\r\n",
	      r->out);
	return ferror(r->out) ? PS_ERR_IO : PS_OK;
}

static void flags_text(uint32_t flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", flags & SERVICE_FLAG_UNEXPECTED ? "unexpected" : "",
		 (flags & SERVICE_FLAG_UNEXPECTED) && (flags & ~SERVICE_FLAG_UNEXPECTED) ? " " : "",
		 flags & SERVICE_FLAG_BACKDOOR ? "backdoor" : "",
		 (flags & SERVICE_FLAG_BACKDOOR) && (flags & SERVICE_FLAG_TLS) ? " " : "",
		 flags & SERVICE_FLAG_TLS ? "tls" : "");
}

static enum ps_err csv_port(struct report *r, const struct port_result *res)
{
	const struct service_info *svc = res->service;
	char addr[PS_ADDR_STRLEN], flags[48] = "";
	char product[sizeof(svc->product)] = "", version[sizeof(svc->version)] = "",
	     info[sizeof(svc->info)] = "";

	if (!report_shows(r, res))
		return PS_OK;
	if (svc) {
		/* Wire text: valid UTF-8 only, no control characters, never past its buffer. */
		clean_field(product, sizeof(product), svc->product, sizeof(svc->product));
		clean_field(version, sizeof(version), svc->version, sizeof(svc->version));
		clean_field(info, sizeof(info), svc->info, sizeof(svc->info));
		flags_text(svc->flags, flags, sizeof(flags));
	}
	fprintf(r->out, "%s,", ps_addr_format(&res->addr, addr, sizeof(addr)));
	cell(r->out, res->hostname, 1);
	fprintf(r->out, ",%u,%s,%s,%s,", res->port, res->proto == IPPROTO_UDP ? "udp" : "tcp",
		port_state_name(res->state), port_reason_name(res->reason));
	/* Unknown is empty, not 0: a spreadsheet must not average made-up zeros. */
	if (res->ttl)
		fprintf(r->out, "%u", res->ttl);
	fputc(',', r->out);
	if (res->rtt_us)
		fprintf(r->out, "%u", res->rtt_us);
	fputc(',', r->out);
	if (svc && svc->name[0]) {
		char name[sizeof(svc->name)];

		clean_field(name, sizeof(name), svc->name, sizeof(svc->name));
		cell(r->out, name, 1);
	} else {
		cell(r->out, report_service_name(r, res->port, res->proto, NULL), 0);
	}
	fputc(',', r->out);
	cell(r->out, product, 1);
	fputc(',', r->out);
	cell(r->out, version, 1);
	fputc(',', r->out);
	cell(r->out, info, 1);
	fprintf(r->out, ",%s,%s\r\n",
		!svc				     ? ""
		: svc->confidence == SERVICE_MATCHED ? "matched"
						     : "guessed",
		flags);
	return ferror(r->out) ? PS_ERR_IO : PS_OK;
}

/*
 * A host row (-sn, or a down host with -v): no port or protocol, the state is the host's (up,
 * down) and the reason discovery's. Hosts with ports are described by their port rows.
 */
static enum ps_err csv_host(struct report *r, const struct ps_addr *addr, const char *hostname,
			    const struct host_status *st)
{
	char text[PS_ADDR_STRLEN];

	if (!r->hosts->discovery_only && st->up)
		return PS_OK;
	fprintf(r->out, "%s,", ps_addr_format(addr, text, sizeof(text)));
	cell(r->out, hostname, 1);
	fprintf(r->out, ",,,%s,%s,", st->up ? "up" : "down", port_reason_name(st->reason));
	if (st->ttl)
		fprintf(r->out, "%u", st->ttl);
	fputc(',', r->out);
	if (st->rtt_us)
		fprintf(r->out, "%u", st->rtt_us);
	fputs(",,,,,,\r\n", r->out);
	return ferror(r->out) ? PS_ERR_IO : PS_OK;
}

static enum ps_err csv_end(struct report *r, const struct report_summary *sum)
{
	(void)sum;
	return fflush(r->out) || ferror(r->out) ? PS_ERR_IO : PS_OK;
}

static void csv_release(struct report *r)
{
	(void)r;
}

const struct report_format report_csv = {
    .name = "csv",
    .begin = csv_begin,
    .port = csv_port,
    .end = csv_end,
    .release = csv_release,
    .host = csv_host,
    .by_host = true,
};
