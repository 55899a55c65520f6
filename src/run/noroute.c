/* SPDX-License-Identifier: MIT */
#include "noroute.h"

#include <net/if.h>
#include <stdbool.h>

#include "net/route.h"

/* *yes: the kernel has a route to v (ENETUNREACH: it has none); PS_OK also when it has none. */
static enum ps_err routable(ps_u128 v, uint8_t family, const char *interface, bool *yes,
			    struct ps_diag *diag)
{
	struct net_route rt;
	struct ps_addr addr;
	enum ps_err err;

	ps_addr_from_u128(v, family, &addr);
	err = net_route_lookup(&addr, interface, &rt, diag);
	/* An unreachable, prohibit or blackhole route is a route: the engine reports what it
	 * does to the probes (host-unreach, local-prohibited...), as for any other target. */
	*yes = err != PS_ERR_NOT_FOUND;
	return err == PS_ERR_NOMEM ? err : PS_OK;
}

/* r's ends are routed as at_lo and at_hi say; the unrouted part of r goes to out. */
static enum ps_err split(struct target_list *out, struct target_range r, bool at_lo, bool at_hi,
			 const char *interface, struct ps_diag *diag)
{
	struct target_range left = r, right = r;
	bool at_mid, at_next;
	enum ps_err err;

	if (at_lo == at_hi) {
		r.name = 0;
		return at_lo ? PS_OK : target_list_add_range(out, &r);
	}
	/* The ends disagree, so r has at least two addresses. */
	left.hi = r.lo + (r.hi - r.lo) / 2;
	right.lo = left.hi + 1;
	err = routable(left.hi, r.family, interface, &at_mid, diag);
	at_next = at_hi;
	if (!err && right.lo != r.hi)
		err = routable(right.lo, r.family, interface, &at_next, diag);
	if (!err)
		err = split(out, left, at_lo, at_mid, interface, diag);
	return err ? err : split(out, right, at_next, at_hi, interface, diag);
}

enum ps_err run_find_unroutable(const struct target_list *targets, const char *interface,
				struct target_list *unroutable, struct ps_diag *diag)
{
	enum ps_err err = PS_OK;
	size_t i;

	/* An interface that does not exist is the engine's error to give, with its words. */
	if (interface && !if_nametoindex(interface))
		return PS_OK;
	for (i = 0; !err && i < targets->nranges; i++) {
		const struct target_range *r = &targets->ranges[i];
		bool at_lo, at_hi;

		err = routable(r->lo, r->family, interface, &at_lo, diag);
		at_hi = at_lo;
		if (!err && r->hi != r->lo)
			err = routable(r->hi, r->family, interface, &at_hi, diag);
		if (!err)
			err = split(unroutable, *r, at_lo, at_hi, interface, diag);
	}
	if (!err && unroutable->nranges)
		err = target_list_finish(unroutable, NULL, UINT64_MAX, diag);
	return err;
}
