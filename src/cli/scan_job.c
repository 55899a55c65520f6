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
	const struct scan_job *job;
	struct scan_service *service; /* holds open ports back for identification, or NULL */
	struct report *reports;
	size_t nreports;
	struct cli_history history;
	struct report_tally tally;
	enum ps_err err; /* the first output error; later results are dropped */
};

static void sink_result(void *ctx, const struct port_result *res)
{
	struct scan_sink *sink = ctx;
	size_t i;

	if (sink->err)
		return;
	if (sink->job->observe)
		sink->job->observe(sink->job->observe_ctx, res);
	sink->err = report_tally_add(&sink->tally, res);
	if (!sink->err && sink->service && res->state == PORT_OPEN) {
		sink->err = scan_service_hold(sink->service, res);
		return;
	}
	for (i = 0; !sink->err && i < sink->nreports; i++)
		sink->err = report_port(&sink->reports[i], res);
	cli_history_port(&sink->history, res);
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

/* why: set when the automatic choice fell back to connect (a note printed once set up). */
static const struct scan_engine *pick_engine(struct scan_job *job, struct ps_diag *why)
{
	if (job->engine)
		return scan_engine_find(job->engine);
	/* The raw SYN engine, where permitted and able to reach the targets, is preferred. */
	job->opts.targets = &job->targets;
	job->opts.ports = &job->ports;
	return scan_engine_auto(&job->opts, why);
}

/*
 * The -oX/-oG/-oJ/-oN outputs, after the main one in reports[]; files[i] is extra[i]'s stream.
 * Opening every file comes before any report begins, so a bad path writes nothing anywhere.
 */
static int open_extra(struct scan_job *job, FILE **files)
{
	size_t i;

	for (i = 0; i < job->nextra; i++) {
		const struct scan_output *o = &job->extra[i];

		if (!report_format_find(o->format)) {
			cli_error("unknown format '%s' (one of: %s)", o->format,
				  report_format_names());
			return CLI_EXIT_USAGE;
		}
		files[i] = strcmp(o->path, "-") ? fopen(o->path, "w") : stdout;
		if (!files[i]) {
			cli_error("cannot write %s: %s", o->path, strerror(errno));
			return CLI_EXIT_USAGE;
		}
	}
	return CLI_EXIT_OK;
}

static int begin_extra(struct scan_job *job, const struct report_meta *meta, struct report *reports,
		       FILE **files, size_t *began)
{
	struct ps_diag diag = {{0}};
	enum ps_err err;
	size_t i;

	for (i = 0; i < job->nextra; i++) {
		err = report_begin(&reports[1 + i], report_format_find(job->extra[i].format),
				   files[i], job->kb, job->show, meta);
		if (err)
			return cli_fail(err, &diag);
		(*began)++;
	}
	return CLI_EXIT_OK;
}

static enum ps_err close_extra(struct scan_job *job, struct report *reports, FILE **files,
			       size_t began, const struct report_summary *sum, enum ps_err err,
			       struct ps_diag *diag)
{
	size_t i;

	for (i = 0; i < job->nextra; i++) {
		if (i < began && !err && sum && (err = report_end(&reports[1 + i], sum)))
			ps_fail(diag, err, "cannot write %s", job->extra[i].path);
		if (i < began)
			report_release(&reports[1 + i]);
		if (files[i] && files[i] != stdout && fclose(files[i]) && !err)
			err = ps_fail(diag, PS_ERR_IO, "cannot write %s", job->extra[i].path);
	}
	return err;
}

/* nmap's rule: when an -oX/-oG/... output goes to stdout, the normal report does not. */
static bool extra_on_stdout(const struct scan_job *job)
{
	size_t i;

	for (i = 0; i < job->nextra; i++)
		if (!strcmp(job->extra[i].path, "-"))
			return true;
	return false;
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
	for (i = 0; i < sv->nheld; i++) {
		for (k = 0; k < sink->nreports; k++)
			if ((err = report_port(&sink->reports[k], &sv->held[i])))
				return err;
		cli_history_port(&sink->history, &sv->held[i]);
	}
	return PS_OK;
}

/* One run's outputs and state, from opening the reports to closing them. */
struct scan_run {
	const struct scan_engine *engine;
	const struct report_format *fmt;
	struct report_meta meta;
	struct scan_sink sink;
	struct report reports[1 + SCAN_MAX_EXTRA_OUTPUTS]; /* [0]: the main report */
	FILE *extra_files[SCAN_MAX_EXTRA_OUTPUTS];
	size_t extra_began;
	FILE *out;
	bool began;	  /* reports[0] and the tally are live */
	bool main_report; /* false: no main report (check, or an -oX - to stdout) */
	struct ps_diag diag;
	struct ps_diag why; /* the automatic engine choice fell back to connect */
};

/* Opens every output and the history; returns an exit code, 0 when the scan may start. */
static int scan_run_open(struct scan_job *job, struct scan_run *run, enum ps_err *err)
{
	int rc;

	run->out = stdout;
	run->main_report = run->fmt && !(!job->output && extra_on_stdout(job));
	if (job->output && strcmp(job->output, "-")) {
		run->out = fopen(job->output, "w");
		if (!run->out) {
			run->out = stdout;
			cli_error("cannot write %s: %s", job->output, strerror(errno));
			return CLI_EXIT_USAGE;
		}
	}
	run->meta.args = job->args;
	run->meta.engine = run->engine->name;
	run->meta.ports_spec = job->ports_spec;
	run->meta.ports = &job->ports;
	run->meta.targets = job->targets.total;
	run->meta.start = time(NULL);
	report_tally_init(&run->sink.tally, job->targets.total);
	run->sink.job = job;
	/* Everything a bad option can break is checked before any report prints a line. */
	if ((rc = open_extra(job, run->extra_files)))
		return rc;
	if (job->service.enabled) {
		*err = scan_service_prepare(&job->service, &run->diag);
		if (*err)
			return CLI_EXIT_OK;
		run->sink.service = &job->service;
	}
	if (!job->no_db && (rc = cli_history_begin(&run->sink.history, job->db_path, &run->meta,
						     &job->targets)))
		return rc;
	if (run->main_report) {
		*err = report_begin(&run->reports[0], run->fmt, run->out, job->kb, job->show,
				    &run->meta);
		if (*err)
			return CLI_EXIT_OK;
	}
	run->began = true;
	rc = begin_extra(job, &run->meta, run->reports, run->extra_files, &run->extra_began);
	if (rc)
		return rc;
	/* Without a main report, reports[1..] are the extra ones. */
	run->sink.reports = run->main_report ? run->reports : run->reports + 1;
	run->sink.nreports = (size_t)run->main_report + run->extra_began;
	return CLI_EXIT_OK;
}

/* The engine's run, then service identification when asked for. */
static enum ps_err scan_run_engine(struct scan_job *job, struct scan_run *run)
{
	struct scan_stats stats = {0};
	struct scan_sink *sink = &run->sink;
	uint64_t t0;
	enum ps_err err;

	job->opts.targets = &job->targets;
	job->opts.ports = &job->ports;
	job->opts.stop = &stop_requested;
	job->opts.on_result = sink_result;
	job->opts.result_ctx = sink;
	/* Only now: a setup error is the one line a failed command prints. */
	if (run->why.msg[0])
		cli_error("note: %s; using the connect scan", run->why.msg);
	stop_requested = 0;
	signal(SIGINT, on_sigint);
	t0 = ps_now_ns();
	err = run->engine->run(&job->opts, &stats, &run->diag);
	signal(SIGINT, SIG_DFL);
	sink->tally.sum.elapsed_s = (double)(ps_now_ns() - t0) / 1e9;
	sink->tally.sum.interrupted = stop_requested || err == PS_ERR_INTERRUPTED;
	if (err == PS_ERR_INTERRUPTED)
		err = PS_OK;
	if (!err)
		err = sink->err;
	if (!err && sink->service) {
		err = report_identified(job, sink, &run->diag);
		sink->tally.sum.elapsed_s = (double)(ps_now_ns() - t0) / 1e9;
	}
	return err;
}

/* Ends and closes every output (the summaries only after a scan that worked). */
static enum ps_err scan_run_close(struct scan_job *job, struct scan_run *run, enum ps_err err,
				  bool scanned)
{
	if (scanned && !err && run->main_report)
		err = report_end(&run->reports[0], &run->sink.tally.sum);
	if (scanned) {
		cli_history_end(&run->sink.history, &run->sink.tally.sum);
		job->summary = run->sink.tally.sum;
	}
	/* Set up but never run: no report or history row may claim a finished scan. */
	cli_history_abort(&run->sink.history);
	if (run->began && run->main_report)
		report_release(&run->reports[0]);
	err = close_extra(job, run->reports, run->extra_files, run->extra_began,
			  scanned ? &run->sink.tally.sum : NULL, err, &run->diag);
	report_tally_release(&run->sink.tally);
	if (run->out != stdout && fclose(run->out) && !err)
		err = ps_fail(&run->diag, PS_ERR_IO, "cannot write %s", job->output);
	return err;
}

int scan_job_run(struct scan_job *job)
{
	struct scan_run *run = calloc(1, sizeof(*run));
	enum ps_err err = PS_OK;
	bool scanned = false;
	int rc;

	if (!run)
		return cli_fail(PS_ERR_NOMEM, NULL);
	run->engine = pick_engine(job, &run->why);
	run->fmt = job->format ? report_format_find(job->format) : NULL;
	if (!run->engine) {
		cli_error("unknown scan engine '%s'", job->engine);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (job->format && !run->fmt) {
		cli_error("unknown format '%s' (one of: %s)", job->format, report_format_names());
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = scan_run_open(job, run, &err);
	if (!rc && !err) {
		err = scan_run_engine(job, run);
		scanned = true;
	}
	err = scan_run_close(job, run, err, scanned);
	if (rc)
		goto out;
	if (err) {
		rc = cli_fail(err, &run->diag);
		goto out;
	}
	if (run->sink.tally.sum.interrupted) {
		cli_error("interrupted: the results above are partial");
		rc = CLI_EXIT_INTERRUPTED;
	}
out:
	free(run);
	return rc;
}
