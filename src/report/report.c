/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "hostgroup.h"

/* Every output format; --format NAME picks one. */
static const struct report_format *const formats[] = {
	&report_text,
	&report_jsonl,
	&report_xml,
	&report_grep,
	&report_csv,
	&report_html,
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const struct report_format *report_format_find(const char *name)
{
	size_t i;

	for (i = 0; i < NFORMATS; i++)
		if (!strcmp(formats[i]->name, name))
			return formats[i];
	return NULL;
}

const char *report_format_names(void)
{
	static char names[256];
	size_t i, len = 0;

	if (names[0])
		return names;
	for (i = 0; i < NFORMATS && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
					formats[i]->name);
	return names;
}

void report_hosts(struct report *r, const struct host_table *table)
{
	r->hosts = table;
}

const struct host_status *report_host_status(const struct report *r, const struct ps_addr *addr)
{
	return host_table_find(r->hosts, addr);
}

enum ps_err report_unscanned_hosts(const struct report *r, report_host_fn fn, void *ctx)
{
	const struct host_table *t = r->hosts;
	enum ps_err err = PS_OK;
	uint64_t i;

	for (i = 0; t && !err && i < t->targets->total; i++) {
		const struct host_status *st = &t->status[i];
		struct ps_addr addr;
		const char *name;

		if (st->up ? !t->discovery_only : !t->verbose)
			continue;
		target_list_get(t->targets, i, &addr, &name);
		err = fn(ctx, &addr, name, st);
	}
	return err;
}

static enum ps_err host_alone(void *ctx, const struct ps_addr *addr, const char *hostname,
			      const struct host_status *st)
{
	struct report *r = ctx;

	return r->fmt->host(r, addr, hostname, st);
}

/* A host whose results are all in: its ports, sorted, to the format one by one. */
static enum ps_err emit_ordered(void *ctx, const struct hg_host *h)
{
	struct report *r = ctx;
	const struct host_status *st = report_host_status(r, &h->addr);
	enum ps_err err = PS_OK;
	size_t i;

	if (st && r->fmt->host)
		err = r->fmt->host(r, &h->addr, h->hostname, st);
	for (i = 0; !err && i < h->nports; i++) {
		const struct hg_port *p = &h->ports[i];
		struct port_result res = {
		    .addr = h->addr,
		    .hostname = h->hostname,
		    .port = p->port,
		    .proto = p->proto,
		    .state = p->state,
		    .reason = p->reason,
		    .ttl = p->ttl,
		    .rtt_us = p->rtt_us,
		    .service = p->service,
		};

		err = r->fmt->port(r, &res);
	}
	return err;
}

enum ps_err report_begin(struct report *r, const struct report_format *fmt, FILE *out,
			 const struct kb *kb, unsigned show, const struct report_meta *meta)
{
	memset(r, 0, sizeof(*r));
	r->fmt = fmt;
	r->out = out;
	r->kb = kb;
	r->show = show;
	r->meta = meta;
	if (fmt->by_host) {
		r->order = malloc(sizeof(*r->order));
		if (!r->order)
			return PS_ERR_NOMEM;
		/* Hosts of a permuted scan complete in random order near its end: holding them all
		 * to the flush costs little more and gives one address order for the file. */
		hostgroup_init(r->order, 0, emit_ordered, r);
	}
	return fmt->begin ? fmt->begin(r) : PS_OK;
}

enum ps_err report_port(struct report *r, const struct port_result *res)
{
	enum ps_err err;

	if (r->order)
		return hostgroup_add(r->order, res);
	err = r->fmt->port(r, res);

	if (!err && ferror(r->out))
		err = PS_ERR_IO;
	return err;
}

enum ps_err report_end(struct report *r, const struct report_summary *sum)
{
	enum ps_err err = r->order ? hostgroup_flush(r->order) : PS_OK;

	if (!err && r->order && r->fmt->host)
		err = report_unscanned_hosts(r, host_alone, r);
	if (!err && r->fmt->end)
		err = r->fmt->end(r, sum);

	if (!err && fflush(r->out))
		err = PS_ERR_IO;
	return err;
}

void report_release(struct report *r)
{
	if (r->fmt && r->fmt->release)
		r->fmt->release(r);
	r->state = NULL;
	if (r->order)
		hostgroup_release(r->order);
	free(r->order);
	r->order = NULL;
}

enum ps_err report_parse_show(const char *spec, unsigned *show, struct ps_diag *diag)
{
	static const struct {
		const char *name;
		unsigned mask;
	} words[] = {
		{"open", REPORT_SHOW_OPEN},	    {"closed", REPORT_SHOW_CLOSED},
		{"filtered", REPORT_SHOW_FILTERED}, {"stealth", REPORT_SHOW_FILTERED},
		{"open|filtered", REPORT_SHOW_OPEN_FILTERED},
		{"open-filtered", REPORT_SHOW_OPEN_FILTERED},
		{"all", REPORT_SHOW_ALL},
	};
	const char *p = spec;

	*show = 0;
	while (*p) {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].name) == len && !strncmp(words[i].name, p, len))
				break;
		if (i == sizeof(words) / sizeof(words[0]))
			return ps_fail(diag, PS_ERR_INVALID,
				       "bad --show \"%s\": use open, closed, filtered, open-filtered or all", spec);
		*show |= words[i].mask;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!*show)
		return ps_fail(diag, PS_ERR_INVALID, "bad --show: empty");
	return PS_OK;
}
