/* SPDX-License-Identifier: MIT */
#ifndef PS_REPORT_FMTUTIL_H
#define PS_REPORT_FMTUTIL_H

#include "report.h"

/* The service name to print for a port: what was identified, else the knowledge base's. */
const char *report_service_name(const struct report *r, uint16_t port, uint8_t proto,
				const struct service_info *svc);

/* Ports each host will get a result for, or 0 when unknown (no meta). */
uint64_t report_ports_per_host(const struct report *r);

/* Beyond this many, the hosts a scan skipped (no route) are only counted, not listed. */
#define REPORT_SKIPPED_LISTED_MAX 4096

/*
 * The hosts a scan did not report ports for, in address order: kind "down" (no route; at most
 * REPORT_SKIPPED_LISTED_MAX) then "timeout" (given up, --host-timeout). Calls fn for each;
 * stops at fn's first error and returns it.
 */
enum report_skip_kind { REPORT_SKIP_NO_ROUTE, REPORT_SKIP_TIMEOUT };
typedef enum ps_err (*report_skip_fn)(struct report *r, const struct ps_addr *addr,
				      enum report_skip_kind kind);
enum ps_err report_each_skipped(struct report *r, report_skip_fn fn);

#endif
