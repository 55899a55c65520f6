/* SPDX-License-Identifier: MIT */
/* --resume: the run's side of the checkpoint (what was found, where the engine stands). */
#include "resume.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "resume_internal.h"
#include "sink.h"

/* At most every second; a checkpoint that takes long to write is written less often. */
#define WRITE_EVERY_NS 1000000000ull
#define WRITE_COST_FACTOR 10u

void run_resume_init(struct run_resume *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	scan_ckpt_init(&r->ck);
}

void run_resume_release(struct run_resume *r)
{
	free(r->old);
	scan_ckpt_release(&r->ck);
	r->old = NULL;
	r->nold = 0;
}

void run_resume_begin(struct run_resume *r, const struct run_events *events)
{
	r->events = events;
	if (!r->resuming)
		return;
	/* The earlier results come back through the run (run_resume_add), in order. */
	r->old = r->ck.results;
	r->nold = r->ck.nresults;
	r->ck.results = NULL;
	r->ck.nresults = r->ck.results_cap = 0;
	r->from = r->ck.progress;
	r->old_npairs = r->ck.npairs;
}

void run_resume_old_result(const struct run_resume *r, size_t i, struct port_result *out)
{
	const struct scan_ckpt_result *o = &r->old[i];

	memset(out, 0, sizeof(*out));
	out->addr = o->addr;
	out->port = o->port;
	out->proto = o->proto;
	out->state = o->state;
	out->reason = o->reason;
	out->ttl = o->ttl;
	out->tries = o->tries;
	out->rtt_us = o->rtt_us;
}

enum ps_err run_resume_add(struct run_resume *r, const struct port_result *res)
{
	struct scan_ckpt_result c = {
	    .addr = res->addr,
	    .port = res->port,
	    .proto = res->proto,
	    .state = res->state,
	    .reason = res->reason,
	    .ttl = res->ttl,
	    .tries = res->tries,
	    .rtt_us = res->rtt_us,
	};

	return scan_ckpt_add_result(&r->ck, &c);
}

static void write_now(struct run_resume *r)
{
	struct ps_diag diag = {{0}};
	uint64_t t0 = ps_now_ns();
	enum ps_err err = scan_ckpt_write(r->path, &r->ck, &diag);

	r->last_write_ns = ps_now_ns();
	r->write_cost_ns = r->last_write_ns - t0;
	if (err && !r->warned) {
		r->warned = true;
		run_warn(r->events, "warning: %s; the scan goes on without a checkpoint",
			 ps_diag_text(&diag, err));
	}
}

void run_resume_progress(void *ctx, const struct scan_progress *p)
{
	struct run_resume *r = ctx;
	uint64_t every = WRITE_EVERY_NS, now = ps_now_ns();

	r->ck.progress = *p;
	r->ck.complete = p->complete != 0;
	r->have_progress = true;
	if (r->write_cost_ns * WRITE_COST_FACTOR > every)
		every = r->write_cost_ns * WRITE_COST_FACTOR;
	if (p->complete || !r->last_write_ns || now - r->last_write_ns >= every)
		write_now(r);
}

void run_resume_finish(struct run_resume *r)
{
	/* The engine's last word (where it stopped, or complete) is always written. */
	if (r->have_progress)
		write_now(r);
}
