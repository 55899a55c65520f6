/* SPDX-License-Identifier: MIT */
/* `portsight scan`: options into a scan_job, then scan_job_run(). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "net/resolve.h"
#include "report/report.h"
#include "scan_job.h"

/* Without --allow-large, at most a /16 worth of addresses. */
#define SCAN_MAX_TARGETS       65536ull
#define SCAN_MAX_TARGETS_LARGE (1ull << 32)
#define SCAN_MAX_TARGET_FILE   (64u << 20)

static const char scan_usage[] =
	"usage: portsight scan [OPTIONS] TARGET...\n"
	"\n"
	"Finds the open TCP ports of hosts and networks.\n"
	"\n"
	"Targets: 192.0.2.7  192.0.2.0/24  192.0.2.10-20  192.0.2.10-192.0.2.30  2001:db8::1\n"
	"         2001:db8::/120  2001:db8::1-ff  host.example\n"
	"  -iL, --input-list FILE    read targets from FILE ('-' = stdin), '#' comments\n"
	"      --exclude LIST        skip these targets (comma-separated specs)\n"
	"      --exclude-file FILE   skip the targets listed in FILE\n"
	"      --allow-large         allow more than 65536 addresses\n"
	"  -4 / -6                   resolve hostnames to IPv4 / IPv6 only\n"
	"\n"
	"Ports:\n"
	"  -p, --ports SPEC          22,80,8000-8100  - or all (1-65535)  -1024  60000-\n"
	"                            presets: common service top100 top1000 trojans\n"
	"                            (default: top1000)\n"
	"\n"
	"Engine and timing:\n"
	"  -sT, --connect            TCP connect scan (no privileges needed)\n"
	"  -sS, --syn                raw SYN scan (needs CAP_NET_RAW)\n"
	"      --engine NAME         connect or syn\n"
	"      --max-inflight N      probes outstanding at once\n"
	"      --max-retries N       retransmissions of an unanswered probe\n"
	"      --rate PPS            packets per second cap\n"
	"      --min-rtt-timeout MS, --max-rtt-timeout MS, --initial-rtt-timeout MS\n"
	"      --seed N              repeatable target order\n"
	"  -e, --interface IF        raw engines: send on IF\n"
	"  -S, --source-ip ADDR      raw engines: source address\n"
	"\n"
	"Service identification:\n"
	"  -sV, --service            identify what answers on each open port: banner, probes,\n"
	"                            TLS certificate, HTTP server and title; flags services\n"
	"                            the port does not promise and known backdoors\n"
	"      --probes FILE         also use the probes of FILE (nmap-service-probes format)\n"
	"\n"
	"Output:\n"
	"      --format FMT          text (default), jsonl, xml, grep, csv, html\n"
	"  -o, --output FILE         write the report to FILE (default: stdout)\n"
	"      --show STATES         which ports to list: open (default), closed, filtered, all\n"
	"  -oX/-oG/-oJ/-oN FILE      also write nmap XML / grepable / JSON Lines / text to FILE\n"
	"      --output-csv FILE, --output-html FILE   also write CSV / an HTML page to FILE\n"
	"                            (several at once; '-' = stdout, replacing the text report)\n"
	"\n"
	"History:\n"
	"      --db FILE             record the scan in FILE (default:\n"
	"                            $XDG_STATE_HOME/portsight/history.db or\n"
	"                            ~/.local/state/portsight/history.db)\n"
	"      --no-db               do not record this scan\n"
	"\n"
	"Exit codes: 0 ok, 2 usage error, 3 failure, 130 interrupted (partial results printed).\n";

enum scan_option {
	OPT_EXCLUDE = 256,
	OPT_EXCLUDE_FILE,
	OPT_ALLOW_LARGE,
	OPT_CONNECT,
	OPT_SYN,
	OPT_ENGINE,
	OPT_MAX_INFLIGHT,
	OPT_MAX_RETRIES,
	OPT_RATE,
	OPT_MIN_RTT,
	OPT_MAX_RTT,
	OPT_INITIAL_RTT,
	OPT_SEED,
	OPT_FORMAT,
	OPT_SHOW,
	OPT_INPUT_LIST,
	OPT_DB,
	OPT_NO_DB,
	OPT_EXTRA_OUTPUT, /* --output-xml and friends: the format is the name after "output-" */
	OPT_SERVICE,
	OPT_PROBES,
};

static const struct option scan_options[] = {
	{"help", no_argument, NULL, 'h'},
	{"ports", required_argument, NULL, 'p'},
	{"input-list", required_argument, NULL, OPT_INPUT_LIST},
	{"exclude", required_argument, NULL, OPT_EXCLUDE},
	{"exclude-file", required_argument, NULL, OPT_EXCLUDE_FILE},
	{"allow-large", no_argument, NULL, OPT_ALLOW_LARGE},
	{"connect", no_argument, NULL, OPT_CONNECT},
	{"syn", no_argument, NULL, OPT_SYN},
	{"engine", required_argument, NULL, OPT_ENGINE},
	{"max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT},
	{"max-retries", required_argument, NULL, OPT_MAX_RETRIES},
	{"rate", required_argument, NULL, OPT_RATE},
	{"min-rtt-timeout", required_argument, NULL, OPT_MIN_RTT},
	{"max-rtt-timeout", required_argument, NULL, OPT_MAX_RTT},
	{"initial-rtt-timeout", required_argument, NULL, OPT_INITIAL_RTT},
	{"seed", required_argument, NULL, OPT_SEED},
	{"interface", required_argument, NULL, 'e'},
	{"source-ip", required_argument, NULL, 'S'},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"output", required_argument, NULL, 'o'},
	{"show", required_argument, NULL, OPT_SHOW},
	{"db", required_argument, NULL, OPT_DB},
	{"no-db", no_argument, NULL, OPT_NO_DB},
	{"output-xml", required_argument, NULL, OPT_EXTRA_OUTPUT},
	{"output-grep", required_argument, NULL, OPT_EXTRA_OUTPUT},
	{"output-jsonl", required_argument, NULL, OPT_EXTRA_OUTPUT},
	{"output-text", required_argument, NULL, OPT_EXTRA_OUTPUT},
	{"output-csv", required_argument, NULL, OPT_EXTRA_OUTPUT},
	{"output-html", required_argument, NULL, OPT_EXTRA_OUTPUT},
	{"service", no_argument, NULL, OPT_SERVICE},
	{"probes", required_argument, NULL, OPT_PROBES},
	{NULL, 0, NULL, 0},
};

/* The format of each --output-FORMAT option: its name after "output-". */
static const char *extra_format(const struct option *opt)
{
	return opt->name + strlen("output-");
}

static const struct cli_alias scan_aliases[] = {
	{"-iL", "--input-list"},
	{"-sT", "--connect"},
	{"-sS", "--syn"},
	{"-oX", "--output-xml"},
	{"-oG", "--output-grep"},
	{"-oJ", "--output-jsonl"},
	{"-oN", "--output-text"},
	{"-sV", "--service"},
	{NULL, NULL},
};

/* Options that need the whole command line parsed first (targets, exclusions). */
struct scan_args {
	const char *exclude;
	const char *exclude_file;
	const char *input_list;
	int allow_large;
	struct net_resolve_opts resolve;
};

static enum ps_err add_file(struct target_list *list, const char *path,
			    struct net_resolve_opts *resolve, struct ps_diag *diag)
{
	char *text = NULL;
	size_t len = 0;
	enum ps_err err = cli_read_file(path, SCAN_MAX_TARGET_FILE, &text, &len, diag);

	if (!err)
		err = target_list_add_text(list, text, len, net_resolve, resolve, diag);
	free(text);
	return err;
}

static enum ps_err build_targets(struct scan_job *job, struct scan_args *a, int argc,
				 char **argv, struct ps_diag *diag)
{
	struct target_list exclude;
	enum ps_err err = PS_OK;
	int i;

	target_list_init(&exclude);
	for (i = 0; !err && i < argc; i++)
		err = target_list_add_spec(&job->targets, argv[i], net_resolve, &a->resolve, diag);
	if (!err && a->input_list)
		err = add_file(&job->targets, a->input_list, &a->resolve, diag);
	if (!err && job->targets.nranges == 0)
		err = ps_fail(diag, PS_ERR_INVALID,
			      "no target given: name hosts or networks to scan (or run 'portsight' "
			      "alone to check this machine)");
	if (!err && a->exclude)
		err = target_list_add_text(&exclude, a->exclude, strlen(a->exclude), net_resolve,
					   &a->resolve, diag);
	if (!err && a->exclude_file)
		err = add_file(&exclude, a->exclude_file, &a->resolve, diag);
	if (!err) {
		err = target_list_finish(&job->targets, &exclude,
					 a->allow_large ? SCAN_MAX_TARGETS_LARGE : SCAN_MAX_TARGETS,
					 diag);
		if (err == PS_ERR_TOO_LARGE && !a->allow_large)
			err = ps_fail(diag, PS_ERR_TOO_LARGE,
				      "refusing to scan more than %llu addresses (a /16); pass "
				      "--allow-large if you mean it",
				      SCAN_MAX_TARGETS);
	}
	target_list_release(&exclude);
	return err;
}

static enum ps_err parse_number(int opt, const char *arg, struct scan_opts *o,
				struct ps_diag *diag)
{
	unsigned long long v;
	enum ps_err err;

	switch (opt) {
	case OPT_MAX_INFLIGHT:
		err = cli_parse_u64("--max-inflight", arg, 1, 1000000, &v, diag);
		o->max_inflight = (uint32_t)v;
		return err;
	case OPT_MAX_RETRIES:
		err = cli_parse_u64("--max-retries", arg, 0, 50, &v, diag);
		o->max_retries = (uint32_t)v;
		return err;
	case OPT_RATE:
		err = cli_parse_u64("--rate", arg, 1, 100000000, &v, diag);
		o->rate_pps = (uint32_t)v;
		return err;
	case OPT_MIN_RTT:
		err = cli_parse_u64("--min-rtt-timeout", arg, 1, 60000, &v, diag);
		o->min_rtt_timeout_ms = (uint32_t)v;
		return err;
	case OPT_MAX_RTT:
		err = cli_parse_u64("--max-rtt-timeout", arg, 1, 60000, &v, diag);
		o->max_rtt_timeout_ms = (uint32_t)v;
		return err;
	case OPT_INITIAL_RTT:
		err = cli_parse_u64("--initial-rtt-timeout", arg, 1, 60000, &v, diag);
		o->initial_rtt_timeout_ms = (uint32_t)v;
		return err;
	default: /* OPT_SEED */
		err = cli_parse_u64("--seed", arg, 0, ~0ull, &v, diag);
		o->seed = v;
		return err;
	}
}

static int parse_options(struct scan_job *job, struct scan_args *a, int argc, char **argv,
			 struct ps_diag *diag, enum ps_err *err)
{
	int opt, opt_index = 0;
	char optbuf[3];

	*err = PS_OK;
	optind = 1;
	opterr = 0;
	while (!*err &&
	       (opt = getopt_long(argc, argv, ":hp:o:e:S:46", scan_options, &opt_index)) != -1) {
		switch (opt) {
		case 'h':
			fputs(scan_usage, stdout);
			return 1;
		case 'p':
			job->run.ports_spec = optarg;
			break;
		case 'o':
			job->output = optarg;
			break;
		case 'e':
			job->run.tuning.interface = optarg;
			break;
		case 'S':
			if (ps_addr_parse(optarg, &job->source))
				*err = ps_fail(diag, PS_ERR_INVALID, "bad --source-ip \"%s\"", optarg);
			job->run.tuning.source = &job->source;
			break;
		case '4':
			a->resolve.family = AF_INET;
			break;
		case '6':
			a->resolve.family = AF_INET6;
			break;
		case OPT_INPUT_LIST:
			a->input_list = optarg;
			break;
		case OPT_EXCLUDE:
			a->exclude = optarg;
			break;
		case OPT_EXCLUDE_FILE:
			a->exclude_file = optarg;
			break;
		case OPT_ALLOW_LARGE:
			a->allow_large = 1;
			break;
		case OPT_CONNECT:
			job->run.engine = "connect";
			break;
		case OPT_SYN:
			job->run.engine = "syn";
			break;
		case OPT_ENGINE:
			job->run.engine = optarg;
			break;
		case OPT_FORMAT:
			job->format = optarg;
			break;
		case OPT_SHOW:
			*err = report_parse_show(optarg, &job->show, diag);
			break;
		case OPT_DB:
			job->db_path = optarg;
			break;
		case OPT_NO_DB:
			job->no_db = true;
			break;
		case OPT_EXTRA_OUTPUT:
			if (job->nextra == SCAN_MAX_EXTRA_OUTPUTS) {
				*err = ps_fail(diag, PS_ERR_INVALID, "at most %d extra outputs",
					       SCAN_MAX_EXTRA_OUTPUTS);
				break;
			}
			job->extra[job->nextra].format = extra_format(&scan_options[opt_index]);
			job->extra[job->nextra++].path = optarg;
			break;
		case OPT_SERVICE:
			job->run.service = true;
			break;
		case OPT_PROBES:
			job->run.probes_file = optarg;
			job->run.service = true;
			break;
		case ':':
			*err = ps_fail(diag, PS_ERR_INVALID, "option %s needs a value",
				       cli_bad_option(argv, optbuf));
			break;
		case '?':
			*err = ps_fail(diag, PS_ERR_INVALID,
				       "unknown option %s (see 'portsight scan --help')",
				       cli_bad_option(argv, optbuf));
			break;
		default:
			*err = parse_number(opt, optarg, &job->run.tuning, diag);
			break;
		}
	}
	return 0;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_job job;
	struct scan_args a = {.resolve = {.family = AF_UNSPEC}};
	struct ps_diag diag = {{0}};
	char **args = NULL, *joined = NULL;
	enum ps_err err;
	int rc;

	rc = scan_job_init(&job);
	if (rc)
		return rc;
	args = cli_expand_aliases(argc, argv, scan_aliases);
	if (!args) {
		rc = cli_fail(PS_ERR_NOMEM, NULL);
		goto out;
	}
	job.run.ports_spec = "top1000";
	job.run.args = joined = cli_join_args(argc, argv);
	if (parse_options(&job, &a, argc, args, &diag, &err)) {
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (!err)
		err = portset_parse(&job.ports, job.run.ports_spec, kb_preset, job.kb, &diag);
	if (!err)
		err = build_targets(&job, &a, argc - optind, args + optind, &diag);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	rc = scan_job_run(&job);
out:
	free(args);
	free(joined);
	scan_job_release(&job);
	return rc;
}
