/* SPDX-License-Identifier: MIT */
/*
 * The human report: per host, the listed ports with the knowledge base's service name, then a
 * ShieldsUP-style profile (Open / Closed / Stealth) and a verdict. Hosts are printed at the end,
 * sorted, because results of many hosts arrive interleaved.
 */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "formats.h"
#include "hosttab.h"
#include "verdict.h"

/* A /16 of dark addresses would print 65536 "stealth" blocks; only small scans show silence. */
#define TEXT_SHOW_SILENT_MAX 16
#define TEXT_SUMMARY_PORTS   50 /* lines of a network's per-port summary */

static enum ps_err text_begin(struct report *r)
{
	struct hosttab *tab = malloc(sizeof(*tab));

	if (!tab)
		return PS_ERR_NOMEM;
	hosttab_init(tab);
	r->state = tab;
	return PS_OK;
}

static enum ps_err text_port(struct report *r, const struct port_result *res)
{
	return hosttab_add(r->state, res, report_shows(r, res));
}

/* --service: "product version (info) [flags]"; a port-number guess says so. */
static void print_service(struct report *r, const struct service_info *svc)
{
	if (svc->confidence != SERVICE_MATCHED) {
		fputs(" (guessed from the port number)", r->out);
	} else {
		if (svc->product[0] || svc->version[0])
			fprintf(r->out, " %s%s%s", svc->product,
				svc->product[0] && svc->version[0] ? " " : "", svc->version);
		if (svc->info[0])
			fprintf(r->out, " (%s)", svc->info);
	}
	if (svc->flags & SERVICE_FLAG_BACKDOOR)
		fputs(" [BACKDOOR]", r->out);
	if (svc->flags & SERVICE_FLAG_UNEXPECTED)
		fputs(" [unexpected for this port]", r->out);
	if (svc->flags & SERVICE_FLAG_TLS)
		fprintf(r->out, " [%s%s%s%s%s]", svc->tls.version,
			svc->tls.subject_cn[0] ? " CN=" : "", svc->tls.subject_cn,
			svc->flags & SERVICE_FLAG_SELF_SIGNED ? " self-signed" : "",
			svc->flags & SERVICE_FLAG_EXPIRED ? " expired" : "");
	if ((svc->flags & SERVICE_FLAG_HTTP) && svc->http.title[0])
		fprintf(r->out, " \"%s\"", svc->http.title);
}

static void print_port(struct report *r, const struct port_result *res)
{
	const char *service = r->kb ? kb_service_name(r->kb, res->port, res->proto) : NULL;
	const struct service_info *svc = res->service;
	char port[16];

	snprintf(port, sizeof(port), "%u/%s", res->port, res->proto == IPPROTO_UDP ? "udp" : "tcp");
	if (svc && svc->name[0])
		service = svc->name;
	/* The last column is not padded: no trailing blanks for a diff or a grep to trip on. */
	fprintf(r->out, svc ? "%-11s %-9s %-15s %-22s" : "%-11s %-9s %-15s %s", port,
		port_state_name(res->state), service ? service : "unknown",
		port_reason_name(res->reason));
	if (svc)
		print_service(r, svc);
	fputc('\n', r->out);
}

/* Discovery's verdict: "Host is up (echo-reply, ttl 64)". Nothing without discovery. */
static void print_status(struct report *r, const struct host_status *st, const char *lead)
{
	if (!st)
		return;
	fprintf(r->out, "%s %s (%s", lead, st->up ? "up" : "down", port_reason_name(st->reason));
	if (st->ttl)
		fprintf(r->out, ", ttl %u", st->ttl);
	if (st->rtt_us)
		fprintf(r->out, ", %.2f ms", st->rtt_us / 1000.0);
	fputs(")\n", r->out);
}

/* -sn's hosts up, -v's hosts down: one line each. */
static enum ps_err print_bare_host(void *ctx, const struct ps_addr *a, const char *hostname,
				   const struct host_status *st)
{
	struct report *r = ctx;
	char addr[PS_ADDR_STRLEN], lead[PS_ADDR_STRLEN + 300];

	ps_addr_format(a, addr, sizeof(addr));
	if (hostname)
		snprintf(lead, sizeof(lead), "Host %.256s (%s) is", hostname, addr);
	else
		snprintf(lead, sizeof(lead), "Host %s is", addr);
	print_status(r, st, lead);
	return ferror(r->out) ? PS_ERR_IO : PS_OK;
}

static void print_host(struct report *r, const struct report_host *h)
{
	char addr[PS_ADDR_STRLEN];
	struct verdict v;
	size_t i;

	ps_addr_format(&h->addr, addr, sizeof(addr));
	if (h->hostname)
		fprintf(r->out, "\n%s (%s)\n", h->hostname, addr);
	else
		fprintf(r->out, "\n%s\n", addr);
	print_status(r, report_host_status(r, &h->addr), "Host is");
	if (h->nlisted) {
		fprintf(r->out, "%-11s %-9s %-15s %s\n", "PORT", "STATE", "SERVICE",
			h->listed[0].service ? "REASON                 VERSION / FLAGS" : "REASON");
		for (i = 0; i < h->nlisted; i++)
			print_port(r, &h->listed[i]);
	}
	verdict_of(h->count[PORT_OPEN], report_host_answered(h) - h->count[PORT_OPEN], h->stealth,
		   &v);
	fprintf(r->out, "Profile: %" PRIu64 " open, %" PRIu64 " closed, %" PRIu64 " stealth -> %s\n",
		h->count[PORT_OPEN], report_host_answered(h) - h->count[PORT_OPEN], h->stealth,
		v.text);
}

struct text_port_count {
	uint32_t hosts;
	uint16_t port;
	uint8_t proto;
};

static int text_by_hosts(const void *va, const void *vb)
{
	const struct text_port_count *a = va, *b = vb;

	if (a->hosts != b->hosts)
		return a->hosts > b->hosts ? -1 : 1;
	return a->port < b->port ? -1 : a->port > b->port;
}

/* A network's scan ends with the ports that are open somewhere, most widespread first. */
static enum ps_err print_port_summary(struct report *r, const struct hosttab *tab)
{
	struct text_port_count *pc = calloc(2 * (size_t)65536, sizeof(*pc));
	size_t i, k, n = 0;

	if (!pc)
		return PS_ERR_NOMEM;
	for (i = 0; i < tab->nhosts; i++)
		for (k = 0; k < tab->hosts[i].nlisted; k++) {
			const struct port_result *p = &tab->hosts[i].listed[k];
			struct text_port_count *c = &pc[(p->proto == IPPROTO_UDP) * 65536 + p->port];

			if (p->state != PORT_OPEN)
				continue;
			c->port = p->port;
			c->proto = p->proto;
			c->hosts++;
		}
	for (i = 0; i < 2 * (size_t)65536; i++)
		if (pc[i].hosts)
			pc[n++] = pc[i];
	qsort(pc, n, sizeof(*pc), text_by_hosts);
	if (n)
		fprintf(r->out, "\nOpen ports across the network:\n");
	for (i = 0; i < n && i < TEXT_SUMMARY_PORTS; i++) {
		const char *service =
		    r->kb ? kb_service_name(r->kb, pc[i].port, pc[i].proto) : NULL;
		char port[16];

		snprintf(port, sizeof(port), "%u/%s", pc[i].port,
			 pc[i].proto == IPPROTO_UDP ? "udp" : "tcp");
		fprintf(r->out, "  %-11s open on %" PRIu32 " host%s%s%s\n", port, pc[i].hosts,
			pc[i].hosts == 1 ? "" : "s", service ? "  " : "", service ? service : "");
	}
	if (n > TEXT_SUMMARY_PORTS)
		fprintf(r->out, "  and %zu more ports open somewhere\n", n - TEXT_SUMMARY_PORTS);
	free(pc);
	return PS_OK;
}

static enum ps_err text_end(struct report *r, const struct report_summary *sum)
{
	struct hosttab *tab = r->state;
	uint64_t silent = 0;
	enum ps_err err;
	size_t i;

	hosttab_sort(tab);
	for (i = 0; i < tab->nhosts; i++) {
		const struct report_host *h = &tab->hosts[i];

		if (h->nlisted || report_host_answered(h) || sum->targets <= TEXT_SHOW_SILENT_MAX)
			print_host(r, h);
		else
			silent++;
	}
	if (silent)
		fprintf(r->out, "\n%" PRIu64 " hosts gave no answer on any port (stealth or down)\n",
			silent);
	if (r->hosts) {
		if (r->hosts->discovery_only || r->hosts->verbose)
			fputc('\n', r->out);
		if ((err = report_unscanned_hosts(r, print_bare_host, r)))
			return err;
	}
	if (r->hosts && r->hosts->discovery_only) {
		fprintf(r->out,
			"\n%s%" PRIu64 " address%s: %" PRIu64 " host%s up, %" PRIu64
			" down (host discovery only) in %.2fs\n",
			sum->interrupted ? "INTERRUPTED after " : "", sum->targets,
			sum->targets == 1 ? "" : "es", sum->hosts_up, sum->hosts_up == 1 ? "" : "s",
			sum->hosts_down, sum->elapsed_s);
		return PS_OK;
	}
	if (sum->targets > TEXT_SHOW_SILENT_MAX && (err = print_port_summary(r, tab)))
		return err;
	fprintf(r->out,
		"\n%s%" PRIu64 " address%s (%" PRIu64 " up), %" PRIu64 " ports scanned in %.2fs: "
		"%" PRIu64 " open, %" PRIu64 " closed, %" PRIu64 " filtered",
		sum->interrupted ? "INTERRUPTED after " : "", sum->targets,
		sum->targets == 1 ? "" : "es", sum->hosts_up, sum->ports_scanned, sum->elapsed_s,
		sum->open, sum->closed, sum->filtered);
	if (sum->open_filtered)
		fprintf(r->out, ", %" PRIu64 " open|filtered", sum->open_filtered);
	fputc('\n', r->out);
	if (sum->discovered && sum->hosts_down)
		fprintf(r->out, "%" PRIu64 " host%s down (no answer to host discovery): not "
			"scanned; -Pn scans every address\n", sum->hosts_down,
			sum->hosts_down == 1 ? "" : "s");
	if (sum->no_route)
		fprintf(r->out, "%" PRIu64 " address%s not scanned: no route to %s\n", sum->no_route,
			sum->no_route == 1 ? "" : "es", sum->no_route == 1 ? "it" : "them");
	return PS_OK;
}

static void text_release(struct report *r)
{
	if (r->state)
		hosttab_release(r->state);
	free(r->state);
}

const struct report_format report_text = {
	.name = "text",
	.begin = text_begin,
	.port = text_port,
	.end = text_end,
	.release = text_release,
};
