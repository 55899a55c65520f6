/* SPDX-License-Identifier: MIT */
/*
 * portsight local: which programs listen here and who can reach them. The audit library
 * collects; this file only renders (a text table or JSON Lines) and explains what it could not
 * see.
 */
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/advice.h"
#include "audit/audit.h"
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
	    "Exit code 1 when a socket gets a warning (trojan port, unexpected program).\n");
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
 * terminal escapes must not reach the terminal. Copies s to buf with control bytes as '?'. */
const char *local_printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (char)((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i]);
	buf[i] = '\0';
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

void local_print_notes(FILE *out, const struct audit_report *r)
{
	size_t i, ntcp = 0, nexposed = 0, nwarn = 0;

	for (i = 0; i < r->nsocks; i++) {
		ntcp += r->socks[i].proto == IPPROTO_TCP;
		nexposed += r->socks[i].exposure != AUDIT_EXPOSE_LOOPBACK &&
			    r->socks[i].fw != AUDIT_FW_DROP && r->socks[i].fw != AUDIT_FW_REJECT;
		nwarn += r->socks[i].warn != 0;
	}
	fprintf(out,
		"\n%zu sockets (%zu TCP listening, %zu UDP), %zu reachable from other hosts, "
		"%zu with warnings; network namespace %llu\n",
		r->nsocks, ntcp, r->nsocks - ntcp, nexposed, nwarn,
		(unsigned long long)r->netns_ino);
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
	for (i = 0; i < r->nsocks; i++) {
		const struct audit_socket *s = &r->socks[i];
		char text[sizeof(s->warn_text)];

		if (s->warn)
			fprintf(out, "warning: %s/%u: %s\n", audit_proto_name(s->proto), s->port,
				local_printable(s->warn_text, text, sizeof(text)));
	}
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
 * A small streaming JSON writer: one record per line, written straight to the stream. It
 * escapes what JSON requires and replaces bytes that are not UTF-8 (a cmdline can hold
 * anything) with U+FFFD, so every line parses.
 */
struct jw {
	FILE *f;
	bool first; /* no comma before the next member */
};

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when it is not valid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, cp = p[0] & 0x1fu;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, cp = p[0] & 0x0fu;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, cp = p[0] & 0x07u;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void jw_string(struct jw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	fputc('"', w->f);
	while (n > 0) {
		size_t len = 0;

		/* Most text needs no escaping: write it in runs. */
		while (len < n && json_plain(p[len]))
			len++;
		/* First and last branch both write bytes through, for different reasons. */
		if (len) { // NOLINT(bugprone-branch-clone)
			fwrite(p, 1, len, w->f);
		} else if ((len = utf8_len(p, n)) == 0) {
			fputs("\\ufffd", w->f);
			len = 1;
		} else if (*p == '"' || *p == '\\') {
			fputc('\\', w->f);
			fputc(*p, w->f);
		} else if (*p == '\n') {
			fputs("\\n", w->f);
		} else if (*p == '\t') {
			fputs("\\t", w->f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(w->f, "\\u%04x", *p);
		} else {
			fwrite(p, 1, len, w->f);
		}
		p += len;
		n -= len;
	}
	fputc('"', w->f);
}

static void jw_open(struct jw *w, char c)
{
	fputc(c, w->f);
	w->first = true;
}

static void jw_close(struct jw *w, char c)
{
	fputc(c, w->f);
	w->first = false;
}

static void jw_key(struct jw *w, const char *key)
{
	if (!w->first)
		fputc(',', w->f);
	w->first = false;
	if (key) {
		jw_string(w, key);
		fputc(':', w->f);
	}
}

static void jw_str(struct jw *w, const char *key, const char *val)
{
	jw_key(w, key);
	if (val)
		jw_string(w, val);
	else
		fputs("null", w->f);
}

/* An empty string means "none" in our structs: null in JSON. */
static void jw_str_or_null(struct jw *w, const char *key, const char *val)
{
	jw_str(w, key, val && val[0] ? val : NULL);
}

static void jw_u64(struct jw *w, const char *key, unsigned long long v)
{
	jw_key(w, key);
	fprintf(w->f, "%llu", v);
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	fputs(v ? "true" : "false", w->f);
}

static void jw_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	fputs("null", w->f);
}

static void proc_json(struct jw *w, const struct audit_proc *p)
{
	jw_key(w, NULL);
	jw_open(w, '{');
	jw_u64(w, "pid", (unsigned long long)p->pid);
	jw_str(w, "name", p->comm);
	jw_str(w, "cmdline", p->cmdline);
	jw_str(w, "exe", p->exe);
	jw_str(w, "unit", p->unit);
	jw_close(w, '}');
}

static void warnings_json(struct jw *w, unsigned warn)
{
	jw_key(w, "warnings");
	jw_open(w, '[');
	if (warn & AUDIT_WARN_TROJAN)
		jw_str(w, NULL, "trojan-port");
	if (warn & AUDIT_WARN_UNEXPECTED)
		jw_str(w, NULL, "unexpected-program");
	if (warn & AUDIT_WARN_ADHOC)
		jw_str(w, NULL, "ad-hoc-listener");
	jw_close(w, ']');
}

static void advice_json(struct jw *w, const struct audit_report *r, const struct audit_socket *s)
{
	struct audit_advice adv[AUDIT_ADVICE_MAX];
	size_t k, n = audit_advise(r, s, adv);

	jw_key(w, "advice");
	jw_open(w, '[');
	for (k = 0; k < n; k++) {
		jw_key(w, NULL);
		jw_open(w, '{');
		jw_str(w, "kind", audit_advice_kind_name(adv[k].kind));
		jw_str(w, "text", adv[k].text);
		jw_str_or_null(w, "command", adv[k].command);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void socket_json(FILE *out, const struct audit_report *r, const struct audit_socket *s,
			bool advice)
{
	struct jw w = {.f = out};
	char addr[PS_ADDR_STRLEN];
	size_t k;

	ps_addr_format(&s->addr, addr, sizeof(addr));
	jw_open(&w, '{');
	jw_str(&w, "type", "socket");
	jw_str(&w, "proto", audit_proto_name(s->proto));
	jw_str(&w, "address", addr);
	jw_u64(&w, "port", s->port);
	jw_str(&w, "state", audit_state_name(s->state));
	jw_str(&w, "exposure", audit_exposure_name(s->exposure));
	jw_bool(&w, "accepts_ipv4", s->accepts_v4);
	jw_bool(&w, "accepts_ipv6", s->accepts_v6);
	if (s->v6only < 0)
		jw_null(&w, "v6only");
	else
		jw_bool(&w, "v6only", s->v6only);
	jw_u64(&w, "ifindex", s->ifindex);
	jw_str_or_null(&w, "device", s->device);
	jw_u64(&w, "uid", s->uid);
	jw_str_or_null(&w, "user", s->user);
	jw_u64(&w, "inode", s->inode);
	jw_u64(&w, "netns", r->netns_ino);
	jw_str(&w, "firewall", audit_fw_verdict_name(s->fw));
	jw_str(&w, "firewall_ipv4", audit_fw_verdict_name(s->fw_v4));
	jw_str(&w, "firewall_ipv6", audit_fw_verdict_name(s->fw_v6));
	jw_str_or_null(&w, "firewall_why", s->fw_why);
	jw_str_or_null(&w, "service", s->service);
	warnings_json(&w, s->warn);
	jw_str_or_null(&w, "warning", s->warn_text);
	jw_key(&w, "processes");
	jw_open(&w, '[');
	for (k = 0; k < s->nprocs; k++)
		proc_json(&w, &r->procs[s->procs[k]]);
	jw_close(&w, ']');
	if (advice)
		advice_json(&w, r, s);
	jw_close(&w, '}');
	fputc('\n', out);
}

static void summary_json(FILE *out, const struct audit_report *r, const char *netns)
{
	struct jw w = {.f = out};

	jw_open(&w, '{');
	jw_str(&w, "type", "summary");
	jw_u64(&w, "sockets", r->nsocks);
	jw_u64(&w, "unowned", r->nsocks_unowned);
	jw_u64(&w, "procs_fd_denied", r->nprocs_fd_denied);
	jw_u64(&w, "procs_vanished", r->nprocs_vanished);
	jw_u64(&w, "malformed_messages", r->nmsgs_malformed);
	jw_u64(&w, "netns", r->netns_ino);
	jw_str(&w, "netns_name", netns);
	jw_bool(&w, "dump_interrupted", r->dump_interrupted);
	jw_str_or_null(&w, "dump_note", r->dump_cut_short ? r->dump_note : NULL);
	jw_bool(&w, "udp_unavailable", r->udp_unavailable);
	jw_str(&w, "firewall", audit_fw_verdict_name(r->fw_state));
	jw_str_or_null(&w, "firewall_note", r->fw_note);
	jw_bool(&w, "kb", r->kb_joined);
	jw_str_or_null(&w, "kb_note", r->kb_note);
	jw_close(&w, '}');
	fputc('\n', out);
}

static void print_jsonl(FILE *out, const struct audit_report *r, bool advice, const char *netns)
{
	size_t i;

	for (i = 0; i < r->nsocks; i++)
		socket_json(out, r, &r->socks[i], advice);
	summary_json(out, r, netns);
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
		print_jsonl(out, &r, a.advice, a.opts.netns);
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
