/* SPDX-License-Identifier: MIT */
#include "tally.h"

#include <string.h>

void report_tally_init(struct report_tally *t, uint64_t targets)
{
	memset(&t->sum, 0, sizeof(t->sum));
	t->sum.targets = targets;
	hosttab_init(&t->up);
}

void report_tally_release(struct report_tally *t)
{
	hosttab_release(&t->up);
}

enum ps_err report_tally_add(struct report_tally *t, const struct port_result *res)
{
	t->sum.ports_scanned++;
	switch (res->state) {
	case PORT_OPEN:
		t->sum.open++;
		break;
	case PORT_CLOSED:
		t->sum.closed++;
		break;
	case PORT_OPEN_FILTERED:
		t->sum.open_filtered++;
		break;
	default:
		t->sum.filtered++;
		break;
	}
	if (!port_result_answered(res)) {
		t->sum.stealth++;
		return PS_OK;
	}
	if (!hosttab_get(&t->up, &res->addr, res->hostname))
		return PS_ERR_NOMEM;
	t->sum.hosts_up = t->up.nhosts;
	return PS_OK;
}
