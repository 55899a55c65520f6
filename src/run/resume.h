/* SPDX-License-Identifier: MIT */
#ifndef PS_RUN_RESUME_H
#define PS_RUN_RESUME_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "scan/checkpoint.h"

struct run_events;

/*
 * --resume FILE in a run. The caller fills ck's header (scan name, job, arguments, seed,
 * shards); a resumed run (resuming set) also leaves the earlier run's results and progress in
 * it. run_scan() then replays those results into the sinks before the engine starts, so the
 * resumed run's reports and history hold the whole scan, has the engine skip them, and
 * rewrites FILE (atomically) with every result so far and where the engine stands: every
 * second (less often when a write takes long), when the engine stops (Ctrl-C, SIGTERM, a
 * failure), and marked complete when every pair is reported. A checkpoint that cannot be
 * written is one warning; the scan goes on.
 */
struct run_resume {
	const char *path;
	struct scan_ckpt ck;
	bool resuming;
	/* filled by run_scan */
	struct scan_progress from; /* where the earlier run stopped */
	struct scan_ckpt_result *old;
	size_t nold;
	uint64_t old_npairs;
	bool have_progress;
	uint64_t last_write_ns, write_cost_ns;
	bool warned;
	const struct run_events *events;
};

void run_resume_init(struct run_resume *r, const char *path);
void run_resume_release(struct run_resume *r);

#endif
