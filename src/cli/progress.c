/* SPDX-License-Identifier: MIT */
#include "progress.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/addr.h"

/* SIGUSR1 asks for one status line; a handler can only reach a static. */
static volatile sig_atomic_t status_requested;

static void on_sigusr1(int sig)
{
	(void)sig;
	status_requested = 1;
}

static void format_status(const struct run_progress *pr, char *buf, size_t len)
{
	char eta[32] = "--:--";

	if (pr->eta_s >= 0) {
		unsigned long s = (unsigned long)(pr->eta_s + 0.5);

		snprintf(eta, sizeof(eta), "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	}
	snprintf(buf, len,
		 "portsight: %5.1f%% done, %llu/%llu ports, %.0f/s, %.1fs elapsed, ETA %s, %llu "
		 "open",
		 pr->percent, (unsigned long long)pr->done, (unsigned long long)pr->total, pr->rate,
		 pr->elapsed_s, eta, (unsigned long long)pr->open);
}

/* Under p->lock. */
static void clear_line(struct cli_progress *p)
{
	if (p->line_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->line_shown = false;
	}
}

static void show(struct cli_progress *p, bool in_place)
{
	struct run_progress pr;
	char line[256];

	run_progress_read(&p->sink, &pr);
	if (pr.finished || !pr.total)
		return;
	format_status(&pr, line, sizeof(line));
	if (in_place) {
		fprintf(stderr, "\r\033[K%s", line);
		p->line_shown = true;
	} else {
		clear_line(p);
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
}

static void *printer(void *arg)
{
	struct cli_progress *p = arg;
	struct timespec tick = {0, 50L * 1000 * 1000};
	unsigned ticks = 0;
	double since_stats = 0;

	for (;;) {
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&p->lock);
		if (p->done) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		ticks++;
		since_stats += 0.05;
		if (status_requested) {
			status_requested = 0;
			show(p, false);
		}
		if (p->every_s > 0 && since_stats >= p->every_s) {
			since_stats = 0;
			show(p, false);
		}
		if (p->tty && ticks % 5 == 0)
			show(p, true);
		pthread_mutex_unlock(&p->lock);
	}
}

/* The run ended (on its thread): the status line goes before any report prints. */
static void on_finish(void *ctx)
{
	struct cli_progress *p = ctx;

	pthread_mutex_lock(&p->lock);
	clear_line(p);
	p->done = true;
	pthread_mutex_unlock(&p->lock);
}

static enum ps_err discovered_port(struct run_sink *sink, const struct port_result *res,
				   struct ps_diag *diag)
{
	struct cli_progress *p = sink->state;
	char addr[PS_ADDR_STRLEN];

	(void)diag;
	if (res->state != PORT_OPEN)
		return PS_OK;
	pthread_mutex_lock(&p->lock);
	clear_line(p);
	printf("Discovered open port %u/%s on %s\n", res->port,
	       res->proto == IPPROTO_UDP ? "udp" : "tcp",
	       ps_addr_format(&res->addr, addr, sizeof(addr)));
	fflush(stdout);
	pthread_mutex_unlock(&p->lock);
	return PS_OK;
}

static const struct run_sink_ops discovered_ops = {
	.name = "discovered",
	.port = discovered_port,
};

void cli_progress_init(struct cli_progress *p, bool verbose, double every_s)
{
	memset(p, 0, sizeof(*p));
	run_progress_sink_init(&p->sink);
	p->sink.on_finish = on_finish;
	p->sink.finish_ctx = p;
	p->discovered.ops = &discovered_ops;
	p->discovered.state = p;
	p->discovered.early = true;
	p->tty = isatty(STDERR_FILENO);
	p->every_s = every_s;
	p->verbose = verbose;
	pthread_mutex_init(&p->lock, NULL);
}

size_t cli_progress_sinks(struct cli_progress *p, struct run_sink **out)
{
	size_t n = 0;

	out[n++] = &p->sink.sink; /* always: SIGUSR1 works on a pipe too */
	if (p->verbose)
		out[n++] = &p->discovered;
	return n;
}

int cli_progress_start(struct cli_progress *p)
{
	signal(SIGUSR1, on_sigusr1);
	if (pthread_create(&p->thread, NULL, printer, p))
		return -1;
	p->running = true;
	return 0;
}

void cli_progress_stop(struct cli_progress *p)
{
	pthread_mutex_lock(&p->lock);
	clear_line(p);
	p->done = true;
	pthread_mutex_unlock(&p->lock);
	if (p->running)
		pthread_join(p->thread, NULL);
	p->running = false;
	signal(SIGUSR1, SIG_DFL);
	pthread_mutex_destroy(&p->lock);
}
