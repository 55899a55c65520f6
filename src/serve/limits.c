/* SPDX-License-Identifier: MIT */
#include "limits.h"

#include <stdlib.h>
#include <string.h>

enum ps_err serve_limits_init(struct serve_limits *l, unsigned max_active, unsigned quota,
			      size_t addresses)
{
	memset(l, 0, sizeof(*l));
	if (!max_active || !quota || quota > SERVE_QUOTA_MAX || !addresses)
		return PS_ERR_RANGE;
	l->table = calloc(addresses, sizeof(*l->table));
	if (!l->table)
		return PS_ERR_NOMEM;
	l->size = addresses;
	l->max_active = max_active;
	l->quota = quota;
	pthread_mutex_init(&l->lock, NULL);
	return PS_OK;
}

void serve_limits_release(struct serve_limits *l)
{
	if (!l->table)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l->table);
	l->table = NULL;
}

static unsigned recent_starts(const struct serve_limit_entry *e, int64_t now)
{
	unsigned i, n = 0;

	for (i = 0; i < e->nstarts; i++)
		n += now - e->starts[i] < SERVE_QUOTA_WINDOW_S;
	return n;
}

/* The entry of addr, or a free one, or one with nothing to remember; NULL when full. */
static struct serve_limit_entry *find_entry(struct serve_limits *l, const struct ps_addr *addr,
					    int64_t now)
{
	size_t start = ps_addr_hash(addr) % l->size, i;
	struct serve_limit_entry *spare = NULL;

	for (i = 0; i < l->size; i++) {
		struct serve_limit_entry *e = &l->table[(start + i) % l->size];

		if (e->used && !ps_addr_cmp(&e->addr, addr))
			return e;
		if (!spare && (!e->used || (!e->active && !recent_starts(e, now))))
			spare = e;
		/* Entries are never unlinked, so an unused slot ends the probe sequence. */
		if (!e->used)
			break;
	}
	if (spare) {
		memset(spare, 0, sizeof(*spare));
		spare->used = true;
		spare->addr = *addr;
	}
	return spare;
}

enum serve_refusal serve_limits_acquire(struct serve_limits *l, const struct ps_addr *addr,
					int64_t now)
{
	struct serve_limit_entry *e;
	/* No entry: no room to remember one more address, so no scan either. */
	enum serve_refusal r = SERVE_REFUSE_BUSY;

	pthread_mutex_lock(&l->lock);
	e = find_entry(l, addr, now);
	if (e) {
		if (e->active)
			r = SERVE_REFUSE_ACTIVE;
		else if (recent_starts(e, now) >= l->quota)
			r = SERVE_REFUSE_QUOTA;
		else if (l->active < l->max_active)
			r = SERVE_OK;
		if (r == SERVE_OK) {
			e->active = true;
			e->starts[e->next] = now;
			e->next = (uint8_t)((e->next + 1) % l->quota);
			if (e->nstarts < l->quota)
				e->nstarts++;
			l->active++;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return r;
}

void serve_limits_done(struct serve_limits *l, const struct ps_addr *addr)
{
	size_t start = ps_addr_hash(addr) % l->size, i;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < l->size; i++) {
		struct serve_limit_entry *e = &l->table[(start + i) % l->size];

		if (!e->used)
			break;
		if (!ps_addr_cmp(&e->addr, addr)) {
			if (e->active) {
				e->active = false;
				l->active--;
			}
			break;
		}
	}
	pthread_mutex_unlock(&l->lock);
}

const char *serve_refusal_name(enum serve_refusal r)
{
	switch (r) {
	case SERVE_OK:
		return "ok";
	case SERVE_REFUSE_ACTIVE:
		return "active";
	case SERVE_REFUSE_QUOTA:
		return "quota";
	case SERVE_REFUSE_BUSY:
		return "busy";
	default:
		return "?";
	}
}
