/* SPDX-License-Identifier: MIT */
/*
 * portsight local: which programs listen here and who can reach them. The audit library
 * collects; this file only renders (a text table or JSON Lines) and explains what it could not
 * see.
 */
#include <getopt.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/advice.h"
#include "audit/audit.h"
#include "cli.h"

enum local_format { LOCAL_TEXT, LOCAL_JSONL };

struct local_args {
	enum local_format format;
	const char *output;
	bool advice;
	struct audit_opts opts;
};

static void local_usage(FILE *out)
{
	fprintf(out,
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
		"Exit code 1 when a socket gets a warning (trojan port, unexpected program).\n");
}

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct local_args *a)
{
	enum { OPT_FORMAT = 256, OPT_NETNS, OPT_TCP, OPT_UDP, OPT_NOFW, OPT_NOKB, OPT_ADVICE };
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
				  argv[optind - 1]);
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

static void owner_text(const struct audit_report *r, const struct audit_socket *s, char *buf,
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

static void print_summary_text(FILE *out, const struct audit_report *r)
{
	size_t i, ntcp = 0, nexposed = 0, nwarn = 0;

	for (i = 0; i < r->nsocks; i++) {
		ntcp += r->socks[i].proto == IPPROTO_TCP;
		nexposed += r->socks[i].exposure != AUDIT_EXPOSE_LOOPBACK &&
			    r->socks[i].fw != AUDIT_FW_DROP && r->socks[i].fw != AUDIT_FW_REJECT;
		nwarn += r->socks[i].warn != 0;
	}
	fprintf(out, "\n%zu sockets (%zu TCP listening, %zu UDP), %zu reachable from other hosts, "
		     "%zu with warnings; network namespace %llu\n",
		r->nsocks, ntcp, r->nsocks - ntcp, nexposed, nwarn,
		(unsigned long long)r->netns_ino);
	if (r->nsocks_unowned)
		fprintf(out, "note: %zu sockets whose owner could not be read%s\n", r->nsocks_unowned,
			r->nprocs_fd_denied ? " (other users' processes: run as root to see them)" :
					      " (held by no process, e.g. the kernel)");
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
		char addr[PS_ADDR_STRLEN], owner[64], user[AUDIT_USER_MAX];

		ps_addr_format(&s->addr, addr, sizeof(addr));
		owner_text(r, s, owner, sizeof(owner));
		if (s->user[0])
			snprintf(user, sizeof(user), "%s", s->user);
		else
			snprintf(user, sizeof(user), "%u", s->uid);
		fprintf(out, "%-8s %-5s %-26s %5u %-6s %-8s %-10s %-22s %-20s %s\n",
			audit_exposure_name(s->exposure), audit_proto_name(s->proto), addr, s->port,
			s->v6only < 0 ? "-" : (s->v6only ? "yes" : "no"),
			audit_fw_verdict_name(s->fw), user, owner,
			p && p->unit ? p->unit : "-", s->service[0] ? s->service : "-");
	}
	for (i = 0; i < r->nsocks; i++) {
		const struct audit_socket *s = &r->socks[i];

		if (s->warn)
			fprintf(out, "warning: %s/%u: %s\n", audit_proto_name(s->proto), s->port,
				s->warn_text);
	}
	for (i = 0; advice && i < r->nsocks; i++) {
		const struct audit_socket *s = &r->socks[i];
		struct audit_advice adv[AUDIT_ADVICE_MAX];
		size_t n;

		if (s->exposure == AUDIT_EXPOSE_LOOPBACK)
			continue;
		n = audit_advise(r, s, adv);
		fprintf(out, "\n%s/%u:\n", audit_proto_name(s->proto), s->port);
		for (k = 0; k < n; k++) {
			fprintf(out, "  - %s\n", adv[k].text);
			if (adv[k].command[0])
				fprintf(out, "      %s\n", adv[k].command);
		}
	}
	print_summary_text(out, r);
}

/* ---- JSON Lines ----------------------------------------------------------------------------- */

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *proc_json(const struct audit_proc *p)
{
	return json_pack("{s:i, s:s, s:o, s:o, s:o}", "pid", (int)p->pid, "name", p->comm,
			 "cmdline", jstr_or_null(p->cmdline), "exe", jstr_or_null(p->exe), "unit",
			 jstr_or_null(p->unit));
}

static json_t *warnings_json(unsigned warn)
{
	json_t *a = json_array();

	if (warn & AUDIT_WARN_TROJAN)
		json_array_append_new(a, json_string("trojan-port"));
	if (warn & AUDIT_WARN_UNEXPECTED)
		json_array_append_new(a, json_string("unexpected-program"));
	if (warn & AUDIT_WARN_ADHOC)
		json_array_append_new(a, json_string("ad-hoc-listener"));
	return a;
}

static json_t *advice_json(const struct audit_report *r, const struct audit_socket *s)
{
	struct audit_advice adv[AUDIT_ADVICE_MAX];
	size_t k, n = audit_advise(r, s, adv);
	json_t *a = json_array();

	for (k = 0; k < n; k++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "kind",
						   audit_advice_kind_name(adv[k].kind), "text",
						   adv[k].text, "command",
						   adv[k].command[0] ? json_string(adv[k].command) :
								       json_null()));
	return a;
}

static json_t *socket_json(const struct audit_report *r, const struct audit_socket *s,
			   bool advice)
{
	char addr[PS_ADDR_STRLEN];
	json_t *procs = json_array(), *o;
	size_t k;

	for (k = 0; k < s->nprocs; k++)
		json_array_append_new(procs, proc_json(&r->procs[s->procs[k]]));
	ps_addr_format(&s->addr, addr, sizeof(addr));
	o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:b, s:b, s:o, s:I, s:I, s:o, s:I, s:I}",
		      "type", "socket", "proto", audit_proto_name(s->proto), "address", addr, "port",
		      (int)s->port, "state", audit_state_name(s->state), "exposure",
		      audit_exposure_name(s->exposure), "accepts_ipv4", s->accepts_v4,
		      "accepts_ipv6", s->accepts_v6, "v6only",
		      s->v6only < 0 ? json_null() : json_boolean(s->v6only), "ifindex",
		      (json_int_t)s->ifindex, "uid", (json_int_t)s->uid, "user",
		      s->user[0] ? json_string(s->user) : json_null(), "inode",
		      (json_int_t)s->inode, "netns", (json_int_t)r->netns_ino);
	if (!o) {
		json_decref(procs);
		return NULL;
	}
	json_object_set_new(o, "firewall", json_string(audit_fw_verdict_name(s->fw)));
	json_object_set_new(o, "firewall_ipv4", json_string(audit_fw_verdict_name(s->fw_v4)));
	json_object_set_new(o, "firewall_ipv6", json_string(audit_fw_verdict_name(s->fw_v6)));
	json_object_set_new(o, "firewall_why", s->fw_why[0] ? json_string(s->fw_why) : json_null());
	json_object_set_new(o, "service", s->service[0] ? json_string(s->service) : json_null());
	json_object_set_new(o, "warnings", warnings_json(s->warn));
	json_object_set_new(o, "warning", s->warn_text[0] ? json_string(s->warn_text) : json_null());
	json_object_set_new(o, "processes", procs);
	if (advice)
		json_object_set_new(o, "advice", advice_json(r, s));
	return o;
}

static json_t *summary_json(const struct audit_report *r)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:s, s:b}", "type",
			      "summary", "sockets", (json_int_t)r->nsocks, "unowned",
			      (json_int_t)r->nsocks_unowned, "procs_fd_denied",
			      (json_int_t)r->nprocs_fd_denied, "procs_vanished",
			      (json_int_t)r->nprocs_vanished, "malformed_messages",
			      (json_int_t)r->nmsgs_malformed, "netns", (json_int_t)r->netns_ino,
			      "dump_interrupted", r->dump_interrupted, "udp_unavailable",
			      r->udp_unavailable, "firewall", audit_fw_verdict_name(r->fw_state),
			      "kb", r->kb_joined);

	if (o) {
		json_object_set_new(o, "firewall_note",
				    r->fw_note[0] ? json_string(r->fw_note) : json_null());
		json_object_set_new(o, "kb_note", r->kb_note[0] ? json_string(r->kb_note) : json_null());
	}
	return o;
}

static int print_line(FILE *out, json_t *o)
{
	char *line;

	if (!o)
		return -1;
	line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!line)
		return -1;
	fprintf(out, "%s\n", line);
	free(line);
	return 0;
}

static int print_jsonl(FILE *out, const struct audit_report *r, bool advice)
{
	size_t i;

	for (i = 0; i < r->nsocks; i++)
		if (print_line(out, socket_json(r, &r->socks[i], advice)))
			return -1;
	return print_line(out, summary_json(r));
}

int cmd_local(int argc, char **argv)
{
	struct local_args a;
	struct audit_report r;
	struct ps_diag diag = {{0}};
	enum ps_err err;
	FILE *out = stdout;
	int rc;
	size_t i;

	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	err = audit_run(&a.opts, &r, &diag);
	if (err)
		return cli_fail(err, &diag);
	audit_report_sort(&r);
	if (a.output && !(out = fopen(a.output, "w"))) {
		cli_error("local: cannot write %s: %m", a.output);
		audit_report_release(&r);
		return CLI_EXIT_FAILURE;
	}
	rc = CLI_EXIT_OK;
	if (a.format == LOCAL_JSONL) {
		if (print_jsonl(out, &r, a.advice)) {
			cli_error("local: out of memory while writing JSON");
			rc = CLI_EXIT_FAILURE;
		}
	} else {
		print_text(out, &r, a.advice);
	}
	if (ferror(out) || (out != stdout && fclose(out))) {
		cli_error("local: writing %s failed", a.output ? a.output : "standard output");
		rc = CLI_EXIT_FAILURE;
	}
	for (i = 0; rc == CLI_EXIT_OK && i < r.nsocks; i++)
		if (r.socks[i].warn)
			rc = CLI_EXIT_FINDINGS;
	audit_report_release(&r);
	return rc;
}
