/* SPDX-License-Identifier: MIT */
/*
 * nmap's XML output (-oX), valid against nmap's own DTD so ndiff, Metasploit's importer and
 * every other nmap consumer read it. Written through libxml2's xmlTextWriter: every attribute
 * value is escaped by the writer, so a hostile banner cannot break the document.
 */
#include <libxml/xmlwriter.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "fmtutil.h"
#include "formats.h"
#include "hostgroup.h"
#include "core/textclean.h"

/* nmap folds a closed or filtered state into <extraports> once it has more ports than this. */
#define XML_EXTRAPORTS_MIN 26
#define XML_RANGES_MAX	   (1u << 20)

struct xml_state {
	xmlTextWriterPtr w;
	struct hostgroup hosts;
	struct dynbuf ranges;
	uint64_t hosts_written;
	int failed; /* a writer call returned an error */
};

static void check(struct xml_state *s, int rc)
{
	if (rc < 0)
		s->failed = 1;
}

static void start(struct xml_state *s, const char *name)
{
	check(s, xmlTextWriterStartElement(s->w, BAD_CAST name));
}

static void end(struct xml_state *s)
{
	check(s, xmlTextWriterEndElement(s->w));
}

static void attr(struct xml_state *s, const char *name, const char *value)
{
	check(s, xmlTextWriterWriteAttribute(s->w, BAD_CAST name, BAD_CAST value));
}

static void attr_u(struct xml_state *s, const char *name, unsigned long long value)
{
	check(s, xmlTextWriterWriteFormatAttribute(s->w, BAD_CAST name, "%llu", value));
}

/* libxml2 refuses bytes that are not UTF-8, and a banner may hold anything. */
static void attr_text(struct xml_state *s, const char *name, const char *value)
{
	char clean[512];

	text_clean(clean, sizeof(clean), value);
	attr(s, name, clean);
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static void write_service(struct xml_state *s, const struct report *r, const struct hg_port *p)
{
	const struct service_info *svc = p->service;
	const char *name = report_service_name(r, p->port, p->proto, svc);
	int probed = svc && svc->confidence == SERVICE_MATCHED;

	if (!name)
		return;
	start(s, "service");
	attr_text(s, "name", name);
	if (svc && svc->product[0])
		attr_text(s, "product", svc->product);
	if (svc && svc->version[0])
		attr_text(s, "version", svc->version);
	if (svc && svc->info[0])
		attr_text(s, "extrainfo", svc->info);
	if (svc && (svc->flags & SERVICE_FLAG_TLS))
		attr(s, "tunnel", "ssl");
	/* nmap's confidence: 3 for a port-table guess, 10 for a probe match. */
	attr(s, "method", probed ? "probed" : "table");
	attr(s, "conf", probed ? "10" : "3");
	end(s);
}

static void write_port(struct xml_state *s, const struct report *r, const struct hg_port *p)
{
	start(s, "port");
	attr(s, "protocol", proto_name(p->proto));
	attr_u(s, "portid", p->port);
	start(s, "state");
	attr(s, "state", port_state_name(p->state));
	attr(s, "reason", port_reason_name(p->reason));
	attr_u(s, "reason_ttl", p->ttl);
	end(s);
	write_service(s, r, p);
	end(s);
}

/*
 * nmap's rule (PortList::isIgnoredState without -v): a state other than open is folded into
 * <extraports> only when it has more than 25 ports; fewer are listed as <port> elements, which
 * is where consumers that read only <port> look. A state --show asks for is listed whole.
 */
static int folded(const struct report *r, const struct hg_host *h, int state)
{
	return state != PORT_OPEN && h->counts[state] && !((r->show >> state) & 1u) &&
	       h->counts[state] >= XML_EXTRAPORTS_MIN;
}

static void write_extraports(struct xml_state *s, const struct hg_host *h, int state)
{
	int reason;

	start(s, "extraports");
	attr(s, "state", port_state_name(state));
	attr_u(s, "count", h->counts[state]);
	for (reason = 0; reason < REASON_COUNT; reason++) {
		uint32_t count = 0;
		size_t i;

		for (i = 0; i < h->nports; i++)
			count += h->ports[i].state == state && h->ports[i].reason == reason;
		if (!count)
			continue;
		dynbuf_reset(&s->ranges);
		if (hg_port_ranges(h, state, reason, &s->ranges))
			s->failed = 1;
		start(s, "extrareasons");
		attr(s, "reason", port_reason_name(reason));
		attr_u(s, "count", count);
		attr(s, "proto", proto_name(h->nports ? h->ports[0].proto : IPPROTO_TCP));
		attr(s, "ports", s->ranges.data ? s->ranges.data : "");
		end(s);
	}
	end(s);
}

/*
 * <status>, <address>, <hostnames>: discovery's verdict, or without discovery (-Pn, a single
 * host) "up" by the user's word, as nmap -Pn writes it.
 */
static void write_identity(struct xml_state *s, const struct ps_addr *a, const char *hostname,
			   const struct host_status *st)
{
	char addr[PS_ADDR_STRLEN];

	start(s, "status");
	attr(s, "state", !st || st->up ? "up" : "down");
	attr(s, "reason", st ? port_reason_name(st->reason) : "user-set");
	attr_u(s, "reason_ttl", st ? st->ttl : 0);
	end(s);
	start(s, "address");
	attr(s, "addr", ps_addr_format(a, addr, sizeof(addr)));
	attr(s, "addrtype", a->family == AF_INET6 ? "ipv6" : "ipv4");
	end(s);
	start(s, "hostnames");
	if (hostname) {
		start(s, "hostname");
		attr_text(s, "name", hostname);
		attr(s, "type", "user");
		end(s);
	}
	end(s);
}

/* A host no port result describes: -sn's hosts up, -v's hosts down. */
static enum ps_err write_bare_host(void *ctx, const struct ps_addr *a, const char *hostname,
				   const struct host_status *st)
{
	struct report *r = ctx;
	struct xml_state *s = r->state;

	start(s, "host");
	write_identity(s, a, hostname, st);
	end(s);
	check(s, xmlTextWriterFlush(s->w));
	if (st->up)
		s->hosts_written++;
	return s->failed ? PS_ERR_IO : PS_OK;
}

static enum ps_err emit_host(void *ctx, const struct hg_host *h)
{
	struct report *r = ctx;
	struct xml_state *s = r->state;
	size_t i;
	int state;

	start(s, "host");
	attr_u(s, "starttime", (unsigned long long)h->first_seen);
	attr_u(s, "endtime", (unsigned long long)h->last_seen);
	write_identity(s, &h->addr, h->hostname, report_host_status(r, &h->addr));
	start(s, "ports");
	for (state = 0; state < PORT_STATE_COUNT; state++)
		if (folded(r, h, state))
			write_extraports(s, h, state);
	for (i = 0; i < h->nports; i++)
		if (!folded(r, h, h->ports[i].state))
			write_port(s, r, &h->ports[i]);
	end(s);
	end(s);
	check(s, xmlTextWriterFlush(s->w));
	s->hosts_written++;
	return s->failed ? PS_ERR_IO : PS_OK;
}

/* nmap's <scaninfo>: one per protocol scanned, the ports as ranges. */
static void write_scaninfo(struct xml_state *s, const char *type, const char *proto,
			   const struct portset *ports)
{
	struct hg_host all = {0};

	start(s, "scaninfo");
	attr(s, "type", type);
	attr(s, "protocol", proto);
	attr_u(s, "numservices", ports->count);
	/* Reuse the range writer: a pseudo-host holding every scanned port. */
	dynbuf_reset(&s->ranges);
	all.ports = malloc((ports->count ? ports->count : 1) * sizeof(*all.ports));
	if (!all.ports) {
		s->failed = 1;
		end(s);
		return;
	}
	if (portset_has(ports, 0)) /* ShieldsUP's port 0, which portset_next() starts above */
		all.ports[all.nports++] = (struct hg_port){.port = 0};
	for (uint32_t p = portset_next(ports, 0); p; p = portset_next(ports, p))
		all.ports[all.nports++] = (struct hg_port){.port = (uint16_t)p};
	if (hg_port_ranges(&all, -1, -1, &s->ranges))
		s->failed = 1;
	free(all.ports);
	attr(s, "services", s->ranges.data ? s->ranges.data : "");
	end(s);
}

/* Beyond this many, a dark network's no-route hosts are only counted in <runstats>. */
#define XML_NO_ROUTE_HOSTS_MAX 4096

/* The targets without a route, as nmap writes a host it could not scan: down, with why. */
static void write_no_route_hosts(struct report *r, struct xml_state *s)
{
	const struct target_list *none = r->meta ? r->meta->no_route : NULL;
	char addr[PS_ADDR_STRLEN];
	uint64_t i;

	for (i = 0; none && i < none->total && i < XML_NO_ROUTE_HOSTS_MAX; i++) {
		struct ps_addr a;

		target_list_get(none, i, &a, NULL);
		start(s, "host");
		start(s, "status");
		attr(s, "state", "down");
		attr(s, "reason", "no-route");
		attr(s, "reason_ttl", "0");
		end(s);
		start(s, "address");
		attr(s, "addr", ps_addr_format(&a, addr, sizeof(addr)));
		attr(s, "addrtype", a.family == AF_INET6 ? "ipv6" : "ipv4");
		end(s);
		end(s);
	}
}

static enum ps_err xml_begin(struct report *r)
{
	const struct report_meta *m = r->meta;
	struct xml_state *s = calloc(1, sizeof(*s));
	xmlOutputBufferPtr buf;
	char when[64] = "";

	if (!s)
		return PS_ERR_NOMEM;
	r->state = s;
	dynbuf_init(&s->ranges, XML_RANGES_MAX);
	hostgroup_init(&s->hosts, report_ports_per_host(r), emit_host, r);
	buf = xmlOutputBufferCreateFile(r->out, NULL);
	if (!buf)
		return PS_ERR_NOMEM;
	s->w = xmlNewTextWriter(buf);
	if (!s->w) {
		xmlOutputBufferClose(buf);
		return PS_ERR_NOMEM;
	}
	check(s, xmlTextWriterSetIndent(s->w, 1));
	check(s, xmlTextWriterStartDocument(s->w, "1.0", "UTF-8", NULL));
	check(s, xmlTextWriterStartDTD(s->w, BAD_CAST "nmaprun", NULL, NULL));
	check(s, xmlTextWriterEndDTD(s->w));
	check(s, xmlTextWriterWriteComment(s->w, BAD_CAST " portsight " PS_VERSION
							  " scan, in nmap's XML format "));
	start(s, "nmaprun");
	attr(s, "scanner", "nmap"); /* the DTD allows no other value */
	if (m && m->args)
		attr_text(s, "args", m->args);
	if (m) {
		struct tm tm;

		if (localtime_r(&m->start, &tm))
			strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
		attr_u(s, "start", (unsigned long long)m->start);
		attr(s, "startstr", when);
	}
	attr(s, "version", PS_VERSION);
	attr(s, "xmloutputversion", "1.05");
	if (m && m->ports && m->ports->count)
		write_scaninfo(s, m->engine && !strncmp(m->engine, "syn", 3) ? "syn" : "connect", "tcp",
			       m->ports);
	if (m && m->udp_ports && m->udp_ports->count)
		write_scaninfo(s, "udp", "udp", m->udp_ports);
	start(s, "verbose");
	attr(s, "level", "0");
	end(s);
	start(s, "debugging");
	attr(s, "level", "0");
	end(s);
	check(s, xmlTextWriterFlush(s->w));
	return s->failed ? PS_ERR_IO : PS_OK;
}

static enum ps_err xml_port(struct report *r, const struct port_result *res)
{
	struct xml_state *s = r->state;

	return hostgroup_add(&s->hosts, res);
}

static enum ps_err xml_end(struct report *r, const struct report_summary *sum)
{
	struct xml_state *s = r->state;
	time_t now = time(NULL);
	char when[64] = "", summary[160];
	struct tm tm;
	enum ps_err err;
	uint64_t up;

	if ((err = hostgroup_flush(&s->hosts)))
		return err;
	if ((err = report_unscanned_hosts(r, write_bare_host, r)))
		return err;
	write_no_route_hosts(r, s);
	up = sum->discovered ? sum->hosts_up : s->hosts_written;
	if (localtime_r(&now, &tm))
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	snprintf(summary, sizeof(summary),
		 "portsight done at %s; %llu IP addresses (%llu hosts up)"
		 " scanned in %.2f seconds",
		 when, (unsigned long long)sum->targets, (unsigned long long)up,
		 sum->elapsed_s);
	start(s, "runstats");
	start(s, "finished");
	attr_u(s, "time", (unsigned long long)now);
	attr(s, "timestr", when);
	check(s,
	      xmlTextWriterWriteFormatAttribute(s->w, BAD_CAST "elapsed", "%.2f", sum->elapsed_s));
	attr(s, "summary", summary);
	attr(s, "exit", sum->interrupted ? "error" : "success");
	if (sum->interrupted)
		attr(s, "errormsg", "interrupted");
	end(s);
	start(s, "hosts");
	attr_u(s, "up", up);
	attr_u(s, "down", sum->targets > up ? sum->targets - up : 0);
	attr_u(s, "total", sum->targets > up ? sum->targets : up);
	end(s);
	end(s);
	check(s, xmlTextWriterEndDocument(s->w));
	check(s, xmlTextWriterFlush(s->w));
	return s->failed || ferror(r->out) ? PS_ERR_IO : PS_OK;
}

static void xml_release(struct report *r)
{
	struct xml_state *s = r->state;

	if (!s)
		return;
	if (s->w)
		xmlFreeTextWriter(s->w);
	hostgroup_release(&s->hosts);
	dynbuf_release(&s->ranges);
	free(s);
	r->state = NULL;
}

const struct report_format report_xml = {
    .name = "xml",
    .begin = xml_begin,
    .port = xml_port,
    .end = xml_end,
    .release = xml_release,
};
