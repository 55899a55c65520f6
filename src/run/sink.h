/* SPDX-License-Identifier: MIT */
#ifndef PS_RUN_SINK_H
#define PS_RUN_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/result.h"
#include "core/target.h"
#include "report/report.h"

/*
 * A result sink: where the results of a run go. Reports, the history recorder, service
 * identification and any observer (the check's view, a server's live page, a monitor) are
 * sinks: a const descriptor of callbacks and a per-sink state, zmap's output modules made
 * per-run.
 */
struct run_events;

/* What a sink learns when the run begins. */
struct run_info {
	struct report_meta meta;	   /* args, engine, ports, start time */
	const struct target_list *targets; /* the addresses, for a scan's identity */
	const struct kb *kb;
	const struct run_events *events; /* for a sink's own warnings (run_warn) */
	/* A shard of a split scan (nshards > 1): its number, the seed and the fleet's name
	 * (NULL: the history derives one). */
	uint64_t shard, nshards, seed;
	const char *fleet;
};

struct run_sink;

struct run_sink_ops {
	const char *name;
	/* Before the first probe; an error here stops the run before it sends anything. */
	enum ps_err (*begin)(struct run_sink *sink, const struct run_info *info,
			     struct ps_diag *diag);
	/* Every result, once; an error ends this run's delivery and is the run's error. */
	enum ps_err (*port)(struct run_sink *sink, const struct port_result *res,
			    struct ps_diag *diag);
	/*
	 * Optional: host discovery's verdicts, once, after begin and before the first port
	 * (only when discovery ran). hosts stays valid until end or abort.
	 */
	enum ps_err (*hosts)(struct run_sink *sink, const struct host_table *hosts,
			     struct ps_diag *diag);
	/* After the last result, with the totals (summary->interrupted says it is partial). */
	enum ps_err (*end)(struct run_sink *sink, const struct report_summary *sum,
			   struct ps_diag *diag);
	/* Begun but never ended (a later sink failed to begin, or the run failed): no record
	 * may claim a finished scan. May be NULL. */
	void (*abort)(struct run_sink *sink);
};

struct run_sink {
	const struct run_sink_ops *ops;
	void *state;
	/* Sees each result as the engine finds it, before -sV holds open ports back (progress,
	 * "Discovered open port" lines); others get open ports once identified. */
	bool early;
};

/* A warning through the run's events (a sink that degrades instead of failing the run). */
void run_warn(const struct run_events *events, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- the sinks every front end uses ---- */

/* A report (report/report.h) writing to out; path names it in errors ("-" = stdout). */
struct run_report_sink {
	struct run_sink sink;
	const struct report_format *fmt;
	FILE *out;
	const char *path;
	unsigned show;
	struct report report;
	bool began;
};
void run_report_sink_init(struct run_report_sink *rs, const struct report_format *fmt, FILE *out,
			  const char *path, unsigned show);

/*
 * The history recorder. path NULL: the default database ($XDG_STATE_HOME/portsight/...). A
 * database that cannot be opened, or a write failing later, costs the history, never the scan:
 * one warning through the run's events, and the rest goes unrecorded.
 */
struct store;
struct run_history_sink {
	struct run_sink sink;
	const char *path;
	struct store *st; /* NULL: not recording */
	const struct run_events *events;
	int64_t scan_id;
};
void run_history_sink_init(struct run_history_sink *hs, const char *path);

/* Calls fn for every result (an observer); fn's error fails the run. */
typedef enum ps_err (*run_observe_fn)(void *ctx, const struct port_result *res);
struct run_observer_sink {
	struct run_sink sink;
	run_observe_fn fn;
	void *ctx;
};
void run_observer_sink_init(struct run_observer_sink *os, run_observe_fn fn, void *ctx);

/*
 * Progress, for a status line: counts updated by the run's thread, read from any other
 * (atomics), so a front end can show percent, rate and ETA while the engine works.
 */
struct run_progress_sink {
	struct run_sink sink;
	_Atomic uint64_t done, open;
	_Atomic uint64_t total;
	_Atomic uint64_t start_ns;
	_Atomic int finished;
	uint64_t ports_per_host; /* the run's thread only */
	/* Called once, on the run's thread, when the run ends or aborts (may be NULL): a status
	 * line must be gone before the reports print. */
	void (*on_finish)(void *ctx);
	void *finish_ctx;
};

struct run_progress {
	uint64_t done, total, open;
	double percent;
	double elapsed_s;
	double rate;  /* results per second so far */
	double eta_s; /* -1 when not known yet */
	bool finished;
};

void run_progress_sink_init(struct run_progress_sink *ps);
/* A consistent enough reading of the counters, from any thread. */
void run_progress_read(const struct run_progress_sink *ps, struct run_progress *out);

#endif
