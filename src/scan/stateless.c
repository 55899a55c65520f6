/* SPDX-License-Identifier: MIT */
/*
 * The stateless raw transport. Probes go out as whole Ethernet frames built in place by a
 * probe module (module.h) and paced by scan_rate; replies come back through a BPF-filtered
 * ring. Nothing is remembered per probe: the module's cookie (for TCP SYN, the sequence
 * number) maps a reply straight back to its (address, port) pair. One bit per pair says
 * "answered"; passes over the same permutation re-send what is not, as the pass plan
 * (passplan.h) decides. The SYN engine is this transport with scan_tcp_syn_module.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/clock.h"
#include "engine.h"
#include "module.h"
#include "net/packet.h"
#include "net/raw.h"
#include "net/route.h"
#include "passplan.h"
#include "permute.h"
#include "privsep.h"
#include "rate.h"
#include "rtt.h"
#include "stateless.h"
#include "checkpoint.h"

#define FINAL_WAIT_MIN_MS 20
#define NEIGH_TIMEOUT_MS 3000 /* ARP/NDP retry every second; three tries */
#define RTT_SLOTS 4096u
#define SKIP_BUDGET 16384u
/* Longer than the receive ring's block timeout (net/raw.c), so a last partial block is seen. */
#define RING_SETTLE_MS 3
#define MIN_PAIRS_FOR_HELPER 4096u /* below that a second sender saves less than it costs */ /* pairs examined per loop turn, so receiving is never starved */
#define MAX_PAIRS (1ULL << 32)
#define MAX_ROUTED_RANGES 65536u
/* On-link addresses resolved one by one; the kernel's neighbour table holds ~1024 by default. */
#define MAX_ONLINK_ADDRS 1024u
#define SPORT_BASE 40000u
#define SPORT_SPAN 20000u
/* A device that refuses every frame for this long is not congested but broken. */
#define SEND_STALL_LIMIT_NS 5000000000ull
/*
 * ICMP rate calibration: one probe of a still unanswered pair every CAL_GAP_MS for CAL_MS,
 * ICMP errors counted after CAL_SKIP_MS (the target's burst allowance is spent by then:
 * Linux grants 6). At CAL_MIN_PAIRS or fewer unanswered pairs there is nothing to pace: a few
 * silent ports cost one retry each at full speed.
 */
#define CAL_MS 3500u
#define CAL_GAP_MS 20u
#define CAL_SKIP_MS 400u
#define CAL_MAX_ARRIVALS 256u
#define CAL_QUIET_MS 2000u
/* Paced a little below the measured rate: a bucket drained by a faster clock loses answers. */
#define PACE_MARGIN 0.97
/*
 * Records of the child that are not results: a --packet-trace line (this pair number, a
 * struct scan_trace after it), and a host given up (--host-timeout: the state of a record of
 * the host's first pair).
 */
#define TRACE_RECORD (UINT64_MAX - 1)
#define HOST_TIMED_OUT_STATE 0xfeu
/* How often hosts are looked at for --host-timeout. */
#define HOST_CHECK_NS 20000000ull

/* Per host, with --scan-delay or --host-timeout (one sender then: these are its alone). */
struct raw_host {
	uint64_t next_ns;  /* --scan-delay: no probe to it before this */
	uint64_t first_ns; /* its first probe; 0: none yet */
	uint32_t decided;  /* its pairs reported (or another shard's) */
	bool timed_out;
};

/*
 * --resume: where the scan stands goes to the parent every PROGRESS_EVERY_NS, sampled every
 * SAMPLE_EVERY_NS. The position given is the senders' position ANSWER_WINDOW ago (at least
 * ANSWER_WINDOW_MIN_NS, else two RTOs): a probe sent after it may have had its answer in flight
 * when the scan stopped, so a resumed run sends it again; one sent before had its full wait.
 */
#define PROGRESS_EVERY_NS 1000000000ull
#define SAMPLE_EVERY_NS 100000000ull
#define NSAMPLES 128u
#define ANSWER_WINDOW_MIN_NS 1000000000ull
#define PROGRESS_RECORD (UINT64_MAX - 2) /* a record's pair: a struct scan_progress follows */

/* Next-hop MAC of a range: one for all (behind a gateway), or one per address (on-link LAN). */
struct raw_range {
	uint8_t mac[NET_ETH_ALEN];
	uint8_t (*macs)[NET_ETH_ALEN];
	bool *present; /* with macs: whether the address answered ARP/NDP */
};

struct rtt_slot {
	uint64_t pair;
	uint64_t sent_ns;
};

struct raw_sender;

struct progress_sample {
	uint64_t at_ns;
	uint64_t position; /* every position of the pass below it is sent (or skipped) */
	uint64_t sent;	   /* probes of the pass sent by then */
};

/* The child's side of --resume: samples of the current pass, and when it last told. */
struct progress_track {
	bool have_pass;		/* a pass has begun: there is something to tell */
	struct pass_plan plan;	/* as the current pass began */
	uint64_t begin;		/* its first position */
	uint64_t sent_before;	/* probes of it sent before begin (a resumed pass) */
	struct progress_sample samples[NSAMPLES];
	unsigned nsamples, next;
	uint64_t last_sample_ns, last_emit_ns;
};

struct raw_scan {
	const struct scan_opts *opts;
	const struct scan_probe_module *module;
	const volatile sig_atomic_t *stop; /* the scanning child's own flag */
	struct scan_privsep_out *out;	   /* where the child's findings go */
	struct scan_stats *stats;
	const struct target_list *targets;
	uint64_t naddrs;
	uint32_t nports;
	uint64_t npairs;
	uint16_t *ports;     /* port index -> port */
	uint32_t *port_slot; /* port -> index + 1, 0 when not scanned */
	uint64_t *done;	     /* one bit per pair: reported */
	uint64_t *live;	     /* one bit per address: answered at least once */
	uint64_t nlive; /* addresses with a bit in live */
	uint64_t ndone;
	struct raw_host *hosts; /* NULL without --scan-delay and --host-timeout */
	uint64_t host_check_ns;
	uint64_t send_refused;
	struct raw_range *ranges;
	struct ps_addr src[2]; /* [0] IPv4, [1] IPv6: the first source of each family */
	struct ps_addr *srcs[2]; /* every source of each family (src[f] alone by default) */
	unsigned nsrcs[2];
	uint64_t src_turn;	 /* probes sent: which source the next one leaves from */
	/* ICMP rate calibration (module->icmp_paced) */
	bool calibrating;
	uint64_t icmp_seen; /* ICMP errors that answered a probe, so far */
	unsigned ncal;
	uint64_t cal_ns[CAL_MAX_ARRIVALS];
	double icmp_rate;  /* ICMP errors per second per source, 0: not limited */
	uint32_t paced_pps; /* the retransmissions' rate, 0: not paced */
	uint8_t if_mac[NET_ETH_ALEN];
	int ifindex;
	char ifname[IF_NAMESIZE];
	bool ip_mode; /* targets on this machine: bare IP packets through raw IP sockets */
	uint16_t sport;	      /* the first of the module's source ports */
	uint16_t sport_span;  /* how many */
	struct scan_probe_env env;
	struct scan_perm perm;
	struct scan_perm_range range; /* this run's positions of it: all, or its shard */
	uint64_t nforeign;	      /* pairs of other shards: marked done, never probed */
	struct net_raw raw;
	struct scan_rate rate;
	struct rtt_slot *rtt_slots;
	struct scan_rtt rtt;
	struct pass_plan plan; /* plan.pass: the pass being sent; written between passes only */
	uint64_t pass_sent;
	unsigned replies_pending; /* for the rate's reply-ratio window */
	uint8_t rst[NET_RAW_BATCH][NET_FRAME_MAX];
	size_t rst_len[NET_RAW_BATCH];
	struct ps_addr rst_dst[NET_RAW_BATCH];
	unsigned nrst;
	uint16_t ip_id;		/* of the RSTs */
	int send_errno;		/* the send failure that ended the scan */
	struct raw_sender *senders;
	unsigned nsenders;
	/* shared between the senders (atomics) */
	uint64_t shared_pps;	     /* the controller's rate, for every sender's bucket */
	uint64_t helper_window_sent; /* helper probes not yet in the reply-ratio window */
	int helper_loss;	     /* the helper saw the device refuse frames */
	int helper_running;
	int abort; /* one sender failed: the others stop */
	struct progress_track progress; /* --resume */
	uint64_t pass_begin;		/* the current pass's first position */
};

static void progress_tick(struct raw_scan *c, bool force);

static int fam_slot(int family)
{
	return family == AF_INET6;
}

/* The receiving thread sets bits while a helper sender reads them: relaxed atomics. */
static bool bit_get(const uint64_t *bits, uint64_t i)
{
	return (__atomic_load_n(&bits[i >> 6], __ATOMIC_RELAXED) >> (i & 63)) & 1;
}

/* __atomic_fetch_or writes through bits; clang-tidy 14 does not see that. */
static void bit_set(uint64_t *bits, uint64_t i) // NOLINT(readability-non-const-parameter)
{
	__atomic_fetch_or(&bits[i >> 6], 1ULL << (i & 63), __ATOMIC_RELAXED);
}

/* An address answered something: its silent pairs are worth asking again (passplan.h). */
static void mark_live(struct raw_scan *c, uint64_t addr_index)
{
	if (!bit_get(c->live, addr_index)) {
		bit_set(c->live, addr_index);
		__atomic_fetch_add(&c->nlive, 1, __ATOMIC_RELAXED);
	}
}

/* Index of the range holding address number index (ranges are numbered in order). */
static size_t range_of_index(const struct target_list *t, uint64_t index)
{
	size_t lo = 0, hi = t->nranges;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->start[mid] <= index)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The address number of addr, or false when it is not a target (ranges sorted, disjoint). */
static bool index_of_addr(const struct target_list *t, const struct ps_addr *addr, uint64_t *out)
{
	ps_u128 v = ps_addr_to_u128(addr);
	size_t lo = 0, hi = t->nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct target_range *r = &t->ranges[mid];

		if (r->family < addr->family || (r->family == addr->family && r->hi < v))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == t->nranges || t->ranges[lo].family != addr->family || t->ranges[lo].lo > v)
		return false;
	*out = t->start[lo] + (uint64_t)(v - t->ranges[lo].lo);
	return true;
}

static const uint8_t *dst_mac(const struct raw_scan *c, uint64_t addr_index)
{
	size_t r = range_of_index(c->targets, addr_index);

	if (c->ranges[r].macs)
		return c->ranges[r].macs[addr_index - c->targets->start[r]];
	return c->ranges[r].mac;
}

static uint64_t rto_ns(const struct raw_scan *c)
{
	return scan_rtt_timeout_ns(&c->rtt);
}

/* RFC 6298's estimator (rtt.c), fed by the sampled send times; the sample in microseconds. */
static uint32_t rtt_sample(struct raw_scan *c, uint64_t pair, uint64_t now)
{
	struct rtt_slot *s = &c->rtt_slots[pair % RTT_SLOTS];
	uint64_t sample;

	if (s->pair != pair || !s->sent_ns || now < s->sent_ns)
		return 0;
	sample = now - s->sent_ns;
	s->sent_ns = 0;
	scan_rtt_sample(&c->rtt, sample);
	return (uint32_t)(sample / 1000 > UINT32_MAX ? UINT32_MAX : sample / 1000);
}

static void report(struct raw_scan *c, uint64_t pair, enum port_state state,
		   enum port_reason reason, uint8_t ttl, uint32_t rtt, uint8_t tries,
		   const struct service_facts *facts)
{
	struct scan_privsep_record rec = {
		.pair = pair,
		.rtt_us = rtt,
		.state = (uint8_t)state,
		.reason = (uint8_t)reason,
		.ttl = ttl,
		.tries = tries,
		.extra_len = facts ? sizeof(*facts) : 0,
	};

	bit_set(c->done, pair);
	c->ndone++;
	if (c->hosts)
		c->hosts[pair / c->nports].decided++;
	scan_privsep_emit(c->out, &rec, facts);
}

/* --packet-trace: a frame we sent or a reply of ours, as one record up to the parent. */
static void trace_frame(struct raw_scan *c, uint8_t kind, const uint8_t *frame, size_t len,
			uint64_t now)
{
	struct scan_privsep_record rec = {.pair = TRACE_RECORD, .extra_len = sizeof(struct scan_trace)};
	struct scan_trace t;
	struct net_reply r;
	bool bare = kind == SCAN_TRACE_SENT && c->ip_mode;

	if (!c->opts->on_trace)
		return;
	if (bare ? net_parse_ip(frame, len, &r) : net_parse_frame(frame, len, &r))
		return;
	memset(&t, 0, sizeof(t));
	t.t_ns = now;
	t.kind = kind;
	t.proto = r.kind == NET_REPLY_TCP	? IPPROTO_TCP
		  : r.kind == NET_REPLY_UDP	? IPPROTO_UDP
		  : r.src.family == AF_INET6 ? IPPROTO_ICMPV6
					     : IPPROTO_ICMP;
	t.ttl = r.ttl;
	t.tcp_flags = r.flags;
	t.icmp_type = r.icmp_type;
	t.icmp_code = r.icmp_code;
	t.sport = r.sport;
	t.dport = r.dport;
	t.seq = r.seq;
	t.ack = r.ack;
	t.src = r.src;
	t.dst = r.dst;
	if (r.kind == NET_REPLY_ICMP) {
		/* The probe it quotes, the part that says what was unreachable. */
		t.sport = r.q_sport;
		t.dport = r.q_dport;
	}
	len -= bare || len < NET_ETH_HLEN ? 0 : NET_ETH_HLEN;
	t.ip_len = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
	scan_privsep_emit(c->out, &rec, &t);
}

/*
 * --host-timeout: every host whose first probe is older than the timeout and whose pairs are
 * not all decided is given up: its pairs count as done, unreported, and the parent is told.
 */
static void expire_hosts(struct raw_scan *c, uint64_t now)
{
	uint64_t limit = c->opts->host_timeout_ns, h;
	uint32_t p;

	if (!limit || !c->hosts || now < c->host_check_ns)
		return;
	c->host_check_ns = now + HOST_CHECK_NS;
	for (h = 0; h < c->naddrs; h++) {
		struct raw_host *rh = &c->hosts[h];
		struct scan_privsep_record rec = {.pair = h * c->nports,
						  .state = HOST_TIMED_OUT_STATE};

		if (!rh->first_ns || rh->timed_out || rh->decided >= c->nports ||
		    now - rh->first_ns < limit)
			continue;
		rh->timed_out = true;
		for (p = 0; p < c->nports; p++)
			if (!bit_get(c->done, h * c->nports + p)) {
				bit_set(c->done, h * c->nports + p);
				c->ndone++;
			}
		c->stats->hosts_timed_out++;
		scan_privsep_emit(c->out, &rec, NULL);
	}
}

/* The child's facts into a service: every string cut to its field, whatever the child sent. */
static void facts_to_service(const void *extra, struct service_info *svc)
{
	struct service_facts f;

	memcpy(&f, extra, sizeof(f));
	memset(svc, 0, sizeof(*svc));
	memcpy(svc->name, f.name, sizeof(svc->name) - 1);
	memcpy(svc->product, f.product, sizeof(svc->product) - 1);
	memcpy(svc->version, f.version, sizeof(svc->version) - 1);
	memcpy(svc->info, f.info, sizeof(svc->info) - 1);
	svc->confidence = SERVICE_MATCHED;
	svc->flags = f.flags & (SERVICE_FLAG_UNEXPECTED | SERVICE_FLAG_BACKDOOR);
}

/* In the parent: where the child's scan stands, checked (the child is not trusted). */
static void deliver_progress(const struct raw_scan *c, const void *extra, size_t len)
{
	struct scan_progress p;

	if (!c->opts->on_progress || !extra || len != sizeof(p))
		return;
	memcpy(&p, extra, sizeof(p));
	if (p.position < c->range.begin || p.position > c->range.end || p.sent > c->npairs ||
	    p.plan.max_passes == 0 || p.pass >= p.plan.max_passes || p.plan.pass != p.pass)
		return;
	c->opts->on_progress(c->opts->progress_ctx, &p);
}

/* In the parent: a finding of the child, back into a result. */
/* In the parent: a trace line of the child, checked before anyone prints it. */
static void deliver_trace(const struct raw_scan *c, const void *extra, uint16_t len)
{
	struct scan_trace t;

	if (!extra || len != sizeof(t) || !c->opts->on_trace)
		return;
	memcpy(&t, extra, sizeof(t));
	if (t.kind >= SCAN_TRACE_KIND_COUNT || (t.src.family != AF_INET && t.src.family != AF_INET6) ||
	    t.dst.family != t.src.family)
		return;
	c->opts->on_trace(c->opts->trace_ctx, &t);
}

static void deliver(void *vctx, const struct scan_privsep_record *rec, const void *extra)
{
	const struct raw_scan *c = vctx;
	struct port_result res = {0};
	struct service_info svc;

	if (rec->pair == TRACE_RECORD) {
		deliver_trace(c, extra, rec->extra_len);
		return;
	}
	if (rec->pair == PROGRESS_RECORD) {
		deliver_progress(c, extra, rec->extra_len);
		return;
	}
	if (rec->pair >= c->npairs || !c->opts->on_result)
		return;
	if (rec->state == HOST_TIMED_OUT_STATE) {
		if (c->opts->on_host_timeout) {
			target_list_get(c->targets, rec->pair / c->nports, &res.addr, NULL);
			c->opts->on_host_timeout(c->opts->result_ctx, &res.addr);
		}
		return;
	}
	if (extra && rec->extra_len == sizeof(struct service_facts)) {
		facts_to_service(extra, &svc);
		res.service = &svc;
	}
	target_list_get(c->targets, rec->pair / c->nports, &res.addr, &res.hostname);
	res.port = c->ports[rec->pair % c->nports];
	res.proto = c->module->proto;
	res.state = rec->state;
	res.reason = rec->reason;
	res.ttl = rec->ttl;
	res.tries = rec->tries;
	res.rtt_us = rec->rtt_us;
	c->opts->on_result(c->opts->result_ctx, &res);
}

static void flush_rst(struct raw_scan *c)
{
	int sent = 0;

	if (c->nrst)
		sent = net_raw_send(&c->raw, (const uint8_t(*)[NET_FRAME_MAX])c->rst, c->rst_len,
				    c->rst_dst, c->nrst);
	for (int i = 0; c->opts->on_trace && i < sent; i++)
		trace_frame(c, SCAN_TRACE_SENT, c->rst[i], c->rst_len[i], ps_now_ns());
	c->nrst = 0;
}

/* What the module sends back to a reply (TCP SYN: the RST ending a half-open connection). */
static void queue_teardown(struct raw_scan *c, uint64_t pair, const struct net_reply *r)
{
	const uint8_t *link_dst = c->ip_mode ? NULL : dst_mac(c, pair / c->nports);
	size_t len;

	if (!c->module->make_teardown)
		return;
	len = c->module->make_teardown(c->rst[c->nrst], NET_FRAME_MAX, r, link_dst,
				       c->ip_mode ? NULL : c->if_mac, c->ip_id);
	if (!len)
		return;
	c->ip_id++;
	c->rst_dst[c->nrst] = r->src;
	c->rst_len[c->nrst++] = len;
	if (c->nrst == NET_RAW_BATCH)
		flush_rst(c);
}

static bool our_source(const struct raw_scan *c, const struct ps_addr *a)
{
	int f = fam_slot(a->family);
	unsigned i;

	for (i = 0; i < c->nsrcs[f]; i++)
		if (!ps_addr_cmp(a, &c->srcs[f][i]))
			return true;
	return false;
}

/*
 * Host discovery: the host answered, so its other probes are answered too; they are never
 * sent again nor reported (the first answer is the host's).
 */
static void settle_host(struct raw_scan *c, uint64_t addr_index)
{
	uint32_t p;

	for (p = 0; p < c->nports; p++) {
		uint64_t pair = addr_index * c->nports + p;

		if (!bit_get(c->done, pair)) {
			bit_set(c->done, pair);
			c->ndone++;
			if (c->hosts)
				c->hosts[addr_index].decided++;
			/* Not a probe that answered: no word on the path's loss. */
			pass_plan_answer_unlimited(&c->plan);
		}
	}
}

/*
 * A reply: the module says which probe it answers and what it means; the pair's bit the rest.
 * False: not an answer to one of our probes.
 */
static bool on_reply(struct raw_scan *c, const struct net_reply *r)
{
	struct scan_probe_match m;
	enum port_state state;
	enum port_reason reason;
	uint64_t addr_index, pair;
	struct service_facts facts;
	bool have_facts;
	uint32_t slot;

	if (!c->module->validate(&c->env, r, &m))
		return false;
	if ((uint16_t)(m.sport - c->sport) >= c->sport_span || !our_source(c, &m.src))
		return false;
	slot = c->port_slot[m.dport];
	if (!slot || !index_of_addr(c->targets, &m.dst, &addr_index))
		return false;
	if (!c->module->classify(r, &state, &reason))
		return true;
	if (r->kind == NET_REPLY_ICMP)
		c->icmp_seen++;
	if (c->calibrating && r->kind == NET_REPLY_ICMP && c->ncal < CAL_MAX_ARRIVALS)
		c->cal_ns[c->ncal++] = ps_now_ns();
	pair = addr_index * c->nports + (slot - 1);
	c->stats->replies++;
	c->replies_pending++;
	queue_teardown(c, pair, r);
	mark_live(c, addr_index);
	if (bit_get(c->done, pair))
		return true;
	if (c->paced_pps || c->calibrating)
		pass_plan_answer_unlimited(&c->plan);
	else
		pass_plan_answer(&c->plan);
	have_facts = c->module->facts && c->module->facts(&c->env, r, &facts);
	report(c, pair, state, reason, r->ttl, rtt_sample(c, pair, ps_now_ns()),
	       (uint8_t)(c->plan.pass + 1), have_facts ? &facts : NULL);
	if (c->module->per_host && state == PORT_OPEN)
		settle_host(c, addr_index);
	return true;
}

static void on_frame(void *vctx, const uint8_t *frame, size_t len)
{
	struct raw_scan *c = vctx;
	struct net_reply r;

	if (net_parse_frame(frame, len, &r))
		return;
	/* The teardown a reply causes goes out after the receive: its line comes later. */
	if (on_reply(c, &r) && c->opts->on_trace)
		trace_frame(c, SCAN_TRACE_RCVD, frame, len, ps_now_ns());
}

static int receive(struct raw_scan *c, int timeout_ms)
{
	int n = net_raw_recv(&c->raw, timeout_ms, on_frame, c);

	flush_rst(c);
	return n;
}

static bool stopped(const struct raw_scan *c)
{
	return c->stop && *c->stop;
}

/* Receives until deadline (or until every pair is answered). */
static enum ps_err wait_until(struct raw_scan *c, uint64_t deadline)
{
	for (;;) {
		uint64_t now = ps_now_ns();
		uint64_t left_ms;

		if (stopped(c))
			return PS_ERR_INTERRUPTED;
		expire_hosts(c, now);
		if (c->ndone == c->npairs)
			return PS_OK;
		if (now >= deadline) {
			/*
			 * A process scheduled late finds the deadline gone with replies still in
			 * the ring, some in a block the kernel hands over only when it times out.
			 */
			receive(c, RING_SETTLE_MS);
			return PS_OK;
		}
		left_ms = (deadline - now + 999999) / 1000000;
		/* Short slices, so Ctrl-C is noticed promptly. */
		receive(c, (int)(left_ms > 50 ? 50 : left_ms));
		progress_tick(c, false);
	}
}

static bool eligible(const struct raw_scan *c, uint64_t pair)
{
	if (bit_get(c->done, pair))
		return false;
	return pass_plan_resends(&c->plan, bit_get(c->live, pair / c->nports));
}

struct send_batch {
	uint8_t frames[NET_RAW_BATCH][NET_FRAME_MAX];
	size_t lens[NET_RAW_BATCH];
	struct ps_addr dsts[NET_RAW_BATCH];
	uint64_t pairs[NET_RAW_BATCH];
	unsigned count;
	unsigned next; /* first frame not yet sent */
};

/*
 * A thread that sends. Most of a probe's cost is the kernel's (the frame's way out, and on a
 * lab, the target's stack), paid on the sending CPU, so a second sender on a second CPU
 * nearly halves a CPU-bound pass. The main sender also receives, measures RTT and steers the
 * rate; each sender paces itself at its share of that rate.
 */
struct raw_sender {
	struct raw_scan *c;
	unsigned index; /* sends permutation positions index, index + nsenders, ... */
	bool main;
	struct scan_rate bucket;
	struct send_batch batch;
	uint16_t ip_id;
	uint64_t sent, retransmits, pass_sent;
	uint64_t sent_upto; /* atomic: this sender's positions below it are all sent */
	struct scan_probe_cache cache; /* the module's frame template (make_packet_cached) */
	uint64_t stalled_since; /* first of a run of refused sends */
	uint64_t held;		/* --scan-delay: the next pair, waiting for its host */
	bool have_held;
	int send_errno;		/* a send failure that ends the scan */
	enum ps_err err;
	pthread_t thread;
};

static size_t build_probe(struct raw_scan *c, struct raw_sender *s, uint64_t pair,
			  uint8_t *frame, struct ps_addr *dst)
{
	uint64_t addr_index = pair / c->nports;
	int f;
	struct scan_probe p = {
		.sport = c->sport,
		.dport = c->ports[pair % c->nports],
		.ip_id = s->ip_id++,
		.try = (uint8_t)(c->plan.pass > UINT8_MAX ? UINT8_MAX : c->plan.pass),
		.link_dst = c->ip_mode ? NULL : dst_mac(c, addr_index),
		.link_src = c->ip_mode ? NULL : c->if_mac,
	};

	target_list_get(c->targets, addr_index, &p.dst, NULL);
	if (c->hosts) {
		struct raw_host *h = &c->hosts[addr_index];
		uint64_t now = ps_now_ns();

		if (!h->first_ns)
			h->first_ns = now;
		/* Again when it leaves (send_pending): a refused frame waits longer, never less. */
		h->next_ns = now + c->opts->scan_delay_ns;
	}
	f = fam_slot(p.dst.family);
	/* Sources in turn, by send order: each gets an even share of the rate over time. */
	p.src = c->srcs[f][__atomic_fetch_add(&c->src_turn, 1, __ATOMIC_RELAXED) % c->nsrcs[f]];
	*dst = p.dst;
	/* The module's template path where it has one: the same frame, built faster. */
	if (c->module->make_packet_cached)
		return c->module->make_packet_cached(&s->cache, frame, NET_FRAME_MAX, &c->env, &p);
	return c->module->make_packet(frame, NET_FRAME_MAX, &c->env, &p);
}

/*
 * Whether the share of probes answered says anything about loss (rate.h). Not in host
 * discovery: a host is settled at its first answer and its other probes are sent no more, so
 * the share falls as the pass goes on, with nothing lost; ring drops and a full device queue
 * still slow it down.
 */
static bool reply_ratio_signal(const struct raw_scan *c)
{
	return !c->module->per_host;
}

/*
 * Sends what is pending in the sender's batch; false when the device refused (a loss
 * signal). A refusal other than a full queue, or a queue that stays full, is recorded in
 * s->send_errno: fatal.
 */
static bool send_pending(struct raw_sender *s)
{
	struct raw_scan *c = s->c;
	struct send_batch *b = &s->batch;
	uint64_t now = ps_now_ns();
	unsigned i, n = b->count - b->next;
	int sent;

	if (!n)
		return true;
	sent = net_raw_send(&c->raw, (const uint8_t(*)[NET_FRAME_MAX])b->frames + b->next,
			    b->lens + b->next, b->dsts + b->next, n);
	if (sent <= 0) {
		/* A full queue is waited out for a while; anything else ends the scan. */
		bool transient = sent == -ENOBUFS || sent == -EAGAIN || sent == -EINTR;

		if (transient)
			__atomic_fetch_add(&c->send_refused, 1, __ATOMIC_RELAXED);
		if (transient && !s->stalled_since)
			s->stalled_since = now;
		else if (!transient || now - s->stalled_since > SEND_STALL_LIMIT_NS)
			s->send_errno = -sent;
		return false;
	}
	s->stalled_since = 0;
	if ((unsigned)sent < n)
		__atomic_fetch_add(&c->send_refused, 1, __ATOMIC_RELAXED);
	for (i = b->next; c->hosts && i < b->next + (unsigned)sent; i++)
		c->hosts[b->pairs[i] / c->nports].next_ns = now + c->opts->scan_delay_ns;
	for (i = b->next; c->opts->on_trace && i < b->next + (unsigned)sent; i++)
		trace_frame(c, SCAN_TRACE_SENT, b->frames[i], b->lens[i], now);
	/* Only the main sender samples send times: the RTT table is the receiver's. */
	for (i = b->next; s->main && i < b->next + (unsigned)sent; i++) {
		struct rtt_slot *slot = &c->rtt_slots[b->pairs[i] % RTT_SLOTS];

		slot->pair = b->pairs[i];
		slot->sent_ns = now;
	}
	b->next += (unsigned)sent;
	s->sent += (uint64_t)sent;
	__atomic_fetch_add(&s->pass_sent, (uint64_t)sent, __ATOMIC_RELAXED);
	if (c->plan.pass)
		s->retransmits += (uint64_t)sent;
	else if (reply_ratio_signal(c) && s->main)
		scan_rate_account(&c->rate, (unsigned)sent, 0);
	else if (reply_ratio_signal(c))
		__atomic_fetch_add(&c->helper_window_sent, (uint64_t)sent, __ATOMIC_RELAXED);
	return (unsigned)sent == n;
}

/* The main sender's turn of the rate controller; the helpers read its result. */
static void rate_tick(struct raw_scan *c, uint64_t now, bool hard_loss)
{
	if (__atomic_exchange_n(&c->helper_loss, 0, __ATOMIC_RELAXED))
		hard_loss = true;
	if (now - c->rate.tick_ns >= SCAN_RATE_TICK_NS) {
		if (net_raw_drops(&c->raw))
			hard_loss = true;
		if (c->plan.pass == 0 && reply_ratio_signal(c))
			scan_rate_account(
				&c->rate,
				(unsigned)__atomic_exchange_n(&c->helper_window_sent, 0,
							      __ATOMIC_RELAXED),
				c->replies_pending);
		c->replies_pending = 0;
	}
	scan_rate_tick(&c->rate, now, hard_loss);
	__atomic_store_n(&c->shared_pps, (uint64_t)c->rate.pps, __ATOMIC_RELAXED);
}

/* Where the senders are: every position below the lowest of theirs is sent. */
static struct progress_sample sample_now(const struct raw_scan *c, uint64_t now)
{
	struct progress_sample smp = {.at_ns = now, .position = c->range.end};
	unsigned i;

	for (i = 0; i < c->nsenders; i++) {
		uint64_t upto = __atomic_load_n(&c->senders[i].sent_upto, __ATOMIC_RELAXED);

		if (upto < smp.position)
			smp.position = upto;
		smp.sent += __atomic_load_n(&c->senders[i].pass_sent, __ATOMIC_RELAXED);
	}
	return smp;
}

/* The newest sample at least the answer window old; none: the pass's beginning. */
static void progress_at(const struct raw_scan *c, uint64_t now, struct scan_progress *p)
{
	const struct progress_track *t = &c->progress;
	uint64_t window = 2 * rto_ns(c);
	unsigned k;

	if (window < ANSWER_WINDOW_MIN_NS)
		window = ANSWER_WINDOW_MIN_NS;
	memset(p, 0, sizeof(*p));
	p->plan = t->plan;
	p->pass = t->plan.pass;
	p->position = t->begin;
	p->sent = t->sent_before;
	for (k = 0; k < t->nsamples; k++) {
		const struct progress_sample *smp =
			&t->samples[(t->next + NSAMPLES - 1 - k) % NSAMPLES];

		if (smp->at_ns + window <= now) {
			p->position = smp->position;
			p->sent = t->sent_before + smp->sent;
			break;
		}
	}
}

static void progress_emit(struct raw_scan *c, const struct scan_progress *p)
{
	struct scan_privsep_record rec = {.pair = PROGRESS_RECORD, .extra_len = sizeof(*p)};

	scan_privsep_emit(c->out, &rec, p);
	scan_privsep_flush(c->out);
}

/* The main thread's turn: a sample now and then, and where the scan stands every second. */
static void progress_tick(struct raw_scan *c, bool force)
{
	struct progress_track *t = &c->progress;
	struct scan_progress p;
	uint64_t now;

	if (!c->opts->on_progress || !t->have_pass)
		return;
	now = ps_now_ns();
	if (now - t->last_sample_ns >= SAMPLE_EVERY_NS) {
		t->samples[t->next] = sample_now(c, now);
		t->next = (t->next + 1) % NSAMPLES;
		if (t->nsamples < NSAMPLES)
			t->nsamples++;
		t->last_sample_ns = now;
	}
	if (!force && now - t->last_emit_ns < PROGRESS_EVERY_NS)
		return;
	t->last_emit_ns = now;
	progress_at(c, now, &p);
	progress_emit(c, &p);
}

/* Pass plan.pass begins at position begin (the range's first, or where a resume goes on). */
static void progress_pass_begins(struct raw_scan *c, uint64_t begin, uint64_t sent_before)
{
	struct progress_track *t = &c->progress;
	bool first;
	unsigned i;

	c->pass_begin = begin;
	for (i = 0; i < c->nsenders; i++) {
		c->senders[i].sent_upto = begin;
		c->senders[i].pass_sent = 0;
	}
	t->plan = c->plan;
	t->begin = begin;
	t->sent_before = sent_before;
	t->nsamples = t->next = 0;
	t->last_sample_ns = 0;
	/* The first pass is told at once: from then on a checkpoint exists. */
	first = !t->have_pass;
	t->have_pass = true;
	progress_tick(c, first);
}

static void sender_wait(struct raw_sender *s, uint64_t wait_ns)
{
	if (s->main && wait_ns >= 1000000) {
		receive(s->c, (int)(wait_ns / 1000000));
	} else if (wait_ns) {
		struct timespec ts = {0, (long)(wait_ns < 100000000 ? wait_ns : 100000000)};

		nanosleep(&ts, NULL);
	}
}

/* One sender's share of a pass over the permutation: every eligible pair of it, once. */
static enum ps_err run_pass(struct raw_sender *s)
{
	/*
	 * s is &c->senders[0 or 1], never NULL: senders_init allocates the array before the
	 * first pass. The analyzer forgets that once &c->rate escapes to rate.c (the whole
	 * struct is invalidated) and then supposes &c->senders[1] may be NULL.
	 */
	struct raw_scan *c = s->c; // NOLINT(clang-analyzer-core.NullDereference)
	struct send_batch *b = &s->batch;
	struct scan_perm_iter walk;

	b->count = b->next = 0;
	__atomic_store_n(&s->pass_sent, 0, __ATOMIC_RELAXED);
	/* The senders interleave over the run's range of the one permutation (from where a
	 * resumed pass goes on). */
	scan_perm_iter_init(&walk, &c->perm,
			    (struct scan_perm_range){c->pass_begin, c->range.end}, s->index,
			    c->nsenders);
	for (;;) {
		uint64_t now = ps_now_ns();
		unsigned want, looked = 0;
		bool ok;

		if (stopped(c) || __atomic_load_n(&c->abort, __ATOMIC_RELAXED))
			return PS_ERR_INTERRUPTED;
		if (s->main) {
			receive(c, 0);
			expire_hosts(c, now);
			progress_tick(c, false);
		}
		if (b->next == b->count) {
			__atomic_store_n(&s->sent_upto, walk.pos, __ATOMIC_RELAXED);
			if (scan_perm_iter_done(&walk) && !s->have_held)
				return PS_OK;
			b->count = b->next = 0;
		}
		scan_rate_set_pps(&s->bucket,
				  (double)__atomic_load_n(&c->shared_pps, __ATOMIC_RELAXED) /
					  c->nsenders);
		want = b->count != b->next ? 0 : scan_rate_take(&s->bucket, now, NET_RAW_BATCH);
		while (b->count < want && looked < SKIP_BUDGET) {
			uint64_t pair;

			if (s->have_held)
				pair = s->held;
			else if (!scan_perm_iter_next(&walk, &pair))
				break;
			s->have_held = false;
			looked++;
			if (!eligible(c, pair))
				continue;
			if (c->opts->scan_delay_ns && now < c->hosts[pair / c->nports].next_ns) {
				s->held = pair; /* its host's --scan-delay is not over */
				s->have_held = true;
				break;
			}
			b->lens[b->count] =
				build_probe(c, s, pair, b->frames[b->count], &b->dsts[b->count]);
			if (b->lens[b->count])
				b->pairs[b->count++] = pair;
		}
		if (b->count < want) /* unused tokens stay in the bucket */
			s->bucket.tokens += want - b->count;
		ok = send_pending(s);
		if (s->send_errno) {
			__atomic_store_n(&c->abort, 1, __ATOMIC_RELAXED);
			return PS_ERR_IO;
		}
		if (s->main)
			rate_tick(c, now, !ok);
		else if (!ok)
			__atomic_store_n(&c->helper_loss, 1, __ATOMIC_RELAXED);
		if (ok && s->have_held && b->next == b->count) {
			uint64_t at = c->hosts[s->held / c->nports].next_ns;

			sender_wait(s, at > now ? at - now : 0);
		} else if (!ok || (want == 0 && b->next == b->count)) {
			sender_wait(s, ok ? scan_rate_wait_ns(&s->bucket) : 200000);
		}
	}
}

static void *helper_main(void *arg)
{
	struct raw_sender *s = arg;

	s->err = run_pass(s);
	__atomic_store_n(&s->c->helper_running, 0, __ATOMIC_RELEASE);
	return NULL;
}

/* A pass with every sender; the main thread keeps receiving until the helper is done. */
static enum ps_err run_senders(struct raw_scan *c)
{
	struct raw_sender *helper = c->nsenders > 1 ? &c->senders[1] : NULL;
	enum ps_err err;
	unsigned i;

	if (helper) {
		__atomic_store_n(&c->helper_running, 1, __ATOMIC_RELEASE);
		if (pthread_create(&helper->thread, NULL, helper_main, helper)) {
			/* No thread: the main one sends the helper's share after its own. */
			__atomic_store_n(&c->helper_running, 0, __ATOMIC_RELEASE);
			helper = NULL;
		}
	}
	err = run_pass(&c->senders[0]);
	if (err)
		__atomic_store_n(&c->abort, 1, __ATOMIC_RELAXED);
	if (helper) {
		while (__atomic_load_n(&c->helper_running, __ATOMIC_ACQUIRE)) {
			receive(c, 1);
			progress_tick(c, false);
		}
		pthread_join(helper->thread, NULL);
	} else if (c->nsenders > 1 && !err) {
		err = run_pass(&c->senders[1]);
	}
	if (!err && c->nsenders > 1)
		err = c->senders[1].err;
	c->pass_sent = 0;
	for (i = 0; i < c->nsenders; i++) {
		c->pass_sent += c->senders[i].pass_sent;
		if (c->senders[i].send_errno)
			c->send_errno = c->senders[i].send_errno;
	}
	if (c->send_errno)
		err = PS_ERR_IO;
	return err;
}

/* The next unanswered pair of a host that answered something, from *cursor on; false: none. */
static bool next_unanswered(const struct raw_scan *c, uint64_t *cursor, uint64_t *pair)
{
	uint64_t n;

	for (n = 0; n < c->npairs; n++) {
		uint64_t p = (*cursor + n) % c->npairs;

		if (!bit_get(c->done, p) && bit_get(c->live, p / c->nports)) {
			*pair = p;
			*cursor = p + 1;
			return true;
		}
	}
	return false;
}

static uint64_t count_unanswered_live(const struct raw_scan *c, uint64_t *hosts)
{
	uint64_t pair, count = 0, last_host = UINT64_MAX;

	*hosts = 0;
	for (pair = 0; pair < c->npairs; pair++)
		if (!bit_get(c->done, pair) && bit_get(c->live, pair / c->nports)) {
			count++;
			if (pair / c->nports != last_host) {
				last_host = pair / c->nports;
				(*hosts)++;
			}
		}
	return count;
}

/*
 * Measures the rate at which the targets send ICMP errors, after a first pass left pairs of
 * answering hosts unheard: probes of those pairs (one source) at 1000 / CAL_GAP_MS per
 * second for CAL_MS, and the spacing of the errors that come back once the target's burst is
 * spent. A rate near the probing rate is no limit (those pairs were lost, or are silent); no
 * error at all within CAL_QUIET_MS means the pairs left are silent ones. Even a few pairs
 * left are measured: the target's burst allowance may have answered nearly all of the first
 * pass, and retries at full speed would find its bucket empty.
 * Sets c->paced_pps, the rate the retransmissions keep to: the measured rate per source, times
 * the sources and the hosts sharing the scan, a little under.
 */
static enum ps_err calibrate_icmp(struct raw_scan *c)
{
	struct raw_sender *s = &c->senders[0];
	uint64_t hosts, cursor = 0, t0 = ps_now_ns(), next = t0, first = 0, last = 0;
	unsigned sent = 0, i, n = 0;
	double rate, probe_rate = 1000.0 / CAL_GAP_MS;

	/* --scan-delay paces every host already; the calibration's probes would break it. */
	if (c->opts->scan_delay_ns || !count_unanswered_live(c, &hosts) || !c->icmp_seen)
		return PS_OK;
	c->ncal = 0;
	c->calibrating = true;
	while (ps_now_ns() - t0 < CAL_MS * 1000000ull) {
		uint64_t now = ps_now_ns(), pair;
		struct ps_addr dst;
		size_t len;
		uint64_t turn;

		if (stopped(c) || (!c->ncal && now - t0 >= CAL_QUIET_MS * 1000000ull))
			break;
		if (now >= next) {
			next += CAL_GAP_MS * 1000000ull;
			if (!next_unanswered(c, &cursor, &pair))
				break;
			/* One source only: its own limit is what is measured. */
			turn = c->src_turn;
			c->src_turn = 0;
			len = build_probe(c, s, pair, s->batch.frames[0], &dst);
			c->src_turn = turn;
			if (len && net_raw_send(&c->raw, (const uint8_t(*)[NET_FRAME_MAX])s->batch.frames,
						&len, &dst, 1) == 1) {
				sent++;
				s->sent++;
				s->retransmits++;
			}
		}
		receive(c, (int)((next > now ? next - now : 0) / 1000000) + 1);
	}
	wait_until(c, ps_now_ns() + rto_ns(c));
	c->calibrating = false;
	for (i = 0; i < c->ncal; i++) {
		if (c->cal_ns[i] - t0 < CAL_SKIP_MS * 1000000ull)
			continue;
		if (!n++)
			first = c->cal_ns[i];
		last = c->cal_ns[i];
	}
	if (n < 2 || last <= first || !sent)
		return PS_OK;
	rate = (double)(n - 1) * 1e9 / (double)(last - first);
	if (rate >= probe_rate / 2)
		return PS_OK; /* not a limit we can see: answered nearly as fast as asked */
	c->icmp_rate = rate;
	rate *= PACE_MARGIN * (double)c->nsrcs[0] * (double)(hosts ? hosts : 1);
	/* --max-scan-delay: each of the hosts gets a probe at least that often. */
	if (c->opts->max_scan_delay_ns &&
	    rate < (double)(hosts ? hosts : 1) * 1e9 / (double)c->opts->max_scan_delay_ns)
		rate = (double)(hosts ? hosts : 1) * 1e9 / (double)c->opts->max_scan_delay_ns;
	c->paced_pps = rate < 1.0 ? 1 : (uint32_t)rate;
	return PS_OK;
}

/* From here on the controller's rate is fixed at the paced rate (or what --rate says below). */
static void apply_pacing(struct raw_scan *c)
{
	uint32_t pps = c->paced_pps;
	unsigned i;

	if (!pps)
		return;
	if (c->opts->rate_pps && c->opts->rate_pps < pps)
		pps = c->opts->rate_pps;
	scan_rate_init(&c->rate, pps, ps_now_ns());
	__atomic_store_n(&c->shared_pps, (uint64_t)pps, __ATOMIC_RELAXED);
	for (i = 0; i < c->nsenders; i++) {
		uint32_t share = pps / c->nsenders;

		scan_rate_init(&c->senders[i].bucket, share ? share : 1, ps_now_ns());
	}
}

/* Sends and waits as the pass plan says (passplan.h). */
static enum ps_err scan_passes(struct raw_scan *c)
{
	bool calibrated = false;

	uint64_t pass_end = 0, wait_ns;
	enum ps_err err;
	enum pass_step step;

	pass_plan_init(&c->plan, c->npairs - c->nforeign, c->opts->max_retries);
	if (c->module->per_host && c->nports >= 2)
		pass_plan_no_dark_pass(&c->plan);
	if (c->opts->resume_at) {
		/* Go on with the pass that was being sent, from where its answers were certain. */
		c->plan = c->opts->resume_at->plan;
		progress_pass_begins(c, c->opts->resume_at->position, c->opts->resume_at->sent);
		err = run_senders(c);
		if (err)
			return err;
		pass_plan_sent(&c->plan, c->opts->resume_at->sent + c->pass_sent);
		scan_rate_window_reset(&c->rate);
		pass_end = ps_now_ns();
	}
	for (;;) {
		struct pass_stats st = {.answered = c->ndone - c->nforeign,
					.hosts_answered = __atomic_load_n(&c->nlive, __ATOMIC_RELAXED),
					.stop = stopped(c)};

		step = pass_plan_next(&c->plan, &st);
		if (step == PASS_DONE)
			break;
		if (step == PASS_STOPPED)
			return PS_ERR_INTERRUPTED;
		if (step == PASS_WAIT) {
			err = wait_until(c, pass_end + rto_ns(c));
			if (err)
				return err;
			continue;
		}
		if (c->module->icmp_paced && c->plan.pass >= 1 && !calibrated) {
			calibrated = true;
			err = calibrate_icmp(c);
			if (err)
				return err;
			apply_pacing(c);
		}
		progress_pass_begins(c, c->range.begin, 0);
		err = run_senders(c);
		if (err)
			return err;
		pass_plan_sent(&c->plan, c->pass_sent);
		/* Retransmissions go mostly to silent pairs: their reply ratio says nothing. */
		scan_rate_window_reset(&c->rate);
		pass_end = ps_now_ns();
	}
	wait_ns = 2 * rto_ns(c);
	if (wait_ns < FINAL_WAIT_MIN_MS * 1000000ull)
		wait_ns = FINAL_WAIT_MIN_MS * 1000000ull;
	return wait_until(c, pass_end + wait_ns);
}

static void report_silent(struct raw_scan *c)
{
	uint64_t pair;

	for (pair = 0; pair < c->npairs && c->ndone < c->npairs; pair++) {
		unsigned tries;

		if (bit_get(c->done, pair))
			continue;
		tries = pass_plan_tries(&c->plan, bit_get(c->live, pair / c->nports));
		report(c, pair, c->module->silent_state, REASON_NO_RESPONSE, 0, 0, (uint8_t)tries,
		       NULL);
	}
}

/* A LAN range: every address needs its own MAC, and the absent ones get none. */
static enum ps_err resolve_onlink(struct raw_scan *c, size_t r, const struct net_route *rt,
				  size_t count, struct ps_diag *diag)
{
	struct raw_range *range = &c->ranges[r];
	struct ps_addr *addrs = calloc(count, sizeof(*addrs));
	enum ps_err err;
	size_t k;

	range->macs = calloc(count, sizeof(*range->macs));
	range->present = calloc(count, sizeof(*range->present));
	if (!addrs || !range->macs || !range->present) {
		free(addrs);
		return PS_ERR_NOMEM;
	}
	for (k = 0; k < count; k++)
		target_list_get(c->targets, c->targets->start[r] + k, &addrs[k], NULL);
	err = net_neigh_resolve_many(rt, addrs, count, NEIGH_TIMEOUT_MS, range->macs,
				     range->present, diag);
	free(addrs);
	return err;
}

/* Pairs of on-link addresses that never answered ARP/NDP: no probe could reach them. */
static void report_absent(struct raw_scan *c)
{
	size_t r;
	uint64_t k;
	uint32_t p;

	for (r = 0; r < c->targets->nranges; r++) {
		uint64_t count;

		if (!c->ranges[r].present)
			continue;
		count = (uint64_t)(c->targets->ranges[r].hi - c->targets->ranges[r].lo) + 1;
		for (k = 0; k < count; k++) {
			if (c->ranges[r].present[k])
				continue;
			for (p = 0; p < c->nports; p++) {
				uint64_t pair = (c->targets->start[r] + k) * c->nports + p;

				/* Another shard's pair, or one a resumed scan reported before. */
				if (bit_get(c->done, pair))
					continue;
				report(c, pair, PORT_FILTERED, REASON_HOST_UNREACH, 0, 0, 0, NULL);
			}
		}
	}
}

/* Every source of each family: --source-ip's list, else the one source found for the route. */
static enum ps_err setup_sources(struct raw_scan *c)
{
	int f;

	for (f = 0; f < 2; f++) {
		size_t k;

		c->srcs[f] = calloc(c->opts->nsources ? c->opts->nsources : 1, sizeof(struct ps_addr));
		if (!c->srcs[f])
			return PS_ERR_NOMEM;
		for (k = 0; k < c->opts->nsources; k++)
			if (fam_slot(c->opts->sources[k].family) == f)
				c->srcs[f][c->nsrcs[f]++] = c->opts->sources[k];
		if (!c->nsrcs[f])
			c->srcs[f][c->nsrcs[f]++] = c->src[f];
	}
	return PS_OK;
}

/* Route, interface, source and next-hop MAC for every target range. */
static enum ps_err resolve_paths(struct raw_scan *c, bool dry_run, struct ps_diag *diag)
{
	const struct target_list *t = c->targets;
	char abuf[PS_ADDR_STRLEN];
	bool have_src[2] = {false, false};
	uint64_t onlink = 0;
	size_t i;

	if (t->nranges > MAX_ROUTED_RANGES)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "too many separate target ranges (%zu) for "
						       "the SYN engine", t->nranges);
	for (i = 0; i < t->nranges; i++) {
		struct net_route rt;
		struct ps_addr first;
		const struct ps_addr *hop;
		enum ps_err err;
		int f;

		ps_addr_from_u128(t->ranges[i].lo, t->ranges[i].family, &first);
		err = net_route_lookup(&first, c->opts->interface, &rt, diag);
		if (err)
			return err;
		if (!net_route_has_ethernet(&rt))
			return ps_fail(diag, PS_ERR_UNSUPPORTED, "interface %s is not Ethernet; "
								 "use the connect scan", rt.ifname);
		if (!c->ifindex) {
			c->ifindex = rt.ifindex;
			memcpy(c->ifname, rt.ifname, sizeof(c->ifname));
			c->ip_mode = rt.local;
			memcpy(c->if_mac, rt.if_mac, NET_ETH_ALEN);
		} else if (c->ifindex != rt.ifindex) {
			return ps_fail(diag, PS_ERR_UNSUPPORTED,
				       "targets are reached through different interfaces; scan "
				       "them separately or pass --interface");
		}
		f = fam_slot(first.family);
		if (!have_src[f]) {
			if (c->opts->source && c->opts->source->family == first.family)
				c->src[f] = *c->opts->source;
			else
				c->src[f] = rt.src;
			for (size_t k = 0; k < c->opts->nsources; k++)
				if (c->opts->sources[k].family == first.family) {
					c->src[f] = c->opts->sources[k];
					break;
				}
			have_src[f] = true;
		}
		if (!rt.local && !rt.gateway.family && t->ranges[i].hi != t->ranges[i].lo) {
			uint64_t count = (uint64_t)(t->ranges[i].hi - t->ranges[i].lo) + 1;

			onlink += count;
			if (onlink > MAX_ONLINK_ADDRS)
				return ps_fail(diag, PS_ERR_UNSUPPORTED,
					       "%s: more than %u on-link addresses to resolve; scan "
					       "through a router or use --connect",
					       ps_addr_format(&first, abuf, sizeof(abuf)),
					       MAX_ONLINK_ADDRS);
			err = dry_run ? PS_OK : resolve_onlink(c, i, &rt, (size_t)count, diag);
			if (err)
				return err;
			continue;
		}
		if (dry_run)
			continue;
		hop = net_route_nexthop(&rt, &first);
		err = net_neigh_resolve(&rt, hop, &first, NEIGH_TIMEOUT_MS, c->ranges[i].mac, diag);
		if (err)
			return err;
	}
	return PS_OK;
}

/*
 * The pairs of the other shards count as done from the start: never sent, never reported, a
 * stray answer to one ignored, and the end of the run is the end of this shard.
 */
static void mark_foreign(struct raw_scan *c)
{
	struct scan_perm_range before = {0, c->range.begin}, after = {c->range.end, c->npairs};
	struct scan_perm_range parts[2] = {before, after};
	struct scan_perm_iter it;
	uint64_t pair;
	unsigned i;

	for (i = 0; i < 2; i++) {
		scan_perm_iter_init(&it, &c->perm, parts[i], 0, 1);
		while (scan_perm_iter_next(&it, &pair)) {
			bit_set(c->done, pair);
			if (c->hosts)
				c->hosts[pair / c->nports].decided++;
		}
	}
	c->nforeign = c->npairs - (c->range.end - c->range.begin);
	c->ndone = c->nforeign;
}

/*
 * A resumed scan: the pairs reported before are done from the start, like another shard's
 * (never probed, never reported again); their hosts are known to answer, so the pass plan
 * treats them as it did. Anything that does not fit this scan refuses the resume.
 */
static enum ps_err restore(struct raw_scan *c, struct ps_diag *diag)
{
	const struct scan_opts *o = c->opts;
	const struct scan_progress *at = o->resume_at;
	char abuf[PS_ADDR_STRLEN];
	size_t i;

	if (o->resume_npairs != c->npairs || at->plan.npairs != c->npairs - c->nforeign)
		return ps_fail(diag, PS_ERR_INVALID,
			       "the checkpoint is of a scan of %llu pairs, this one has %llu (did "
			       "the targets or their routes change?); refused",
			       (unsigned long long)o->resume_npairs,
			       (unsigned long long)c->npairs);
	if (at->position < c->range.begin || at->position > c->range.end)
		return ps_fail(diag, PS_ERR_INVALID,
			       "the checkpoint's position is outside this shard; refused");
	for (i = 0; i < o->resume_ndone; i++) {
		const struct scan_ckpt_result *r = &o->resume_done[i];
		uint64_t addr_index, pair;
		uint32_t slot = c->port_slot[r->port];

		if (r->proto != c->module->proto || !slot ||
		    !index_of_addr(c->targets, &r->addr, &addr_index))
			return ps_fail(diag, PS_ERR_INVALID,
				       "the checkpoint holds %s port %u, which this scan does not "
				       "have; refused",
				       ps_addr_format(&r->addr, abuf, sizeof(abuf)), r->port);
		pair = addr_index * c->nports + (slot - 1);
		if (bit_get(c->done, pair))
			return ps_fail(diag, PS_ERR_INVALID,
				       "the checkpoint holds %s port %u twice, or from another "
				       "shard; refused",
				       ps_addr_format(&r->addr, abuf, sizeof(abuf)), r->port);
		bit_set(c->done, pair);
		c->ndone++;
		/* tries 0: no probe reached it (absent on the LAN); no response: nothing came */
		if (r->tries && r->reason != REASON_NO_RESPONSE)
			mark_live(c, addr_index);
	}
	return PS_OK;
}

/*
 * The addresses opts->skip_hosts names (down at discovery) count as done from the start, as
 * another shard's pairs do: one list of targets, one route lookup per range of it, however
 * scattered the hosts that are up.
 */
static void mark_skipped(struct raw_scan *c)
{
	uint64_t a;
	uint32_t p;

	for (a = 0; a < c->naddrs; a++) {
		if (!((c->opts->skip_hosts[a >> 6] >> (a & 63)) & 1))
			continue;
		for (p = 0; p < c->nports; p++) {
			uint64_t pair = a * c->nports + p;

			if (bit_get(c->done, pair))
				continue;
			bit_set(c->done, pair);
			c->ndone++;
			c->nforeign++;
		}
	}
}

static enum ps_err setup(struct raw_scan *c, struct ps_diag *diag)
{
	const struct scan_opts *o = c->opts;
	uint64_t seed = o->seed, rnd[3];
	uint32_t i, p;

	c->targets = o->targets;
	c->naddrs = o->targets->total;
	c->nports = o->ports->count;
	if (!c->naddrs || !c->nports)
		return ps_fail(diag, PS_ERR_INVALID, "nothing to scan");
	if (c->naddrs > MAX_PAIRS / c->nports)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "%llu addresses x %u ports is more than the "
						       "SYN engine's limit of 2^32 probes",
			       (unsigned long long)c->naddrs, c->nports);
	c->npairs = c->naddrs * c->nports;
	c->ports = calloc(c->nports, sizeof(*c->ports));
	c->port_slot = calloc(PORTSET_MAX_PORT + 1, sizeof(*c->port_slot));
	c->done = calloc((c->npairs + 63) / 64, sizeof(uint64_t));
	c->live = calloc((c->naddrs + 63) / 64, sizeof(uint64_t));
	c->ranges = calloc(c->targets->nranges, sizeof(*c->ranges));
	c->rtt_slots = calloc(RTT_SLOTS, sizeof(*c->rtt_slots));
	if (!c->ports || !c->port_slot || !c->done || !c->live || !c->ranges || !c->rtt_slots)
		return ps_fail(diag, PS_ERR_NOMEM, "out of memory for %llu probe bits",
			       (unsigned long long)c->npairs);
	/* Port 0 is a port like any other on the wire (ShieldsUP tests it); only a raw engine
	 * can send to it, and portset_next() starts above it. */
	i = 0;
	if (portset_has(o->ports, 0)) {
		c->ports[i] = 0;
		c->port_slot[0] = ++i;
	}
	for (p = portset_next(o->ports, 0); p && i < c->nports;
	     p = portset_next(o->ports, p), i++) {
		c->ports[i] = (uint16_t)p;
		c->port_slot[p] = i + 1;
	}
	c->nports = i;
	c->npairs = c->naddrs * c->nports;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return ps_fail(diag, PS_ERR_SYSTEM, "getrandom: %s", strerror(errno));
	c->env.key.k0 = rnd[0];
	c->env.key.k1 = rnd[1];
	c->sport = (uint16_t)(SPORT_BASE + rnd[2] % SPORT_SPAN);
	c->sport_span = c->module->sport_span > 1 ? c->module->sport_span : 1;
	if (c->sport > UINT16_MAX - c->sport_span + 1)
		c->sport = (uint16_t)(UINT16_MAX - c->sport_span + 1);
	c->env.sport_base = c->sport;
	c->env.sport_span = c->sport_span;
	c->env.payloads = o->udp_payloads;
	c->env.host_probes = o->host_probes;
	c->env.nhost_probes = o->nhost_probes;
	c->ip_id = (uint16_t)(rnd[2] >> 32);
	if (!seed)
		seed = rnd[2] ^ rnd[0];
	scan_perm_init(&c->perm, c->npairs, seed);
	c->range = scan_perm_whole(&c->perm);
	if (o->scan_delay_ns || o->host_timeout_ns) {
		c->hosts = calloc(c->naddrs, sizeof(*c->hosts));
		if (!c->hosts)
			return ps_fail(diag, PS_ERR_NOMEM, "out of memory for %llu hosts' timers",
				       (unsigned long long)c->naddrs);
	}
	if (o->nshards > 1) {
		if (o->shard >= o->nshards)
			return ps_fail(diag, PS_ERR_INVALID, "shard %llu of %llu does not exist",
				       (unsigned long long)o->shard, (unsigned long long)o->nshards);
		c->range = scan_perm_shard(&c->perm, o->shard, o->nshards);
		mark_foreign(c);
	}
	if (o->skip_hosts)
		mark_skipped(c);
	scan_rtt_init(&c->rtt, o->initial_rtt_timeout_ms, o->min_rtt_timeout_ms,
		      o->max_rtt_timeout_ms);
	return o->resume_at ? restore(c, diag) : PS_OK;
}

static void release(struct raw_scan *c)
{
	net_raw_close(&c->raw);
	free(c->ports);
	free(c->port_slot);
	free(c->done);
	free(c->live);
	free(c->hosts);
	if (c->ranges) {
		size_t r;

		for (r = 0; r < c->targets->nranges; r++) {
			free(c->ranges[r].macs);
			free(c->ranges[r].present);
		}
	}
	free(c->ranges);
	free(c->rtt_slots);
	free(c->srcs[0]);
	free(c->srcs[1]);
}

/* In the parent after the fork: the sockets are the child's alone. */
static void release_raw(void *vctx)
{
	struct raw_scan *c = vctx;

	net_raw_close(&c->raw);
}

/*
 * The automatic rate's floor: --min-rate, and --max-scan-delay's, the rate at which a permuted
 * scan comes back to each host at least that often. 0: none asked for.
 */
static double rate_floor(const struct raw_scan *c)
{
	double floor = c->opts->min_rate_pps;

	if (c->opts->max_scan_delay_ns) {
		double per_host = (double)c->naddrs * 1e9 / (double)c->opts->max_scan_delay_ns;

		if (per_host > floor)
			floor = per_host;
	}
	return floor;
}

/* Two senders where two CPUs are ours and the scan is big enough to be worth a thread. */
static enum ps_err senders_init(struct raw_scan *c)
{
	uint64_t now = ps_now_ns();
	cpu_set_t cpus;
	unsigned i;

	c->nsenders = 1;
	/* The per-host timers and the trace records are the main sender's alone. */
	if (c->npairs >= MIN_PAIRS_FOR_HELPER && sched_getaffinity(0, sizeof(cpus), &cpus) == 0 &&
	    CPU_COUNT(&cpus) >= 2 && !c->hosts && !c->opts->on_trace)
		c->nsenders = 2;
	c->senders = calloc(c->nsenders, sizeof(*c->senders));
	if (!c->senders)
		return PS_ERR_NOMEM;
	scan_rate_init(&c->rate, c->opts->rate_pps, now);
	if (rate_floor(c) > 0)
		scan_rate_bounds(&c->rate, rate_floor(c), c->opts->rate_pps);
	c->shared_pps = (uint64_t)c->rate.pps;
	for (i = 0; i < c->nsenders; i++) {
		struct raw_sender *s = &c->senders[i];
		uint32_t share = (uint32_t)(c->rate.pps / c->nsenders);

		s->c = c;
		s->index = i;
		s->main = i == 0;
		s->ip_id = (uint16_t)(c->ip_id + i * 0x8000u);
		scan_rate_init(&s->bucket, share ? share : 1, now);
	}
	return PS_OK;
}

/* The scanning child: no capabilities from here on, and the only one to parse packets. */
static enum ps_err scan_child(void *vctx, const volatile sig_atomic_t *stop,
			      struct scan_privsep_out *out, struct scan_stats *stats,
			      struct ps_diag *diag)
{
	struct raw_scan *c = vctx;
	enum ps_err err;
	unsigned i;

	c->stop = stop;
	c->out = out;
	c->stats = stats;
	memset(stats, 0, sizeof(*stats));
	err = senders_init(c);
	if (err)
		return err;
	report_absent(c);
	err = scan_passes(c);
	if (err)
		progress_tick(c, true); /* where it stopped: the last word for a resume */
	for (i = 0; i < c->nsenders; i++) {
		stats->probes_sent += c->senders[i].sent;
		stats->retransmits += c->senders[i].retransmits;
	}
	free(c->senders);
	c->senders = NULL;
	if (err == PS_ERR_IO)
		return ps_fail(diag, err, "sending on %s failed: %s", c->ifname,
			       strerror(c->send_errno));
	if (err)
		return err;
	report_silent(c);
	if (c->opts->on_progress) {
		struct scan_progress done = {.complete = 1, .plan = c->plan, .pass = c->plan.pass,
					     .position = c->range.end};

		progress_emit(c, &done);
	}
	stats->srtt_us = (uint32_t)(c->rtt.srtt_ns / 1000);
	stats->icmp_rate_milli = (uint32_t)(c->icmp_rate * 1000.0);
	stats->paced_pps = c->paced_pps;
	stats->send_refused = c->send_refused;
	stats->rate_backoffs = c->rate.decreases;
	stats->min_pps_seen = (uint32_t)c->rate.lowest_pps;
	stats->max_inflight_seen = (uint32_t)(c->rate.pps * (double)c->rtt.srtt_ns / 1e9);
	return PS_OK;
}

enum ps_err scan_stateless_run(const struct scan_probe_module *module,
			       const struct scan_opts *opts, struct scan_stats *stats,
			       struct ps_diag *diag)
{
	struct raw_scan *c = calloc(1, sizeof(*c));
	enum ps_err err;

	if (!c)
		return PS_ERR_NOMEM;
	c->raw.tx_fd = c->raw.tx6_fd = c->raw.rx_fd = -1;
	c->opts = opts;
	c->module = module;
	if (stats)
		memset(stats, 0, sizeof(*stats));
	err = setup(c, diag);
	if (err)
		goto out;
	err = resolve_paths(c, false, diag);
	if (!err)
		err = setup_sources(c);
	if (err)
		goto out;
	err = net_raw_open(&c->raw, c->ifindex, c->sport, c->sport_span, c->ip_mode, diag);
	if (err)
		goto out;
	/* Everything privileged is done; packets are parsed only in the child, without any. */
	err = scan_privsep_run(scan_child, c, release_raw, deliver, c, opts->stop, stats, diag);
out:
	release(c);
	free(c);
	return err;
}

enum ps_err scan_stateless_usable(const struct scan_opts *opts, struct ps_diag *diag)
{
	struct raw_scan *c;
	enum ps_err err;

	if (!net_raw_permitted())
		return ps_fail(diag, PS_ERR_PERMISSION, "raw sockets need CAP_NET_RAW");
	c = calloc(1, sizeof(*c));
	if (!c)
		return PS_ERR_NOMEM;
	c->opts = opts;
	c->targets = opts->targets;
	err = resolve_paths(c, true, diag);
	free(c);
	return err;
}
