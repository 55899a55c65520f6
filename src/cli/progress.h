/* SPDX-License-Identifier: MIT */
#ifndef PS_CLI_PROGRESS_H
#define PS_CLI_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>

#include "run/sink.h"

/*
 * What a scan shows while it runs (stderr): on a terminal a status line refreshed four times
 * a second (masscan's habit), with --stats-every a plain line every so often (nmap's), on
 * SIGUSR1 one line; and with -v each open port as it is found ("Discovered open port ...",
 * stdout, as nmap prints it). Nothing of this on a pipe unless asked.
 */
struct cli_progress {
	struct run_progress_sink sink;
	struct run_sink discovered; /* -v */
	bool tty;		    /* refresh a status line in place */
	double every_s;		    /* --stats-every; 0 = never */
	bool verbose;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock; /* one writer at a time on the terminal */
	bool line_shown;      /* a status line is on the terminal, to be cleared */
	bool done;
};

/* Decides from the options and the terminal; *wanted false: nothing to show. */
void cli_progress_init(struct cli_progress *p, bool verbose, double every_s);
/* The sinks to hand to the run (0, 1 or 2 of them) and the printer thread. */
size_t cli_progress_sinks(struct cli_progress *p, struct run_sink **out);
int cli_progress_start(struct cli_progress *p);
void cli_progress_stop(struct cli_progress *p);

#endif
