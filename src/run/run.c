/* SPDX-License-Identifier: MIT */
/*
 * One scan run: pick the engine, begin the sinks, let the engine deliver every result through
 * the tally (and the service stage when -sV holds open ports back) to the sinks, end them.
 */
#include "run.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/array.h"
#include "core/clock.h"
#include "fanout.h"
#include "net/route.h"
#include "probe/udp_payloads.h"
#include "noroute.h"
#include "report/tally.h"
#include "resume_internal.h"
#include "scan/discovery.h"
#include "service.h"

/*
 * The neighbour table as last read: the MAC of each on-link host for the XML report. Read
 * again when a host is not in it, at most once per RUN_MACS_REFRESH_NS (a host behind a router
 * is never in it).
 */
#define RUN_MACS_REFRESH_NS 1000000000ull
#define RUN_MACS_MAX 65536u

struct run_mac {
	struct ps_addr addr;
	uint8_t mac[NET_ETH_ALEN];
};

struct run_macs {
	struct run_mac *entries;
	size_t n, cap;
	uint64_t read_ns; /* 0: never read */
	bool failed;	  /* reading it failed once: no more tries */
};

/* One run's state; everything lives here so runs do not share anything. */
struct run_ctx {
	const struct run_job *job; /* the caller's job with the routable targets only */
	struct run_job scan_job;
	struct target_list unroutable; /* total 0: every target has a route */
	struct target_list routable;   /* the targets minus unroutable, when there are any */
	/* Host discovery: every routable target's verdict, and the hosts up (the engine's
	 * targets when some were down). */
	struct host_table hosts;
	struct target_list up;
	uint64_t *down_bits; /* the raw engines skip these addresses of hosts.targets */
	double discovery_s;
	const volatile sig_atomic_t *stop;
	struct run_fanout early; /* sinks that see results as found (sink.early) */
	struct run_fanout out;	 /* the rest: after the -sV stage */
	struct run_service service;
	struct report_tally tally;
	struct udp_payloads payloads; /* -sU */
	/* What UDP replies said: results keep pointing here until the sinks have ended. */
	struct service_info **facts;
	size_t nfacts, facts_cap;
	struct ps_diag port_diag; /* the first delivery error's detail */
	enum ps_err err;	  /* the first delivery error; later results are dropped */
	enum ps_err failure;	  /* the engine failed after results came in (run_result) */
	struct ps_diag failure_diag;
	struct run_macs macs;
	/* --host-timeout: the hosts given up, in the order the engine said so (sorted at end) */
	struct ps_addr *timed_out;
	size_t ntimed_out, timed_out_cap;
};

/* An engine's service is its own until the callback returns; the sinks keep results longer. */
static enum ps_err keep_service(struct run_ctx *rc, struct port_result *res)
{
	struct service_info *copy, **grown;

	if (!res->service)
		return PS_OK;
	grown = ps_array_grow(rc->facts, rc->nfacts, &rc->facts_cap, sizeof(*rc->facts), 16);
	if (!grown)
		return PS_ERR_NOMEM;
	rc->facts = grown;
	copy = malloc(sizeof(*copy));
	if (!copy)
		return PS_ERR_NOMEM;
	*copy = *res->service;
	rc->facts[rc->nfacts++] = copy;
	res->service = copy;
	return PS_OK;
}

static void on_result(void *vctx, const struct port_result *engine_res)
{
	struct run_ctx *rc = vctx;
	struct port_result copy = *engine_res;
	const struct port_result *res = &copy;

	/* Into the checkpoint first: what the engine found is kept even if a sink failed. */
	if (rc->job->resume && !rc->err)
		rc->err = run_resume_add(rc->job->resume, res);
	if (rc->err)
		return;
	rc->err = keep_service(rc, &copy);
	if (rc->err)
		return;
	rc->err = report_tally_add(&rc->tally, res);
	if (!rc->err)
		rc->err = run_fanout_port(&rc->early, res, &rc->port_diag);
	/* -sV speaks TCP; a UDP port's reply was read by the scan itself. */
	if (!rc->err && rc->service.enabled && res->state == PORT_OPEN &&
	    res->proto != IPPROTO_UDP) {
		rc->err = run_service_hold(&rc->service, res);
		return;
	}
	if (!rc->err)
		rc->err = run_fanout_port(&rc->out, res, &rc->port_diag);
}

static void on_host_timeout(void *vctx, const struct ps_addr *addr)
{
	struct run_ctx *rc = vctx;
	struct ps_addr *grown;

	if (rc->err)
		return;
	grown = ps_array_grow(rc->timed_out, rc->ntimed_out, &rc->timed_out_cap,
			      sizeof(*rc->timed_out), 16);
	if (!grown) {
		rc->err = PS_ERR_NOMEM;
		return;
	}
	rc->timed_out = grown;
	rc->timed_out[rc->ntimed_out++] = *addr;
}

static int addr_order(const void *a, const void *b)
{
	return ps_addr_cmp(a, b);
}

static void macs_add(void *vctx, const struct ps_addr *addr, const uint8_t mac[NET_ETH_ALEN])
{
	struct run_macs *m = vctx;
	struct run_mac *grown;

	if (m->n >= RUN_MACS_MAX)
		return;
	grown = ps_array_grow(m->entries, m->n, &m->cap, sizeof(*m->entries), 64);
	if (!grown)
		return; /* a MAC fewer in the report, nothing worse */
	m->entries = grown;
	m->entries[m->n].addr = *addr;
	memcpy(m->entries[m->n].mac, mac, NET_ETH_ALEN);
	m->n++;
}

static void macs_read(struct run_macs *m)
{
	struct ps_diag diag = {{0}};

	m->n = 0;
	m->read_ns = ps_now_ns();
	if (net_neigh_each(AF_INET, macs_add, m, &diag) ||
	    net_neigh_each(AF_INET6, macs_add, m, &diag))
		m->failed = true;
	qsort(m->entries, m->n, sizeof(*m->entries), addr_order);
}

static bool mac_of(void *vctx, const struct ps_addr *addr, uint8_t mac[6])
{
	struct run_macs *m = vctx;
	const struct run_mac *e;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		e = m->n ? bsearch(addr, m->entries, m->n, sizeof(*m->entries), addr_order) : NULL;
		if (e) {
			memcpy(mac, e->mac, NET_ETH_ALEN);
			return true;
		}
		if (m->failed || (m->read_ns && ps_now_ns() - m->read_ns < RUN_MACS_REFRESH_NS))
			return false;
		macs_read(m);
	}
	return false;
}

enum ps_err run_pick_engine(const struct run_job *job, const struct scan_engine **engine,
			    struct ps_diag *why, struct ps_diag *diag)
{
	struct scan_opts opts = job->tuning;

	if (why)
		why->msg[0] = '\0';
	if (job->udp_ports && !job->ports->count) {
		*engine = &scan_udp_engine;
		return PS_OK;
	}
	if (job->engine) {
		*engine = scan_engine_find(job->engine);
		if (!*engine)
			return ps_fail(diag, PS_ERR_INVALID, "unknown scan engine '%s'", job->engine);
		return PS_OK;
	}
	/* The raw SYN engine, where permitted and able to reach the targets, is preferred. */
	opts.targets = job->targets;
	opts.ports = job->ports;
	*engine = scan_engine_auto(&opts, why);
	return PS_OK;
}

static bool stop_requested(const struct run_ctx *rc)
{
	return rc->stop && *rc->stop;
}

/* -sV: identify the held open ports, then deliver them with their services. */
static enum ps_err deliver_identified(struct run_ctx *rc, struct ps_diag *diag)
{
	struct run_service *sv = &rc->service;
	enum ps_err err;
	size_t i;

	err = run_service_run(sv, rc->job->kb, rc->stop, diag);
	if (err == PS_ERR_INTERRUPTED) {
		rc->tally.sum.interrupted = 1;
		err = PS_OK;
	}
	/* Identification broke down (its sandbox stopped it): the ports are still reported,
	 * with the services that came back, and the run is marked partial. */
	if (err && err != PS_ERR_NOMEM) {
		if (!rc->failure) {
			rc->failure = err;
			if (diag)
				rc->failure_diag = *diag;
		}
		rc->tally.sum.interrupted = 1;
		err = PS_OK;
	}
	for (i = 0; !err && i < sv->nheld; i++)
		err = run_fanout_port(&rc->out, &sv->held[i], diag);
	return err;
}

/* One engine over one protocol's ports, into the same results. */
static enum ps_err run_one(struct run_ctx *rc, const struct scan_engine *engine,
			   const struct portset *ports, struct scan_stats *stats,
			   struct ps_diag *diag)
{
	struct scan_opts opts = rc->job->tuning;

	opts.targets = rc->job->targets;
	if (rc->down_bits && engine->needs_raw) {
		/* The whole list and the down hosts' bits: the route of each range looked up
		 * once, not once per host up. */
		opts.targets = rc->hosts.targets;
		opts.skip_hosts = rc->down_bits;
	}
	opts.ports = ports;
	opts.stop = rc->stop;
	opts.on_result = on_result;
	opts.on_host_timeout = on_host_timeout;
	opts.result_ctx = rc;
	opts.udp_payloads = &rc->payloads;
	if (rc->job->resume) {
		struct run_resume *r = rc->job->resume;

		r->ck.npairs = opts.targets->total * ports->count;
		opts.on_progress = run_resume_progress;
		opts.progress_ctx = r;
		if (r->resuming) {
			opts.resume_at = &r->from;
			opts.resume_npairs = r->old_npairs;
			opts.resume_done = r->old;
			opts.resume_ndone = r->nold;
		}
	}
	return engine->run(&opts, stats, diag);
}

static void add_stats(struct scan_stats *sum, const struct scan_stats *s)
{
	sum->probes_sent += s->probes_sent;
	sum->retransmits += s->retransmits;
	sum->replies += s->replies;
	if (s->srtt_us)
		sum->srtt_us = s->srtt_us;
	if (s->max_inflight_seen > sum->max_inflight_seen)
		sum->max_inflight_seen = s->max_inflight_seen;
	sum->icmp_rate_milli = s->icmp_rate_milli;
	sum->paced_pps = s->paced_pps;
	sum->send_refused += s->send_refused;
	sum->rate_backoffs += s->rate_backoffs;
	if (s->min_pps_seen && (!sum->min_pps_seen || s->min_pps_seen < sum->min_pps_seen))
		sum->min_pps_seen = s->min_pps_seen;
	sum->hosts_timed_out += s->hosts_timed_out;
}

/* What the UDP engine measured of the targets' ICMP limit: it explains the scan's duration. */
static void note_icmp_rate(const struct run_events *events, const struct scan_stats *st)
{
	char msg[160];

	if (!st->icmp_rate_milli || !events || !events->note)
		return;
	snprintf(msg, sizeof(msg),
		 "note: the target limits ICMP errors to %.2f/s per source address; unanswered "
		 "UDP ports were paced to %u/s (more --source-ip addresses raise it)",
		 st->icmp_rate_milli / 1000.0, st->paced_pps);
	events->note(events->ctx, msg);
}

/* The device queue refused sends: the rate backed off (it explains a slower scan). */
static void note_backoff(const struct run_events *events, const struct scan_stats *st)
{
	char msg[200];

	if (!st->send_refused || !events || !events->note)
		return;
	snprintf(msg, sizeof(msg),
		 "note: the interface's queue refused %llu sends (ENOBUFS/EAGAIN); the rate "
		 "backed off %u times, to %u/s at the lowest, and every refused probe was sent "
		 "again",
		 (unsigned long long)st->send_refused, st->rate_backoffs, st->min_pps_seen);
	events->note(events->ctx, msg);
}

/*
 * A job with TCP and UDP ports is two engine runs, TCP first, over the same targets and into
 * the same tally and sinks: to a report it is one scan.
 */
static enum ps_err run_engine(struct run_ctx *rc, const struct scan_engine *engine,
			      struct scan_stats *stats, struct ps_diag *diag)
{
	const struct run_job *job = rc->job;
	const struct portset *udp_ports = job->udp_ports;
	uint64_t t0 = ps_now_ns();
	enum ps_err err = PS_OK;

	if (engine == &scan_udp_engine && !udp_ports)
		udp_ports = job->ports; /* --engine udp: the ports given are UDP ports */
	else if (engine != &scan_udp_engine)
		err = run_one(rc, engine, job->ports, stats, diag);
	if (job->resume)
		run_resume_finish(job->resume);
	if (!err && udp_ports && udp_ports->count && !stop_requested(rc)) {
		struct scan_stats udp = {0};

		err = run_one(rc, &scan_udp_engine, udp_ports, &udp, diag);
		add_stats(stats, &udp);
	}
	rc->tally.sum.elapsed_s = (double)(ps_now_ns() - t0) / 1e9;
	rc->tally.sum.interrupted = stop_requested(rc) || err == PS_ERR_INTERRUPTED;
	if (err == PS_ERR_INTERRUPTED)
		err = PS_OK;
	/* What was found before the engine broke down is kept, marked partial. */
	if (err && !rc->err && rc->tally.sum.ports_scanned) {
		rc->failure = err;
		if (diag)
			rc->failure_diag = *diag;
		rc->tally.sum.interrupted = 1;
		err = PS_OK;
	}
	/* With what it means: the reports would be missing results, so none is written. */
	if (rc->err == PS_ERR_NOMEM && !rc->port_diag.msg[0])
		ps_fail(&rc->port_diag, PS_ERR_NOMEM,
			"out of memory keeping the results (%llu so far); no report was written: "
			"scan fewer targets or ports at a time",
			(unsigned long long)rc->tally.sum.ports_scanned);
	if (!err && rc->err) {
		err = rc->err;
		if (diag)
			*diag = rc->port_diag;
	}
	if (!err && rc->service.enabled) {
		err = deliver_identified(rc, diag);
		rc->tally.sum.elapsed_s = (double)(ps_now_ns() - t0) / 1e9;
	}
	return err;
}

/* The early sinks apart from the rest, each group in the order given. */
static enum ps_err split_sinks(struct run_ctx *rc, struct run_sink *const *sinks, size_t n,
			       struct ps_diag *diag)
{
	struct run_sink *early[RUN_MAX_SINKS], *late[RUN_MAX_SINKS];
	size_t ne = 0, nl = 0, i;
	enum ps_err err;

	if (n > RUN_MAX_SINKS)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "at most %d outputs at once", RUN_MAX_SINKS);
	for (i = 0; i < n; i++) {
		if (sinks[i]->early)
			early[ne++] = sinks[i];
		else
			late[nl++] = sinks[i];
	}
	err = run_fanout_init(&rc->early, early, ne, diag);
	return err ? err : run_fanout_init(&rc->out, late, nl, diag);
}

/*
 * --resume needs an engine that can say where it stands and go on from there: the SYN
 * engine (the raw transport's passes over one permutation). The connect engine keeps
 * per-connection state a checkpoint does not hold; -sV holds open ports back past the engine.
 */
static enum ps_err check_resumable(const struct run_job *job, const struct scan_engine *engine,
				   struct ps_diag *diag)
{
	if (!job->resume)
		return PS_OK;
	if (engine != &scan_syn_engine || (job->udp_ports && job->udp_ports->count))
		return ps_fail(diag, PS_ERR_INVALID,
			       "--resume works with the SYN scan only (-sS, root or CAP_NET_RAW, "
			       "TCP), not the %s scan",
			       engine ? engine->name : "chosen");
	if (job->service)
		return ps_fail(diag, PS_ERR_INVALID, "--resume does not work with -sV yet");
	return PS_OK;
}

/* Results of the run a resume continues: through the tally to every sink, as if found now. */
static void replay_resumed(struct run_ctx *rc)
{
	struct run_resume *r = rc->job->resume;
	struct port_result res;
	size_t i;

	for (i = 0; r && r->resuming && i < r->nold && !rc->err; i++) {
		run_resume_old_result(r, i, &res);
		on_result(rc, &res);
	}
}

/* UDP has no unprivileged fallback: say so before any sink begins (or any TCP probe goes). */
static enum ps_err check_udp_usable(const struct run_job *job, struct ps_diag *diag)
{
	struct scan_opts opts = job->tuning;
	struct ps_diag why = {{0}};
	enum ps_err err;

	opts.targets = job->targets;
	opts.ports = job->udp_ports ? job->udp_ports : job->ports;
	err = scan_udp_engine.usable(&opts, &why);
	if (err == PS_ERR_PERMISSION)
		return ps_fail(diag, err, "the UDP scan (-sU) sends raw packets: it needs root or "
					  "CAP_NET_RAW");
	if (err)
		return ps_fail(diag, err, "the UDP scan (-sU): %s", why.msg);
	return PS_OK;
}

static void note_fallback(const struct run_events *events, const struct ps_diag *why)
{
	char msg[PS_DIAG_MAX + 64];

	if (!why->msg[0] || !events || !events->note)
		return;
	snprintf(msg, sizeof(msg), "note: %s; using the connect scan", why->msg);
	events->note(events->ctx, msg);
}

/* Said once: the unroutable targets are skipped, never scanned, never up. */
static void note_unroutable(const struct run_events *events, const struct target_list *none)
{
	char lo[PS_ADDR_STRLEN], hi[PS_ADDR_STRLEN], msg[160];
	struct ps_addr a;

	if (!none->total || !events || !events->note)
		return;
	target_list_get(none, 0, &a, NULL);
	ps_addr_format(&a, lo, sizeof(lo));
	target_list_get(none, none->total - 1, &a, NULL);
	ps_addr_format(&a, hi, sizeof(hi));
	if (none->total == 1)
		snprintf(msg, sizeof(msg), "note: no route to %s; skipped (down, no-route)", lo);
	else
		snprintf(msg, sizeof(msg), "note: no route to %llu addresses (%s ... %s); skipped "
			 "(down, no-route)", (unsigned long long)none->total, lo, hi);
	events->note(events->ctx, msg);
}

/*
 * The targets the kernel cannot route to leave the engine's list: the engine (and the choice
 * between SYN and connect) sees the routable rest; with none left the engine does not run.
 */
static enum ps_err split_routable(struct run_ctx *rc, const struct run_job *job,
				  struct ps_diag *diag)
{
	enum ps_err err;

	rc->scan_job = *job;
	rc->job = &rc->scan_job;
	err = run_find_unroutable(job->targets, job->tuning.interface, &rc->unroutable, diag);
	if (err && err != PS_ERR_NOMEM) {
		/* The routes could not be read: the engine meets each target as before. */
		target_list_release(&rc->unroutable);
		err = PS_OK;
	}
	if (err || !rc->unroutable.total || rc->unroutable.total == job->targets->total)
		return err;
	err = target_list_copy(&rc->routable, job->targets);
	if (!err)
		err = target_list_finish(&rc->routable, &rc->unroutable, UINT64_MAX, diag);
	if (!err)
		rc->scan_job.targets = &rc->routable;
	return err;
}

static bool nothing_routable(const struct run_ctx *rc)
{
	/* scan_job.targets is the routable copy exactly when some are routable. */
	return rc->unroutable.total && rc->scan_job.targets != &rc->routable;
}

static bool wants_discovery(const struct run_job *job, const struct target_list *targets)
{
	switch (job->discovery) {
	case RUN_DISCOVERY_AUTO:
		/* A split scan's shards must walk one target list: discovery would change it. */
		return targets->total > 1 && job->tuning.nshards <= 1;
	case RUN_DISCOVERY_ON:
	case RUN_DISCOVERY_ONLY:
		return true;
	default:
		return false;
	}
}

static void on_host(void *ctx, const struct scan_host_result *h)
{
	struct run_ctx *rc = ctx;

	rc->hosts.status[h->index] = h->status;
	if (h->status.up)
		rc->hosts.up++;
	else
		rc->hosts.down++;
}

/* The engine's targets: the hosts up (hostnames kept), when some are down. */
static enum ps_err keep_up_hosts(struct run_ctx *rc, struct ps_diag *diag)
{
	const struct target_list *t = rc->hosts.targets;
	struct target_list down;
	enum ps_err err = PS_OK;
	uint64_t i = 0;

	if (!rc->hosts.down || !rc->hosts.up)
		return PS_OK;
	rc->down_bits = calloc((t->total + 63) / 64, sizeof(uint64_t));
	if (!rc->down_bits)
		return ps_fail(diag, PS_ERR_NOMEM, "out of memory for %llu hosts",
			       (unsigned long long)t->total);
	for (i = 0; i < t->total; i++)
		if (!rc->hosts.status[i].up)
			rc->down_bits[i >> 6] |= 1ull << (i & 63);
	i = 0;
	target_list_init(&down);
	while (!err && i < t->total) {
		struct target_range r = {0};
		struct ps_addr a;
		uint64_t j = i;

		if (rc->hosts.status[i].up) {
			i++;
			continue;
		}
		/* A run of down hosts inside one range of the list: one range to exclude. */
		target_list_get(t, i, &a, NULL);
		r.family = a.family;
		r.lo = r.hi = ps_addr_to_u128(&a);
		while (j + 1 < t->total && !rc->hosts.status[j + 1].up) {
			struct ps_addr b;

			target_list_get(t, j + 1, &b, NULL);
			if (b.family != a.family || ps_addr_to_u128(&b) != r.hi + 1)
				break;
			r.hi++;
			j++;
		}
		err = target_list_add_range(&down, &r);
		i = j + 1;
	}
	if (!err)
		err = target_list_finish(&down, NULL, UINT64_MAX, diag);
	if (!err)
		err = target_list_copy(&rc->up, t);
	if (!err)
		err = target_list_finish(&rc->up, &down, UINT64_MAX, diag);
	if (!err)
		rc->scan_job.targets = &rc->up;
	target_list_release(&down);
	return err;
}

static void note_discovery(const struct run_events *events, const struct run_ctx *rc)
{
	char msg[200];

	if (!events || !events->note || rc->hosts.discovery_only)
		return;
	snprintf(msg, sizeof(msg),
		 "note: host discovery: %llu of %llu hosts up; the %llu down are not scanned "
		 "(-Pn scans every address)",
		 (unsigned long long)rc->hosts.up, (unsigned long long)rc->hosts.targets->total,
		 (unsigned long long)rc->hosts.down);
	events->note(events->ctx, msg);
}

/* Discovery over the routable targets; the sinks hear the verdicts, the engine gets the up. */
static enum ps_err discover(struct run_ctx *rc, const struct run_events *events,
			    struct scan_stats *st, struct ps_diag *diag)
{
	const struct run_job *job = rc->job;
	struct scan_opts opts = job->tuning;
	struct scan_discovery d = {
	    .probes = job->host_probes,
	    .nprobes = job->nhost_probes,
	    .no_neighbour = job->no_arp,
	    .on_host = on_host,
	    .host_ctx = rc,
	};
	uint64_t t0 = ps_now_ns();
	enum ps_err err;

	opts.targets = job->targets;
	opts.stop = rc->stop;
	opts.ports = NULL;
	rc->hosts.targets = job->targets;
	rc->hosts.discovery_only = job->discovery == RUN_DISCOVERY_ONLY;
	rc->hosts.verbose = job->list_down;
	rc->hosts.status = calloc(job->targets->total, sizeof(*rc->hosts.status));
	if (!rc->hosts.status)
		return ps_fail(diag, PS_ERR_NOMEM, "out of memory for %llu hosts",
			       (unsigned long long)job->targets->total);
	err = scan_discover(&opts, &d, st, diag);
	rc->discovery_s = (double)(ps_now_ns() - t0) / 1e9;
	if (err)
		return err;
	rc->tally.sum.discovered = 1;
	err = run_fanout_hosts(&rc->early, &rc->hosts, diag);
	if (!err)
		err = run_fanout_hosts(&rc->out, &rc->hosts, diag);
	if (!err)
		err = keep_up_hosts(rc, diag);
	note_discovery(events, rc);
	return err;
}

/* Discovery's packets into the run's counts (its RTT and ICMP figures are not the scan's). */
static void add_counts(struct scan_stats *sum, const struct scan_stats *s)
{
	sum->probes_sent += s->probes_sent;
	sum->retransmits += s->retransmits;
	sum->replies += s->replies;
}

/* Discovery first (when asked), then the engine over the hosts it found up. */
static enum ps_err discover_and_scan(struct run_ctx *rc, const struct scan_engine *engine,
				     bool discovery, const struct run_events *events,
				     struct scan_stats *stats, struct ps_diag *diag)
{
	struct scan_stats found = {0}; /* discovery's probes, counted with the scan's */
	enum ps_err err = PS_OK;

	if (discovery) {
		err = discover(rc, events, &found, diag);
		if (err == PS_ERR_INTERRUPTED) {
			rc->tally.sum.interrupted = 1;
			return PS_OK;
		}
		if (err)
			return err;
		if (rc->hosts.discovery_only || !rc->hosts.up || stop_requested(rc)) {
			rc->tally.sum.elapsed_s = rc->discovery_s;
			rc->tally.sum.interrupted = stop_requested(rc);
			add_counts(stats, &found);
			return PS_OK;
		}
	}
	err = run_engine(rc, engine, stats, diag);
	rc->tally.sum.elapsed_s += rc->discovery_s;
	add_counts(stats, &found);
	return err;
}

enum ps_err run_scan(const struct run_job *job, struct run_sink *const *sinks, size_t nsinks,
		     const volatile sig_atomic_t *stop, const struct run_events *events,
		     struct run_result *result, struct ps_diag *diag)
{
	struct run_ctx *rc = calloc(1, sizeof(*rc));
	struct scan_stats stats = {0};
	const struct scan_engine *engine = NULL;
	struct ps_diag why = {{0}};
	struct run_info info;
	enum ps_err err;
	bool discovery = false;

	if (!rc)
		return ps_fail(diag, PS_ERR_NOMEM, "out of memory");
	rc->stop = stop;
	target_list_init(&rc->unroutable);
	target_list_init(&rc->routable);
	target_list_init(&rc->up);
	report_tally_init(&rc->tally, job->targets->total);
	err = split_routable(rc, job, diag);
	if (!err)
		err = run_pick_engine(rc->job, &engine, &why, diag);
	if (nothing_routable(rc))
		why.msg[0] = '\0'; /* no engine runs: no fallback to speak of */
	if (!err)
		err = check_resumable(job, engine, diag);
	if (!err)
		err = split_sinks(rc, sinks, nsinks, diag);
	/* Everything a bad option can break fails here, before any sink writes a line. */
	if (!err && (job->udp_ports || engine == &scan_udp_engine))
		err = job->udp_payloads_file ? udp_payloads_load(&rc->payloads, job->udp_payloads_file,
								 diag)
					     : udp_payloads_builtin(&rc->payloads, diag);
	if (!err && (engine == &scan_udp_engine || (job->udp_ports && job->udp_ports->count)))
		err = check_udp_usable(job, diag);
	if (!err && job->service) {
		rc->service.enabled = true;
		rc->service.probes_file = job->probes_file;
		rc->service.intensity = job->version_intensity;
		err = run_service_prepare(&rc->service, diag);
	}
	if (!err && !nothing_routable(rc))
		discovery = wants_discovery(job, rc->job->targets);
	if (!err && discovery)
		err = scan_discovery_check(&(struct scan_discovery){.probes = job->host_probes,
								     .nprobes = job->nhost_probes},
					   diag);
	if (err)
		goto out;
	memset(&info, 0, sizeof(info));
	info.meta.args = job->args;
	info.meta.engine = engine != &scan_udp_engine && job->udp_ports && job->udp_ports->count
				   ? (engine == &scan_syn_engine ? "syn+udp" : "connect+udp")
				   : engine->name;
	info.meta.ports_spec = job->ports_spec;
	info.meta.ports = engine == &scan_udp_engine && !job->udp_ports ? NULL : job->ports;
	info.meta.udp_ports = engine == &scan_udp_engine && !job->udp_ports ? job->ports
									     : job->udp_ports;
	if (job->discovery == RUN_DISCOVERY_ONLY) {
		info.meta.engine = "ping";
		info.meta.ports = info.meta.udp_ports = NULL;
	}
	info.meta.targets = job->targets->total;
	info.meta.start = time(NULL);
	info.meta.no_route = rc->unroutable.total ? &rc->unroutable : NULL;
	/* nmap knows (and writes) a host's MAC when it sends raw frames to it, never for -sT. */
	if (engine->needs_raw) {
		info.meta.mac_of = mac_of;
		info.meta.mac_ctx = &rc->macs;
	}
	rc->tally.sum.no_route = rc->unroutable.total;
	info.targets = job->targets;
	info.kb = job->kb;
	info.events = events;
	if (job->tuning.nshards > 1) {
		info.shard = job->tuning.shard;
		info.nshards = job->tuning.nshards;
		info.seed = job->tuning.seed;
		info.fleet = job->fleet;
	}
	err = run_fanout_begin(&rc->out, &info, diag);
	if (!err && (err = run_fanout_begin(&rc->early, &info, diag)))
		run_fanout_abort(&rc->out);
	if (err)
		goto out;
	/* Only now: a setup error is the one line a failed command prints. */
	note_unroutable(events, &rc->unroutable);
	note_fallback(events, &why);
	if (job->resume) {
		run_resume_begin(job->resume, events);
		replay_resumed(rc);
	}
	/* A complete checkpoint is its report again: every pair is in it, nothing to send. */
	if (job->resume && job->resume->resuming && job->resume->ck.complete) {
		if (rc->err) {
			err = rc->err;
			if (diag)
				*diag = rc->port_diag;
		}
	} else if (!nothing_routable(rc)) {
		err = discover_and_scan(rc, engine, discovery, events, &stats, diag);
	}
	if (rc->tally.sum.discovered) {
		/* Discovery's word on who is up, not "answered on some port". */
		rc->tally.sum.hosts_up = rc->hosts.up;
		rc->tally.sum.hosts_down = rc->hosts.down;
	}
	if (!err) {
		note_icmp_rate(events, &stats);
		note_backoff(events, &stats);
	}
	if (err) {
		run_fanout_abort(&rc->out);
		run_fanout_abort(&rc->early);
		goto out;
	}
	/* Given up hosts, for the reports to leave out (report_timed_out), in address order. */
	if (rc->ntimed_out)
		qsort(rc->timed_out, rc->ntimed_out, sizeof(*rc->timed_out), addr_order);
	info.meta.timed_out = rc->timed_out;
	info.meta.ntimed_out = rc->ntimed_out;
	rc->tally.sum.timed_out = rc->ntimed_out;
	/* The early sinks first: a status line ends before the reports print theirs. */
	err = run_fanout_end(&rc->early, &rc->tally.sum, diag);
	if (!err)
		err = run_fanout_end(&rc->out, &rc->tally.sum, diag);
	else
		run_fanout_abort(&rc->out);
	if (result) {
		result->summary = rc->tally.sum;
		result->stats = stats;
		result->engine = engine;
		result->failure = rc->failure;
		result->failure_diag = rc->failure_diag;
	}
out:
	while (rc->nfacts)
		free(rc->facts[--rc->nfacts]);
	free(rc->facts);
	free(rc->timed_out);
	free(rc->macs.entries);
	udp_payloads_release(&rc->payloads);
	run_service_release(&rc->service);
	report_tally_release(&rc->tally);
	target_list_release(&rc->up);
	target_list_release(&rc->routable);
	target_list_release(&rc->unroutable);
	free(rc->hosts.status);
	free(rc->down_bits);
	free(rc);
	return err;
}
