/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_ENGINE_H
#define PS_SCAN_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/portset.h"
#include "core/result.h"
#include "core/target.h"
#include "passplan.h"

struct scan_host_probe;

struct udp_payloads;
struct scan_ckpt_result;

/*
 * Where a resumable (stateless) scan stands, reported by the engine along the way: go on with
 * pass `pass` from permutation position `position` of the run's range, the pass plan as
 * `plan` (its state when that pass began), `sent` probes of that pass already out. Every
 * probe after position may still have had its answer in flight: the position lags the
 * sender by the answer window (stateless.c), so a resumed run asks those again.
 */
struct scan_progress {
	uint32_t pass;
	uint64_t position;
	uint64_t sent;
	struct pass_plan plan;
	uint8_t complete; /* every pair is reported: nothing left to resume */
};

/* Called in order with the results: every result before it has been delivered. */
typedef void (*scan_progress_fn)(void *ctx, const struct scan_progress *p);

/* Called once per (address, port) with its final state; never twice for the same pair. */
typedef void (*scan_result_fn)(void *ctx, const struct port_result *res);

/*
 * --packet-trace: one packet sent or received (nmap's SENT/RCVD lines), or one connect() and
 * what it returned (nmap's CONN lines). Filled by the engines, printed by the front end.
 */
enum scan_trace_kind {
	SCAN_TRACE_SENT,
	SCAN_TRACE_RCVD,
	SCAN_TRACE_CONN,
	SCAN_TRACE_KIND_COUNT
};

struct scan_trace {
	uint64_t t_ns; /* ps_now_ns() when it went or came */
	uint8_t kind;  /* enum scan_trace_kind */
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6 */
	uint8_t ttl;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint16_t sport, dport;
	uint16_t ip_len; /* 0: unknown (CONN) */
	uint32_t seq, ack;
	struct ps_addr src, dst; /* CONN: src unset (the kernel picks it) */
	int32_t conn_errno;	 /* CONN: what connect() ended with: 0 connected, an errno */
};
typedef void (*scan_trace_fn)(void *ctx, const struct scan_trace *trace);

/* --host-timeout: the host at addr was given up; none of its ports comes after this. */
typedef void (*scan_host_timeout_fn)(void *ctx, const struct ps_addr *addr);

/* What a run asks for. Zero means "choose for me" for every number. */
struct scan_opts {
	const struct target_list *targets;
	const struct portset *ports;
	uint32_t max_inflight;	    /* probes outstanding at once */
	uint32_t max_retries;	    /* retransmissions of an unanswered probe */
	uint32_t rate_pps;	    /* packets per second cap */
	/*
	 * --min-rate: the automatic rate never goes below this (packets per second); with
	 * rate_pps the rate floats between the two. The connect engine, whose only brake is
	 * its window, opens the window fully at once instead of growing it.
	 */
	uint32_t min_rate_pps;
	/* --scan-delay: at least this long between two probes to one host (ns); 0: none. */
	uint64_t scan_delay_ns;
	/*
	 * --max-scan-delay: the delay the engine chooses by itself between two probes to one
	 * host (a permuted scan's share of the automatic rate, the UDP engine's ICMP pacing)
	 * never exceeds this (ns); 0: no cap.
	 */
	uint64_t max_scan_delay_ns;
	/*
	 * --host-timeout: a host whose ports are not all decided this long after its first
	 * probe is given up (ns; 0: never): on_host_timeout is called, its undecided ports are
	 * not reported, and it gets no more probes.
	 */
	uint64_t host_timeout_ns;
	uint32_t min_rtt_timeout_ms;
	uint32_t max_rtt_timeout_ms;
	uint32_t initial_rtt_timeout_ms;
	uint64_t seed;		    /* target order; 0 = random */
	/*
	 * Shard shard (0-based) of nshards: this run probes only its contiguous range of the
	 * one permutation (permute.h), so runs with the same seed, targets and ports and every
	 * shard of the same nshards cover every pair exactly once. nshards 0 or 1: everything.
	 */
	uint64_t shard;
	uint64_t nshards;
	const char *interface;	    /* raw engines: override the route's interface */
	const struct ps_addr *source; /* raw engines: override the source address */
	/*
	 * Raw engines: several source addresses of this host (--source-ip as a range); probes
	 * go out from each in turn. Linux limits ICMP errors per peer, so n sources get n
	 * times the errors of one. NULL/0: source (or the route's) alone.
	 */
	const struct ps_addr *sources;
	size_t nsources;
	const volatile sig_atomic_t *stop; /* set asynchronously to end the run early */
	const struct udp_payloads *udp_payloads; /* UDP engine: the payloads; NULL: none */
	/*
	 * Raw engines: one bit per address of targets (by its number): addresses whose pairs are
	 * neither sent nor reported (the hosts discovery found down). NULL: none. The connect
	 * engine ignores it: give it a target list without them.
	 */
	const uint64_t *skip_hosts;
	/* Host discovery (scan_host_module): port k of ports is host_probes[k - 1] */
	const struct scan_host_probe *host_probes;
	unsigned nhost_probes;
	scan_result_fn on_result;
	void *result_ctx;
	scan_host_timeout_fn on_host_timeout; /* with host_timeout_ns; called with result_ctx */
	scan_trace_fn on_trace;	      /* --packet-trace; NULL: off */
	void *trace_ctx;
	/*
	 * --resume (the SYN engine): on_progress gets where the scan stands, every second and at
	 * the end. resume_at (NULL: a fresh scan) continues a scan of resume_npairs pairs from
	 * there; the pairs of resume_done are reported already and never probed or reported
	 * again (a host with one answered is known to answer).
	 */
	scan_progress_fn on_progress;
	void *progress_ctx;
	const struct scan_progress *resume_at;
	uint64_t resume_npairs;
	const struct scan_ckpt_result *resume_done;
	size_t resume_ndone;
};

struct scan_stats {
	uint64_t probes_sent;
	uint64_t retransmits;
	uint64_t replies;
	uint32_t srtt_us; /* smoothed RTT at the end */
	uint32_t max_inflight_seen;
	/* UDP: the target's ICMP error rate measured per source address (errors per 1000 s),
	 * 0 when it did not limit them (or was not measured) */
	uint32_t icmp_rate_milli;
	uint32_t paced_pps; /* the rate unanswered ports were paced to, 0: not paced */
	/* The raw transport: sends the device queue refused (ENOBUFS/EAGAIN), each one a
	 * back-off of the rate; and the lowest rate the controller went down to (0: never
	 * lowered). */
	uint64_t send_refused;
	uint32_t rate_backoffs;
	uint32_t min_pps_seen;
	uint64_t hosts_timed_out;
};

/*
 * An engine is a const descriptor; all per-run state lives inside run(), so two runs (in two
 * threads) never share anything but the descriptor.
 *
 * What the engines share (one mechanism each): the permutation of address x port
 * (permute.h, shardable: a run takes a contiguous range of one cycle), the token bucket
 * (rate.h), the RTT estimator and its defaults (rtt.h), the loss model and the pass plan
 * (passplan.h), and the meaning of ICMP errors (net/icmp.h).
 *
 * Two transports: connect (connect.c, epoll over kernel sockets, unprivileged) and the
 * stateless raw transport (stateless.h), which takes a probe module (module.h: make_packet,
 * validate, classify) for what the probes are. The SYN engine is the raw transport with
 * scan_tcp_syn_module; a UDP engine would be the same transport with a UDP module and a
 * descriptor of three lines (see syn.c).
 */
struct scan_engine {
	const char *name;
	bool needs_raw; /* needs CAP_NET_RAW */
	/*
	 * Whether this engine can run this scan here (privileges, interfaces); looks, sends
	 * nothing. PS_ERR_PERMISSION: not privileged, the everyday case with nothing to say.
	 */
	enum ps_err (*usable)(const struct scan_opts *opts, struct ps_diag *diag);
	enum ps_err (*run)(const struct scan_opts *opts, struct scan_stats *stats,
			   struct ps_diag *diag);
};

extern const struct scan_engine scan_connect_engine;
extern const struct scan_engine scan_syn_engine;
/* UDP (-sU): raw, stateless; never chosen by scan_engine_auto (it scans other ports). */
extern const struct scan_engine scan_udp_engine;

/* The engine called name ("connect", "syn"), or NULL. */
const struct scan_engine *scan_engine_find(const char *name);

/* scan_syn_engine.usable: raw sockets permitted, every target reached through one Ethernet
 * (or loopback) interface. */
enum ps_err scan_syn_usable(const struct scan_opts *opts, struct ps_diag *diag);
/*
 * The engine for a scan that named none: the first of the table (SYN, then connect) whose
 * usable() says yes.
 * why (may be NULL) gets the reason SYN was not chosen although raw sockets are permitted
 * (targets on several interfaces...); it is empty when SYN was chosen or privileges lack.
 */
const struct scan_engine *scan_engine_auto(const struct scan_opts *opts, struct ps_diag *why);

#endif
