/* SPDX-License-Identifier: MIT */
#ifndef PS_CLI_SCAN_RESUME_H
#define PS_CLI_SCAN_RESUME_H

#include <stdbool.h>

#include "run/resume.h"
#include "scan_job.h"

/*
 * `scan --resume FILE`, the command-line side. Before the options are parsed,
 * scan_resume_open() looks for --resume: when FILE holds a checkpoint, the command line to
 * parse becomes the checkpoint's (the arguments given must
 * be none, output options only, or the same again), when it does
 * not, the scan starts fresh and will write it. *done set: nothing to scan (the checkpoint
 * is complete; the exit code is returned).
 */
struct scan_resume {
	struct run_resume run;
	bool active;
	int argc;
	char **argv; /* what to parse (owned array; strings are argv's or the checkpoint's) */
	char **extra; /* output options given with a resume (argv's strings) */
};

/* Returns an exit code (non-zero: refused, said in one line). */
int scan_resume_open(struct scan_resume *sr, int argc, char **argv, bool *done);
/*
 * After the job is built: seeds it when the user gave no seed (seed_given false), and checks
 * (resuming) or records (fresh) the job's fingerprint. Returns an exit code.
 */
int scan_resume_job(struct scan_resume *sr, struct scan_job *job, bool seed_given);
void scan_resume_release(struct scan_resume *sr);

#endif
