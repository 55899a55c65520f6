/* SPDX-License-Identifier: MIT */
#include "hostprofile.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"

void hostprofiles_init(struct hostprofiles *hp)
{
	memset(hp, 0, sizeof(*hp));
}

static void example_release(struct hg_host *h)
{
	size_t i;

	for (i = 0; i < h->nports; i++)
		free(h->ports[i].service);
	free(h->ports);
	free(h->hostname);
}

void hostprofiles_release(struct hostprofiles *hp)
{
	size_t i;

	for (i = 0; i < hp->ngroups; i++) {
		example_release(&hp->groups[i].example);
		free(hp->groups[i].ranges);
	}
	free(hp->groups);
	free(hp->slots);
	free(hp->open_tcp);
	free(hp->open_udp);
	memset(hp, 0, sizeof(*hp));
}

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* What makes two hosts look alike: every port's state and reason, open ports' services. */
static uint64_t profile_hash(const struct hg_host *h)
{
	uint64_t v = 0xcbf29ce484222325ull;
	size_t i;

	v = fnv(v, &h->addr.family, 1);
	for (i = 0; i < h->nports; i++) {
		const struct hg_port *p = &h->ports[i];
		const uint8_t key[5] = {(uint8_t)(p->port >> 8), (uint8_t)p->port, p->proto, p->state,
					p->reason};

		v = fnv(v, key, sizeof(key));
		if (p->state == PORT_OPEN && p->service) {
			v = fnv(v, p->service->name, strlen(p->service->name));
			v = fnv(v, p->service->product, strlen(p->service->product));
			v = fnv(v, p->service->version, strlen(p->service->version));
			v = fnv(v, &p->service->flags, sizeof(p->service->flags));
		}
	}
	return v;
}

static bool same_service(const struct service_info *a, const struct service_info *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a->name, b->name) && !strcmp(a->product, b->product) &&
	       !strcmp(a->version, b->version) && a->flags == b->flags;
}

static bool same_profile(const struct hg_host *a, const struct hg_host *b)
{
	size_t i;

	if (a->addr.family != b->addr.family || a->nports != b->nports)
		return false;
	for (i = 0; i < a->nports; i++) {
		const struct hg_port *p = &a->ports[i], *q = &b->ports[i];

		if (p->port != q->port || p->proto != q->proto || p->state != q->state ||
		    p->reason != q->reason)
			return false;
		if (p->state == PORT_OPEN && !same_service(p->service, q->service))
			return false;
	}
	return true;
}

static enum ps_err example_copy(struct hg_host *dst, const struct hg_host *src)
{
	size_t i;

	*dst = *src;
	dst->next = NULL;
	dst->hostname = NULL; /* a group has many hosts: no one name */
	dst->ports = calloc(src->nports ? src->nports : 1, sizeof(*dst->ports));
	if (!dst->ports)
		return PS_ERR_NOMEM;
	dst->ports_cap = src->nports;
	for (i = 0; i < src->nports; i++) {
		dst->ports[i] = src->ports[i];
		dst->ports[i].service = NULL;
		if (src->ports[i].service && src->ports[i].state == PORT_OPEN) {
			dst->ports[i].service = malloc(sizeof(*dst->ports[i].service));
			if (!dst->ports[i].service)
				return PS_ERR_NOMEM;
			*dst->ports[i].service = *src->ports[i].service;
		}
	}
	return PS_OK;
}

static enum ps_err grow_slots(struct hostprofiles *hp)
{
	size_t n = hp->nslots ? hp->nslots * 2 : 64, i;
	size_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return PS_ERR_NOMEM;
	for (i = 0; i < hp->ngroups; i++) {
		size_t s = (size_t)hp->groups[i].hash & (n - 1);

		while (slots[s])
			s = (s + 1) & (n - 1);
		slots[s] = i + 1;
	}
	free(hp->slots);
	hp->slots = slots;
	hp->nslots = n;
	return PS_OK;
}

/* The group of host's profile, made when it is the first of its kind. */
static enum ps_err group_of(struct hostprofiles *hp, const struct hg_host *host,
			    struct hp_group **out)
{
	uint64_t hash = profile_hash(host);
	struct hp_group *g;
	enum ps_err err;
	size_t s;

	if ((hp->ngroups + 1) * 2 > hp->nslots && (err = grow_slots(hp)))
		return err;
	for (s = (size_t)hash & (hp->nslots - 1); hp->slots[s]; s = (s + 1) & (hp->nslots - 1)) {
		g = &hp->groups[hp->slots[s] - 1];
		if (g->hash == hash && same_profile(&g->example, host)) {
			*out = g;
			return PS_OK;
		}
	}
	g = ps_array_grow(hp->groups, hp->ngroups, &hp->groups_cap, sizeof(*hp->groups), 16);
	if (!g)
		return PS_ERR_NOMEM;
	hp->groups = g;
	g = &hp->groups[hp->ngroups];
	memset(g, 0, sizeof(*g));
	g->hash = hash;
	if ((err = example_copy(&g->example, host))) {
		example_release(&g->example);
		return err;
	}
	hp->slots[s] = ++hp->ngroups;
	*out = g;
	return PS_OK;
}

static enum ps_err count_open(struct hostprofiles *hp, const struct hg_host *host)
{
	size_t i;

	for (i = 0; i < host->nports; i++) {
		const struct hg_port *p = &host->ports[i];
		uint32_t **counts = p->proto == IPPROTO_UDP ? &hp->open_udp : &hp->open_tcp;

		if (p->state != PORT_OPEN)
			continue;
		if (!*counts && !(*counts = calloc(65536, sizeof(**counts))))
			return PS_ERR_NOMEM;
		(*counts)[p->port]++;
	}
	return PS_OK;
}

enum ps_err hostprofiles_add(struct hostprofiles *hp, const struct hg_host *host)
{
	ps_u128 a = ps_addr_to_u128(&host->addr);
	struct hp_range *ranges;
	struct hp_group *g;
	enum ps_err err;

	if ((err = count_open(hp, host)) || (err = group_of(hp, host, &g)))
		return err;
	hp->hosts++;
	g->hosts++;
	if (ps_addr_cmp(&host->addr, &g->example.addr) < 0)
		g->example.addr = host->addr;
	/* Hosts come in address order from a flush, in completion order while streaming: a run
	 * grows when the next address follows its last one. */
	if (g->nranges && g->ranges[g->nranges - 1].last + 1 == a) {
		g->ranges[g->nranges - 1].last = a;
		return PS_OK;
	}
	ranges = ps_array_grow(g->ranges, g->nranges, &g->ranges_cap, sizeof(*ranges), 4);
	if (!ranges)
		return PS_ERR_NOMEM;
	g->ranges = ranges;
	g->ranges[g->nranges].first = a;
	g->ranges[g->nranges++].last = a;
	return PS_OK;
}

static int by_size(const void *va, const void *vb)
{
	const struct hp_group *a = va, *b = vb;

	if (a->hosts != b->hosts)
		return a->hosts > b->hosts ? -1 : 1;
	return ps_addr_cmp(&a->example.addr, &b->example.addr);
}

static int by_first(const void *va, const void *vb)
{
	const struct hp_range *a = va, *b = vb;

	return a->first < b->first ? -1 : a->first > b->first;
}

/* Hosts stream in completion order: sort a group's runs and join the ones that touch. */
static void merge_ranges(struct hp_group *g)
{
	size_t i, n = 0;

	qsort(g->ranges, g->nranges, sizeof(*g->ranges), by_first);
	for (i = 0; i < g->nranges; i++) {
		if (n && g->ranges[i].first <= g->ranges[n - 1].last + 1) {
			if (g->ranges[i].last > g->ranges[n - 1].last)
				g->ranges[n - 1].last = g->ranges[i].last;
			continue;
		}
		g->ranges[n++] = g->ranges[i];
	}
	g->nranges = n;
}

void hostprofiles_sort(struct hostprofiles *hp)
{
	size_t i;

	for (i = 0; i < hp->ngroups; i++)
		merge_ranges(&hp->groups[i]);
	/* The slots index positions that move here; nothing is added after sorting. */
	qsort(hp->groups, hp->ngroups, sizeof(*hp->groups), by_size);
	free(hp->slots);
	hp->slots = NULL;
	hp->nslots = 0;
}
