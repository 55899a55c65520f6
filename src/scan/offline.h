/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_OFFLINE_H
#define PS_SCAN_OFFLINE_H

#include "engine.h"
#include "module.h"

/*
 * The generator alone (zmap's dry run, masscan's --offline): walks the run's range of the one
 * permutation (its shard, when opts says so) and builds every probe of module into a frame,
 * as the raw transport would, addressed from opts->source (default 198.18.0.1 / 2001:db8::1)
 * with placeholder link addresses, and sends it nowhere: no socket is opened. What it costs
 * per packet on one core is the ceiling of the sender.
 */
struct scan_offline_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t elapsed_ns;
	uint64_t cpu_ns; /* the thread's CPU time for it: the rate on one core, whatever the load */
	uint64_t digest; /* of every frame: the frames are really built, and repeatable */
};

enum ps_err scan_offline_run(const struct scan_opts *opts, const struct scan_probe_module *module,
			     struct scan_offline_stats *stats, struct ps_diag *diag);

#endif
