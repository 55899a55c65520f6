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
	return r->meta && r->meta->ports ? r->meta->ports->count : 0;
}
