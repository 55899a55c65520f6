/* SPDX-License-Identifier: MIT */
/* From a scan_job to run_scan(): open the outputs, build the sinks, catch Ctrl-C. */
#include "scan_job.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/clock.h"
#include "outfile.h"
#include "progress.h"

/*
 * The one piece of global state: a signal handler can only reach a static. Ctrl-C asks the
 * run to stop; a second Ctrl-C kills the process the usual way.
 */
static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig)
{
	stop_requested = 1;
	signal(sig, SIG_DFL);
}

static void print_event(void *ctx, const char *msg)
{
	(void)ctx;
	cli_error("%s", msg);
}

/* --packet-trace: nmap's lines, times from the start of the run. */
struct packet_tracer {
	uint64_t t0;
};

/* "198.18.0.2:22", "[2001:db8::2]:22" */
static void format_endpoint(const struct ps_addr *a, uint16_t port, char *buf, size_t len)
{
	char addr[PS_ADDR_STRLEN];

	ps_addr_format(a, addr, sizeof(addr));
	snprintf(buf, len, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, port);
}

static void tcp_flags_text(uint8_t flags, char *buf)
{
	static const struct {
		uint8_t bit;
		char letter;
	} order[] = {{0x02, 'S'}, {0x01, 'F'}, {0x04, 'R'}, {0x08, 'P'},
		     {0x10, 'A'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'C'}};
	size_t i, n = 0;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (flags & order[i].bit)
			buf[n++] = order[i].letter;
	buf[n] = '\0';
}

static void print_trace(void *ctx, const struct scan_trace *t)
{
	static const char *const kind[] = {"SENT", "RCVD", "CONN"};
	const struct packet_tracer *tr = ctx;
	double at = t->t_ns > tr->t0 ? (double)(t->t_ns - tr->t0) / 1e9 : 0.0;
	char src[PS_ADDR_STRLEN + 8], dst[PS_ADDR_STRLEN + 8], flags[9];

	format_endpoint(&t->src, t->sport, src, sizeof(src));
	format_endpoint(&t->dst, t->dport, dst, sizeof(dst));
	if (t->kind == SCAN_TRACE_CONN) {
		fprintf(stderr, "CONN (%.4fs) TCP localhost > %s => %s\n", at, dst,
			t->conn_errno ? strerror(t->conn_errno) : "Connected");
		return;
	}
	if (t->proto == IPPROTO_TCP) {
		tcp_flags_text(t->tcp_flags, flags);
		fprintf(stderr, "%s (%.4fs) TCP %s > %s %s ttl=%u iplen=%u seq=%u", kind[t->kind],
			at, src, dst, flags, t->ttl, t->ip_len, t->seq);
		if (t->tcp_flags & 0x10)
			fprintf(stderr, " ack=%u", t->ack);
		fputc('\n', stderr);
	} else if (t->proto == IPPROTO_UDP) {
		fprintf(stderr, "%s (%.4fs) UDP %s > %s ttl=%u iplen=%u\n", kind[t->kind], at, src,
			dst, t->ttl, t->ip_len);
	} else {
		char a[PS_ADDR_STRLEN], b[PS_ADDR_STRLEN];

		fprintf(stderr, "%s (%.4fs) %s [%s > %s type=%u/code=%u, for port %u] ttl=%u "
				"iplen=%u\n",
			kind[t->kind], at, t->proto == IPPROTO_ICMP ? "ICMP" : "ICMPv6",
			ps_addr_format(&t->src, a, sizeof(a)), ps_addr_format(&t->dst, b, sizeof(b)),
			t->icmp_type, t->icmp_code, t->dport, t->ttl, t->ip_len);
	}
}

static const struct run_events cli_events = {
	.warning = print_event,
	.note = print_event,
};

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
	job->run.kb = job->kb;
	job->run.targets = &job->targets;
	job->run.ports = &job->ports;
	return CLI_EXIT_OK;
}

void scan_job_release(struct scan_job *job)
{
	size_t i;

	for (i = 0; i < job->nextra; i++)
		free(job->extra[i].owned);
	target_list_release(&job->targets);
	kb_free(job->kb);
	job->kb = NULL;
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

/* Every output of a run: [0] the main report, then the extra ones. */
#define SCAN_MAX_REPORTS (1 + SCAN_MAX_EXTRA_OUTPUTS)

struct scan_outputs {
	struct run_report_sink reports[SCAN_MAX_REPORTS];
	struct outfile files[SCAN_MAX_REPORTS];
	size_t n;
	struct run_history_sink history;
	struct cli_progress progress;
	struct run_sink *sinks[SCAN_MAX_REPORTS + 4];
	size_t nsinks;
};

static int open_output(struct scan_outputs *o, const char *format, const char *path,
		       unsigned show)
{
	const struct report_format *fmt = report_format_find(format);
	struct ps_diag diag = {{0}};
	enum ps_err err;

	if (!fmt) {
		cli_error("unknown format '%s' (one of: %s)", format, report_format_names());
		return CLI_EXIT_USAGE;
	}
	err = outfile_open(&o->files[o->n], path ? path : "-", &diag);
	if (err)
		return cli_fail(err, &diag);
	run_report_sink_init(&o->reports[o->n], fmt, o->files[o->n].f, o->files[o->n].path,
			     show);
	o->n++;
	return CLI_EXIT_OK;
}

/* Two reports into one file (or both on stdout) would interleave: refuse before anything. */
static int refuse_shared_paths(const struct scan_job *job, bool main_report)
{
	const char *paths[SCAN_MAX_REPORTS];
	size_t n = 0, i, k;

	if (main_report)
		paths[n++] = job->output ? job->output : "-";
	for (i = 0; i < job->nextra; i++)
		paths[n++] = job->extra[i].path;
	for (i = 0; i < n; i++)
		for (k = i + 1; k < n; k++)
			if (outfile_same(paths[i], paths[k])) {
				cli_error("two reports cannot share %s: give each output its own "
					  "file",
					  strcmp(paths[i], "-") ? paths[i] : "standard output");
				return CLI_EXIT_USAGE;
			}
	return CLI_EXIT_OK;
}

/*
 * Opens every file before the run begins any sink, so a bad path writes nothing anywhere.
 * Sinks in order: the history (a bad --db stops the run before a report prints), the reports,
 * the observer.
 */
static int open_outputs(struct scan_job *job, struct scan_outputs *o)
{
	/* nmap's rule: an -oX - on stdout replaces the normal report, unless --format asked. */
	bool main_report = job->format && (job->output || job->format_given || !extra_on_stdout(job));
	size_t i;
	int rc;

	if ((rc = refuse_shared_paths(job, main_report)))
		return rc;
	if (main_report && (rc = open_output(o, job->format, job->output, job->show)))
		return rc;
	for (i = 0; i < job->nextra; i++)
		if ((rc = open_output(o, job->extra[i].format, job->extra[i].path, job->show)))
			return rc;
	if (!job->no_db) {
		const char *env = getenv("PORTSIGHT_DB");

		run_history_sink_init(&o->history,
				      job->db_path ? job->db_path : env && env[0] ? env : NULL);
		o->sinks[o->nsinks++] = &o->history.sink;
	}
	for (i = 0; i < o->n; i++)
		o->sinks[o->nsinks++] = &o->reports[i].sink;
	if (job->observer)
		o->sinks[o->nsinks++] = job->observer;
	cli_progress_init(&o->progress, job->verbose, job->stats_every_s);
	o->nsinks += cli_progress_sinks(&o->progress, o->sinks + o->nsinks);
	return CLI_EXIT_OK;
}

/* After a run that worked every report is renamed into place; otherwise none is. */
static enum ps_err close_outputs(struct scan_outputs *o, enum ps_err err, struct ps_diag *diag)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		if (!err)
			err = outfile_commit(&o->files[i], diag);
		outfile_discard(&o->files[i]);
	}
	return err;
}

int scan_job_run(struct scan_job *job)
{
	struct scan_outputs *o = calloc(1, sizeof(*o));
	struct run_result result;
	struct packet_tracer tracer = {.t0 = ps_now_ns()};
	struct ps_diag diag = {{0}};
	enum ps_err err = PS_OK;
	int rc;

	if (!o)
		return cli_fail(PS_ERR_NOMEM, NULL);
	memset(&result, 0, sizeof(result));
	if (job->format && !report_format_find(job->format)) {
		cli_error("unknown format '%s' (one of: %s)", job->format, report_format_names());
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (job->run.engine && !scan_engine_find(job->run.engine)) {
		cli_error("unknown scan engine '%s'", job->run.engine);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = open_outputs(job, o);
	if (job->packet_trace) {
		job->run.tuning.on_trace = print_trace;
		job->run.tuning.trace_ctx = &tracer;
	}
	if (!rc) {
		stop_requested = 0;
		signal(SIGINT, on_sigint);
		/* With a checkpoint, SIGTERM stops the scan the same way, and the checkpoint says
		 * where. */
		if (job->run.resume)
			signal(SIGTERM, on_sigint);
		if (cli_progress_start(&o->progress))
			cli_error("warning: no progress display (cannot start its thread)");
		err = run_scan(&job->run, o->sinks, o->nsinks, &stop_requested, &cli_events,
			       &result, &diag);
		cli_progress_stop(&o->progress);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
	}
	err = close_outputs(o, rc ? PS_ERR_INVALID : err, &diag);
	if (rc)
		goto out;
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	job->summary = result.summary;
	if (result.failure) {
		cli_error("%s; the results above are partial",
			  ps_diag_text(&result.failure_diag, result.failure));
		rc = CLI_EXIT_FAILURE;
	} else if (result.summary.interrupted) {
		cli_error("interrupted: the results above are partial");
		rc = CLI_EXIT_INTERRUPTED;
	}
out:
	free(o);
	return rc;
}
