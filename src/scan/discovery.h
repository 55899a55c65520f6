/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_DISCOVERY_H
#define PS_SCAN_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/result.h"
#include "engine.h"
#include "module.h"

/*
 * Host discovery (nmap's ping scan): which targets are up, and why. A pass of its own over
 * the hosts, on the same machinery as the port scans: the stateless raw transport with the
 * host probe module (module.h: echo, timestamp, SYN, ACK, UDP probes, cookies), its
 * permutation, rate, RTT and privilege separation; or, without CAP_NET_RAW, the connect
 * engine to ports 80 and 443 (a connection or a refusal is a host).
 *
 * Like nmap, targets on a directly connected link are asked by ARP (IPv4) or neighbour
 * solicitation (IPv6) instead (the kernel's own resolution, read from its neighbour table),
 * and this machine's own addresses are up without a probe (localhost-response), unless the
 * caller asks otherwise.
 */

/* One target's verdict. */
struct scan_host_result {
	struct ps_addr addr;
	const char *hostname; /* the name the target was given as, or NULL */
	uint64_t index;	      /* its number in opts->targets */
	struct host_status status;
};

typedef void (*scan_host_fn)(void *ctx, const struct scan_host_result *host);

struct scan_discovery {
	/* The probes (-PE -PP -PS.. -PA.. -PU..); NULL/0: nmap's default set (echo, SYN to
	 * 443, ACK to 80, timestamp). */
	const struct scan_host_probe *probes;
	size_t nprobes;
	bool no_neighbour; /* on-link targets get the probes too, not ARP/ND (--disable-arp-ping) */
	bool probe_local;  /* this machine's addresses get the probes too */
	bool unprivileged; /* the connect path even with CAP_NET_RAW */
	scan_host_fn on_host; /* once per target, in target order, when discovery is done */
	void *host_ctx;
};

#define SCAN_DISCOVERY_MAX_TARGETS (1ull << 24)
#define SCAN_HOST_PROBES_MAX 64

/*
 * Discovers opts->targets (opts: targets, rate, retries, timeouts, seed, interface, source,
 * stop; ports and on_result are ignored) with d's probes, then calls d->on_host for every
 * target. PS_ERR_PERMISSION: d asks for probes only raw sockets can send (echo, timestamp,
 * ACK, UDP) and this process has no CAP_NET_RAW. stats may be NULL.
 */
enum ps_err scan_discover(const struct scan_opts *opts, const struct scan_discovery *d,
			  struct scan_stats *stats, struct ps_diag *diag);

/*
 * Whether d can run here, before anything is sent: PS_ERR_PERMISSION with one line when its
 * probes all need raw sockets and this process may not open them.
 */
enum ps_err scan_discovery_check(const struct scan_discovery *d, struct ps_diag *diag);

/* nmap's default probes into out (at least 4 entries); how many. */
size_t scan_discovery_defaults(struct scan_host_probe *out);

/*
 * "Does host X answer ping?": an ICMP (ICMPv6) echo request to each of opts->targets, on-link
 * and local ones included (no ARP, no shortcut), with the usual retries; fn gets each target
 * up with REASON_ECHO_REPLY (and the reply's TTL) or down with REASON_NO_RESPONSE (or the
 * ICMP error a router sent instead). Needs CAP_NET_RAW (PS_ERR_PERMISSION).
 */
enum ps_err scan_ping_echo(const struct scan_opts *opts, scan_host_fn fn, void *ctx,
			   struct ps_diag *diag);

#endif
