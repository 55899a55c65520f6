/* SPDX-License-Identifier: MIT */
/* The UDP engine: the stateless raw transport carrying the UDP probe module. */
#include "engine.h"
#include "module.h"
#include "stateless.h"

static enum ps_err udp_run(const struct scan_opts *opts, struct scan_stats *stats,
			   struct ps_diag *diag)
{
	return scan_stateless_run(&scan_udp_module, opts, stats, diag);
}

const struct scan_engine scan_udp_engine = {
    .name = "udp",
    .needs_raw = true,
    .usable = scan_stateless_usable,
    .run = udp_run,
};
