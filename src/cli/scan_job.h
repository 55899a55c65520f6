/* SPDX-License-Identifier: MIT */
#ifndef PS_CLI_SCAN_JOB_H
#define PS_CLI_SCAN_JOB_H

#include <stdbool.h>

#include "core/portset.h"
#include "core/target.h"
#include "kb/kb.h"
#include "report/report.h"
#include "scan/engine.h"
#include "scan_service.h"

/* History and extra outputs (reports/history issue): -oX/-oG/-oJ/-oN FILE, --db, --no-db. */
#define SCAN_MAX_EXTRA_OUTPUTS 8

struct scan_output {
	const char *format;
	const char *path; /* "-": stdout */
};

/* Everything one scan needs, filled by `scan` from its options or by `check` from defaults. */
struct scan_job {
	struct kb *kb;
	struct target_list targets;
	struct portset ports;
	const char *ports_spec;
	const char *engine; /* NULL: the best one this process may use */
	struct scan_opts opts;
	struct ps_addr source;
	const char *format; /* NULL: no report, only observe (the check's own view) */
	const char *output; /* NULL or "-": stdout */
	unsigned show;
	const char *args; /* the command line, for the record */
	struct scan_output extra[SCAN_MAX_EXTRA_OUTPUTS];
	size_t nextra;
	const char *db_path; /* NULL: the default history database */
	bool no_db;
	scan_result_fn observe; /* also sees every result, when set */
	void *observe_ctx;
	struct report_summary summary; /* filled by scan_job_run */
	struct scan_service service; /* --service */
};

/* A fresh job with the knowledge base loaded; returns an exit code on failure, else 0. */
int scan_job_init(struct scan_job *job);
void scan_job_release(struct scan_job *job);
/* Runs the scan and writes the reports; returns the exit code. */
int scan_job_run(struct scan_job *job);

#endif
