/* SPDX-License-Identifier: MIT */
/*
 * One self-contained HTML page: inline CSS, no scripts, no fonts or images to fetch (a
 * Content-Security-Policy of default-src 'none' makes the browser enforce that). Per host a
 * ShieldsUP-style grid of the scanned ports, a verdict and a table of open ports with what the
 * knowledge base says about them. Each state has a colour, a letter and a pattern, so the grid
 * reads without colour (printouts, colour blindness), and every cell has a text label.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "fmtutil.h"
#include "formats.h"
#include "hostgroup.h"
#include "core/textclean.h"
#include "hostprofile.h"
#include "verdict.h"

/* Beyond this many ports a grid stops being readable; the host gets a list of runs instead. */
#define HTML_GRID_MAX 4096
/*
 * Up to this many addresses every host gets its own section. A network is shown grouped by
 * profile (hosts that look alike share one grid) after a per-port summary, so a /16 is a page
 * a browser renders in a moment rather than 65536 sections.
 */
#define HTML_HOSTS_DETAILED 16
#define HTML_RANGES_SHOWN   200 /* address runs listed per group, then "and N more" */
#define HTML_SUMMARY_PORTS  500 /* rows of the per-port summary */

struct html_state {
	struct hostgroup hosts;
	uint64_t hosts_written;
	uint64_t host_seq; /* for element ids */
	bool network;	   /* the grouped view (more than HTML_HOSTS_DETAILED addresses) */
	struct hostprofiles profiles;
};

enum cell_kind { CELL_OPEN, CELL_CLOSED, CELL_STEALTH };

static const char *const cell_class[] = {"o", "c", "s"};
static const char *const cell_letter[] = {"O", "C", "S"};
static const char *const cell_word[] = {"Open", "Closed", "Stealth"};

static enum cell_kind cell_of(const struct hg_port *p)
{
	if (p->state == PORT_OPEN)
		return CELL_OPEN;
	/* ShieldsUP's split: anything that answered makes the host visible, stealth answers
	 * nothing. */
	if ((p->state == PORT_FILTERED || p->state == PORT_OPEN_FILTERED) &&
	    p->reason == REASON_NO_RESPONSE)
		return CELL_STEALTH;
	return CELL_CLOSED;
}

static void esc(FILE *out, const char *s)
{
	char clean[1024];
	const char *p;

	text_clean(clean, sizeof(clean), s ? s : "");
	for (p = clean; *p; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*p, out);
		}
	}
}

static const char style[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:70em;padding:0 1em;"
    "color:#111;background:#fff}\n"
    "h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:2px solid #333;margin-top:2em}"
    "h3{font-size:1em}\n"
    ".meta{color:#333}.verdict{font-weight:bold;padding:.5em .8em;border:2px solid}\n"
    ".v-exposed{border-color:#b71c1c;background:#ffebee}.v-closed{border-color:#0d47a1;"
    "background:#e3f2fd}.v-stealth{border-color:#1b5e20;background:#e8f5e9}\n"
    "table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #999;"
    "padding:.3em .5em;text-align:left;vertical-align:top}th{background:#eee}\n"
    "ol.grid{list-style:none;display:grid;gap:2px;padding:0;margin:1em 0;"
    "grid-template-columns:repeat(auto-fill,minmax(4.2em,1fr))}\n"
    "ol.grid li,.key{font:12px/1.6 ui-monospace,monospace;text-align:center;border:1px solid #000;"
    "color:#fff}\n"
    ".key{display:inline-block;padding:0 .6em;margin-right:.6em}\n"
    ".o{background-color:#c62828;font-weight:bold;outline:2px solid #000}\n"
    ".c{background-color:#1565c0;background-image:repeating-linear-gradient(45deg,"
    "transparent 0 4px,rgba(255,255,255,.3) 4px 6px)}\n"
    ".s{background-color:#2e7d32;background-image:radial-gradient(rgba(255,255,255,.35) 1px,"
    "transparent 1.5px);background-size:5px 5px}\n"
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}\n"
    ".flag{font-weight:bold;color:#b71c1c}\n"
    "@media print{*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "section.host+section.host{break-before:page}body{max-width:none}}\n";

static void write_legend(FILE *out)
{
	int k;

	fputs("<p class=\"legend\">Legend: ", out);
	for (k = CELL_OPEN; k <= CELL_STEALTH; k++)
		fprintf(out, "<span class=\"key %s\">%s</span>%s ", cell_class[k], cell_letter[k],
			k == CELL_OPEN	   ? "Open: something accepts connections"
			: k == CELL_CLOSED ? "Closed: the host answered that nothing listens"
					   : "Stealth: no answer at all");
	fputs("</p>\n", out);
}

/* The same verdict as the text report, with what it means for a reader of the page. */
static void write_verdict(FILE *out, const struct hg_host *h)
{
	static const char *const meaning[] = {
	    [VERDICT_EXPOSED] = "Something accepts connections from the scanner.",
	    [VERDICT_CLOSED] = "Nothing accepts connections, but the host reveals that it exists.",
	    [VERDICT_STEALTH] = "The host gave no sign of life on any scanned port.",
	};
	struct verdict v;

	verdict_of(h->counts[PORT_OPEN], h->answered - h->counts[PORT_OPEN], h->stealth, &v);
	fprintf(out, "<p class=\"verdict v-%s\">%s. %s</p>\n", verdict_kind_name(v.kind), v.text,
		meaning[v.kind]);
}

static void write_flags(FILE *out, const struct service_info *svc)
{
	if (!svc)
		return;
	if (svc->flags & SERVICE_FLAG_BACKDOOR)
		fputs("<span class=\"flag\">backdoor</span> ", out);
	if (svc->flags & SERVICE_FLAG_UNEXPECTED)
		fputs("<span class=\"flag\">unexpected service</span> ", out);
	if (svc->flags & SERVICE_FLAG_TLS)
		fputs("TLS ", out);
}

static void write_kb(FILE *out, const struct report *r, const struct hg_port *p)
{
	const struct kb_entry *e = r->kb ? kb_lookup(r->kb, p->port, p->proto) : NULL;
	size_t i;

	if (!e) {
		fputs("Not in the knowledge base.", out);
		return;
	}
	esc(out, e->description);
	if (e->risk) {
		fputs(" <strong>Risk:</strong> ", out);
		esc(out, e->risk);
	}
	if (e->ntrojans) {
		fputs(" <strong>Known backdoors on this port:</strong> ", out);
		for (i = 0; i < e->ntrojans; i++) {
			if (i)
				fputs(", ", out);
			esc(out, e->trojans[i]);
		}
		fputc('.', out);
	}
}

static void write_open_table(FILE *out, const struct report *r, const struct hg_host *h)
{
	size_t i;

	if (!h->counts[PORT_OPEN] || !(r->show & REPORT_SHOW_OPEN))
		return;
	fputs("<table><caption>Open ports</caption>\n<thead><tr><th scope=\"col\">Port</th>"
	      "<th scope=\"col\">Service</th><th scope=\"col\">Product</th>"
	      "<th scope=\"col\">Flags</th><th scope=\"col\">What it is</th></tr></thead><tbody>\n",
	      out);
	for (i = 0; i < h->nports; i++) {
		const struct hg_port *p = &h->ports[i];
		const struct service_info *svc = p->service;

		if (p->state != PORT_OPEN)
			continue;
		fprintf(out, "<tr><th scope=\"row\">%u/%s</th><td>", p->port,
			p->proto == IPPROTO_UDP ? "udp" : "tcp");
		esc(out, report_service_name(r, p->port, p->proto, svc));
		fputs("</td><td>", out);
		if (svc) {
			esc(out, svc->product);
			fputc(' ', out);
			esc(out, svc->version);
			if (svc->info[0]) {
				fputs(" (", out);
				esc(out, svc->info);
				fputc(')', out);
			}
		}
		fputs("</td><td>", out);
		write_flags(out, svc);
		fputs("</td><td>", out);
		write_kb(out, r, p);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static void write_grid(FILE *out, const struct hg_host *h, const char *label)
{
	size_t i;

	fprintf(out, "<ol class=\"grid\" aria-label=\"Scanned ports of %s\">\n", label);
	for (i = 0; i < h->nports; i++) {
		const struct hg_port *p = &h->ports[i];
		enum cell_kind k = cell_of(p);

		fprintf(out,
			"<li class=\"%s\" title=\"%u: %s (%s, %s)\">%u %s<span class=\"sr\"> %s"
			"</span></li>\n",
			cell_class[k], p->port, cell_word[k], port_state_name(p->state),
			port_reason_name(p->reason), p->port, cell_letter[k], cell_word[k]);
	}
	fputs("</ol>\n", out);
}

/* Too many ports for a grid: consecutive ports of one kind as one line. */
static void write_runs(FILE *out, const struct hg_host *h)
{
	size_t i = 0;

	fputs("<ul class=\"runs\">\n", out);
	while (i < h->nports) {
		enum cell_kind k = cell_of(&h->ports[i]);
		size_t j = i;

		while (j + 1 < h->nports && cell_of(&h->ports[j + 1]) == k &&
		       h->ports[j + 1].port == h->ports[j].port + 1)
			j++;
		fprintf(out, "<li><span class=\"key %s\">%s</span>%u", cell_class[k],
			cell_letter[k], h->ports[i].port);
		if (j > i)
			fprintf(out, "-%u", h->ports[j].port);
		fprintf(out, ": %s (%zu)</li>\n", cell_word[k], j - i + 1);
		i = j + 1;
	}
	fputs("</ul>\n", out);
}

/* Discovery's verdict on a host; nothing without discovery (up by the user's word). */
static void write_status(FILE *out, const struct host_status *st)
{
	if (!st)
		return;
	fprintf(out, "<p class=\"status\">Host %s: %s", st->up ? "up" : "down",
		port_reason_name(st->reason));
	if (st->ttl)
		fprintf(out, " (ttl %u)", st->ttl);
	fputs("</p>\n", out);
}

/* One row of the discovery table: -sn's hosts up, -v's hosts down. */
static enum ps_err write_host_row(void *ctx, const struct ps_addr *a, const char *hostname,
				  const struct host_status *st)
{
	struct report *r = ctx;
	char addr[PS_ADDR_STRLEN];

	fprintf(r->out, "<tr><td>%s</td><td>", ps_addr_format(a, addr, sizeof(addr)));
	esc(r->out, hostname ? hostname : "");
	fprintf(r->out, "</td><td>%s</td><td>%s</td><td>", st->up ? "up" : "down",
		port_reason_name(st->reason));
	if (st->ttl)
		fprintf(r->out, "%u", st->ttl);
	fputs("</td></tr>\n", r->out);
	return ferror(r->out) ? PS_ERR_IO : PS_OK;
}

static enum ps_err write_discovery(struct report *r)
{
	enum ps_err err;

	if (!r->hosts || (!r->hosts->discovery_only && !r->hosts->verbose))
		return PS_OK;
	fputs("<section class=\"discovery\">\n<h2>Host discovery</h2>\n<table>\n<tr><th>Address"
	      "</th><th>Name</th><th>Status</th><th>Reason</th><th>TTL</th></tr>\n", r->out);
	err = report_unscanned_hosts(r, write_host_row, r);
	fputs("</table>\n</section>\n", r->out);
	return err ? err : ferror(r->out) ? PS_ERR_IO : PS_OK;
}

static enum ps_err emit_host(void *ctx, const struct hg_host *h)
{
	struct report *r = ctx;
	struct html_state *s = r->state;
	FILE *out = r->out;
	char addr[PS_ADDR_STRLEN];

	if (s->network) {
		s->hosts_written++;
		return hostprofiles_add(&s->profiles, h);
	}
	ps_addr_format(&h->addr, addr, sizeof(addr));
	s->host_seq++;
	fprintf(out,
		"<section class=\"host\" aria-labelledby=\"host%llu\">\n<h2 id=\"host%llu\">%s",
		(unsigned long long)s->host_seq, (unsigned long long)s->host_seq, addr);
	if (h->hostname) {
		fputs(" (", out);
		esc(out, h->hostname);
		fputc(')', out);
	}
	fputs("</h2>\n", out);
	write_status(out, report_host_status(r, &h->addr));
	write_verdict(out, h);
	fprintf(out, "<p>%zu ports scanned: %u open, %u closed, %u filtered (%u stealth).</p>\n",
		h->nports, h->counts[PORT_OPEN], h->counts[PORT_CLOSED],
		h->counts[PORT_FILTERED] + h->counts[PORT_OPEN_FILTERED], h->stealth);
	write_open_table(out, r, h);
	fprintf(out, "<h3>All %zu scanned ports</h3>\n", h->nports);
	if (h->nports <= HTML_GRID_MAX)
		write_grid(out, h, addr);
	else
		write_runs(out, h);
	fputs("</section>\n", out);
	s->hosts_written++;
	return ferror(out) ? PS_ERR_IO : PS_OK;
}

/* ---- the grouped view of a network ---- */

/* "198.18.0.0 - 198.18.255.255 (65536), 198.19.0.7": a group's addresses, the first runs. */
static void write_ranges(FILE *out, const struct hp_group *g)
{
	char a[PS_ADDR_STRLEN], b[PS_ADDR_STRLEN];
	struct ps_addr pa, pb;
	size_t i;

	for (i = 0; i < g->nranges && i < HTML_RANGES_SHOWN; i++) {
		ps_addr_from_u128(g->ranges[i].first, g->example.addr.family, &pa);
		ps_addr_from_u128(g->ranges[i].last, g->example.addr.family, &pb);
		fprintf(out, "%s%s", i ? ", " : "", ps_addr_format(&pa, a, sizeof(a)));
		if (g->ranges[i].last != g->ranges[i].first)
			fprintf(out, " &ndash; %s (%llu)", ps_addr_format(&pb, b, sizeof(b)),
				(unsigned long long)(g->ranges[i].last - g->ranges[i].first + 1));
	}
	if (g->nranges > HTML_RANGES_SHOWN)
		fprintf(out, " and %zu more runs", g->nranges - HTML_RANGES_SHOWN);
}

struct port_count {
	uint16_t port;
	uint8_t proto;
	uint32_t hosts;
};

static int by_hosts(const void *va, const void *vb)
{
	const struct port_count *a = va, *b = vb;

	if (a->hosts != b->hosts)
		return a->hosts > b->hosts ? -1 : 1;
	return a->port < b->port ? -1 : a->port > b->port;
}

/* "22/tcp open on 1612 hosts", most widespread first. */
static enum ps_err write_port_summary(const struct report *r, const struct hostprofiles *hp)
{
	struct port_count *pc = malloc(2 * (size_t)65536 * sizeof(*pc));
	FILE *out = r->out;
	size_t n = 0, i;
	uint32_t port;

	if (!pc)
		return PS_ERR_NOMEM;
	for (port = 1; port < 65536; port++) {
		if (hp->open_tcp && hp->open_tcp[port])
			pc[n++] = (struct port_count){(uint16_t)port, IPPROTO_TCP, hp->open_tcp[port]};
		if (hp->open_udp && hp->open_udp[port])
			pc[n++] = (struct port_count){(uint16_t)port, IPPROTO_UDP, hp->open_udp[port]};
	}
	qsort(pc, n, sizeof(*pc), by_hosts);
	fprintf(out,
		"<section class=\"ports\" aria-labelledby=\"ports\">\n<h2 id=\"ports\">Open ports "
		"across %llu hosts</h2>\n",
		(unsigned long long)hp->hosts);
	if (!n)
		fputs("<p>No host has an open port.</p>\n", out);
	else
		fputs("<table><thead><tr><th scope=\"col\">Port</th><th scope=\"col\">Open on</th>"
		      "<th scope=\"col\">Service</th></tr></thead><tbody>\n",
		      out);
	for (i = 0; i < n && i < HTML_SUMMARY_PORTS; i++) {
		fprintf(out, "<tr><th scope=\"row\">%u/%s</th><td>%u host%s</td><td>", pc[i].port,
			pc[i].proto == IPPROTO_UDP ? "udp" : "tcp", pc[i].hosts,
			pc[i].hosts == 1 ? "" : "s");
		esc(out, report_service_name(r, pc[i].port, pc[i].proto, NULL));
		fputs("</td></tr>\n", out);
	}
	if (n)
		fputs("</tbody></table>\n", out);
	if (n > HTML_SUMMARY_PORTS)
		fprintf(out, "<p>And %zu more ports open somewhere.</p>\n", n - HTML_SUMMARY_PORTS);
	fputs("</section>\n", out);
	free(pc);
	return PS_OK;
}

static void write_group(const struct report *r, struct html_state *s, const struct hp_group *g)
{
	const struct hg_host *h = &g->example;
	FILE *out = r->out;
	char label[64];

	s->host_seq++;
	fprintf(out,
		"<section class=\"host\" aria-labelledby=\"host%llu\">\n<h2 id=\"host%llu\">%llu "
		"host%s alike</h2>\n<p class=\"addrs\">",
		(unsigned long long)s->host_seq, (unsigned long long)s->host_seq,
		(unsigned long long)g->hosts, g->hosts == 1 ? "" : "s");
	write_ranges(out, g);
	fputs("</p>\n", out);
	write_verdict(out, h);
	fprintf(out,
		"<p>Each: %zu ports scanned: %u open, %u closed, %u filtered (%u stealth).</p>\n",
		h->nports, h->counts[PORT_OPEN], h->counts[PORT_CLOSED],
		h->counts[PORT_FILTERED] + h->counts[PORT_OPEN_FILTERED], h->stealth);
	write_open_table(out, r, h);
	snprintf(label, sizeof(label), "group %llu", (unsigned long long)s->host_seq);
	fprintf(out, "<h3>All %zu scanned ports</h3>\n", h->nports);
	if (h->nports <= HTML_GRID_MAX)
		write_grid(out, h, label);
	else
		write_runs(out, h);
	fputs("</section>\n", out);
}

/* Groups with nothing open: one row each, no grid (there is nothing to look at). */
static void write_quiet_groups(const struct report *r, const struct hostprofiles *hp)
{
	FILE *out = r->out;
	bool any = false;
	size_t i;

	for (i = 0; i < hp->ngroups; i++) {
		const struct hp_group *g = &hp->groups[i];
		const struct hg_host *h = &g->example;
		struct verdict v;

		if (h->counts[PORT_OPEN])
			continue;
		if (!any)
			fputs("<section class=\"quiet\" aria-labelledby=\"quiet\">\n<h2 id=\"quiet\">"
			      "Hosts with nothing open</h2>\n<table><thead><tr><th scope=\"col\">"
			      "Hosts</th><th scope=\"col\">Verdict</th><th scope=\"col\">Each</th>"
			      "<th scope=\"col\">Addresses</th></tr></thead><tbody>\n",
			      out);
		any = true;
		verdict_of(0, h->answered, h->stealth, &v);
		fprintf(out,
			"<tr><td>%llu</td><td class=\"v-%s\">%s</td><td>%u closed, %u filtered "
			"(%u stealth)</td><td>",
			(unsigned long long)g->hosts, verdict_kind_name(v.kind), v.text,
			h->counts[PORT_CLOSED],
			h->counts[PORT_FILTERED] + h->counts[PORT_OPEN_FILTERED], h->stealth);
		write_ranges(out, g);
		fputs("</td></tr>\n", out);
	}
	if (any)
		fputs("</tbody></table>\n</section>\n", out);
}

static enum ps_err write_network(const struct report *r, struct html_state *s)
{
	enum ps_err err;
	size_t i;

	hostprofiles_sort(&s->profiles);
	if ((err = write_port_summary(r, &s->profiles)))
		return err;
	for (i = 0; i < s->profiles.ngroups; i++)
		if (s->profiles.groups[i].example.counts[PORT_OPEN])
			write_group(r, s, &s->profiles.groups[i]);
	write_quiet_groups(r, &s->profiles);
	return PS_OK;
}

static enum ps_err html_begin(struct report *r)
{
	const struct report_meta *m = r->meta;
	struct html_state *s = calloc(1, sizeof(*s));
	FILE *out = r->out;
	char when[64] = "";
	struct tm tm;

	if (!s)
		return PS_ERR_NOMEM;
	r->state = s;
	s->network = m && m->targets > HTML_HOSTS_DETAILED;
	hostprofiles_init(&s->profiles);
	hostgroup_init(&s->hosts, report_ports_per_host(r), emit_host, r);
	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"generator\" content=\"portsight %s\">\n"
		"<title>portsight port exposure report</title>\n<style>\n%s</style>\n"
		"</head>\n<body>\n<header>\n<h1>Port exposure report</h1>\n",
		PS_VERSION, style);
	if (m) {
		if (localtime_r(&m->start, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm);
		fprintf(out, "<p class=\"meta\">Scan started %s with the %s engine; ports ", when,
			m->engine ? m->engine : "default");
		esc(out, m->ports_spec ? m->ports_spec : "(default)");
		fputs(".<br>Command: <code>", out);
		esc(out, m->args);
		fputs("</code></p>\n", out);
	}
	write_legend(out);
	fputs("</header>\n<main>\n", out);
	return ferror(out) ? PS_ERR_IO : PS_OK;
}

static enum ps_err html_port(struct report *r, const struct port_result *res)
{
	struct html_state *s = r->state;

	return hostgroup_add(&s->hosts, res);
}

static enum ps_err html_end(struct report *r, const struct report_summary *sum)
{
	struct html_state *s = r->state;
	FILE *out = r->out;
	enum ps_err err;

	if ((err = hostgroup_flush(&s->hosts)))
		return err;
	if (s->network && s->hosts_written && (err = write_network(r, s)))
		return err;
	if ((err = write_discovery(r)))
		return err;
	if (!s->hosts_written && !(r->hosts && r->hosts->discovery_only))
		fputs("<p>No results.</p>\n", out);
	if (sum->discovered)
		fprintf(out, "<p id=\"discovery\">Host discovery: %llu up, %llu down.</p>\n",
			(unsigned long long)sum->hosts_up, (unsigned long long)sum->hosts_down);
	fprintf(out,
		"</main>\n<footer>\n<h2>Summary</h2>\n<p id=\"summary\">%llu address%s, %llu "
		"with an answering port; %llu ports scanned: %llu open, %llu closed, %llu "
		"filtered (%llu stealth), in %.2f s.%s</p>\n</footer>\n</body>\n</html>\n",
		(unsigned long long)sum->targets, sum->targets == 1 ? "" : "es",
		(unsigned long long)sum->hosts_up, (unsigned long long)sum->ports_scanned,
		(unsigned long long)sum->open, (unsigned long long)sum->closed,
		(unsigned long long)sum->filtered + sum->open_filtered,
		(unsigned long long)sum->stealth, sum->elapsed_s,
		sum->interrupted ? " The scan was interrupted: results are partial." : "");
	return fflush(out) || ferror(out) ? PS_ERR_IO : PS_OK;
}

static void html_release(struct report *r)
{
	struct html_state *s = r->state;

	if (!s)
		return;
	hostgroup_release(&s->hosts);
	hostprofiles_release(&s->profiles);
	free(s);
	r->state = NULL;
}

const struct report_format report_html = {
    .name = "html",
    .begin = html_begin,
    .port = html_port,
    .end = html_end,
    .release = html_release,
};
