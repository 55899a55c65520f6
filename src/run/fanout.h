/* SPDX-License-Identifier: MIT */
#ifndef PS_RUN_FANOUT_H
#define PS_RUN_FANOUT_H

#include "sink.h"

/* Several sinks as one: what run_scan and the service stage deliver to (internal). */
#define RUN_MAX_SINKS 32

struct run_fanout {
	struct run_sink *sinks[RUN_MAX_SINKS];
	bool began[RUN_MAX_SINKS];
	size_t n;
	enum ps_err err; /* the first delivery error; later results are dropped */
};

enum ps_err run_fanout_init(struct run_fanout *f, struct run_sink *const *sinks, size_t n,
			    struct ps_diag *diag);
/* Begins every sink in order; on an error the ones begun are aborted. */
enum ps_err run_fanout_begin(struct run_fanout *f, const struct run_info *info,
			     struct ps_diag *diag);
enum ps_err run_fanout_port(struct run_fanout *f, const struct port_result *res,
			    struct ps_diag *diag);
enum ps_err run_fanout_hosts(struct run_fanout *f, const struct host_table *hosts,
			     struct ps_diag *diag);
/* Ends every begun sink (all of them, even after one failed); the first error is returned. */
enum ps_err run_fanout_end(struct run_fanout *f, const struct report_summary *sum,
			   struct ps_diag *diag);
/* Aborts every sink begun and not ended. */
void run_fanout_abort(struct run_fanout *f);

#endif
