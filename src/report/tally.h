/* SPDX-License-Identifier: MIT */
#ifndef PS_REPORT_TALLY_H
#define PS_REPORT_TALLY_H

#include "hosttab.h"
#include "report.h"

/* Counts every result of a run for the summary line: states, stealth, hosts that answered. */
struct report_tally {
	struct report_summary sum;
	struct hosttab up; /* hosts with at least one answered port */
};

void report_tally_init(struct report_tally *t, uint64_t targets);
void report_tally_release(struct report_tally *t);
enum ps_err report_tally_add(struct report_tally *t, const struct port_result *res);

#endif
