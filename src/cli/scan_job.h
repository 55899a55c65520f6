/* SPDX-License-Identifier: MIT */
#ifndef PS_CLI_SCAN_JOB_H
#define PS_CLI_SCAN_JOB_H

#include <stdbool.h>

#include "core/portset.h"
#include "core/target.h"
#include "kb/kb.h"
#include "report/report.h"
#include "run/run.h"
#include "scan/discovery.h"

/* -oX/-oG/-oJ/-oN FILE, --output-csv/--output-html FILE. */
#define SCAN_MAX_EXTRA_OUTPUTS 8
/* -S 192.0.2.100-163: source addresses a raw scan spreads its probes over. */
#define SCAN_MAX_SOURCES 256

struct scan_output {
	const char *format;
	const char *path; /* "-": stdout */
	char *owned;	  /* path, when the job made it (-oA): freed with the job */
};

/*
 * What `scan` makes of its arguments (and `check` of its defaults): the run itself (src/run)
 * plus where its results go. The cli part only opens files and builds the sinks.
 */
struct scan_job {
	struct run_job run;
	struct kb *kb;
	struct target_list targets;
	struct portset ports;
	struct portset udp_ports; /* -sU: run.udp_ports points here */
	struct ps_addr source;
	struct ps_addr sources[SCAN_MAX_SOURCES]; /* -S as a range or list */
	size_t nsources;
	const char *format; /* NULL: no report, only observe (the check's own view) */
	bool format_given;  /* --format was named: its report is wanted even beside -oX - */
	const char *output; /* NULL or "-": stdout */
	unsigned show;
	struct scan_output extra[SCAN_MAX_EXTRA_OUTPUTS];
	size_t nextra;
	const char *db_path; /* NULL: the default history database */
	bool no_db;
	struct run_sink *observer; /* also sees every result, when set */
	unsigned verbose;	   /* -v: open ports as they are found */
	double stats_every_s;	   /* --stats-every: a status line this often; 0 = never */
	struct report_summary summary; /* filled by scan_job_run */
	/* -PE -PP -PS.. -PA.. -PU..: run.host_probes points here */
	struct scan_host_probe host_probes[SCAN_HOST_PROBES_MAX];
	size_t nhost_probes;
};

/* A fresh job with the knowledge base loaded; returns an exit code on failure, else 0. */
int scan_job_init(struct scan_job *job);
void scan_job_release(struct scan_job *job);
/*
 * Runs the scan into its reports and history; returns the exit code. Every report file is
 * written beside its destination and renamed into place when the run worked, so a failed or
 * refused run leaves an existing file as it was.
 */
int scan_job_run(struct scan_job *job);

/*
 * scan --shieldsup: ShieldsUP's test set against the job's one target (scan_shieldsup.c).
 * The job's ports are replaced by set's; returns the exit code.
 */
#include "run/shieldsup.h"
int scan_shieldsup_run(struct scan_job *job, enum shieldsup_set set);

#endif
