/* SPDX-License-Identifier: MIT */
/* `portsight scan`: options into a scan_job, then scan_job_run(). */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "net/resolve.h"
#include "nmap_compat.h"
#include "report/report.h"
#include "scan/offline.h"
#include "scan_job.h"
#include "scan_resume.h"

/* Without --allow-large, at most a /16 worth of addresses. */
#define SCAN_MAX_TARGETS       65536ull
#define SCAN_MAX_TARGETS_LARGE (1ull << 32)
#define SCAN_MAX_TARGET_FILE   (64u << 20)
#define SCAN_DELAY_MAX_NS      (3600ull * 1000000000ull)	  /* an hour between probes */
#define HOST_TIMEOUT_MAX_NS    (7ull * 86400ull * 1000000000ull) /* a week */

static const char scan_usage[] =
	"usage: portsight scan [OPTIONS] TARGET...\n"
	"\n"
	"Finds the open TCP ports of hosts and networks.\n"
	"\n"
	"Targets: 192.0.2.7  192.0.2.0/24  192.0.2.10-20  192.0.2.10-192.0.2.30  2001:db8::1\n"
	"         2001:db8::/120  2001:db8::1-ff  host.example\n"
	"  -iL, --input-list FILE    read targets from FILE ('-' = stdin), '#' comments\n"
	"      --exclude LIST        skip these targets (comma-separated specs)\n"
	"      --exclude-file FILE   skip the targets listed in FILE (also --excludefile)\n"
	"      --allow-large         allow more than 65536 addresses\n"
	"  -4 / -6                   resolve hostnames to IPv4 / IPv6 only\n"
	"\n"
	"Ports:\n"
	"  -p, --ports SPEC          22,80,8000-8100  - or all (1-65535)  -1024  60000-\n"
	"                            presets: common service top100 top1000 trojans\n"
	"                            (default: top1000)\n"
	"  -F, --fast                the top 100 ports (nmap's -F)\n"
	"      --top-ports N         the N most often exposed ports of the knowledge base\n"
	"\n"
	"Engine and timing:\n"
	"  -sT, --connect            TCP connect scan (no privileges needed)\n"
	"  -sS, --syn                raw SYN scan (needs CAP_NET_RAW)\n"
	"      --engine NAME         connect, syn or udp\n"
	"  -sU, --udp                UDP scan (raw; with -sS/-sT also TCP). -p U:53,T:80 splits\n"
	"                            the ports; a port without U:/T: is scanned both ways\n"
	"      --payloads FILE       -sU: UDP payloads from FILE (ours, or nmap-payloads)\n"
	"      --max-inflight N      probes outstanding at once\n"
	"      --max-retries N       retransmissions of an unanswered probe\n"
	"      --rate PPS            packets per second cap\n"
	"      --min-rate PPS        never slower than PPS, however much is lost (with\n"
	"                            --max-rate: the rate floats between the two)\n"
	"      --scan-delay TIME     at least TIME between two probes to one host (500ms, 1s)\n"
	"      --max-scan-delay TIME the delay chosen by the engine (its pacing) at most TIME\n"
	"      --host-timeout TIME   give up a host not finished TIME after its first probe:\n"
	"                            \"Skipping host X due to host timeout\", none of its ports\n"
	"                            listed (XML: timedout=\"true\"); 0: never\n"
	"      --packet-trace        print every probe sent and reply received on stderr\n"
	"                            (nmap's SENT/RCVD/CONN lines)\n"
	"      --min-rtt-timeout MS, --max-rtt-timeout MS, --initial-rtt-timeout MS\n"
	"      --seed N              repeatable target order\n"
	"      --shards N --shard I  scan only shard I (0-based) of N: contiguous ranges of one\n"
	"                            permutation; every shard needs the same --seed (>= 1)\n"
	"      --shard-from-env      I from JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or\n"
	"                            NOMAD_ALLOC_INDEX (Kubernetes, Slurm, Nomad)\n"
	"      --resume FILE         keep a checkpoint in FILE (every second, on Ctrl-C and\n"
	"                            SIGTERM); when FILE exists, continue that scan: the two\n"
	"                            runs report exactly what one would (SYN scan; a seed is\n"
	"                            chosen and kept when none is given)\n"
	"      --offline             build every SYN probe of the scan (or shard) and send\n"
	"                            nothing: the generator's rate on one core\n"
	"      --scan-id NAME        the split scan's name in the history, the same on every\n"
	"                            shard (default: from the targets, ports, seed and N; a\n"
	"                            shard recorded again replaces its earlier rows)\n"
	"  -T0..-T5, --timing NAME   nmap's presets: 0-2 send 1, 2, 10 probes/s; 3 automatic;\n"
	"                            4: RTT 100-1250 ms, 6 retries; 5: RTT 50-300 ms, 2 retries\n"
	"      --max-rate PPS        the same as --rate\n"
	"  -e, --interface IF        raw engines: send on IF\n"
	"  -S, --source-ip ADDRS     raw engines: source address, or several (192.0.2.100-163,\n"
	"                            a CIDR block, a list) sent from in turn: a target's ICMP\n"
	"                            limit is per source, so -sU gets faster with each\n"
	"\n"
	"ShieldsUP's test set (one host):\n"
	"      --shieldsup[=SET]     UPnP exposure (SSDP M-SEARCH to UDP 1900, up to 10, one\n"
	"                            every 0.5 s; reply headers shown), file sharing (TCP 139,\n"
	"                            445, NetBIOS node status on UDP 137), the ports of SET and\n"
	"                            ping, then the TruStealth verdict. SET: common (the 26\n"
	"                            common ports, the default) or all (service ports 0-1055).\n"
	"                            Port 0 needs the raw engine (-sS); connect cannot send it.\n"
	"                            Exit 1 when TruStealth failed, else 0 (passed, or\n"
	"                            unknown: a test could not run, the reason printed)\n"
	"\n"
	"Host discovery (on by default for a network, off for a single host):\n"
	"  -Pn, --no-ping            no discovery: scan every target (a host that answers no\n"
	"                            discovery probe but would answer a port probe is missed\n"
	"                            without it)\n"
	"  -sn, --ping-only          discovery only, no port scan: the hosts up and why\n"
	"  -PE / -PP                 ICMP echo / timestamp probes\n"
	"  -PS[PORTS] / -PA[PORTS]   TCP SYN (default 443) / ACK (default 80) probes\n"
	"  -PU[PORTS]                UDP probes (default 40125; port unreachable = up)\n"
	"                            (default: -PE -PS443 -PA80 -PP; without CAP_NET_RAW a\n"
	"                            connect() to 80 and 443; on-link targets: ARP / ND)\n"
	"      --disable-arp-ping    on-link targets get the probes too, not ARP / ND\n"
	"\n"
	"Service identification:\n"
	"  -sV, --service            identify what answers on each open port: banner, probes,\n"
	"                            TLS certificate, HTTP server and title; flags services\n"
	"                            the port does not promise ([unexpected for this port])\n"
	"                            and [BACKDOOR]: a backdoor's own protocol answered (a\n"
	"                            match for the trojan itself, never the port number)\n"
	"      --probes FILE         also use the probes of FILE (nmap-service-probes format)\n"	"      --version-intensity N probes up to rarity N (0-9, default 7; implies -sV)\n"
	"\n"
	"Output:\n"
	"      --format FMT          text (default), jsonl, xml, grep, csv, html\n"
	"  -o, --output FILE         write the report to FILE (default: stdout)\n"
	"      --show STATES         which ports to list: open (default), closed, filtered, all\n"
	"  -oX/-oG/-oJ/-oN FILE      also write nmap XML / grepable / JSON Lines / text to FILE\n"
	"  -oA BASE                  all four at once: BASE.nmap, .xml, .gnmap, .jsonl\n"
	"  -v, --verbose             print each open port as it is found (-d: the same)\n"
	"      --open                list open ports only (the default; --show changes it)\n"
	"  -n, --reason              accepted for nmap's sake: portsight never resolves\n"
	"                            addresses back, always shows reasons\n"
	"      --stats-every TIME    a status line every TIME (30s, 1m, 500ms) on stderr; on a\n"
	"                            terminal it is shown anyway, in place; SIGUSR1: one line\n"
	"      --output-csv FILE, --output-html FILE   also write CSV / an HTML page to FILE\n"
	"                            (several at once; '-' = stdout, replacing the text report)\n"
	"\n"
	"History:\n"
	"      --db FILE             record the scan in FILE, sqlite:PATH or a PostgreSQL\n"
	"                            server, postgresql://... (default: $PORTSIGHT_DB, else\n"
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
	OPT_OUTPUT_ALL,
	OPT_STATS_EVERY,
	OPT_FAST,
	OPT_TOP_PORTS,
	OPT_NO_PING,
	OPT_OPEN,
	OPT_REASON,
	OPT_VERSION_INTENSITY,
	OPT_VERSION,
	OPT_SHARDS,
	OPT_SHARD,
	OPT_SHARD_FROM_ENV,
	OPT_SCAN_ID,
	OPT_OFFLINE,
	OPT_UDP,
	OPT_PAYLOADS,
	OPT_MIN_RATE,
	OPT_SCAN_DELAY,
	OPT_MAX_SCAN_DELAY,
	OPT_HOST_TIMEOUT,
	OPT_PACKET_TRACE,
	OPT_RESUME,
	OPT_SHIELDSUP,
	OPT_PING_ONLY,
	OPT_NO_ARP,
};

static const struct option scan_options[] = {
	{"help", no_argument, NULL, 'h'},
	{"ports", required_argument, NULL, 'p'},
	{"input-list", required_argument, NULL, OPT_INPUT_LIST},
	{"exclude", required_argument, NULL, OPT_EXCLUDE},
	{"exclude-file", required_argument, NULL, OPT_EXCLUDE_FILE},
	{"excludefile", required_argument, NULL, OPT_EXCLUDE_FILE}, /* nmap's spelling */
	{"allow-large", no_argument, NULL, OPT_ALLOW_LARGE},
	{"connect", no_argument, NULL, OPT_CONNECT},
	{"syn", no_argument, NULL, OPT_SYN},
	{"engine", required_argument, NULL, OPT_ENGINE},
	{"max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT},
	{"max-retries", required_argument, NULL, OPT_MAX_RETRIES},
	{"rate", required_argument, NULL, OPT_RATE},
	{"max-rate", required_argument, NULL, OPT_RATE}, /* nmap's name for the cap */
	{"min-rate", required_argument, NULL, OPT_MIN_RATE},
	{"scan-delay", required_argument, NULL, OPT_SCAN_DELAY},
	{"max-scan-delay", required_argument, NULL, OPT_MAX_SCAN_DELAY},
	{"host-timeout", required_argument, NULL, OPT_HOST_TIMEOUT},
	{"packet-trace", no_argument, NULL, OPT_PACKET_TRACE},
	{"min-rtt-timeout", required_argument, NULL, OPT_MIN_RTT},
	{"max-rtt-timeout", required_argument, NULL, OPT_MAX_RTT},
	{"initial-rtt-timeout", required_argument, NULL, OPT_INITIAL_RTT},
	{"seed", required_argument, NULL, OPT_SEED},
	{"shards", required_argument, NULL, OPT_SHARDS},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"shard-from-env", no_argument, NULL, OPT_SHARD_FROM_ENV},
	{"scan-id", required_argument, NULL, OPT_SCAN_ID},
	{"offline", no_argument, NULL, OPT_OFFLINE},
	{"resume", required_argument, NULL, OPT_RESUME},
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
	{"output-all", required_argument, NULL, OPT_OUTPUT_ALL},
	{"stats-every", required_argument, NULL, OPT_STATS_EVERY},
	{"verbose", no_argument, NULL, 'v'},
	{"fast", no_argument, NULL, OPT_FAST},
	{"top-ports", required_argument, NULL, OPT_TOP_PORTS},
	{"no-ping", no_argument, NULL, OPT_NO_PING},
	{"open", no_argument, NULL, OPT_OPEN},
	{"reason", no_argument, NULL, OPT_REASON},
	{"version-intensity", required_argument, NULL, OPT_VERSION_INTENSITY},
	{"timing", required_argument, NULL, 'T'},
	{"version", no_argument, NULL, OPT_VERSION},
	{"service", no_argument, NULL, OPT_SERVICE},
	{"probes", required_argument, NULL, OPT_PROBES},
	{"udp", no_argument, NULL, OPT_UDP},
	{"payloads", required_argument, NULL, OPT_PAYLOADS},
	{"shieldsup", optional_argument, NULL, OPT_SHIELDSUP},
	{"ping-only", no_argument, NULL, OPT_PING_ONLY},
	{"disable-arp-ping", no_argument, NULL, OPT_NO_ARP},
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
	{"-sU", "--udp"},
	{"-oX", "--output-xml"},
	{"-oG", "--output-grep"},
	{"-oJ", "--output-jsonl"},
	{"-oN", "--output-text"},
	{"-oA", "--output-all"},
	{"-sV", "--service"},
	{"-F", "--fast"},
	{"-Pn", "--no-ping"},
	{"-sn", "--ping-only"},
	{NULL, NULL},
};

/* Options that need the whole command line parsed first (targets, exclusions). */
struct scan_args {
	const char *exclude;
	const char *exclude_file;
	const char *input_list;
	int allow_large;
	struct net_resolve_opts resolve;
	bool ports_given;    /* -p */
	const char *preset;  /* -F, --top-ports: ports chosen for the user */
	char top_spec[32];   /* "top-ports N", for the record */
	const char *top_ports;
	int timing;	     /* -T level, or -1 */
	bool udp;	     /* -sU */
	const char *engine_flag; /* the option that chose the engine, for a conflict message */
	bool seed_given;
	const char *shards;	/* --shards N */
	const char *shard;	/* --shard I */
	bool shard_from_env;
	const char *shard_env; /* the variable --shard-from-env took I from */
	bool offline;
	bool resume;
	bool shieldsup; /* --shieldsup[=SET] */
	enum shieldsup_set shieldsup_set;
	bool no_ping;	/* -Pn */
	bool ping_only; /* -sn */
};

/* Whether this host (this namespace) owns addr: binding to it works. */
static bool address_is_local(const struct ps_addr *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool local;
	int fd;

	len = ps_addr_to_sockaddr(addr, 0, &ss);
	fd = socket(addr->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true; /* cannot tell: let the engine find out */
	local = !bind(fd, (struct sockaddr *)&ss, len) || errno != EADDRNOTAVAIL;
	close(fd);
	return local;
}

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
	for (i = 0; !err && i < argc; i++) {
		size_t before = job->targets.nranges, r;

		err = target_list_add_spec(&job->targets, argv[i], net_resolve, &a->resolve, diag);
		/* -4 / -6 choose how names resolve; a literal of the other family contradicts it. */
		for (r = before; !err && a->resolve.family != AF_UNSPEC && r < job->targets.nranges;
		     r++)
			if (job->targets.ranges[r].family != a->resolve.family)
				err = ps_fail(diag, PS_ERR_INVALID, "%s asks for IPv%c, but %s is not",
					      a->resolve.family == AF_INET6 ? "-6" : "-4",
					      a->resolve.family == AF_INET6 ? '6' : '4', argv[i]);
	}
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
	case OPT_MIN_RATE:
		err = cli_parse_u64("--min-rate", arg, 1, 100000000, &v, diag);
		o->min_rate_pps = (uint32_t)v;
		return err;
	case OPT_SCAN_DELAY:
		return nmap_parse_time("--scan-delay", arg, SCAN_DELAY_MAX_NS, &o->scan_delay_ns,
				       diag);
	case OPT_MAX_SCAN_DELAY:
		return nmap_parse_time("--max-scan-delay", arg, SCAN_DELAY_MAX_NS,
				       &o->max_scan_delay_ns, diag);
	case OPT_HOST_TIMEOUT:
		return nmap_parse_time("--host-timeout", arg, HOST_TIMEOUT_MAX_NS,
				       &o->host_timeout_ns, diag);
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

static enum ps_err add_extra(struct scan_job *job, const char *format, const char *path,
			     char *owned, struct ps_diag *diag)
{
	if (job->nextra == SCAN_MAX_EXTRA_OUTPUTS) {
		free(owned);
		return ps_fail(diag, PS_ERR_INVALID, "at most %d extra outputs",
			       SCAN_MAX_EXTRA_OUTPUTS);
	}
	job->extra[job->nextra].format = format;
	job->extra[job->nextra].path = owned ? owned : path;
	job->extra[job->nextra++].owned = owned;
	return PS_OK;
}

/* -oA BASE: nmap's three (BASE.nmap, BASE.xml, BASE.gnmap) and our JSON Lines. */
static enum ps_err add_output_all(struct scan_job *job, const char *base, struct ps_diag *diag)
{
	static const struct {
		const char *format, *ext;
	} all[] = {{"text", "nmap"}, {"xml", "xml"}, {"grep", "gnmap"}, {"jsonl", "jsonl"}};
	enum ps_err err = PS_OK;
	size_t i;

	if (!base || !base[0] || !strcmp(base, "-"))
		return ps_fail(diag, PS_ERR_INVALID, "-oA wants a base file name, not '%s'", base);
	for (i = 0; !err && i < sizeof(all) / sizeof(all[0]); i++) {
		char *path = NULL;

		if (asprintf(&path, "%s.%s", base, all[i].ext) < 0)
			return ps_fail(diag, PS_ERR_NOMEM, "out of memory");
		err = add_extra(job, all[i].format, NULL, path, diag);
	}
	return err;
}

/*
 * nmap's -o<letter> outputs that portsight does not have (-oS, -oM...) would otherwise be read
 * as "-o S": a report written to a file named S. Refuse them by name.
 */
static enum ps_err refuse_nmap_outputs(int argc, char **argv, struct ps_diag *diag)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];

		if (a[0] == '-' && a[1] == 'o' && a[2] >= 'A' && a[2] <= 'Z' && !a[3] &&
		    !strchr("XGJNA", a[2]))
			return ps_fail(diag, PS_ERR_INVALID,
				       "unknown output option %s (portsight writes -oN, -oX, -oG, "
				       "-oJ, or all of them with -oA BASE)",
				       a);
	}
	return PS_OK;
}

/*
 * -S ADDR, or several in the target syntax (192.0.2.100-163, a CIDR block, a comma list): a
 * raw scan sends from each in turn.
 */
static enum ps_err parse_sources(struct scan_job *job, const char *arg, struct ps_diag *diag)
{
	struct target_list list;
	enum ps_err err;
	uint64_t i;

	job->nsources = 0;
	job->run.tuning.sources = NULL;
	job->run.tuning.nsources = 0;
	if (!ps_addr_parse(arg, &job->source)) {
		job->run.tuning.source = &job->source;
		return PS_OK;
	}
	target_list_init(&list);
	err = target_list_add_text(&list, arg, strlen(arg), NULL, NULL, diag);
	if (!err)
		err = target_list_finish(&list, NULL, SCAN_MAX_SOURCES, diag);
	if (err) {
		target_list_release(&list);
		return ps_fail(diag, PS_ERR_INVALID,
			       "bad --source-ip \"%.64s\": an address, a range, a CIDR block or a "
			       "comma list of at most %d addresses",
			       arg, SCAN_MAX_SOURCES);
	}
	for (i = 0; i < list.total; i++)
		target_list_get(&list, i, &job->sources[i], NULL);
	job->nsources = (size_t)list.total;
	target_list_release(&list);
	job->source = job->sources[0];
	job->run.tuning.source = &job->source;
	job->run.tuning.sources = job->sources;
	job->run.tuning.nsources = job->nsources;
	return PS_OK;
}

/* -sT, -sS, --engine: one engine per scan; naming two is an error, not "last one wins". */
static enum ps_err choose_engine(struct scan_job *job, struct scan_args *a, int opt,
				 const char *arg, char **argv, struct ps_diag *diag)
{
	const char *name = opt == OPT_CONNECT ? "connect" : opt == OPT_SYN ? "syn" : arg;
	const char *flag = opt == OPT_ENGINE ? "--engine" : argv[optind - 1];

	if (!name)
		return ps_fail(diag, PS_ERR_INVALID, "%s needs an engine name", flag);
	if (job->run.engine && strcmp(job->run.engine, name))
		return ps_fail(diag, PS_ERR_INVALID,
			       "%s and %s ask for two scan engines (%s, %s): choose one",
			       a->engine_flag, flag, job->run.engine, name);
	job->run.engine = name;
	a->engine_flag = flag;
	return PS_OK;
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
	       (opt = getopt_long(argc, argv, ":hp:o:e:S:46vdnT:P:", scan_options, &opt_index)) != -1) {
		switch (opt) {
		case 'h':
			fputs(scan_usage, stdout);
			return 1;
		case 'p':
			job->run.ports_spec = optarg;
			a->ports_given = true;
			break;
		case 'o':
			job->output = optarg;
			break;
		case 'e':
			job->run.tuning.interface = optarg;
			break;
		case 'S':
			*err = parse_sources(job, optarg, diag);
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
		case OPT_SYN:
		case OPT_ENGINE:
			*err = choose_engine(job, a, opt, optarg, argv, diag);
			break;
		case OPT_FORMAT:
			job->format = optarg;
			job->format_given = true;
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
			*err = add_extra(job, extra_format(&scan_options[opt_index]), optarg, NULL,
					 diag);
			break;
		case OPT_OUTPUT_ALL:
			*err = add_output_all(job, optarg, diag);
			break;
		case 'v':
		case 'd': /* nmap's debugging: here as verbose as it gets */
			job->verbose++;
			break;
		case 'n': /* nmap: no reverse DNS; portsight never resolves addresses back */
		case OPT_REASON:  /* the REASON column is always there */
			break;
		case OPT_NO_PING:
			a->no_ping = true;
			break;
		case OPT_PING_ONLY:
			a->ping_only = true;
			break;
		case OPT_NO_ARP:
			job->run.no_arp = true;
			break;
		case 'P':
			*err = nmap_parse_ping(optarg, job->host_probes, SCAN_HOST_PROBES_MAX,
					       &job->nhost_probes, diag);
			break;
		case OPT_OPEN:
			job->show = REPORT_SHOW_OPEN;
			break;
		case OPT_FAST:
			a->preset = "top100";
			break;
		case OPT_TOP_PORTS:
			a->top_ports = optarg;
			a->preset = optarg;
			break;
		case 'T':
			*err = nmap_parse_timing(optarg, (unsigned *)&a->timing, diag);
			break;
		case OPT_VERSION_INTENSITY: {
			unsigned long long v = 0;

			*err = cli_parse_u64("--version-intensity", optarg, 0, 9, &v, diag);
			job->run.version_intensity = (uint8_t)(v ? v : 1);
			job->run.service = true;
			break;
		}
		case OPT_VERSION:
			cli_print_version(stdout);
			return 1;
		case OPT_STATS_EVERY:
			*err = cli_parse_duration("--stats-every", optarg, &job->stats_every_s, diag);
			break;
		case OPT_SERVICE:
			job->run.service = true;
			break;
		case OPT_SHARDS:
			a->shards = optarg;
			break;
		case OPT_SHARD:
			a->shard = optarg;
			break;
		case OPT_SHARD_FROM_ENV:
			a->shard_from_env = true;
			break;
		case OPT_OFFLINE:
			a->offline = true;
			break;
		case OPT_RESUME: /* scan_resume_open() has read it already */
			a->resume = true;
			break;
		case OPT_SCAN_ID:
			if (!optarg || !optarg[0] || strlen(optarg) > 128)
				*err = ps_fail(diag, PS_ERR_INVALID,
					       "--scan-id wants a name of 1 to 128 characters");
			job->run.fleet = optarg;
			break;
		case OPT_UDP:
			a->udp = true;
			break;
		case OPT_PACKET_TRACE:
			job->packet_trace = true;
			break;
		case OPT_PAYLOADS:
			job->run.udp_payloads_file = optarg;
			break;
		case OPT_SHIELDSUP:
			a->shieldsup = true;
			*err = scan_shieldsup_parse_set(optarg, &a->shieldsup_set, diag);
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
			a->seed_given |= opt == OPT_SEED;
			*err = parse_number(opt, optarg, &job->run.tuning, diag);
			break;
		}
	}
	return 0;
}

/* -p, or a preset chosen by -F / --top-ports (not both: which one would the user mean?). */
static enum ps_err choose_ports(struct scan_job *job, struct scan_args *a, struct ps_diag *diag)
{
	enum ps_err err;

	if (a->preset && a->ports_given)
		return ps_fail(diag, PS_ERR_INVALID,
			       "-p and %s both choose the ports: use one of them",
			       a->top_ports ? "--top-ports" : "-F");
	if (a->top_ports) {
		snprintf(a->top_spec, sizeof(a->top_spec), "top-ports %.20s", a->top_ports);
		job->run.ports_spec = a->top_spec;
		err = nmap_top_ports(job->kb, a->top_ports, &job->ports, diag);
		if (!err && a->udp) {
			job->udp_ports = job->ports;
			job->run.udp_ports = &job->udp_ports;
			if (!job->run.engine)
				portset_clear(&job->ports);
		}
		return err;
	}
	if (a->preset)
		job->run.ports_spec = a->preset;
	err = portset_parse_protos(&job->ports, &job->udp_ports, job->run.ports_spec, kb_preset,
				   job->kb, diag);
	if (err)
		return err;
	if (!a->udp) {
		if (job->udp_ports.count && !job->ports.count)
			return ps_fail(diag, PS_ERR_INVALID,
				       "-p names only UDP ports (U:) but no UDP scan: add -sU");
		return PS_OK;
	}
	if (!job->udp_ports.count)
		return ps_fail(diag, PS_ERR_INVALID, "-sU, but -p names no UDP port (U:)");
	job->run.udp_ports = &job->udp_ports;
	/* -sU alone scans UDP only; with -sS/-sT (or --engine) TCP too, as nmap does. */
	if (!job->run.engine)
		portset_clear(&job->ports);
	return PS_OK;
}

/* --shieldsup chooses its own ports and scans one host's TCP ports; what contradicts it. */
static enum ps_err check_shieldsup(struct scan_job *job, struct scan_args *a, struct ps_diag *diag)
{
	const char *other = a->ports_given ? "-p" : a->top_ports ? "--top-ports" :
			    a->preset ? "-F" : a->udp ? "-sU" : a->offline ? "--offline" :
			    a->ping_only ? "-sn" :
			    a->shards || a->shard || a->shard_from_env ? "--shards" : NULL;

	if (other)
		return ps_fail(diag, PS_ERR_INVALID,
			       "--shieldsup and %s do not go together: --shieldsup chooses its "
			       "ports (--shieldsup=common or --shieldsup=all) and tests UDP itself",
			       other);
	job->run.ports_spec = "shieldsup";
	return PS_OK;
}

/* -Pn, -sn, -P...: which discovery, and what cannot go with it. */
static enum ps_err choose_discovery(struct scan_job *job, struct scan_args *a,
				    struct ps_diag *diag)
{
	struct run_job *r = &job->run;

	if (a->no_ping && a->ping_only)
		return ps_fail(diag, PS_ERR_INVALID,
			       "-Pn skips host discovery and -sn does nothing else: choose one");
	if (a->no_ping && job->nhost_probes)
		return ps_fail(diag, PS_ERR_INVALID,
			       "-Pn skips host discovery, but -P%s chooses its probes: choose one",
			       job->host_probes[0].kind == SCAN_HOST_ECHO ? "E" : "S/-PA/-PP/-PU");
	if (a->ping_only && (a->ports_given || a->preset || a->udp || r->service || r->engine))
		return ps_fail(diag, PS_ERR_INVALID,
			       "-sn discovers hosts without a port scan: -p, -F, --top-ports, -sU, "
			       "-sV and the scan engines do not go with it");
	if (a->ping_only && (a->shards || a->shard || a->shard_from_env))
		return ps_fail(diag, PS_ERR_INVALID, "-sn does not split into shards");
	if ((a->ping_only || job->nhost_probes) && (a->shards || a->shard || a->shard_from_env))
		return ps_fail(diag, PS_ERR_INVALID,
			       "host discovery changes which hosts a shard scans: with --shards, "
			       "use -Pn");
	/* Two runs could find different hosts up: a resumed scan scans every target, as -Pn. */
	if (a->resume && (a->ping_only || job->nhost_probes))
		return ps_fail(diag, PS_ERR_INVALID,
			       "--resume scans every target (as -Pn): -sn and -P probes do not go "
			       "with it");
	r->discovery = a->no_ping || a->resume ? RUN_DISCOVERY_OFF
		       : a->ping_only	       ? RUN_DISCOVERY_ONLY
		       : job->nhost_probes     ? RUN_DISCOVERY_ON
					       : RUN_DISCOVERY_AUTO;
	if (job->nhost_probes) {
		r->host_probes = job->host_probes;
		r->nhost_probes = job->nhost_probes;
	}
	r->list_down = job->verbose > 0;
	return PS_OK;
}

/* The variables of the schedulers that number the tasks of an array job, in this order. */
static const char *const shard_env[] = {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID",
					"NOMAD_ALLOC_INDEX"};

static enum ps_err shard_index_from_env(struct scan_args *a, struct ps_diag *diag)
{
	size_t i;

	for (i = 0; i < sizeof(shard_env) / sizeof(shard_env[0]); i++) {
		const char *v = getenv(shard_env[i]);

		if (v && v[0]) {
			a->shard = v;
			a->shard_env = shard_env[i];
			return PS_OK;
		}
	}
	return ps_fail(diag, PS_ERR_INVALID,
		       "--shard-from-env: none of JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, "
		       "NOMAD_ALLOC_INDEX is set");
}

/*
 * --shards N --shard I (zmap's semantics). The shards of a split only partition the pairs when
 * they walk the same permutation, so a split without an explicit seed is refused rather than
 * left to overlap.
 */
static enum ps_err check_shards(struct scan_job *job, struct scan_args *a, struct ps_diag *diag)
{
	struct scan_opts *o = &job->run.tuning;
	unsigned long long n = 0, i = 0;
	enum ps_err err;

	if (!a->shards && !a->shard && !a->shard_from_env) {
		if (job->run.fleet)
			return ps_fail(diag, PS_ERR_INVALID,
				       "--scan-id names a split scan: it needs --shards N");
		return PS_OK;
	}
	if (a->shard_from_env && a->shard)
		return ps_fail(diag, PS_ERR_INVALID, "--shard and --shard-from-env: give one");
	if (!a->shards)
		return ps_fail(diag, PS_ERR_INVALID, "--shard needs --shards N (how many in all)");
	if ((err = cli_parse_u64("--shards", a->shards, 1, 1u << 20, &n, diag)))
		return err;
	if (a->shard_from_env && (err = shard_index_from_env(a, diag)))
		return err;
	if (!a->shard)
		return ps_fail(diag, PS_ERR_INVALID,
			       "--shards needs --shard I (0 to %llu) or --shard-from-env", n - 1);
	if ((err = cli_parse_u64(a->shard_env ? a->shard_env : "--shard", a->shard, 0, ~0ull, &i,
				 diag)))
		return err;
	if (i >= n)
		return ps_fail(diag, PS_ERR_INVALID, "%s %llu is not below --shards %llu (shards "
						     "are numbered from 0)",
			       a->shard_env ? a->shard_env : "--shard", i, n);
	if (!a->seed_given || !o->seed)
		return ps_fail(diag, PS_ERR_INVALID,
			       "--shards needs --seed N (N >= 1, the same for every shard): "
			       "otherwise the shards would not split one order");
	o->shard = i;
	o->nshards = n;
	return PS_OK;
}

/* Numbers that contradict each other, and raw-engine settings this host cannot honour. */
static enum ps_err check_tuning(struct scan_job *job, struct scan_args *a, struct ps_diag *diag)
{
	struct scan_opts *o = &job->run.tuning;

	if (a->timing >= 0)
		nmap_apply_timing((unsigned)a->timing, o);
	if (o->min_rtt_timeout_ms && o->max_rtt_timeout_ms &&
	    o->min_rtt_timeout_ms > o->max_rtt_timeout_ms)
		return ps_fail(diag, PS_ERR_INVALID,
			       "--min-rtt-timeout %u is above --max-rtt-timeout %u",
			       o->min_rtt_timeout_ms, o->max_rtt_timeout_ms);
	if (o->initial_rtt_timeout_ms && o->max_rtt_timeout_ms &&
	    o->initial_rtt_timeout_ms > o->max_rtt_timeout_ms)
		return ps_fail(diag, PS_ERR_INVALID,
			       "--initial-rtt-timeout %u is above --max-rtt-timeout %u",
			       o->initial_rtt_timeout_ms, o->max_rtt_timeout_ms);
	if (o->min_rate_pps && o->rate_pps && o->min_rate_pps > o->rate_pps)
		return ps_fail(diag, PS_ERR_INVALID, "--min-rate %u is above --max-rate %u",
			       o->min_rate_pps, o->rate_pps);
	if (o->scan_delay_ns && o->max_scan_delay_ns && o->scan_delay_ns > o->max_scan_delay_ns)
		return ps_fail(diag, PS_ERR_INVALID, "--scan-delay is above --max-scan-delay");
	/* A probe held back for its host's delay, or a host given up, is not in a checkpoint. */
	if (a->resume && (o->scan_delay_ns || o->host_timeout_ns))
		return ps_fail(diag, PS_ERR_INVALID,
			       "--resume does not go with --scan-delay or --host-timeout");
	if (a->exclude && !a->exclude[strspn(a->exclude, " \t,")])
		return ps_fail(diag, PS_ERR_INVALID, "--exclude names no target");
	if (o->interface && !if_nametoindex(o->interface))
		return ps_fail(diag, PS_ERR_INVALID, "-e %s: no such network interface",
			       o->interface);
	if (o->source && !address_is_local(o->source))
		return ps_fail(diag, PS_ERR_INVALID,
			       "-S: this host has no address %s, so no reply could come back",
			       ps_addr_format(o->source, a->top_spec, sizeof(a->top_spec)));
	for (size_t i = 0; i < o->nsources; i++)
		if (!address_is_local(&o->sources[i]))
			return ps_fail(diag, PS_ERR_INVALID,
				       "-S: this host has no address %s, so no reply could come back",
				       ps_addr_format(&o->sources[i], a->top_spec,
						      sizeof(a->top_spec)));
	return PS_OK;
}

/* --offline: the probes built and counted, nothing opened, sent or recorded. */
static int scan_offline(struct scan_job *job)
{
	struct scan_opts o = job->run.tuning;
	struct scan_offline_stats st;
	struct ps_diag diag = {{0}};
	enum ps_err err;
	double s, cpu;

	o.targets = &job->targets;
	o.ports = &job->ports;
	err = scan_offline_run(&o, &scan_tcp_syn_module, &st, &diag);
	if (err)
		return cli_fail(err, &diag);
	s = (double)st.elapsed_ns / 1e9;
	cpu = (double)st.cpu_ns / 1e9;
	/* Per CPU second: what one core does, however busy the machine is (wall time too). */
	printf("offline: %llu SYN probes built (%llu bytes) in %.3f s of CPU, %.2f Mpps on one "
	       "core (%.3f s wall, %.2f Mpps); nothing sent (digest %016llx)\n",
	       (unsigned long long)st.packets, (unsigned long long)st.bytes, cpu,
	       cpu > 0 ? (double)st.packets / cpu / 1e6 : 0.0, s,
	       s > 0 ? (double)st.packets / s / 1e6 : 0.0, (unsigned long long)st.digest);
	return CLI_EXIT_OK;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_job job;
	struct scan_args a = {.resolve = {.family = AF_UNSPEC}, .timing = -1};
	struct ps_diag diag = {{0}};
	char **args = NULL, *joined = NULL;
	struct scan_resume resume;
	bool nothing_left;
	enum ps_err err;
	int rc;

	rc = scan_resume_open(&resume, argc, argv, &nothing_left);
	if (rc || nothing_left) {
		scan_resume_release(&resume);
		return rc;
	}
	if (resume.argv) {
		argc = resume.argc;
		argv = resume.argv;
	}
	rc = scan_job_init(&job);
	if (rc) {
		scan_resume_release(&resume);
		return rc;
	}
	args = cli_expand_aliases(argc, argv, scan_aliases);
	if (!args) {
		rc = cli_fail(PS_ERR_NOMEM, NULL);
		goto out;
	}
	job.run.ports_spec = "top1000";
	job.run.args = joined = cli_join_args(argc, argv);
	err = refuse_nmap_outputs(argc, argv, &diag);
	if (!err)
		err = nmap_refuse_unsupported(argc, argv, &diag);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	if (parse_options(&job, &a, argc, args, &diag, &err)) {
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (!err)
		err = a.shieldsup ? check_shieldsup(&job, &a, &diag) : choose_ports(&job, &a, &diag);
	if (!err)
		err = check_tuning(&job, &a, &diag);
	if (!err)
		err = check_shards(&job, &a, &diag);
	if (!err && a.resume && a.shieldsup)
		err = ps_fail(&diag, PS_ERR_INVALID, "--shieldsup is a test of its own: it does not "
						     "--resume");
	if (!err && a.resume && a.offline)
		err = ps_fail(&diag, PS_ERR_INVALID, "--offline sends nothing: there is nothing "
						     "to --resume");
	if (!err)
		err = choose_discovery(&job, &a, &diag);
	if (!err)
		err = build_targets(&job, &a, argc - optind, args + optind, &diag);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	if ((rc = scan_resume_job(&resume, &job, a.seed_given)))
		goto out;
	if (a.shieldsup)
		rc = scan_shieldsup_run(&job, a.shieldsup_set);
	else
		rc = a.offline ? scan_offline(&job) : scan_job_run(&job);
out:
	free(args);
	free(joined);
	scan_job_release(&job);
	scan_resume_release(&resume);
	return rc;
}
