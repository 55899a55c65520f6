/* SPDX-License-Identifier: MIT */
/*
 * portsight harden: closes what should not be open in a table of its own. The harden library
 * plans and talks to nftables; this file reads the options and the SSH session, prints the
 * plan, and owns the wait for --confirm (its clock and signals) and the rollback after it.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "audit/audit.h"
#include "cli.h"
#include "core/textclean.h"
#include "harden/harden.h"
#include "kb/kb.h"

#define HARDEN_STATE_DIR "/run/portsight"

struct harden_args {
	struct harden_opts opts;
	bool apply, confirm, undo;
	unsigned long long timeout;
	const char *state_dir;
};

static void harden_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: portsight harden [OPTIONS]\n\n"
	    "Plans an nftables table of its own (inet portsight) that drops new inbound\n"
	    "connections to every exposed port not allowed, IPv4 and IPv6, TCP and UDP, leaving\n"
	    "loopback, established traffic and every other table alone; prints it and what\n"
	    "becomes Stealth or stays Open. Nothing changes without --apply.\n\n"
	    "  --allow LIST      keep these open: ssh,443/tcp,53/udp,8000-8100 (repeatable)\n"
	    "  --refuse LIST     close these even if allowed by default (ssh is kept unless\n"
	    "                    refused; the port of the SSH session in use is never closed)\n"
	    "  --mode drop|reject  drop: no answer (Stealth, default); reject: Closed\n"
	    "  --stealth-ping    also drop ICMP and ICMPv6 echo requests\n"
	    "  --apply           load the table (checked first, one transaction) and roll it back\n"
	    "                    unless 'portsight harden --confirm' follows within --timeout\n"
	    "  --timeout SECONDS how long --apply waits for --confirm (default 30; 0 = keep\n"
	    "                    without asking)\n"
	    "  --confirm         keep the table a waiting --apply loaded\n"
	    "  --undo            remove table inet portsight (and nothing else)\n"
	    "  --state-dir DIR   where --apply and --confirm meet (default " HARDEN_STATE_DIR ")\n"
	    "  -h, --help        this text\n\n"
	    "Exit codes: dry run 1 when ports would change, 0 when none; --apply 0 once\n"
	    "confirmed, 1 when rolled back; 3 when nftables refused (nothing applied then).\n");
}

static int parse_args(int argc, char **argv, struct harden_args *a, const struct kb *kb)
{
	enum {
		OPT_ALLOW = 256,
		OPT_REFUSE,
		OPT_MODE,
		OPT_PING,
		OPT_APPLY,
		OPT_TIMEOUT,
		OPT_CONFIRM,
		OPT_UNDO,
		OPT_STATE
	};
	static const struct option longopts[] = {
	    {"allow", required_argument, NULL, OPT_ALLOW},
	    {"refuse", required_argument, NULL, OPT_REFUSE},
	    {"mode", required_argument, NULL, OPT_MODE},
	    {"stealth-ping", no_argument, NULL, OPT_PING},
	    {"apply", no_argument, NULL, OPT_APPLY},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"confirm", no_argument, NULL, OPT_CONFIRM},
	    {"undo", no_argument, NULL, OPT_UNDO},
	    {"state-dir", required_argument, NULL, OPT_STATE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ps_diag diag = {{0}};
	char optbuf[3];
	int c;

	memset(a, 0, sizeof(*a));
	harden_opts_init(&a->opts);
	a->timeout = 30;
	a->state_dir = HARDEN_STATE_DIR;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ALLOW:
		case OPT_REFUSE:
			if (harden_ports_parse(optarg, kb,
					       c == OPT_ALLOW ? &a->opts.allow : &a->opts.refuse,
					       &diag)) {
				cli_error("harden: --%s: %s", c == OPT_ALLOW ? "allow" : "refuse",
					  diag.msg);
				return CLI_EXIT_USAGE;
			}
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "drop")) {
				a->opts.mode = HARDEN_DROP;
			} else if (!strcmp(optarg, "reject")) {
				a->opts.mode = HARDEN_REJECT;
			} else {
				cli_error("harden: unknown mode '%s' (drop or reject)", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case OPT_PING:
			a->opts.stealth_ping = true;
			break;
		case OPT_APPLY:
			a->apply = true;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_u64("--timeout", optarg, 0, 86400, &a->timeout, &diag)) {
				cli_error("harden: %s", diag.msg);
				return CLI_EXIT_USAGE;
			}
			break;
		case OPT_CONFIRM:
			a->confirm = true;
			break;
		case OPT_UNDO:
			a->undo = true;
			break;
		case OPT_STATE:
			a->state_dir = optarg;
			break;
		case 'h':
			harden_usage(stdout);
			return CLI_EXIT_OK;
		default:
			cli_error(
			    "harden: unknown or incomplete option '%s' (see 'portsight harden "
			    "--help')",
			    cli_bad_option(argv, optbuf));
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("harden: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (a->apply + a->confirm + a->undo > 1) {
		cli_error("harden: --apply, --confirm and --undo go one at a time");
		return CLI_EXIT_USAGE;
	}
	/* The refusal of ssh by name lifts the default: the user said it. */
	for (c = 0; (size_t)c < a->opts.refuse.n; c++)
		if (!strcmp(a->opts.refuse.v[c].name, "ssh"))
			a->opts.keep_ssh = false;
	return -1;
}

/* SSH_CONNECTION is "client_ip client_port server_ip server_port" (ssh(1), ENVIRONMENT). */
static uint16_t ssh_session_port(void)
{
	const char *s = getenv("SSH_CONNECTION");
	unsigned long port;
	char *end;
	int i;

	if (!s)
		return 0;
	for (i = 0; i < 3; i++) {
		s = strchr(s, ' ');
		if (!s)
			return 0;
		s++;
	}
	port = strtoul(s, &end, 10);
	return end != s && port >= 1 && port <= 65535 ? (uint16_t)port : 0;
}

static enum ps_err audit_now(const struct kb *kb, struct audit_report *r, struct ps_diag *diag)
{
	struct audit_opts ao;

	audit_opts_init(&ao);
	ao.kb = kb;
	return audit_run(&ao, r, diag);
}

static void print_plan(const struct harden_plan *p, const char *rules, const struct audit_report *r)
{
	size_t i;

	printf("%-10s %-16s %-9s %-8s %-8s %s\n", "PORT", "PROGRAM", "EXPOSURE", "NOW", "AFTER",
	       "WHY");
	for (i = 0; i < p->n; i++) {
		const struct harden_item *it = &p->items[i];
		char port[16], prog[AUDIT_COMM_MAX + 1];

		snprintf(port, sizeof(port), "%u/%s", it->port, audit_proto_name(it->proto));
		/* A process name is whatever its owner chose: no terminal escapes through it. */
		text_clean(prog, sizeof(prog), it->program);
		printf("%-10s %-16s %-9s %-8s %-8s %s\n", port, prog[0] ? prog : "?",
		       audit_exposure_name(it->exposure), audit_outside_name(it->before),
		       audit_outside_name(it->after), it->reason);
	}
	if (!p->n)
		printf("(no port is reachable from other hosts)\n");
	printf("\n%zu exposed ports: %zu closed by the table, %zu change their outside view.\n",
	       p->n, p->nclose, p->nchange);
	if (r->fw_note[0])
		printf("note: the current ruleset could not be judged (%s): NOW is a guess\n",
		       r->fw_note);
	printf("\n# nft -f - (applied as one transaction, in place of any table inet %s)\n%s",
	       HARDEN_TABLE, rules);
}

/* After loading, the audit judges the new ruleset: every port must show what the plan says.
 * Returns how many contradict it; unknown verdicts are counted apart, not as failures. */
static size_t verify(const struct harden_plan *p, const struct kb *kb, size_t *unknown)
{
	struct audit_report r;
	struct harden_plan now;
	struct harden_opts keep_all;
	struct ps_diag diag = {{0}};
	size_t i, j, bad = 0;

	*unknown = 0;
	if (audit_now(kb, &r, &diag)) {
		*unknown = p->n;
		return 0;
	}
	harden_opts_init(&keep_all);
	if (harden_plan_build(&r, &keep_all, &now, &diag)) {
		audit_report_release(&r);
		*unknown = p->n;
		return 0;
	}
	for (i = 0; i < p->n; i++) {
		for (j = 0; j < now.n; j++)
			if (now.items[j].proto == p->items[i].proto &&
			    now.items[j].port == p->items[i].port)
				break;
		if (j == now.n)
			continue; /* the listener went away meanwhile */
		if (now.items[j].before == AUDIT_OUTSIDE_UNKNOWN) {
			(*unknown)++;
		} else if (now.items[j].before != p->items[i].after) {
			cli_error("harden: %u/%s is %s after applying, not %s", p->items[i].port,
				  audit_proto_name(p->items[i].proto),
				  audit_outside_name(now.items[j].before),
				  audit_outside_name(p->items[i].after));
			bad++;
		}
	}
	harden_plan_release(&now);
	audit_report_release(&r);
	return bad;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for --confirm; returns 0 confirmed, else the signal that ended the wait, or -1 for the
 * timeout. A hung-up SSH session (SIGHUP) is exactly when the rules must go away again. */
static int wait_confirm(const char *pending, double seconds, int sfd)
{
	double end = mono_now() + seconds;

	while (harden_pending_exists(pending)) {
		struct pollfd pfd = {.fd = sfd, .events = POLLIN};
		struct signalfd_siginfo si;

		if (mono_now() >= end)
			return -1;
		if (poll(&pfd, 1, 100) > 0 && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			return (int)si.ssi_signo;
	}
	return 0;
}

static int apply(const struct harden_args *a, const struct harden_plan *p, const char *rules,
		 const struct kb *kb)
{
	char pending[512], *previous = NULL;
	struct ps_diag diag = {{0}};
	size_t bad, unknown;
	enum ps_err err;
	sigset_t mask;
	int rc = CLI_EXIT_OK, sfd = -1, how;

	err = harden_nft_current(&previous, &diag);
	if (!err && a->timeout)
		err = harden_pending_path(a->state_dir, pending, sizeof(pending), &diag);
	if (!err && a->timeout)
		err = harden_pending_create(pending, &diag);
	if (err)
		return cli_fail(err == PS_ERR_INVALID ? PS_ERR_SYSTEM : err, &diag);
	/* Signals are blocked before the table goes in, so none can end us between the load and
	 * the rollback that must follow it. */
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
	err = harden_nft_load(rules, &diag);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	bad = verify(p, kb, &unknown);
	if (bad) {
		err = harden_nft_restore(previous, &diag);
		cli_error("harden: the ruleset does not do what the plan says: %s",
			  err ? ps_diag_text(&diag, err) : "rolled back");
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	printf(
	    "\napplied table inet %s; the audit of the new ruleset agrees on %zu of %zu ports%s\n",
	    HARDEN_TABLE, p->n - unknown, p->n, unknown ? " (the rest it cannot judge)" : "");
	if (!a->timeout)
		goto out;
	printf("run 'portsight harden --confirm' within %llu s to keep it, or it is rolled back\n",
	       a->timeout);
	fflush(stdout);
	how = wait_confirm(pending, (double)a->timeout, sfd);
	if (!how) {
		printf("confirmed: table inet %s stays\n", HARDEN_TABLE);
		goto out;
	}
	err = harden_nft_restore(previous, &diag);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	if (how < 0)
		printf("not confirmed within %llu s: rolled back\n", a->timeout);
	else
		printf("interrupted (%s): rolled back\n", strsignal(how));
	rc = how == SIGINT ? CLI_EXIT_INTERRUPTED : CLI_EXIT_FINDINGS;
out:
	if (a->timeout)
		harden_pending_clear(pending);
	if (sfd >= 0)
		close(sfd);
	free(previous);
	return rc;
}

static int confirm(const struct harden_args *a)
{
	struct ps_diag diag = {{0}};
	char pending[512];
	enum ps_err err;

	err = harden_pending_path(a->state_dir, pending, sizeof(pending), &diag);
	if (!err)
		err = harden_pending_confirm(pending, &diag);
	if (err) {
		cli_error("%s", ps_diag_text(&diag, err));
		return CLI_EXIT_FAILURE;
	}
	printf("confirmed\n");
	return CLI_EXIT_OK;
}

static int undo(void)
{
	struct ps_diag diag = {{0}};
	bool removed;
	enum ps_err err = harden_nft_remove(&removed, &diag);

	if (err)
		return cli_fail(err, &diag);
	printf(removed ? "removed table inet %s\n" : "no table inet %s: nothing to undo\n",
	       HARDEN_TABLE);
	return CLI_EXIT_OK;
}

int cmd_harden(int argc, char **argv)
{
	struct audit_report r = {0};
	struct harden_plan plan = {0};
	struct harden_args a;
	struct ps_diag diag = {{0}};
	struct kb *kb = NULL;
	char *rules = NULL;
	enum ps_err err;
	int rc;

	err = kb_load_builtin(&kb, &diag);
	if (err)
		return cli_fail(err, &diag);
	rc = parse_args(argc, argv, &a, kb);
	if (rc >= 0)
		goto out;
	if (a.confirm) {
		rc = confirm(&a);
		goto out;
	}
	if (a.undo) {
		rc = undo();
		goto out;
	}
	a.opts.session_port = ssh_session_port();
	err = audit_now(kb, &r, &diag);
	if (!err)
		err = harden_plan_build(&r, &a.opts, &plan, &diag);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	rules = harden_render(&plan);
	if (!rules) {
		rc = cli_fail(PS_ERR_NOMEM, &diag);
		goto out;
	}
	print_plan(&plan, rules, &r);
	if (!a.apply) {
		printf("\ndry run: nothing changed ('portsight harden --apply' loads it)\n");
		rc = plan.nchange ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
		goto out;
	}
	fflush(stdout);
	rc = apply(&a, &plan, rules, kb);
out:
	free(rules);
	harden_plan_release(&plan);
	audit_report_release(&r);
	kb_free(kb);
	return rc;
}
