/* SPDX-License-Identifier: MIT */
#include "scan_job.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/clock.h"
#include "report/report.h"
#include "report/tally.h"

/*
 * The one piece of global state: a signal handler can only reach a static. Ctrl-C asks the
 * engine to stop; a second Ctrl-C kills the process the usual way.
 */
static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig)
{
	(void)sig;
	stop_requested = 1;
	signal(SIGINT, SIG_DFL);
}

struct scan_sink {
	struct scan_service *service; /* holds open ports back for identification, or NULL */
	struct report *reports;
	size_t nreports;
	struct report_tally tally;
	enum ps_err err; /* the first output error; later results are dropped */
};

static void sink_result(void *ctx, const struct port_result *res)
{
	struct scan_sink *sink = ctx;
	size_t i;

	if (sink->err)
		return;
	sink->err = report_tally_add(&sink->tally, res);
	if (!sink->err && sink->service && res->state == PORT_OPEN) {
		sink->err = scan_service_hold(sink->service, res);
		return;
	}
	for (i = 0; !sink->err && i < sink->nreports; i++)
		sink->err = report_port(&sink->reports[i], res);
}

int scan_job_init(struct scan_job *job)
{
	struct ps_diag diag = {{0}};
	enum ps_err err;

	memset(job, 0, sizeof(*job));
	target_list_init(&job->targets);
	job->format = "text";
	job->show = REPORT_SHOW_OPEN;
	err = kb_load_builtin(&job->kb, &diag);
	if (err)
		return cli_fail(err, &diag);
	return CLI_EXIT_OK;
}

void scan_job_release(struct scan_job *job)
{
	target_list_release(&job->targets);
	scan_service_release(&job->service);
	kb_free(job->kb);
	job->kb = NULL;
}

static const struct scan_engine *pick_engine(const struct scan_job *job)
{
	if (job->engine)
		return scan_engine_find(job->engine);
	/* The raw SYN engine, where present and permitted, is preferred (see engines.c). */
	return scan_engine_find("connect");
}

/* --service: identify the held open ports, then report them with their services. */
static enum ps_err report_identified(struct scan_job *job, struct scan_sink *sink,
				     struct ps_diag *diag)
{
	struct scan_service *sv = sink->service;
	enum ps_err err;
	size_t i, k;

	signal(SIGINT, on_sigint);
	err = scan_service_run(sv, job->kb, &stop_requested, diag);
	signal(SIGINT, SIG_DFL);
	if (err == PS_ERR_INTERRUPTED) {
		sink->tally.sum.interrupted = 1;
		err = PS_OK;
	}
	if (err)
		return err;
	for (i = 0; i < sv->nheld; i++)
		for (k = 0; k < sink->nreports; k++)
			if ((err = report_port(&sink->reports[k], &sv->held[i])))
				return err;
	return PS_OK;
}

int scan_job_run(struct scan_job *job)
{
	const struct scan_engine *engine = pick_engine(job);
	const struct report_format *fmt = report_format_find(job->format);
	struct report_meta meta = {0};
	struct scan_sink sink = {0};
	struct report report;
	struct scan_stats stats = {0};
	struct ps_diag diag = {{0}};
	FILE *out = stdout;
	uint64_t t0;
	enum ps_err err;
	int rc = CLI_EXIT_OK, began = 0;

	if (!engine) {
		cli_error("unknown scan engine '%s'", job->engine);
		return CLI_EXIT_USAGE;
	}
	if (!fmt) {
		cli_error("unknown format '%s' (one of: %s)", job->format, report_format_names());
		return CLI_EXIT_USAGE;
	}
	if (job->output && strcmp(job->output, "-")) {
		out = fopen(job->output, "w");
		if (!out) {
			cli_error("cannot write %s: %s", job->output, strerror(errno));
			return CLI_EXIT_USAGE;
		}
	}

	meta.args = job->args;
	meta.engine = engine->name;
	meta.ports_spec = job->ports_spec;
	meta.ports = &job->ports;
	meta.targets = job->targets.total;
	meta.start = time(NULL);
	report_tally_init(&sink.tally, job->targets.total);
	if (job->service.enabled) {
		err = scan_service_prepare(&job->service, &diag);
		if (err)
			goto out;
		sink.service = &job->service;
	}
	err = report_begin(&report, fmt, out, job->kb, job->show, &meta);
	if (err)
		goto out;
	began = 1;
	sink.reports = &report;
	sink.nreports = 1;

	job->opts.targets = &job->targets;
	job->opts.ports = &job->ports;
	job->opts.stop = &stop_requested;
	job->opts.on_result = sink_result;
	job->opts.result_ctx = &sink;
	stop_requested = 0;
	signal(SIGINT, on_sigint);
	t0 = ps_now_ns();
	err = engine->run(&job->opts, &stats, &diag);
	signal(SIGINT, SIG_DFL);
	sink.tally.sum.elapsed_s = (double)(ps_now_ns() - t0) / 1e9;
	sink.tally.sum.interrupted = stop_requested || err == PS_ERR_INTERRUPTED;
	if (err == PS_ERR_INTERRUPTED)
		err = PS_OK;
	if (!err)
		err = sink.err;
	if (!err && sink.service) {
		err = report_identified(job, &sink, &diag);
		sink.tally.sum.elapsed_s = (double)(ps_now_ns() - t0) / 1e9;
	}
	if (!err)
		err = report_end(&report, &sink.tally.sum);
out:
	if (began)
		report_release(&report);
	report_tally_release(&sink.tally);
	if (out != stdout && fclose(out) && !err)
		err = ps_fail(&diag, PS_ERR_IO, "cannot write %s", job->output);
	if (err)
		return cli_fail(err, &diag);
	if (sink.tally.sum.interrupted) {
		cli_error("interrupted: the results above are partial");
		rc = CLI_EXIT_INTERRUPTED;
	}
	return rc;
}
