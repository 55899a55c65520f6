/* SPDX-License-Identifier: MIT */
/*
 * portsight watch: a port monitor that alerts. The watch library keeps the state and turns
 * changes into events; this file parses options, owns the loop's clock and signals, and wires
 * the channels the user asked for.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "kb/kb.h"
#include "watch/watch.h"

#define WATCH_MAX_NETNS	   64
#define WATCH_MAX_CHANNELS 8

struct watch_args {
	struct watch_opts opts;
	const char *netns[WATCH_MAX_NETNS];
	const char *baseline;
	const char *format; /* NULL: table on a terminal, else jsonl */
	const char *exec, *webhook, *prom;
	double interval;
	double webhook_timeout;
	unsigned long long webhook_retries;
	bool once, quiet, syslog, no_kb;
};

struct channel_run {
	const struct watch_channel *ch;
	void *ctx;
};

static void watch_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: portsight watch [OPTIONS]\n\n"
	    "Watches this machine's listening TCP and UDP sockets and reports each listener that\n"
	    "opens, closes or changes owner program, with its process, exposure, firewall verdict\n"
	    "and the knowledge base's warning. A listener is an address and port, not a PID: a\n"
	    "service that restarts on the same address is not an event.\n\n"
	    "  --baseline FILE       report only deviations from FILE (written from the current\n"
	    "                        state when it does not exist yet)\n"
	    "  --once                compare once with --baseline: exit 1 on deviation, else 0\n"
	    "  --interval SECONDS    poll interval (default 0.75; a new listener shows within it)\n"
	    "  --grace SECONDS       how long a listener must stay gone to be closed (default 2)\n"
	    "  --netns NAME          watch /run/netns/NAME (repeatable; default: this namespace)\n"
	    "  --format table|jsonl  events on standard output (default: table on a terminal,\n"
	    "                        else jsonl)\n"
	    "  --quiet               nothing on standard output\n"
	    "  --syslog              events to syslog (the journal)\n"
	    "  --exec COMMAND        run sh -c COMMAND per event: PORTSIGHT_* in its environment,\n"
	    "                        the event as JSON on its standard input\n"
	    "  --webhook URL         POST each event as JSON (never blocks the watch)\n"
	    "  --webhook-timeout S   seconds per attempt (default 5)\n"
	    "  --webhook-retries N   attempts after the first (default 3)\n"
	    "  --prom FILE           keep a Prometheus textfile of portsight_listening at FILE\n"
	    "  --tcp, --udp          only that protocol\n"
	    "  --no-firewall         do not judge the nftables ruleset\n"
	    "  --no-kb               no service names, no trojan warnings\n"
	    "  -h, --help            this text\n\n"
	    "Runs until interrupted (SIGTERM: exit 0; Ctrl-C: exit 130).\n");
}

static int parse_seconds(const char *name, const char *text, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || *end || errno || !isfinite(v) || v < min || v > max) {
		cli_error("watch: %s '%s' is not a number of seconds in %g-%g", name, text, min,
			  max);
		return CLI_EXIT_USAGE;
	}
	*out = v;
	return -1;
}

static int parse_args(int argc, char **argv, struct watch_args *a)
{
	enum {
		OPT_BASELINE = 256,
		OPT_ONCE,
		OPT_INTERVAL,
		OPT_GRACE,
		OPT_NETNS,
		OPT_FORMAT,
		OPT_QUIET,
		OPT_SYSLOG,
		OPT_EXEC,
		OPT_WEBHOOK,
		OPT_WH_TIMEOUT,
		OPT_WH_RETRIES,
		OPT_PROM,
		OPT_TCP,
		OPT_UDP,
		OPT_NOFW,
		OPT_NOKB
	};
	static const struct option longopts[] = {
	    {"baseline", required_argument, NULL, OPT_BASELINE},
	    {"once", no_argument, NULL, OPT_ONCE},
	    {"interval", required_argument, NULL, OPT_INTERVAL},
	    {"grace", required_argument, NULL, OPT_GRACE},
	    {"netns", required_argument, NULL, OPT_NETNS},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"quiet", no_argument, NULL, OPT_QUIET},
	    {"syslog", no_argument, NULL, OPT_SYSLOG},
	    {"exec", required_argument, NULL, OPT_EXEC},
	    {"webhook", required_argument, NULL, OPT_WEBHOOK},
	    {"webhook-timeout", required_argument, NULL, OPT_WH_TIMEOUT},
	    {"webhook-retries", required_argument, NULL, OPT_WH_RETRIES},
	    {"prom", required_argument, NULL, OPT_PROM},
	    {"tcp", no_argument, NULL, OPT_TCP},
	    {"udp", no_argument, NULL, OPT_UDP},
	    {"no-firewall", no_argument, NULL, OPT_NOFW},
	    {"no-kb", no_argument, NULL, OPT_NOKB},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool only_tcp = false, only_udp = false;
	struct ps_diag diag = {{0}};
	char optbuf[3];
	int c, rc;

	memset(a, 0, sizeof(*a));
	watch_opts_init(&a->opts);
	a->interval = 0.75;
	a->webhook_timeout = 5;
	a->webhook_retries = 3;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		rc = -1;
		switch (c) {
		case OPT_BASELINE:
			a->baseline = optarg;
			break;
		case OPT_ONCE:
			a->once = true;
			break;
		case OPT_INTERVAL:
			rc = parse_seconds("--interval", optarg, 0.05, 3600, &a->interval);
			break;
		case OPT_GRACE:
			rc = parse_seconds("--grace", optarg, 0, 3600, &a->opts.close_grace);
			break;
		case OPT_NETNS:
			if (a->opts.nnetns == WATCH_MAX_NETNS) {
				cli_error("watch: at most %d --netns", WATCH_MAX_NETNS);
				return CLI_EXIT_USAGE;
			}
			a->netns[a->opts.nnetns++] = optarg;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "table") && strcmp(optarg, "jsonl")) {
				cli_error("watch: unknown format '%s' (table or jsonl)", optarg);
				return CLI_EXIT_USAGE;
			}
			a->format = optarg;
			break;
		case OPT_QUIET:
			a->quiet = true;
			break;
		case OPT_SYSLOG:
			a->syslog = true;
			break;
		case OPT_EXEC:
			a->exec = optarg;
			break;
		case OPT_WEBHOOK:
			a->webhook = optarg;
			break;
		case OPT_WH_TIMEOUT:
			rc = parse_seconds("--webhook-timeout", optarg, 0.1, 600,
					   &a->webhook_timeout);
			break;
		case OPT_WH_RETRIES:
			if (cli_parse_u64("--webhook-retries", optarg, 0, 10, &a->webhook_retries,
					  &diag)) {
				cli_error("watch: %s", diag.msg);
				return CLI_EXIT_USAGE;
			}
			break;
		case OPT_PROM:
			a->prom = optarg;
			break;
		case OPT_TCP:
			only_tcp = true;
			break;
		case OPT_UDP:
			only_udp = true;
			break;
		case OPT_NOFW:
			a->opts.firewall = false;
			break;
		case OPT_NOKB:
			a->no_kb = true;
			break;
		case 'h':
			watch_usage(stdout);
			return CLI_EXIT_OK;
		default:
			cli_error("watch: unknown or incomplete option '%s' (see 'portsight watch "
				  "--help')",
				  cli_bad_option(argv, optbuf));
			return CLI_EXIT_USAGE;
		}
		if (rc >= 0)
			return rc;
	}
	if (optind < argc) {
		cli_error("watch: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (a->once && !a->baseline) {
		cli_error("watch: --once compares with a baseline: give --baseline FILE");
		return CLI_EXIT_USAGE;
	}
	if (a->once)
		a->opts.close_grace = 0; /* one look: what is missing now is missing */
	if (only_tcp || only_udp) {
		a->opts.tcp = only_tcp;
		a->opts.udp = only_udp;
	}
	a->opts.netns = a->netns;
	return -1;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_channels(const struct watch_args *a, struct channel_run *ch, size_t *n)
{
	struct watch_channel_opts o = {.out = stdout};
	struct ps_diag diag = {{0}};
	struct {
		const struct watch_channel *ch;
		const char *target;
		bool on;
	} want[] = {
	    {a->format && !strcmp(a->format, "table") ? &watch_chan_table
	     : a->format			      ? &watch_chan_jsonl
	     : isatty(STDOUT_FILENO)		      ? &watch_chan_table
						      : &watch_chan_jsonl,
	     NULL, !a->quiet},
	    {&watch_chan_syslog, NULL, a->syslog},
	    {&watch_chan_exec, a->exec, a->exec != NULL},
	    {&watch_chan_webhook, a->webhook, a->webhook != NULL},
	    {&watch_chan_prom, a->prom, a->prom != NULL},
	};
	size_t i;

	*n = 0;
	o.timeout = a->webhook_timeout;
	o.retries = (unsigned)a->webhook_retries;
	o.queue_max = 1024;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		enum ps_err err;

		if (!want[i].on)
			continue;
		o.target = want[i].target;
		err = want[i].ch->open(&ch[*n].ctx, &o, &diag);
		if (err)
			return cli_fail(err, &diag);
		ch[(*n)++].ch = want[i].ch;
	}
	return -1;
}

static void close_channels(struct channel_run *ch, size_t n)
{
	char line[256];
	size_t i;

	for (i = 0; i < n; i++) {
		if (ch[i].ch->summary) {
			ch[i].ch->summary(ch[i].ctx, line, sizeof(line));
			if (line[0])
				cli_error("%s", line);
		}
		ch[i].ch->close(ch[i].ctx);
	}
}

/* Hands every event to every channel, then the state to those that keep one. A channel that
 * fails (stdout closed, a file we may not write) ends the watch: alerts must not vanish. */
static enum ps_err deliver(struct channel_run *ch, size_t n, const struct watch_events *ev,
			   const struct watch_snapshot *state, bool changed, struct ps_diag *diag)
{
	enum ps_err err = PS_OK;
	size_t i, k;

	for (k = 0; k < ev->n && !err; k++) {
		char *json = watch_event_json(&ev->v[k]);

		if (!json)
			return PS_ERR_NOMEM;
		for (i = 0; i < n && !err; i++)
			err = ch[i].ch->emit(ch[i].ctx, &ev->v[k], json, diag);
		free(json);
	}
	for (i = 0; i < n && !err && changed; i++)
		if (ch[i].ch->state)
			err = ch[i].ch->state(ch[i].ctx, state, diag);
	return err;
}

/* Sleeps one interval; true when a signal asked us to stop (*sig says which). */
static bool wait_tick(int sfd, double seconds, int *sig)
{
	struct pollfd p = {.fd = sfd, .events = POLLIN};
	struct signalfd_siginfo si;
	int r = poll(&p, 1, (int)(seconds * 1000));

	if (r <= 0)
		return false;
	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return false;
	*sig = (int)si.ssi_signo;
	return true;
}

/* --baseline FILE that does not exist yet: learn the current state and write it. */
static int write_baseline(struct watcher *w, const char *path)
{
	struct watch_events ev;
	struct ps_diag diag = {{0}};
	enum ps_err err;

	watch_events_init(&ev);
	err = watch_poll(w, mono_now(), &ev, &diag);
	watch_events_release(&ev);
	if (!err)
		err = watch_baseline_save(path, watch_state(w), &diag);
	if (err)
		return cli_fail(err, &diag);
	fprintf(stderr, "portsight: baseline %s written (%zu listeners)\n", path,
		watch_state(w)->n);
	return -1;
}

static int run(struct watch_args *a, struct watcher *w, int sfd)
{
	struct channel_run ch[WATCH_MAX_CHANNELS];
	struct watch_events ev;
	struct ps_diag diag = {{0}};
	size_t nch = 0, total = 0;
	enum ps_err err = PS_OK;
	bool first = true;
	int rc, sig = 0;

	rc = open_channels(a, ch, &nch);
	if (rc >= 0) {
		close_channels(ch, nch);
		return rc;
	}
	watch_events_init(&ev);
	for (;;) {
		double start = mono_now(), left;

		watch_events_clear(&ev);
		err = watch_poll(w, start, &ev, &diag);
		if (err)
			break;
		total += ev.n;
		err = deliver(ch, nch, &ev, watch_state(w), first || ev.n, &diag);
		if (err || a->once)
			break;
		first = false;
		left = a->interval - (mono_now() - start);
		if (wait_tick(sfd, left > 0 ? left : 0, &sig))
			break;
	}
	watch_events_release(&ev);
	close_channels(ch, nch);
	if (err)
		return cli_fail(err, &diag);
	if (sig == SIGINT)
		return CLI_EXIT_INTERRUPTED;
	if (a->once)
		return total ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
	return CLI_EXIT_OK;
}

int cmd_watch(int argc, char **argv)
{
	struct watch_snapshot baseline;
	struct watch_args a;
	struct watcher *w = NULL;
	struct kb *kb = NULL;
	struct ps_diag diag = {{0}};
	bool have_baseline = false, write_new = false;
	enum ps_err err;
	sigset_t mask;
	int rc, sfd = -1;

	watch_snapshot_init(&baseline);
	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (a.baseline) {
		err = watch_baseline_load(a.baseline, &baseline, &diag);
		if (err == PS_ERR_NOT_FOUND)
			write_new = true;
		else if (err)
			return cli_fail(err == PS_ERR_IO ? PS_ERR_IO : PS_ERR_INVALID, &diag);
		else
			have_baseline = true;
	}
	if (!a.no_kb) {
		err = kb_load_builtin(&kb, &diag);
		if (err) {
			rc = cli_fail(err, &diag);
			goto out;
		}
	}
	a.opts.kb = kb;
	/* Signals arrive through a descriptor the loop sleeps on: no handler, no global flag. A
	 * command run by --exec whose reader went away must not kill the watch: SIGPIPE off. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		rc =
		    cli_fail(ps_fail(&diag, PS_ERR_SYSTEM, "signalfd: %s", strerror(errno)), &diag);
		goto out;
	}
	err = watch_new(&a.opts, have_baseline ? &baseline : NULL, &w, &diag);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	if (write_new) {
		rc = write_baseline(w, a.baseline);
		if (rc >= 0)
			goto out;
		if (a.once) {
			rc = CLI_EXIT_OK;
			goto out;
		}
	}
	rc = run(&a, w, sfd);
out:
	watch_free(w);
	if (sfd >= 0)
		close(sfd);
	if (kb)
		kb_free(kb);
	watch_snapshot_release(&baseline);
	return rc;
}
