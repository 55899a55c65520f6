/* SPDX-License-Identifier: MIT */
/*
 * One scan run: pick the engine, begin the sinks, let the engine deliver every result through
 * the tally (and the service stage when -sV holds open ports back) to the sinks, end them.
 */
#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "fanout.h"
#include "report/tally.h"
#include "service.h"

/* One run's state; everything lives here so runs do not share anything. */
struct run_ctx {
	const struct run_job *job;
	const volatile sig_atomic_t *stop;
	struct run_fanout early; /* sinks that see results as found (sink.early) */
	struct run_fanout out;	 /* the rest: after the -sV stage */
	struct run_service service;
	struct report_tally tally;
	struct ps_diag port_diag; /* the first delivery error's detail */
	enum ps_err err;	  /* the first delivery error; later results are dropped */
	enum ps_err failure;	  /* the engine failed after results came in (run_result) */
	struct ps_diag failure_diag;
};

static void on_result(void *vctx, const struct port_result *res)
{
	struct run_ctx *rc = vctx;

	if (rc->err)
		return;
	rc->err = report_tally_add(&rc->tally, res);
	if (!rc->err)
		rc->err = run_fanout_port(&rc->early, res, &rc->port_diag);
	if (!rc->err && rc->service.enabled && res->state == PORT_OPEN) {
		rc->err = run_service_hold(&rc->service, res);
		return;
	}
	if (!rc->err)
		rc->err = run_fanout_port(&rc->out, res, &rc->port_diag);
}

enum ps_err run_pick_engine(const struct run_job *job, const struct scan_engine **engine,
			    struct ps_diag *why, struct ps_diag *diag)
{
	struct scan_opts opts = job->tuning;

	if (why)
		why->msg[0] = '\0';
	if (job->engine) {
		*engine = scan_engine_find(job->engine);
		if (!*engine)
			return ps_fail(diag, PS_ERR_INVALID, "unknown scan engine '%s'", job->engine);
		return PS_OK;
	}
	/* The raw SYN engine, where permitted and able to reach the targets, is preferred. */
	opts.targets = job->targets;
	opts.ports = job->ports;
	*engine = scan_engine_auto(&opts, why);
	return PS_OK;
}

static bool stop_requested(const struct run_ctx *rc)
{
	return rc->stop && *rc->stop;
}

/* -sV: identify the held open ports, then deliver them with their services. */
static enum ps_err deliver_identified(struct run_ctx *rc, struct ps_diag *diag)
{
	struct run_service *sv = &rc->service;
	enum ps_err err;
	size_t i;

	err = run_service_run(sv, rc->job->kb, rc->stop, diag);
	if (err == PS_ERR_INTERRUPTED) {
		rc->tally.sum.interrupted = 1;
		err = PS_OK;
	}
	for (i = 0; !err && i < sv->nheld; i++)
		err = run_fanout_port(&rc->out, &sv->held[i], diag);
	return err;
}

static enum ps_err run_engine(struct run_ctx *rc, const struct scan_engine *engine,
			      struct scan_stats *stats, struct ps_diag *diag)
{
	struct scan_opts opts = rc->job->tuning;
	uint64_t t0 = ps_now_ns();
	enum ps_err err;

	opts.targets = rc->job->targets;
	opts.ports = rc->job->ports;
	opts.stop = rc->stop;
	opts.on_result = on_result;
	opts.result_ctx = rc;
	err = engine->run(&opts, stats, diag);
	rc->tally.sum.elapsed_s = (double)(ps_now_ns() - t0) / 1e9;
	rc->tally.sum.interrupted = stop_requested(rc) || err == PS_ERR_INTERRUPTED;
	if (err == PS_ERR_INTERRUPTED)
		err = PS_OK;
	/* What was found before the engine broke down is kept, marked partial. */
	if (err && !rc->err && rc->tally.sum.ports_scanned) {
		rc->failure = err;
		if (diag)
			rc->failure_diag = *diag;
		rc->tally.sum.interrupted = 1;
		err = PS_OK;
	}
	if (!err && rc->err) {
		err = rc->err;
		if (diag)
			*diag = rc->port_diag;
	}
	if (!err && rc->service.enabled) {
		err = deliver_identified(rc, diag);
		rc->tally.sum.elapsed_s = (double)(ps_now_ns() - t0) / 1e9;
	}
	return err;
}

/* The early sinks apart from the rest, each group in the order given. */
static enum ps_err split_sinks(struct run_ctx *rc, struct run_sink *const *sinks, size_t n,
			       struct ps_diag *diag)
{
	struct run_sink *early[RUN_MAX_SINKS], *late[RUN_MAX_SINKS];
	size_t ne = 0, nl = 0, i;
	enum ps_err err;

	if (n > RUN_MAX_SINKS)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "at most %d outputs at once", RUN_MAX_SINKS);
	for (i = 0; i < n; i++) {
		if (sinks[i]->early)
			early[ne++] = sinks[i];
		else
			late[nl++] = sinks[i];
	}
	err = run_fanout_init(&rc->early, early, ne, diag);
	return err ? err : run_fanout_init(&rc->out, late, nl, diag);
}

static void note_fallback(const struct run_events *events, const struct ps_diag *why)
{
	char msg[PS_DIAG_MAX + 64];

	if (!why->msg[0] || !events || !events->note)
		return;
	snprintf(msg, sizeof(msg), "note: %s; using the connect scan", why->msg);
	events->note(events->ctx, msg);
}

enum ps_err run_scan(const struct run_job *job, struct run_sink *const *sinks, size_t nsinks,
		     const volatile sig_atomic_t *stop, const struct run_events *events,
		     struct run_result *result, struct ps_diag *diag)
{
	struct run_ctx *rc = calloc(1, sizeof(*rc));
	struct scan_stats stats = {0};
	const struct scan_engine *engine = NULL;
	struct ps_diag why = {{0}};
	struct run_info info;
	enum ps_err err;

	if (!rc)
		return ps_fail(diag, PS_ERR_NOMEM, "out of memory");
	rc->job = job;
	rc->stop = stop;
	report_tally_init(&rc->tally, job->targets->total);
	err = run_pick_engine(job, &engine, &why, diag);
	if (!err)
		err = split_sinks(rc, sinks, nsinks, diag);
	/* Everything a bad option can break fails here, before any sink writes a line. */
	if (!err && job->service) {
		rc->service.enabled = true;
		rc->service.probes_file = job->probes_file;
		rc->service.intensity = job->version_intensity;
		err = run_service_prepare(&rc->service, diag);
	}
	if (err)
		goto out;
	memset(&info, 0, sizeof(info));
	info.meta.args = job->args;
	info.meta.engine = engine->name;
	info.meta.ports_spec = job->ports_spec;
	info.meta.ports = job->ports;
	info.meta.targets = job->targets->total;
	info.meta.start = time(NULL);
	info.targets = job->targets;
	info.kb = job->kb;
	info.events = events;
	if (job->tuning.nshards > 1) {
		info.shard = job->tuning.shard;
		info.nshards = job->tuning.nshards;
		info.seed = job->tuning.seed;
		info.fleet = job->fleet;
	}
	err = run_fanout_begin(&rc->out, &info, diag);
	if (!err && (err = run_fanout_begin(&rc->early, &info, diag)))
		run_fanout_abort(&rc->out);
	if (err)
		goto out;
	/* Only now: a setup error is the one line a failed command prints. */
	note_fallback(events, &why);
	err = run_engine(rc, engine, &stats, diag);
	if (err) {
		run_fanout_abort(&rc->out);
		run_fanout_abort(&rc->early);
		goto out;
	}
	/* The early sinks first: a status line ends before the reports print theirs. */
	err = run_fanout_end(&rc->early, &rc->tally.sum, diag);
	if (!err)
		err = run_fanout_end(&rc->out, &rc->tally.sum, diag);
	else
		run_fanout_abort(&rc->out);
	if (result) {
		result->summary = rc->tally.sum;
		result->stats = stats;
		result->engine = engine;
		result->failure = rc->failure;
		result->failure_diag = rc->failure_diag;
	}
out:
	run_service_release(&rc->service);
	report_tally_release(&rc->tally);
	free(rc);
	return err;
}
