/* SPDX-License-Identifier: MIT */
#include "core/array.h"
#include "hostgroup.h"

#include <stdlib.h>
#include <string.h>

#define HG_INITIAL_BUCKETS 64

void hostgroup_init(struct hostgroup *hg, uint64_t ports_per_host, hg_emit_fn emit, void *ctx)
{
	memset(hg, 0, sizeof(*hg));
	hg->ports_per_host = ports_per_host;
	hg->emit = emit;
	hg->ctx = ctx;
}

static void host_free(struct hg_host *h)
{
	size_t i;

	for (i = 0; i < h->nports; i++)
		free(h->ports[i].service);
	free(h->ports);
	free(h->hostname);
	free(h);
}

void hostgroup_release(struct hostgroup *hg)
{
	size_t i;

	for (i = 0; i < hg->nbuckets; i++) {
		struct hg_host *h = hg->buckets[i], *next;

		for (; h; h = next) {
			next = h->next;
			host_free(h);
		}
	}
	free(hg->buckets);
	hg->buckets = NULL;
	hg->nbuckets = 0;
	hg->nhosts = 0;
}

static enum ps_err grow_buckets(struct hostgroup *hg)
{
	size_t n = hg->nbuckets ? hg->nbuckets * 2 : HG_INITIAL_BUCKETS, i;
	struct hg_host **b = calloc(n, sizeof(*b));

	if (!b)
		return PS_ERR_NOMEM;
	for (i = 0; i < hg->nbuckets; i++) {
		struct hg_host *h = hg->buckets[i], *next;

		for (; h; h = next) {
			size_t slot = ps_addr_hash(&h->addr) & (n - 1);

			next = h->next;
			h->next = b[slot];
			b[slot] = h;
		}
	}
	free(hg->buckets);
	hg->buckets = b;
	hg->nbuckets = n;
	return PS_OK;
}

static struct hg_host **find_slot(struct hostgroup *hg, const struct ps_addr *addr)
{
	struct hg_host **p = &hg->buckets[ps_addr_hash(addr) & (hg->nbuckets - 1)];

	while (*p && ps_addr_cmp(&(*p)->addr, addr))
		p = &(*p)->next;
	return p;
}

static enum ps_err host_new(struct hostgroup *hg, const struct port_result *res,
			    struct hg_host ***slot)
{
	struct hg_host *h;

	if (hg->nhosts >= hg->nbuckets) {
		enum ps_err err = grow_buckets(hg);

		if (err)
			return err;
		*slot = find_slot(hg, &res->addr);
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return PS_ERR_NOMEM;
	h->addr = res->addr;
	if (res->hostname && !(h->hostname = strdup(res->hostname))) {
		free(h);
		return PS_ERR_NOMEM;
	}
	h->first_seen = time(NULL);
	**slot = h;
	hg->nhosts++;
	return PS_OK;
}

static enum ps_err host_add_port(struct hg_host *h, const struct port_result *res)
{
	struct hg_port *p;

	struct hg_port *n = ps_array_grow(h->ports, h->nports, &h->ports_cap, sizeof(*n), 16);

	if (!n)
		return PS_ERR_NOMEM;
	h->ports = n;
	p = &h->ports[h->nports];
	memset(p, 0, sizeof(*p));
	p->port = res->port;
	p->proto = res->proto;
	p->state = res->state < PORT_STATE_COUNT ? res->state : PORT_FILTERED;
	p->reason = res->reason < REASON_COUNT ? res->reason : REASON_NONE;
	p->ttl = res->ttl;
	p->rtt_us = res->rtt_us;
	if (res->service) {
		p->service = malloc(sizeof(*p->service));
		if (!p->service)
			return PS_ERR_NOMEM;
		*p->service = *res->service;
		/* The engine's buffers are not ours to trust: terminate every field. */
		p->service->name[sizeof(p->service->name) - 1] = '\0';
		p->service->product[sizeof(p->service->product) - 1] = '\0';
		p->service->version[sizeof(p->service->version) - 1] = '\0';
		p->service->info[sizeof(p->service->info) - 1] = '\0';
	}
	h->nports++;
	h->counts[p->state]++;
	if (port_result_answered(res))
		h->answered++;
	else
		h->stealth++;
	h->last_seen = time(NULL);
	return PS_OK;
}

static int port_cmp(const void *a, const void *b)
{
	const struct hg_port *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return (x->port > y->port) - (x->port < y->port);
}

static enum ps_err emit_host(struct hostgroup *hg, struct hg_host *h)
{
	qsort(h->ports, h->nports, sizeof(*h->ports), port_cmp);
	return hg->emit(hg->ctx, h);
}

enum ps_err hostgroup_add(struct hostgroup *hg, const struct port_result *res)
{
	struct hg_host **slot, *h;
	enum ps_err err;

	if (!hg->nbuckets && (err = grow_buckets(hg)))
		return err;
	slot = find_slot(hg, &res->addr);
	if (!*slot && (err = host_new(hg, res, &slot)))
		return err;
	h = *slot;
	if ((err = host_add_port(h, res)))
		return err;
	if (hg->ports_per_host && h->nports >= hg->ports_per_host) {
		*slot = h->next;
		hg->nhosts--;
		err = emit_host(hg, h);
		host_free(h);
	}
	return err;
}

static int host_ptr_cmp(const void *a, const void *b)
{
	const struct hg_host *const *x = a, *const *y = b;

	return ps_addr_cmp(&(*x)->addr, &(*y)->addr);
}

enum ps_err hostgroup_flush(struct hostgroup *hg)
{
	struct hg_host **all;
	size_t i, n = 0;
	enum ps_err err = PS_OK;

	if (!hg->nhosts)
		return PS_OK;
	all = malloc(hg->nhosts * sizeof(*all));
	if (!all)
		return PS_ERR_NOMEM;
	for (i = 0; i < hg->nbuckets; i++) {
		struct hg_host *h;

		for (h = hg->buckets[i]; h; h = h->next)
			all[n++] = h;
		hg->buckets[i] = NULL;
	}
	hg->nhosts = 0;
	qsort(all, n, sizeof(*all), host_ptr_cmp);
	for (i = 0; i < n; i++) {
		if (!err)
			err = emit_host(hg, all[i]);
		host_free(all[i]);
	}
	free(all);
	return err;
}

enum ps_err hg_port_ranges(const struct hg_host *host, int state, int reason, struct dynbuf *out)
{
	size_t i, start = out->len;
	int lo = -1, hi = -1;
	enum ps_err err;

	for (i = 0; i <= host->nports; i++) {
		const struct hg_port *p = i < host->nports ? &host->ports[i] : NULL;

		if (p &&
		    ((state >= 0 && p->state != state) || (reason >= 0 && p->reason != reason)))
			continue;
		if (p && hi >= 0 && p->port == hi + 1) {
			hi = p->port;
			continue;
		}
		if (hi >= 0) {
			const char *sep = out->len > start ? "," : "";

			err = lo == hi ? dynbuf_addf(out, "%s%d", sep, lo)
				       : dynbuf_addf(out, "%s%d-%d", sep, lo, hi);
			if (err)
				return err;
		}
		if (p)
			lo = hi = p->port;
	}
	return PS_OK;
}
