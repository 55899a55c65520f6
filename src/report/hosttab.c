/* SPDX-License-Identifier: MIT */
#include "core/array.h"
#include "hosttab.h"

#include <stdlib.h>
#include <string.h>

void hosttab_init(struct hosttab *tab)
{
	memset(tab, 0, sizeof(*tab));
}

void hosttab_release(struct hosttab *tab)
{
	size_t i;

	for (i = 0; i < tab->nhosts; i++)
		free(tab->hosts[i].listed);
	free(tab->hosts);
	free(tab->slots);
	hosttab_init(tab);
}

static int rehash(struct hosttab *tab, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));
	size_t i;

	if (!slots)
		return -1;
	for (i = 0; i < tab->nhosts; i++) {
		size_t s = ps_addr_hash(&tab->hosts[i].addr) & (nslots - 1);

		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = (uint32_t)(i + 1);
	}
	free(tab->slots);
	tab->slots = slots;
	tab->nslots = nslots;
	return 0;
}

struct report_host *hosttab_get(struct hosttab *tab, const struct ps_addr *addr,
				const char *hostname)
{
	struct report_host *h;
	size_t s;

	if (tab->nslots) {
		s = ps_addr_hash(addr) & (tab->nslots - 1);
		while (tab->slots[s]) {
			h = &tab->hosts[tab->slots[s] - 1];
			if (!ps_addr_cmp(&h->addr, addr))
				return h;
			s = (s + 1) & (tab->nslots - 1);
		}
	}
	struct report_host *p =
	    ps_array_grow(tab->hosts, tab->nhosts, &tab->hosts_cap, sizeof(*p), 16);

	if (!p)
		return NULL;
	tab->hosts = p;
	h = &tab->hosts[tab->nhosts++];
	memset(h, 0, sizeof(*h));
	h->addr = *addr;
	h->hostname = hostname;
	/* Keep the load under one half so probes stay short. */
	if (tab->nhosts * 2 > tab->nslots) {
		if (rehash(tab, tab->nslots ? tab->nslots * 2 : 64)) {
			tab->nhosts--;
			return NULL;
		}
		return h;
	}
	s = ps_addr_hash(addr) & (tab->nslots - 1);
	while (tab->slots[s])
		s = (s + 1) & (tab->nslots - 1);
	tab->slots[s] = (uint32_t)tab->nhosts;
	return h;
}

enum ps_err hosttab_add(struct hosttab *tab, const struct port_result *res, int listed)
{
	struct report_host *h = hosttab_get(tab, &res->addr, res->hostname);

	if (!h)
		return PS_ERR_NOMEM;
	if (res->state < PORT_STATE_COUNT)
		h->count[res->state]++;
	if (!port_result_answered(res))
		h->stealth++;
	if (!listed)
		return PS_OK;
	struct port_result *p = ps_array_grow(h->listed, h->nlisted, &h->listed_cap, sizeof(*p), 8);

	if (!p)
		return PS_ERR_NOMEM;
	h->listed = p;
	h->listed[h->nlisted++] = *res;
	return PS_OK;
}

static int host_cmp(const void *a, const void *b)
{
	return ps_addr_cmp(&((const struct report_host *)a)->addr,
			   &((const struct report_host *)b)->addr);
}

static int port_cmp(const void *a, const void *b)
{
	const struct port_result *x = a, *y = b;

	return (int)x->port - (int)y->port;
}

void hosttab_sort(struct hosttab *tab)
{
	size_t i;

	if (tab->nhosts > 1)
		qsort(tab->hosts, tab->nhosts, sizeof(*tab->hosts), host_cmp);
	for (i = 0; i < tab->nhosts; i++)
		if (tab->hosts[i].nlisted > 1)
			qsort(tab->hosts[i].listed, tab->hosts[i].nlisted,
			      sizeof(struct port_result), port_cmp);
	free(tab->slots);
	tab->slots = NULL;
	tab->nslots = 0;
}
