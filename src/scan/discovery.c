/* SPDX-License-Identifier: MIT */
/*
 * Host discovery (discovery.h): each target range goes the way its route says (this
 * machine: up at once; on-link: the kernel's ARP/ND; elsewhere: the host probe module on the
 * stateless transport, or the connect engine without raw sockets), every answer lands in one
 * status per target, and the caller hears every target once, in order, at the end.
 */
#include "discovery.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/portset.h"
#include "net/raw.h"
#include "net/route.h"
#include "stateless.h"

#define NEIGH_TIMEOUT_MS 3000 /* ARP/NDP retry every second; three tries */
/* The kernel's neighbour table holds ~1024 entries by default (gc_thresh3). */
#define MAX_NEIGH_ADDRS 1024u

enum path { PATH_PROBE, PATH_LOCAL, PATH_NEIGH, PATH_NONE };

struct discovery {
	const struct scan_opts *opts;
	const struct scan_discovery *d;
	struct host_status *status; /* by target number */
	struct scan_stats *stats;
	enum path *paths;	    /* by range */
	struct net_route *routes;   /* by range */
};

size_t scan_discovery_defaults(struct scan_host_probe *out)
{
	/* nmap's default for a privileged scan (-PE -PS443 -PA80 -PP). */
	out[0] = (struct scan_host_probe){.kind = SCAN_HOST_ECHO};
	out[1] = (struct scan_host_probe){.kind = SCAN_HOST_SYN, .port = 443};
	out[2] = (struct scan_host_probe){.kind = SCAN_HOST_ACK, .port = 80};
	out[3] = (struct scan_host_probe){.kind = SCAN_HOST_TIMESTAMP};
	return 4;
}

static void mark(struct discovery *ds, const struct ps_addr *addr, bool up, uint8_t reason,
		 uint8_t ttl, uint32_t rtt_us)
{
	uint64_t index;
	struct host_status *st;

	if (!target_list_index_of(ds->opts->targets, addr, &index))
		return;
	st = &ds->status[index];
	if (st->up)
		return; /* the first answer is the host's */
	/* A router's word that the host is unreachable is kept until the host itself answers. */
	if (!up && st->reason != REASON_NO_RESPONSE)
		return;
	st->up = up;
	st->reason = reason;
	st->ttl = ttl;
	st->rtt_us = rtt_us;
}

static void on_probe_result(void *ctx, const struct port_result *res)
{
	struct discovery *ds = ctx;

	if (res->state == PORT_OPEN)
		mark(ds, &res->addr, true, res->reason, res->ttl, res->rtt_us);
	else if (res->reason != REASON_NO_RESPONSE && res->reason != REASON_NONE)
		mark(ds, &res->addr, false, res->reason, res->ttl, res->rtt_us);
}

/* The connect path: a connection or a refusal both come from a living host. */
static void on_connect_result(void *ctx, const struct port_result *res)
{
	struct discovery *ds = ctx;

	if (res->state == PORT_OPEN || res->state == PORT_CLOSED)
		mark(ds, &res->addr, true, res->reason, res->ttl, res->rtt_us);
}

static void add_stats(struct scan_stats *sum, const struct scan_stats *s)
{
	sum->probes_sent += s->probes_sent;
	sum->retransmits += s->retransmits;
	sum->replies += s->replies;
	if (s->srtt_us)
		sum->srtt_us = s->srtt_us;
}

/*
 * out (initialised, empty) gets the targets whose range's path is p, hostnames kept; *any is
 * false (and out left empty) when there are none.
 */
static enum ps_err ranges_of(struct discovery *ds, enum path p, struct target_list *out,
			     bool *any, struct ps_diag *diag)
{
	const struct target_list *t = ds->opts->targets;
	struct target_list others;
	enum ps_err err = PS_OK;
	size_t i, n = 0;

	*any = false;
	for (i = 0; i < t->nranges; i++)
		n += ds->paths[i] == p;
	if (!n)
		return PS_OK;
	*any = true;
	target_list_init(&others);
	for (i = 0; !err && i < t->nranges; i++) {
		struct target_range r = t->ranges[i];

		r.name = 0;
		if (ds->paths[i] != p)
			err = target_list_add_range(&others, &r);
	}
	if (!err && others.nranges)
		err = target_list_finish(&others, NULL, UINT64_MAX, diag);
	if (!err)
		err = target_list_copy(out, t);
	if (!err)
		err = target_list_finish(out, others.nranges ? &others : NULL, UINT64_MAX, diag);
	target_list_release(&others);
	return err;
}

/*
 * This machine's own addresses among the targets are up without a probe (nmap's
 * localhost-response); 127.0.0.0/8 and ::1 are found by their route. Returns how many of the
 * machine's addresses there are (they may hide the path of the range around them).
 */
static size_t settle_own_addresses(struct discovery *ds)
{
	struct ifaddrs *ifs, *ifa;
	size_t n = 0;

	if (getifaddrs(&ifs))
		return 0;
	for (ifa = ifs; ifa; ifa = ifa->ifa_next) {
		struct ps_addr a = {0};
		uint64_t index;

		if (!ifa->ifa_addr || (ifa->ifa_addr->sa_family != AF_INET &&
				       ifa->ifa_addr->sa_family != AF_INET6))
			continue;
		if (ps_addr_from_sockaddr(ifa->ifa_addr, &a, NULL))
			continue;
		n++;
		if (!ds->d->probe_local && target_list_index_of(ds->opts->targets, &a, &index)) {
			ds->status[index].up = 1;
			ds->status[index].reason = REASON_LOCALHOST_RESPONSE;
		}
	}
	freeifaddrs(ifs);
	return n;
}

/*
 * The address of range i whose route tells the range's path: the first one that is not
 * this machine's own (192.0.2.1-20 holding our 192.0.2.1 is an on-link range).
 */
static void path_address(const struct discovery *ds, size_t i, size_t nown, struct ps_addr *a)
{
	const struct target_list *t = ds->opts->targets;
	uint64_t k, count = (uint64_t)(t->ranges[i].hi - t->ranges[i].lo) + 1;

	for (k = 0; k < count && k <= nown; k++) {
		const struct host_status *st = &ds->status[t->start[i] + k];

		ps_addr_from_u128(t->ranges[i].lo + k, t->ranges[i].family, a);
		if (!(st->up && st->reason == REASON_LOCALHOST_RESPONSE))
			return;
	}
}

/* Which way each range goes: looked up at its first address that is not ours. */
static enum ps_err plan_paths(struct discovery *ds, bool raw, struct ps_diag *diag)
{
	const struct target_list *t = ds->opts->targets;
	size_t nown = settle_own_addresses(ds);
	uint64_t neigh = 0;
	size_t i;

	for (i = 0; i < t->nranges; i++) {
		struct net_route *rt = &ds->routes[i];
		struct ps_addr first;
		enum ps_err err;
		uint64_t count = (uint64_t)(t->ranges[i].hi - t->ranges[i].lo) + 1;

		path_address(ds, i, nown, &first);
		err = net_route_lookup(&first, ds->opts->interface, rt, diag);
		if (err == PS_ERR_NOT_FOUND) {
			ds->paths[i] = PATH_NONE;
			continue;
		}
		if (err)
			return err;
		if (rt->local && !ds->d->probe_local)
			ds->paths[i] = PATH_LOCAL;
		else if (raw && !rt->local && !rt->gateway.family && !ds->d->no_neighbour &&
			 net_route_has_ethernet(rt) && neigh + count <= MAX_NEIGH_ADDRS) {
			ds->paths[i] = PATH_NEIGH;
			neigh += count;
		} else {
			ds->paths[i] = PATH_PROBE;
		}
	}
	return PS_OK;
}

static void settle_local_and_unrouted(struct discovery *ds)
{
	const struct target_list *t = ds->opts->targets;
	size_t i;

	for (i = 0; i < t->nranges; i++) {
		uint64_t k, count = (uint64_t)(t->ranges[i].hi - t->ranges[i].lo) + 1;

		if (ds->paths[i] != PATH_LOCAL && ds->paths[i] != PATH_NONE)
			continue;
		for (k = 0; k < count; k++) {
			struct host_status *st = &ds->status[t->start[i] + k];

			if (st->up)
				continue;
			st->up = ds->paths[i] == PATH_LOCAL;
			st->reason = st->up ? REASON_LOCALHOST_RESPONSE : REASON_NO_ROUTE;
		}
	}
}

/* On-link ranges: whoever answers the kernel's ARP (ND) request is there. */
static enum ps_err ask_neighbours(struct discovery *ds, struct ps_diag *diag)
{
	const struct target_list *t = ds->opts->targets;
	enum ps_err err = PS_OK;
	size_t i;

	for (i = 0; !err && i < t->nranges; i++) {
		size_t k, count = (size_t)(t->ranges[i].hi - t->ranges[i].lo) + 1;
		struct ps_addr *addrs;
		uint8_t(*macs)[NET_ETH_ALEN];
		bool *found;

		if (ds->paths[i] != PATH_NEIGH)
			continue;
		addrs = calloc(count, sizeof(*addrs));
		macs = calloc(count, sizeof(*macs));
		found = calloc(count, sizeof(*found));
		if (!addrs || !macs || !found)
			err = PS_ERR_NOMEM;
		for (k = 0; !err && k < count; k++)
			target_list_get(t, t->start[i] + k, &addrs[k], NULL);
		if (!err)
			err = net_neigh_resolve_many(&ds->routes[i], addrs, count, NEIGH_TIMEOUT_MS,
						     macs, found, diag);
		for (k = 0; !err && k < count; k++)
			if (found[k])
				mark(ds, &addrs[k], true,
				     addrs[k].family == AF_INET6 ? REASON_ND_RESPONSE
								 : REASON_ARP_RESPONSE,
				     0, 0);
		free(addrs);
		free(macs);
		free(found);
	}
	return err;
}

/* The port scan's options for a discovery run: every host asked in full (--host-timeout is
 * the port scan's, as nmap's), its results to on_result. */
static struct scan_opts discovery_opts(struct discovery *ds, const struct target_list *targets,
				       const struct portset *ports,
				       scan_result_fn on_result)
{
	struct scan_opts o = *ds->opts;

	o.host_timeout_ns = 0;
	o.on_host_timeout = NULL;
	o.targets = targets;
	o.ports = ports;
	o.on_result = on_result;
	o.result_ctx = ds;
	return o;
}

static enum ps_err run_probes(struct discovery *ds, const struct target_list *targets,
			      const struct scan_host_probe *probes, size_t nprobes,
			      struct ps_diag *diag)
{
	struct scan_stats st = {0};
	struct portset ports;
	struct scan_opts o;
	enum ps_err err;
	size_t k;

	portset_clear(&ports);
	for (k = 0; k < nprobes; k++)
		portset_add(&ports, (uint16_t)(k + 1));
	o = discovery_opts(ds, targets, &ports, on_probe_result);
	o.host_probes = probes;
	o.nhost_probes = (unsigned)nprobes;
	err = scan_stateless_run(&scan_host_module, &o, &st, diag);
	add_stats(ds->stats, &st);
	return err;
}

static enum ps_err run_connect(struct discovery *ds, const struct target_list *targets,
			       const struct scan_host_probe *probes, size_t nprobes,
			       struct ps_diag *diag)
{
	struct scan_stats st = {0};
	struct portset ports;
	struct scan_opts o;
	enum ps_err err;
	size_t k;

	portset_clear(&ports);
	for (k = 0; k < nprobes; k++)
		if (probes[k].kind == SCAN_HOST_SYN)
			portset_add(&ports, probes[k].port);
	if (!ports.count) {
		/* nmap's unprivileged discovery: connect() to 80 and 443. */
		portset_add(&ports, 80);
		portset_add(&ports, 443);
	}
	o = discovery_opts(ds, targets, &ports, on_connect_result);
	err = scan_connect_engine.run(&o, &st, diag);
	add_stats(ds->stats, &st);
	return err;
}

static bool raw_only(const struct scan_host_probe *probes, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (probes[k].kind == SCAN_HOST_SYN)
			return false;
	return true;
}

static enum ps_err probe_rest(struct discovery *ds, bool raw, const struct scan_host_probe *probes,
			      size_t nprobes, struct ps_diag *diag)
{
	struct target_list sub;
	bool any;
	enum ps_err err;

	target_list_init(&sub);
	err = ranges_of(ds, PATH_PROBE, &sub, &any, diag);
	if (!err && any)
		err = raw ? run_probes(ds, &sub, probes, nprobes, diag)
			  : run_connect(ds, &sub, probes, nprobes, diag);
	target_list_release(&sub);
	return err;
}

static void tell(const struct discovery *ds)
{
	const struct target_list *t = ds->opts->targets;
	uint64_t i;

	if (!ds->d->on_host)
		return;
	for (i = 0; i < t->total; i++) {
		struct scan_host_result h = {.index = i, .status = ds->status[i]};

		target_list_get(t, i, &h.addr, &h.hostname);
		ds->d->on_host(ds->d->host_ctx, &h);
	}
}

enum ps_err scan_discovery_check(const struct scan_discovery *d, struct ps_diag *diag)
{
	if (d->probes && d->nprobes && raw_only(d->probes, d->nprobes) && !d->unprivileged &&
	    !net_raw_permitted())
		return ps_fail(diag, PS_ERR_PERMISSION,
			       "these discovery probes (ICMP, ACK, UDP) send raw packets: they "
			       "need root or CAP_NET_RAW (-PS uses connect() without them)");
	return PS_OK;
}

enum ps_err scan_discover(const struct scan_opts *opts, const struct scan_discovery *d,
			  struct scan_stats *stats, struct ps_diag *diag)
{
	struct scan_host_probe defaults[4];
	const struct scan_host_probe *probes = d->probes;
	size_t nprobes = d->nprobes;
	struct scan_stats unused = {0};
	struct discovery ds = {.opts = opts, .d = d, .stats = stats ? stats : &unused};
	bool raw = !d->unprivileged && net_raw_permitted();
	enum ps_err err;
	uint64_t i;

	memset(ds.stats, 0, sizeof(*ds.stats));
	if (!probes || !nprobes) {
		nprobes = scan_discovery_defaults(defaults);
		probes = defaults;
	}
	if (nprobes > SCAN_HOST_PROBES_MAX)
		return ps_fail(diag, PS_ERR_INVALID, "at most %d discovery probes",
			       SCAN_HOST_PROBES_MAX);
	if (!opts->targets->total)
		return ps_fail(diag, PS_ERR_INVALID, "nothing to discover");
	if (opts->targets->total > SCAN_DISCOVERY_MAX_TARGETS)
		return ps_fail(diag, PS_ERR_TOO_LARGE,
			       "host discovery takes at most %llu addresses at once; split the "
			       "targets or skip discovery (-Pn)",
			       (unsigned long long)SCAN_DISCOVERY_MAX_TARGETS);
	if (!raw && raw_only(probes, nprobes) && !d->unprivileged)
		return scan_discovery_check(d, diag);
	ds.status = calloc(opts->targets->total, sizeof(*ds.status));
	ds.paths = calloc(opts->targets->nranges, sizeof(*ds.paths));
	ds.routes = calloc(opts->targets->nranges, sizeof(*ds.routes));
	if (!ds.status || !ds.paths || !ds.routes) {
		err = ps_fail(diag, PS_ERR_NOMEM, "out of memory for %llu hosts",
			      (unsigned long long)opts->targets->total);
		goto out;
	}
	for (i = 0; i < opts->targets->total; i++)
		ds.status[i].reason = REASON_NO_RESPONSE;
	err = plan_paths(&ds, raw, diag);
	if (err)
		goto out;
	settle_local_and_unrouted(&ds);
	err = ask_neighbours(&ds, diag);
	if (!err)
		err = probe_rest(&ds, raw, probes, nprobes, diag);
	if (!err)
		tell(&ds);
out:
	free(ds.status);
	free(ds.paths);
	free(ds.routes);
	return err;
}

enum ps_err scan_ping_echo(const struct scan_opts *opts, scan_host_fn fn, void *ctx,
			   struct ps_diag *diag)
{
	static const struct scan_host_probe echo = {.kind = SCAN_HOST_ECHO};
	struct scan_discovery d = {
	    .probes = &echo,
	    .nprobes = 1,
	    .no_neighbour = true,
	    .probe_local = true,
	    .on_host = fn,
	    .host_ctx = ctx,
	};

	return scan_discover(opts, &d, NULL, diag);
}
