/* SPDX-License-Identifier: MIT */
/*
 * portsight local: which programs listen here and who can reach them. The audit library
 * collects and builds the JSON; this file only prints (a text table or JSON Lines) and explains
 * what it could not see.
 */
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/advice.h"
#include "audit/audit.h"
#include "audit/audit_json.h"
#include "audit/verdict.h"
#include "core/textclean.h"
#include "args.h"
#include "cli.h"
#include "local_view.h"

enum local_format { LOCAL_TEXT, LOCAL_JSONL };

struct local_args {
	enum local_format format;
	const char *output;
	bool advice;
	struct audit_opts opts;
};

static void local_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: portsight local [OPTIONS]\n\n"
	    "Lists every listening TCP socket and every unconnected UDP socket (IPv4 and IPv6),\n"
	    "the processes holding them, how exposed each is, and what the nftables ruleset\n"
	    "would do with a new connection from another host.\n\n"
	    "  --format text|jsonl  output format (default text)\n"
	    "  -o, --output FILE    write there instead of standard output\n"
	    "  --netns NAME         audit the network namespace /run/netns/NAME\n"
	    "  --tcp, --udp         only that protocol\n"
	    "  --no-firewall        do not read the nftables ruleset\n"
	    "  --no-kb              no service names, no trojan-port warnings\n"
	    "  --advice             add what to do about each exposed port\n"
	    "  -h, --help           this text\n\n"
	    "Without root, sockets of other users' processes are listed without an owner;\n"
	    "the summary says how many.\n"
	    "Exit status: 0 nothing found, 1 a finding: a port other hosts can reach (Open:\n"
	    "bound beyond loopback, and the firewall accepts or none was judged) or a warning\n"
	    "(a visible program on a trojan port or not what the port usually runs, an ad-hoc\n"
	    "listener); 2 usage, 3 failure.\n");
}

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct local_args *a)
{
	enum { OPT_FORMAT = 256, OPT_NETNS, OPT_TCP, OPT_UDP, OPT_NOFW, OPT_NOKB, OPT_ADVICE };
	char optbuf[3];
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"output", required_argument, NULL, 'o'},
	    {"netns", required_argument, NULL, OPT_NETNS},
	    {"tcp", no_argument, NULL, OPT_TCP},
	    {"udp", no_argument, NULL, OPT_UDP},
	    {"no-firewall", no_argument, NULL, OPT_NOFW},
	    {"no-kb", no_argument, NULL, OPT_NOKB},
	    {"advice", no_argument, NULL, OPT_ADVICE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool only_tcp = false, only_udp = false;
	int c;

	memset(a, 0, sizeof(*a));
	audit_opts_init(&a->opts);
	a->opts.load_kb = true;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if (!strcmp(optarg, "text")) {
				a->format = LOCAL_TEXT;
			} else if (!strcmp(optarg, "jsonl")) {
				a->format = LOCAL_JSONL;
			} else {
				cli_error("local: unknown format '%s' (text or jsonl)", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_NETNS:
			a->opts.netns = optarg;
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
			a->opts.load_kb = false;
			break;
		case OPT_ADVICE:
			a->advice = true;
			break;
		case 'h':
			local_usage(stdout);
			return CLI_EXIT_OK;
		default:
			cli_error("local: unknown or incomplete option '%s' (see 'portsight local "
				  "--help')",
				  cli_bad_option(argv, optbuf));
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("local: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (only_tcp || only_udp) {
		a->opts.tcp = only_tcp;
		a->opts.udp = only_udp;
	}
	return -1;
}

/* ---- text --------------------------------------------------------------------------------- */

/* Process names, units and cmdlines belong to whoever started the process: a name holding
 * terminal escapes must not reach the terminal. s may be buf. */
const char *local_printable(const char *s, char *buf, size_t len)
{
	text_clean_mem(buf, len, s, strlen(s), TEXT_TERMINAL);
	return buf;
}

void local_owner_text(const struct audit_report *r, const struct audit_socket *s, char *buf,
		      size_t len)
{
	const struct audit_proc *p;

	if (!s->nprocs) {
		snprintf(buf, len, "?");
		return;
	}
	p = &r->procs[s->procs[0]];
	if (s->nprocs > 1)
		snprintf(buf, len, "%s[%d]+%zu", p->comm, (int)p->pid, s->nprocs - 1);
	else
		snprintf(buf, len, "%s[%d]", p->comm, (int)p->pid);
}

void local_print_warnings(FILE *out, const struct audit_report *r)
{
	size_t i;

	for (i = 0; i < r->nsocks; i++) {
		const struct audit_socket *s = &r->socks[i];
		char text[sizeof(s->warn_text)];

		if (s->warn && !audit_warning_repeats(r, i))
			fprintf(out, "warning: %s/%u: %s\n", audit_proto_name(s->proto), s->port,
				local_printable(s->warn_text, text, sizeof(text)));
	}
	/* Only another user's process hides its owner; a socket held by no process is the
	 * kernel's, and the summary note says so. */
	for (i = 0; r->nprocs_fd_denied && i < r->nsocks; i++) {
		const struct audit_socket *s = &r->socks[i];

		if (s->owner_unseen && !audit_unseen_repeats(r, i))
			fprintf(out, "note: %s/%u: owner not visible (run as root to see it)\n",
				audit_proto_name(s->proto), s->port);
	}
}

void local_print_notes(FILE *out, const struct audit_report *r)
{
	struct audit_verdict v;
	size_t i, ntcp = 0;

	for (i = 0; i < r->nsocks; i++)
		ntcp += r->socks[i].proto == IPPROTO_TCP;
	/* Per port, in the words of the OUTSIDE column and the verdict (audit/verdict.h). */
	audit_verdict_of(r, NULL, &v);
	fprintf(out,
		"\n%zu sockets (%zu TCP listening, %zu UDP) on %zu ports: %zu Open to other hosts, "
		"%zu Stealth, %zu Closed, %zu firewall unknown, %zu loopback-only; %zu with "
		"warnings; network namespace %llu\n",
		r->nsocks, ntcp, r->nsocks - ntcp, v.ports, v.open, v.stealth, v.closed, v.unknown,
		v.loopback_only, v.warnings, (unsigned long long)r->netns_ino);
	if (r->nsocks_unowned)
		fprintf(out, "note: %zu sockets whose owner could not be read%s\n",
			r->nsocks_unowned,
			r->nprocs_fd_denied ? " (other users' processes: run as root to see them)"
					    : " (held by no process, e.g. the kernel)");
	if (r->nprocs_fd_denied)
		fprintf(out, "note: %zu processes whose open files could not be read\n",
			r->nprocs_fd_denied);
	if (r->nprocs_vanished)
		fprintf(out, "note: %zu processes exited during the scan\n", r->nprocs_vanished);
	if (r->nmsgs_malformed)
		fprintf(out, "note: %zu kernel messages could not be parsed and were skipped\n",
			r->nmsgs_malformed);
	if (r->dump_interrupted)
		fprintf(out, "note: sockets changed during the listing; it may be incomplete\n");
	if (r->dump_cut_short)
		fprintf(out,
			"note: the kernel's answer was cut short (%s); sockets may be missing\n",
			r->dump_note);
	if (r->udp_unavailable)
		fprintf(out, "note: UDP sockets are not listed (udp_diag not available)\n");
	if (r->fw_note[0])
		fprintf(out, "note: firewall verdicts unknown: %s\n", r->fw_note);
	if (r->kb_note[0])
		fprintf(out, "note: %s\n", r->kb_note);
}

static void print_text(FILE *out, const struct audit_report *r, bool advice)
{
	size_t i, k;

	fprintf(out, "%-8s %-5s %-26s %5s %-6s %-8s %-10s %-22s %-20s %s\n", "EXPOSURE", "PROTO",
		"ADDRESS", "PORT", "V6ONLY", "FIREWALL", "USER", "PROCESS", "UNIT", "SERVICE");
	for (i = 0; i < r->nsocks; i++) {
		const struct audit_socket *s = &r->socks[i];
		const struct audit_proc *p = s->nprocs ? &r->procs[s->procs[0]] : NULL;
		char addr[PS_ADDR_STRLEN + 17], owner[64], user[AUDIT_USER_MAX], unit[64];
		char service[48];

		ps_addr_format(&s->addr, addr, sizeof(addr));
		if (s->device[0]) /* ss writes a device-bound address as addr%dev too */
			snprintf(addr + strlen(addr), sizeof(addr) - strlen(addr), "%%%s",
				 s->device);
		local_owner_text(r, s, owner, sizeof(owner));
		if (s->user[0])
			snprintf(user, sizeof(user), "%s", s->user);
		else
			snprintf(user, sizeof(user), "%u", s->uid);
		fprintf(out, "%-8s %-5s %-26s %5u %-6s %-8s %-10s %-22s %-20s %s\n",
			audit_exposure_name(s->exposure), audit_proto_name(s->proto), addr, s->port,
			s->v6only < 0 ? "-" : (s->v6only ? "yes" : "no"),
			audit_fw_verdict_name(s->fw), local_printable(user, user, sizeof(user)),
			local_printable(owner, owner, sizeof(owner)),
			p && p->unit ? local_printable(p->unit, unit, sizeof(unit)) : "-",
			s->service[0] ? local_printable(s->service, service, sizeof(service)) : "-");
	}
	local_print_warnings(out, r);
	for (i = 0; advice && i < r->nsocks; i++) {
		const struct audit_socket *s = &r->socks[i];
		struct audit_advice adv[AUDIT_ADVICE_MAX];
		char text[sizeof(adv[0].command)];
		size_t n;

		if (s->exposure == AUDIT_EXPOSE_LOOPBACK)
			continue;
		n = audit_advise(r, s, adv);
		fprintf(out, "\n%s/%u:\n", audit_proto_name(s->proto), s->port);
		for (k = 0; k < n; k++) {
			fprintf(out, "  - %s\n", local_printable(adv[k].text, text, sizeof(text)));
			if (adv[k].command[0])
				fprintf(out, "      %s\n",
					local_printable(adv[k].command, text, sizeof(text)));
		}
	}
	local_print_notes(out, r);
}

/* ---- JSON Lines ----------------------------------------------------------------------------- */

/*
 * Into a buffer, then one write: json_dumpf writes token by token through stdio, which was a
 * fifth of `local`'s time with 5000 sockets (callgrind).
 */
static enum ps_err dump_line(FILE *out, json_t *obj)
{
	char stack[4096], *buf = stack;
	size_t need;
	int failed;

	if (!obj)
		return PS_ERR_NOMEM;
	need = json_dumpb(obj, stack, sizeof(stack) - 1, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (need >= sizeof(stack) - 1) {
		buf = malloc(need + 1);
		if (buf && json_dumpb(obj, buf, need, JSON_COMPACT | JSON_PRESERVE_ORDER) != need)
			need = 0;
	}
	json_decref(obj);
	if (!buf || !need) {
		if (buf != stack)
			free(buf);
		return need ? PS_ERR_NOMEM : PS_ERR_IO;
	}
	buf[need] = '\n';
	failed = fwrite(buf, 1, need + 1, out) != need + 1;
	if (buf != stack)
		free(buf);
	return failed ? PS_ERR_IO : PS_OK;
}

static enum ps_err print_jsonl(FILE *out, const struct audit_report *r, bool advice,
			       const char *netns)
{
	struct audit_json_cache cache;
	enum ps_err err = PS_OK;
	size_t i;

	audit_json_cache_init(&cache);
	for (i = 0; !err && i < r->nsocks; i++)
		err = dump_line(out, audit_socket_json_cached(&cache, r, &r->socks[i], advice));
	audit_json_cache_release(&cache);
	if (!err)
		err = dump_line(out, audit_summary_json(r, netns));
	return err;
}

int cmd_local(int argc, char **argv)
{
	struct local_args a;
	struct audit_report r;
	struct audit_verdict verdict;
	struct ps_diag diag = {{0}};
	enum ps_err err;
	FILE *out = stdout;
	bool write_failed;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	/* A bad -o path is a usage error, found before the sockets are read. */
	if (a.output && !(out = fopen(a.output, "w"))) {
		cli_error("local: cannot write %s: %m", a.output);
		return CLI_EXIT_USAGE;
	}
	err = audit_run(&a.opts, &r, &diag);
	if (err) {
		if (out != stdout)
			fclose(out);
		return cli_fail(err, &diag);
	}
	audit_report_sort(&r);
	rc = CLI_EXIT_OK;
	/* Thousands of short lines: one big buffer, whatever the stream is. */
	setvbuf(out, NULL, _IOFBF, 1 << 16);
	if (a.format == LOCAL_JSONL) {
		err = print_jsonl(out, &r, a.advice, a.opts.netns);
	} else {
		print_text(out, &r, a.advice);
	}
	write_failed = err == PS_ERR_IO || ferror(out);
	if (out != stdout && fclose(out))
		write_failed = true;
	if (err == PS_ERR_NOMEM) {
		rc = cli_fail(err, NULL);
	} else if (write_failed) {
		cli_error("local: writing %s failed", a.output ? a.output : "standard output");
		rc = CLI_EXIT_FAILURE;
	}
	/* The exit-code rule of check too: 1 for a finding, a port Open to other hosts or a
	 * warning. */
	audit_verdict_of(&r, NULL, &verdict);
	if (rc == CLI_EXIT_OK && verdict.findings)
		rc = CLI_EXIT_FINDINGS;
	audit_report_release(&r);
	return rc;
}
