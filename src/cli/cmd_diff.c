/* SPDX-License-Identifier: MIT */
/*
 * portsight diff [OLD] [NEW]: what changed between two scans. Each side is a scan id from the
 * history database or an XML file (portsight's or nmap's -oX). With no argument, the last two
 * finished scans of the same targets; with one, that scan against the newest.
 * Exit 0 when nothing changed, 1 when something did.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"
#include "cli.h"
#include "core/textclean.h"
#include "store/snapshot.h"
#include "store/store.h"

struct diff_out {
	int jsonl;
	const struct snapshot *old_snap;
	const struct snapshot *new_snap;
};

static void diff_usage(FILE *out)
{
	fputs("usage: portsight diff [--db FILE] [--format text|jsonl] [OLD [NEW]]\n\n"
	      "Shows ports that opened or closed and services that changed between two scans.\n"
	      "OLD and NEW are scan ids (see 'portsight history') or XML files (portsight -oX or\n"
	      "nmap -oX). Default: the last two finished scans of the same targets; one argument\n"
	      "compares it with the newest scan.\n"
	      "Exit status: 0 nothing changed, 1 something changed, 2 usage, 3 failure.\n",
	      out);
}

static void service_text(const struct snap_service *svc, char *buf, size_t len)
{
	char raw[160];

	if (!svc) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(raw, sizeof(raw), "%s%s%s%s%s", svc->name[0] ? svc->name : "?",
		 svc->product[0] ? " " : "", svc->product, svc->version[0] ? " " : "",
		 svc->version);
	text_clean(buf, len, raw);
}

static const char *state_text(const struct snap_port *p)
{
	return p ? port_state_name(p->state) : "not listed";
}

static void print_text(const struct diff_change *c, const struct snap_port *p)
{
	char addr[PS_ADDR_STRLEN], where[80], olds[160], news[160];

	snprintf(where, sizeof(where), "%s %u/%s", ps_addr_format(&p->addr, addr, sizeof(addr)),
		 p->port, p->proto == IPPROTO_UDP ? "udp" : "tcp");
	service_text(c->old_service, olds, sizeof(olds));
	service_text(c->new_service, news, sizeof(news));
	switch (c->kind) {
	case DIFF_OPENED:
		printf("+ %-28s opened   (was %s) %s\n", where, state_text(c->old_port), news);
		break;
	case DIFF_CLOSED:
		printf("- %-28s closed   (now %s) was %s\n", where, state_text(c->new_port), olds);
		break;
	case DIFF_SERVICE:
		printf("~ %-28s service  %s -> %s\n", where, olds, news);
		break;
	case DIFF_STATE:
		printf("~ %-28s state    %s -> %s\n", where, state_text(c->old_port),
		       state_text(c->new_port));
		break;
	}
}

static json_t *service_json(const struct snap_service *svc)
{
	char name[64], product[128], version[64];

	if (!svc)
		return json_null();
	text_clean(name, sizeof(name), svc->name);
	text_clean(product, sizeof(product), svc->product);
	text_clean(version, sizeof(version), svc->version);
	return json_pack("{s:s, s:s, s:s}", "name", name, "product", product, "version", version);
}

static json_t *state_json(const struct snap_port *p)
{
	return p ? json_string(port_state_name(p->state)) : json_null();
}

static enum ps_err print_jsonl(const struct diff_change *c, const struct snap_port *p)
{
	char addr[PS_ADDR_STRLEN];
	json_t *o;
	int rc;

	o = json_pack("{s:s, s:s, s:i, s:s, s:o, s:o, s:o, s:o}", "change", diff_kind_name(c->kind),
		      "address", ps_addr_format(&p->addr, addr, sizeof(addr)), "port", (int)p->port,
		      "protocol", p->proto == IPPROTO_UDP ? "udp" : "tcp", "old_state",
		      state_json(c->old_port), "new_state", state_json(c->new_port), "old_service",
		      service_json(c->old_service), "new_service", service_json(c->new_service));
	if (!o)
		return PS_ERR_NOMEM;
	rc = json_dumpf(o, stdout, JSON_COMPACT);
	json_decref(o);
	putchar('\n');
	return rc ? PS_ERR_IO : PS_OK;
}

static enum ps_err on_change(void *ctx, const struct diff_change *c)
{
	struct diff_out *o = ctx;
	const struct snap_port *p = c->new_port ? c->new_port : c->old_port;

	if (o->jsonl)
		return print_jsonl(c, p);
	print_text(c, p);
	return PS_OK;
}

static int is_scan_id(const char *arg, int64_t *id)
{
	struct stat st;
	char *end;
	long long v;

	if (!stat(arg, &st))
		return 0; /* an existing file wins over a number */
	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || *end || end == arg || v <= 0)
		return 0;
	*id = v;
	return 1;
}

/* Loads one side: a scan id from the store (opened on first need) or an XML file. */
static int load_side(const char *arg, int64_t id, const char *db, struct store **st,
		     struct snapshot *snap)
{
	struct ps_diag diag = {{0}};
	enum ps_err err;
	int rc;

	if (arg && !is_scan_id(arg, &id)) {
		err = nmapxml_load(arg, snap, &diag);
		return err ? cli_fail(err, &diag) : CLI_EXIT_OK;
	}
	if (!*st && (rc = cli_history_open(db, 0, st)))
		return rc;
	err = store_load_scan(*st, id, snap, &diag);
	return err ? cli_fail(err, &diag) : CLI_EXIT_OK;
}

/* The newest scan's id, for "diff OLD" with one argument. */
static enum ps_err newest(void *ctx, const struct store_scan_row *row)
{
	int64_t *id = ctx;

	if (!*id && row->finished)
		*id = row->id;
	return PS_OK;
}

static int pick_ids(const char *db, struct store **st, int nargs, int64_t *old_id, int64_t *new_id)
{
	struct ps_diag diag = {{0}};
	enum ps_err err;
	int rc;

	if (!*st && (rc = cli_history_open(db, 0, st)))
		return rc;
	if (nargs == 0) {
		err = store_last_pair(*st, old_id, new_id, &diag);
		return err ? cli_fail(err, &diag) : CLI_EXIT_OK;
	}
	*new_id = 0;
	err = store_list_scans(*st, 0, newest, new_id, &diag);
	if (err)
		return cli_fail(err, &diag);
	if (!*new_id) {
		cli_error("diff: history holds no finished scan");
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct snapshot old_snap, new_snap;
	struct diff_out out = {0};
	struct ps_diag diag = {{0}};
	struct store *st = NULL;
	const char *db = NULL, *old_arg = NULL, *new_arg = NULL;
	char optbuf[3];
	int64_t old_id = 0, new_id = 0;
	size_t changes = 0;
	enum ps_err err;
	int c, rc, nargs;

	optind = 1;
	opterr = 0; /* one line of our own instead of getopt's message and the usage */
	while ((c = getopt_long(argc, argv, "hf:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json")) {
				out.jsonl = 1;
			} else if (strcmp(optarg, "text")) {
				cli_error("diff: --format is text or jsonl, not '%s'", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			diff_usage(stdout);
			return CLI_EXIT_OK;
		default:
			cli_error(
			    "diff: unknown or incomplete option '%s' (see 'portsight diff --help')",
			    cli_bad_option(argv, optbuf));
			return CLI_EXIT_USAGE;
		}
	}
	nargs = argc - optind;
	if (nargs > 2) {
		cli_error("diff: compares two scans, not %d (see 'portsight diff --help')", nargs);
		return CLI_EXIT_USAGE;
	}
	old_arg = nargs >= 1 ? argv[optind] : NULL;
	new_arg = nargs == 2 ? argv[optind + 1] : NULL;
	snapshot_init(&old_snap);
	snapshot_init(&new_snap);
	/* "diff OLD": OLD is loaded first, so a scan id that does not exist is named as such. */
	if (nargs == 0 && (rc = pick_ids(db, &st, nargs, &old_id, &new_id)))
		goto out;
	if ((rc = load_side(old_arg, old_id, db, &st, &old_snap)))
		goto out;
	if (nargs == 1 && (rc = pick_ids(db, &st, nargs, &old_id, &new_id)))
		goto out;
	if ((rc = load_side(new_arg, new_id, db, &st, &new_snap)))
		goto out;
	out.old_snap = &old_snap;
	out.new_snap = &new_snap;
	if (!out.jsonl) {
		/* A label is a file name or a history row: someone else's text. */
		char old_label[sizeof(old_snap.label)], new_label[sizeof(new_snap.label)];

		text_clean(old_label, sizeof(old_label), old_snap.label);
		text_clean(new_label, sizeof(new_label), new_snap.label);
		printf("--- %s\n+++ %s\n", old_label, new_label);
	}
	err = snapshot_diff(&old_snap, &new_snap, on_change, &out, &changes);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	if (!out.jsonl)
		printf(changes ? "%zu change%s.\n" : "No changes.\n", changes,
		       changes == 1 ? "" : "s");
	if (fflush(stdout) || ferror(stdout)) {
		cli_error("diff: writing the output failed");
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	rc = changes ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
out:
	snapshot_release(&old_snap);
	snapshot_release(&new_snap);
	store_close(st);
	return rc;
}
