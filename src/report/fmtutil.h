/* SPDX-License-Identifier: MIT */
#ifndef PS_REPORT_FMTUTIL_H
#define PS_REPORT_FMTUTIL_H

#include "report.h"

/* The service name to print for a port: what was identified, else the knowledge base's. */
const char *report_service_name(const struct report *r, uint16_t port, uint8_t proto,
				const struct service_info *svc);

/* Ports each host will get a result for, or 0 when unknown (no meta). */
uint64_t report_ports_per_host(const struct report *r);

#endif
