/* SPDX-License-Identifier: MIT */
/* Helpers shared by the xml, grep, csv and html formats. */
#include "fmtutil.h"

const char *report_service_name(const struct report *r, uint16_t port, uint8_t proto,
				const struct service_info *svc)
{
	if (svc && svc->name[0])
		return svc->name;
	return r->kb ? kb_service_name(r->kb, port, proto) : NULL;
}

uint64_t report_ports_per_host(const struct report *r)
{
	uint64_t n = 0;

	if (!r->meta)
		return 0;
	if (r->meta->ports)
		n += r->meta->ports->count;
	if (r->meta->udp_ports)
		n += r->meta->udp_ports->count; /* -sS -sU: a host is whole with both protocols */
	return n;
}

enum ps_err report_each_skipped(struct report *r, report_skip_fn fn)
{
	const struct report_meta *m = r->meta;
	enum ps_err err = PS_OK;
	uint64_t i;

	if (!m)
		return PS_OK;
	for (i = 0; !err && m->no_route && i < m->no_route->total &&
		    i < REPORT_SKIPPED_LISTED_MAX;
	     i++) {
		struct ps_addr a;

		target_list_get(m->no_route, i, &a, NULL);
		err = fn(r, &a, REPORT_SKIP_NO_ROUTE);
	}
	for (i = 0; !err && i < m->ntimed_out; i++)
		err = fn(r, &m->timed_out[i], REPORT_SKIP_TIMEOUT);
	return err;
}
