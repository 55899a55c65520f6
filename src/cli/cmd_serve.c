/* SPDX-License-Identifier: MIT */
/*
 * portsight serve: options into serve_opts, then serve until SIGINT/SIGTERM. The log of every
 * scan and refusal is printed here, one line on stderr each (the library only calls back).
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cli.h"
#include "serve/serve.h"

#define SERVE_MAX_TRUSTED 32
#define SERVE_PEM_MAX	  (1u << 20)

static const char serve_usage[] =
    "usage: portsight serve [OPTIONS]\n"
    "\n"
    "A self-hosted ShieldsUP: a web page that scans whoever visits it, after they consent,\n"
    "and nobody else. Run it on a host outside the networks it will check.\n"
    "\n"
    "  --listen ADDR:PORT       where to listen (default 127.0.0.1:8080; [::]:PORT, :PORT)\n"
    "  --trusted-proxy CIDR     believe X-Forwarded-For / Forwarded from this proxy\n"
    "                           (repeatable; the rightmost hop it does not trust is the\n"
    "                           visitor)\n"
    "  --max-scans N            scans at once over all visitors (default 20)\n"
    "  --quota N                scans per visitor address per hour (default 10)\n"
    "  --max-rate PPS           probes per second over all scans together (default 20000)\n"
    "  --max-ports N            the largest test offered (default 65535)\n"
    "  --client-timeout S       cut off a client idle this long (default 10)\n"
    "  --request-timeout S      a whole request must arrive within this (default 30)\n"
    "  --max-connections N      connections at once (default 512)\n"
    "  --per-ip-connections N   connections at once from one address (default 64; 0: no cap)\n"
    "  --scan-timeout S         a scan's longest run (default 900)\n"
    "  --engine NAME            connect or syn (default: syn when permitted)\n"
    "  --tls-cert FILE, --tls-key FILE   serve HTTPS (PEM files)\n"
    "  --db FILE                record scans in FILE (default: the history database)\n"
    "  --no-db                  do not record scans\n"
    "\n"
    "Exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage error, 3 failure.\n";

enum serve_option {
	OPT_LISTEN = 256,
	OPT_TRUSTED,
	OPT_MAX_SCANS,
	OPT_QUOTA,
	OPT_MAX_RATE,
	OPT_MAX_PORTS,
	OPT_CLIENT_TIMEOUT,
	OPT_REQUEST_TIMEOUT,
	OPT_MAX_CONNS,
	OPT_PER_IP,
	OPT_SCAN_TIMEOUT,
	OPT_ENGINE,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_DB,
	OPT_NO_DB,
};

static const struct option serve_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"trusted-proxy", required_argument, NULL, OPT_TRUSTED},
    {"max-scans", required_argument, NULL, OPT_MAX_SCANS},
    {"quota", required_argument, NULL, OPT_QUOTA},
    {"max-rate", required_argument, NULL, OPT_MAX_RATE},
    {"max-ports", required_argument, NULL, OPT_MAX_PORTS},
    {"client-timeout", required_argument, NULL, OPT_CLIENT_TIMEOUT},
    {"request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNS},
    {"per-ip-connections", required_argument, NULL, OPT_PER_IP},
    {"scan-timeout", required_argument, NULL, OPT_SCAN_TIMEOUT},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"db", required_argument, NULL, OPT_DB},
    {"no-db", no_argument, NULL, OPT_NO_DB},
    {NULL, 0, NULL, 0},
};

/* One line per scan or refusal: who, what, when, counts. */
static void serve_log(void *ctx, const struct serve_log_rec *r)
{
	char when[32];
	struct tm tm;

	(void)ctx;
	gmtime_r(&r->when, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (r->refused) {
		fprintf(stderr, "portsight serve: %s refused client=%s test=%s reason=%s\n", when,
			r->client, r->test, r->refused);
		return;
	}
	fprintf(stderr,
		"portsight serve: %s scan client=%s test=%s ports=%s nports=%" PRIu32
		" engine=%s scanned=%" PRIu64 " open=%" PRIu64 " closed=%" PRIu64
		" stealth=%" PRIu64 " elapsed=%.2fs interrupted=%d%s%s\n",
		when, r->client, r->test, r->ports, r->nports, r->engine, r->sum->ports_scanned,
		r->sum->open, r->sum->closed + (r->sum->filtered - r->sum->stealth),
		r->sum->stealth, r->sum->elapsed_s, r->sum->interrupted, r->error ? " error=" : "",
		r->error ? r->error : "");
}

struct serve_cli {
	struct serve_opts o;
	struct serve_cidr trusted[SERVE_MAX_TRUSTED];
	char *cert, *key;
	const char *cert_path, *key_path;
};

static enum ps_err parse_u(const char *name, const char *arg, unsigned long long lo,
			   unsigned long long hi, unsigned *out, struct ps_diag *diag)
{
	unsigned long long v;
	enum ps_err err = cli_parse_u64(name, arg, lo, hi, &v, diag);

	*out = (unsigned)v;
	return err;
}

static enum ps_err parse_options(struct serve_cli *a, int argc, char **argv, bool *help,
				 struct ps_diag *diag)
{
	int opt, idx = 0;
	enum ps_err err = PS_OK;
	unsigned v;

	optind = 1;
	opterr = 0;
	while (!err && (opt = getopt_long(argc, argv, ":h", serve_options, &idx)) != -1) {
		switch (opt) {
		case 'h':
			*help = true;
			return PS_OK;
		case OPT_LISTEN:
			a->o.listen = optarg;
			break;
		case OPT_TRUSTED:
			if (a->o.ntrusted == SERVE_MAX_TRUSTED)
				return ps_fail(diag, PS_ERR_INVALID, "at most %d --trusted-proxy",
					       SERVE_MAX_TRUSTED);
			err = serve_cidr_parse(optarg, &a->trusted[a->o.ntrusted++], diag);
			break;
		case OPT_MAX_SCANS:
			err = parse_u("--max-scans", optarg, 1, 1000, &a->o.max_scans, diag);
			break;
		case OPT_QUOTA:
			err = parse_u("--quota", optarg, 1, 64, &a->o.quota, diag);
			break;
		case OPT_MAX_RATE:
			err = parse_u("--max-rate", optarg, 1, 10000000, &v, diag);
			a->o.max_rate = v;
			break;
		case OPT_MAX_PORTS:
			err = parse_u("--max-ports", optarg, 1, 65535, &v, diag);
			a->o.max_ports = v;
			break;
		case OPT_CLIENT_TIMEOUT:
			err = parse_u("--client-timeout", optarg, 1, 3600, &a->o.client_timeout_s,
				      diag);
			break;
		case OPT_REQUEST_TIMEOUT:
			err = parse_u("--request-timeout", optarg, 1, 3600,
				      &a->o.request_timeout_s, diag);
			break;
		case OPT_MAX_CONNS:
			err =
			    parse_u("--max-connections", optarg, 1, 100000, &a->o.max_conns, diag);
			break;
		case OPT_PER_IP:
			err = parse_u("--per-ip-connections", optarg, 0, 100000, &a->o.per_ip_conns,
				      diag);
			break;
		case OPT_SCAN_TIMEOUT:
			err =
			    parse_u("--scan-timeout", optarg, 1, 86400, &a->o.scan_timeout_s, diag);
			break;
		case OPT_ENGINE:
			if (strcmp(optarg, "connect") && strcmp(optarg, "syn"))
				return ps_fail(diag, PS_ERR_INVALID, "--engine %s: connect or syn",
					       optarg);
			a->o.engine = optarg;
			break;
		case OPT_TLS_CERT:
			a->cert_path = optarg;
			break;
		case OPT_TLS_KEY:
			a->key_path = optarg;
			break;
		case OPT_DB:
			a->o.db = optarg;
			break;
		case OPT_NO_DB:
			a->o.no_db = true;
			break;
		case ':':
			return ps_fail(diag, PS_ERR_INVALID, "%s needs a value", argv[optind - 1]);
		default:
			return ps_fail(diag, PS_ERR_INVALID,
				       "serve: unknown option '%s' (see 'portsight serve --help')",
				       argv[optind - 1]);
		}
	}
	if (!err && optind < argc)
		err = ps_fail(diag, PS_ERR_INVALID,
			      "serve takes no target: it scans only its visitors ('%s')",
			      argv[optind]);
	if (!err && !a->cert_path != !a->key_path)
		err = ps_fail(diag, PS_ERR_INVALID, "--tls-cert and --tls-key go together");
	return err;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_cli a = {
	    .o = {.listen = "127.0.0.1:8080",
		  .max_scans = 20,
		  .quota = 10,
		  .max_rate = 20000,
		  .max_ports = 65535,
		  .client_timeout_s = 10,
		  .request_timeout_s = 30,
		  .max_conns = 512,
		  .per_ip_conns = 64,
		  .scan_timeout_s = 900,
		  .log = serve_log},
	};
	struct ps_diag diag = {{0}};
	struct serve *srv = NULL;
	struct kb *kb = NULL;
	sigset_t set;
	size_t len;
	bool help = false;
	enum ps_err err;
	int sig, rc = CLI_EXIT_OK;

	err = parse_options(&a, argc, argv, &help, &diag);
	if (err)
		return cli_fail(err, &diag);
	if (help) {
		fputs(serve_usage, stdout);
		return CLI_EXIT_OK;
	}
	a.o.trusted = a.trusted;
	if (a.cert_path &&
	    ((err = cli_read_file(a.cert_path, SERVE_PEM_MAX, &a.cert, &len, &diag)) ||
	     (err = cli_read_file(a.key_path, SERVE_PEM_MAX, &a.key, &len, &diag)))) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	a.o.tls_cert = a.cert;
	a.o.tls_key = a.key;
	err = kb_load_builtin(&kb, &diag);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	a.o.kb = kb;
	/* Block the signals before any thread starts, so only sigwait() below sees them; a
	 * visitor who leaves must not kill the server with SIGPIPE either. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	err = serve_start(&a.o, &srv, &diag);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	fprintf(stderr,
		"portsight serve: listening on %s (max %u scans, %u per address per hour, "
		"%" PRIu32 " probes/s)\n",
		a.o.listen, a.o.max_scans, a.o.quota, a.o.max_rate);
	sigwait(&set, &sig);
	fprintf(stderr, "portsight serve: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	serve_stop(srv);
out:
	kb_free(kb);
	free(a.cert);
	free(a.key);
	return rc;
}
