/* SPDX-License-Identifier: MIT */
#ifndef PS_REPORT_HOSTTAB_H
#define PS_REPORT_HOSTTAB_H

#include <stddef.h>
#include <stdint.h>

#include "core/result.h"

/* Per-host tallies for formats that print host by host (text, html, xml). */
struct report_host {
	struct ps_addr addr;
	const char *hostname;
	uint64_t count[PORT_STATE_COUNT];
	uint64_t stealth;	   /* filtered with no answer at all */
	struct port_result *listed; /* results the --show filter keeps, in arrival order */
	size_t nlisted;
	size_t listed_cap;
};

struct hosttab {
	struct report_host *hosts;
	size_t nhosts;
	size_t hosts_cap;
	uint32_t *slots; /* open addressing: index + 1 into hosts, 0 = empty */
	size_t nslots;
};

void hosttab_init(struct hosttab *tab);
void hosttab_release(struct hosttab *tab);
/* The host for addr, created on first sight; NULL when out of memory. */
struct report_host *hosttab_get(struct hosttab *tab, const struct ps_addr *addr,
				const char *hostname);
/* Counts res into its host and keeps a copy when listed is set. */
enum ps_err hosttab_add(struct hosttab *tab, const struct port_result *res, int listed);
/* Sorts hosts by address and their listed ports by port; lookups are over after this. */
void hosttab_sort(struct hosttab *tab);

static inline uint64_t report_host_answered(const struct report_host *h)
{
	return h->count[PORT_OPEN] + h->count[PORT_CLOSED] + h->count[PORT_FILTERED] +
	       h->count[PORT_OPEN_FILTERED] - h->stealth;
}

#endif
