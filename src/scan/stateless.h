/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_STATELESS_H
#define PS_SCAN_STATELESS_H

#include "core/err.h"
#include "engine.h"
#include "module.h"

/*
 * The stateless raw transport (stateless.c) with a probe module: what an engine of that kind
 * is (syn.c: scan_tcp_syn_module). Needs CAP_NET_RAW; forks a child without capabilities
 * that sends and parses (privsep.h).
 */
enum ps_err scan_stateless_run(const struct scan_probe_module *module, const struct scan_opts *opts,
			       struct scan_stats *stats, struct ps_diag *diag);
/*
 * Whether the transport can run this scan here: raw sockets permitted, every target reached
 * through one Ethernet (or loopback) interface. Looks routes up; sends nothing.
 */
enum ps_err scan_stateless_usable(const struct scan_opts *opts, struct ps_diag *diag);

#endif
