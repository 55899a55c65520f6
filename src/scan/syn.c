/* SPDX-License-Identifier: MIT */
/* The SYN engine: the stateless raw transport carrying the TCP SYN probe module. */
#include "engine.h"
#include "module.h"
#include "stateless.h"

static enum ps_err syn_run(const struct scan_opts *opts, struct scan_stats *stats,
			   struct ps_diag *diag)
{
	return scan_stateless_run(&scan_tcp_syn_module, opts, stats, diag);
}

enum ps_err scan_syn_usable(const struct scan_opts *opts, struct ps_diag *diag)
{
	return scan_stateless_usable(opts, diag);
}

const struct scan_engine scan_syn_engine = {
    .name = "syn",
    .needs_raw = true,
    .usable = scan_stateless_usable,
    .run = syn_run,
};
