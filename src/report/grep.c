/* SPDX-License-Identifier: MIT */
/*
 * nmap's grepable output (-oG): one "Host:" line per host, ports as
 * port/state/protocol/owner/service/rpc/version/ separated by ", ", fields by tabs.
 * The format has no quoting, so any '/', ',' or control character in a field (a banner can
 * hold anything) is replaced; nmap does the same with '|' for '/'.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "fmtutil.h"
#include "formats.h"
#include "hostgroup.h"
#include "core/textclean.h"

struct grep_state {
	struct hostgroup hosts;
	uint64_t hosts_written;
};

/* Copies src into dst making it safe for one grepable field. */
static void field(char *dst, size_t len, const char *src)
{
	char *p;

	text_clean(dst, len, src ? src : "");
	for (p = dst; *p; p++) {
		if (*p == '/')
			*p = '|';
		else if (*p == ',' || *p == '\t' || *p == '(' || *p == ')')
			*p = ' ';
	}
}

static void write_port(struct report *r, const struct hg_port *p, int first)
{
	const struct service_info *svc = p->service;
	char name[64], version[256] = "", raw[256] = "";

	field(name, sizeof(name), report_service_name(r, p->port, p->proto, svc));
	if (svc) {
		snprintf(raw, sizeof(raw), "%s%s%s%s%s", svc->product,
			 svc->product[0] && svc->version[0] ? " " : "", svc->version,
			 svc->info[0] ? " " : "", svc->info);
		field(version, sizeof(version), raw);
	}
	fprintf(r->out, "%s%u/%s/%s//%s//%s/", first ? "" : ", ", p->port,
		port_state_name(p->state), p->proto == IPPROTO_UDP ? "udp" : "tcp", name, version);
}

static enum ps_err emit_host(void *ctx, const struct hg_host *h)
{
	struct report *r = ctx;
	struct grep_state *s = r->state;
	char addr[PS_ADDR_STRLEN], name[256];
	int state, first = 1, ignored = -1;
	size_t i;

	ps_addr_format(&h->addr, addr, sizeof(addr));
	field(name, sizeof(name), h->hostname);
	fprintf(r->out, "Host: %s (%s)\tStatus: Up\n", addr, name);
	fprintf(r->out, "Host: %s (%s)\tPorts: ", addr, name);
	/* Like nmap: the most common non-open state, when it is not asked for, is summed up. */
	for (state = PORT_CLOSED; state < PORT_STATE_COUNT; state++)
		if (h->counts[state] && (ignored < 0 || h->counts[state] > h->counts[ignored]))
			ignored = state;
	if (ignored >= 0 && h->counts[ignored] < 26 && ((r->show >> ignored) & 1u))
		ignored = -1;
	for (i = 0; i < h->nports; i++) {
		const struct hg_port *p = &h->ports[i];

		if (p->state == ignored || !((r->show >> p->state) & 1u))
			continue;
		write_port(r, p, first);
		first = 0;
	}
	if (ignored >= 0)
		fprintf(r->out, "\tIgnored State: %s (%u)", port_state_name(ignored),
			h->counts[ignored]);
	fputc('\n', r->out);
	s->hosts_written++;
	return ferror(r->out) ? PS_ERR_IO : PS_OK;
}

/* -sn's hosts up and -v's hosts down: a status line alone, as nmap writes them. */
static enum ps_err status_line(void *ctx, const struct ps_addr *a, const char *hostname,
			       const struct host_status *st)
{
	struct report *r = ctx;
	struct grep_state *s = r->state;
	char addr[PS_ADDR_STRLEN], name[256];

	field(name, sizeof(name), hostname);
	fprintf(r->out, "Host: %s (%s)\tStatus: %s\n", ps_addr_format(a, addr, sizeof(addr)), name,
		st->up ? "Up" : "Down");
	if (st->up)
		s->hosts_written++;
	return ferror(r->out) ? PS_ERR_IO : PS_OK;
}

static enum ps_err grep_begin(struct report *r)
{
	const struct report_meta *m = r->meta;
	struct grep_state *s = calloc(1, sizeof(*s));
	char when[64] = "", args[1024];
	struct tm tm;

	if (!s)
		return PS_ERR_NOMEM;
	r->state = s;
	hostgroup_init(&s->hosts, report_ports_per_host(r), emit_host, r);
	if (m && localtime_r(&m->start, &tm))
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	text_clean(args, sizeof(args), m && m->args ? m->args : "portsight");
	fprintf(r->out, "# portsight %s scan initiated %s as: %s\n", PS_VERSION, when, args);
	return ferror(r->out) ? PS_ERR_IO : PS_OK;
}

static enum ps_err grep_port(struct report *r, const struct port_result *res)
{
	struct grep_state *s = r->state;

	return hostgroup_add(&s->hosts, res);
}

static enum ps_err grep_end(struct report *r, const struct report_summary *sum)
{
	struct grep_state *s = r->state;
	time_t now = time(NULL);
	char when[64] = "";
	struct tm tm;
	enum ps_err err;

	if ((err = hostgroup_flush(&s->hosts)))
		return err;
	if ((err = report_unscanned_hosts(r, status_line, r)))
		return err;
	if (sum->discovered)
		s->hosts_written = sum->hosts_up;
	if (localtime_r(&now, &tm))
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	fprintf(r->out,
		"# portsight done at %s -- %llu IP address%s (%llu host%s up) scanned in "
		"%.2f seconds%s\n",
		when, (unsigned long long)sum->targets, sum->targets == 1 ? "" : "es",
		(unsigned long long)s->hosts_written, s->hosts_written == 1 ? "" : "s",
		sum->elapsed_s, sum->interrupted ? " (interrupted)" : "");
	return fflush(r->out) || ferror(r->out) ? PS_ERR_IO : PS_OK;
}

static void grep_release(struct report *r)
{
	struct grep_state *s = r->state;

	if (!s)
		return;
	hostgroup_release(&s->hosts);
	free(s);
	r->state = NULL;
}

const struct report_format report_grep = {
    .name = "grep",
    .begin = grep_begin,
    .port = grep_port,
    .end = grep_end,
    .release = grep_release,
};
