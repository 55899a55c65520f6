/* SPDX-License-Identifier: MIT */
/* portsight history: the scans recorded in the history database, newest first. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "report/report.h"
#include "core/textclean.h"
#include "store/store.h"

int cli_history_open(const char *path, int create, struct store **out)
{
	const char *file, *env = getenv("PORTSIGHT_DB");
	char def[4096];
	struct ps_diag diag = {{0}};
	struct stat st;
	enum ps_err err;

	if (!path && env && env[0])
		path = env;
	if (!path) {
		if (store_default_path(def, sizeof(def))) {
			cli_error(
			    "no history database: set XDG_STATE_HOME or HOME, or use --db FILE");
			return CLI_EXIT_USAGE;
		}
		path = def;
		if (create && store_make_parents(path)) {
			cli_error("cannot create the directory of %s: %s", path, strerror(errno));
			return CLI_EXIT_FAILURE;
		}
	}
	/* A server location (postgresql://) has no file to look for: store_open says why. */
	file = store_location_file(path);
	if (!create && file && file[0] && stat(file, &st)) {
		cli_error("no history yet: %s does not exist (scans record there unless --no-db)",
			  file);
		return CLI_EXIT_USAGE;
	}
	err = store_open(path, out, &diag);
	if (err)
		return cli_fail(err, &diag);
	return CLI_EXIT_OK;
}

/*
 * The command line is kept in the history: a password in a URL (postgresql://user:secret@host)
 * becomes "***" there (it only gets shorter, so arg is rewritten in place).
 */
static void redact_password(char *arg)
{
	char *scheme = strstr(arg, "://"), *at, *colon, *slash;
	size_t len;

	if (!scheme)
		return;
	at = strchr(scheme + 3, '@');
	colon = strchr(scheme + 3, ':');
	slash = strchr(scheme + 3, '/');
	if (!at || !colon || colon > at || (slash && slash < at))
		return;
	len = (size_t)(at - colon - 1);
	if (len < 3) {
		memset(colon + 1, '*', len);
		return;
	}
	memset(colon + 1, '*', 3);
	memmove(colon + 4, at, strlen(at) + 1);
}

char *cli_join_args(int argc, char **argv)
{
	size_t len = sizeof("portsight"), i;
	char *s;

	for (i = 0; i < (size_t)argc; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	strcpy(s, "portsight");
	for (i = 0; i < (size_t)argc; i++) {
		strcat(s, " ");
		strcat(s, argv[i]);
		redact_password(s + strlen(s) - strlen(argv[i]));
	}
	return s;
}

static void history_usage(FILE *out)
{
	fputs("usage: portsight history [--db FILE] [-n COUNT]\n\n"
	      "Lists the scans recorded in the history database, newest first.\n"
	      "  --db FILE    the database: a file, sqlite:PATH or postgresql://... (default\n"
	      "               $PORTSIGHT_DB, else $XDG_STATE_HOME/portsight/history.db,\n"
	      "               else ~/.local/state/portsight/history.db)\n"
	      "  -n COUNT     show at most COUNT scans (default 20, 0 = all)\n",
	      out);
}

static enum ps_err print_row(void *ctx, const struct store_scan_row *row)
{
	char started[32] = "?", args[160], status[16], engine[16];
	struct tm tm;

	(void)ctx;
	if (localtime_r(&row->started, &tm))
		strftime(started, sizeof(started), "%Y-%m-%d %H:%M:%S", &tm);
	/* The arguments are user text stored on disk: no escape sequences reach the terminal. */
	text_clean(args, sizeof(args), row->args ? row->args : "");
	text_clean(engine, sizeof(engine), row->engine ? row->engine : "-");
	if (row->shards && !row->finished)
		snprintf(status, sizeof(status), "%llu/%llu shards",
			 (unsigned long long)row->shards_done, (unsigned long long)row->shards);
	else
		snprintf(status, sizeof(status), "%s",
			 !row->finished	    ? "incomplete"
			 : row->interrupted ? "interrupted"
					    : "done");
	printf("%5lld  %s  %7.1fs  %-7s  %7llu  %8llu  %5llu  %6llu  %8llu  %-11s  %s\n",
	       (long long)row->id, started, row->elapsed_s, engine,
	       (unsigned long long)row->targets, (unsigned long long)row->results,
	       (unsigned long long)row->open, (unsigned long long)row->closed,
	       (unsigned long long)row->filtered, status, args);
	return PS_OK;
}

int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *db = NULL;
	char optbuf[3];
	struct ps_diag diag = {{0}};
	struct store *st = NULL;
	unsigned long limit = 20;
	enum ps_err err;
	char *end;
	int c, rc;

	optind = 1;
	opterr = 0; /* one line of our own instead of getopt's message and the usage */
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'n':
			errno = 0;
			limit = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || limit > 1000000000ul) {
				cli_error("history: -n wants a count, not '%s'", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			history_usage(stdout);
			return CLI_EXIT_OK;
		default:
			cli_error("history: unknown or incomplete option '%s' (see 'portsight "
				  "history --help')",
				  cli_bad_option(argv, optbuf));
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("history: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if ((rc = cli_history_open(db, 0, &st)))
		return rc;
	printf("%5s  %-19s  %8s  %-7s  %7s  %8s  %5s  %6s  %8s  %-11s  %s\n", "ID", "STARTED",
	       "TIME", "ENGINE", "TARGETS", "RESULTS", "OPEN", "CLOSED", "FILTERED", "STATUS",
	       "COMMAND");
	err = store_list_scans(st, (unsigned)limit, print_row, NULL, &diag);
	store_close(st);
	return err ? cli_fail(err, &diag) : CLI_EXIT_OK;
}
