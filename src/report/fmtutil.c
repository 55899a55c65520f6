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
