/* SPDX-License-Identifier: MIT */
/* The sinks every front end uses: a report, an observer (history: sink_history.c). */
#include "sink.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

void run_warn(const struct run_events *events, const char *fmt, ...)
{
	char msg[PS_DIAG_MAX + 128];
	va_list ap;

	if (!events || !events->warning)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	events->warning(events->ctx, msg);
}

static enum ps_err report_sink_begin(struct run_sink *sink, const struct run_info *info,
				     struct ps_diag *diag)
{
	struct run_report_sink *rs = sink->state;
	enum ps_err err;

	err = report_begin(&rs->report, rs->fmt, rs->out, info->kb, rs->show, &info->meta);
	if (err)
		return ps_fail(diag, err, "cannot write %s", rs->path);
	rs->began = true;
	return PS_OK;
}

static enum ps_err report_sink_port(struct run_sink *sink, const struct port_result *res,
				    struct ps_diag *diag)
{
	struct run_report_sink *rs = sink->state;
	enum ps_err err = report_port(&rs->report, res);

	return err ? ps_fail(diag, err, "cannot write %s", rs->path) : PS_OK;
}

static enum ps_err report_sink_end(struct run_sink *sink, const struct report_summary *sum,
				   struct ps_diag *diag)
{
	struct run_report_sink *rs = sink->state;
	enum ps_err err = report_end(&rs->report, sum);

	report_release(&rs->report);
	rs->began = false;
	return err ? ps_fail(diag, err, "cannot write %s", rs->path) : PS_OK;
}

static void report_sink_abort(struct run_sink *sink)
{
	struct run_report_sink *rs = sink->state;

	if (rs->began)
		report_release(&rs->report);
	rs->began = false;
}

static enum ps_err report_sink_hosts(struct run_sink *sink, const struct host_table *hosts,
				     struct ps_diag *diag)
{
	struct run_report_sink *rs = sink->state;

	(void)diag;
	report_hosts(&rs->report, hosts);
	return PS_OK;
}

static const struct run_sink_ops report_sink_ops = {
	.name = "report",
	.begin = report_sink_begin,
	.port = report_sink_port,
	.hosts = report_sink_hosts,
	.end = report_sink_end,
	.abort = report_sink_abort,
};

void run_report_sink_init(struct run_report_sink *rs, const struct report_format *fmt, FILE *out,
			  const char *path, unsigned show)
{
	memset(rs, 0, sizeof(*rs));
	rs->sink.ops = &report_sink_ops;
	rs->sink.state = rs;
	rs->fmt = fmt;
	rs->out = out;
	rs->path = path ? path : "-";
	rs->show = show;
}

static enum ps_err observer_port(struct run_sink *sink, const struct port_result *res,
				 struct ps_diag *diag)
{
	struct run_observer_sink *os = sink->state;
	enum ps_err err = os->fn(os->ctx, res);

	return err ? ps_fail(diag, err, "%s", ps_strerror(err)) : PS_OK;
}

static const struct run_sink_ops observer_sink_ops = {
	.name = "observer",
	.port = observer_port,
};

void run_observer_sink_init(struct run_observer_sink *os, run_observe_fn fn, void *ctx)
{
	memset(os, 0, sizeof(*os));
	os->sink.ops = &observer_sink_ops;
	os->sink.state = os;
	os->fn = fn;
	os->ctx = ctx;
}
