/* SPDX-License-Identifier: MIT */
/*
 * `portsight` with no arguments: check this machine, from both sides.
 *   outside-in: every TCP port of 127.0.0.1 and ::1 is scanned (the only addresses a check may
 *               probe without being told to);
 *   inside-out: every listening socket, its program, its binding and the firewall's verdict.
 * Side by side per port they answer the ShieldsUP question for other hosts: a socket bound to
 * all interfaces that the firewall accepts is Open to them, one it drops is Stealth, one it
 * rejects is Closed, and a loopback-only socket is not theirs to see at all.
 */
#include <netinet/in.h>
#include <string.h>

#include "audit/advice.h"
#include "audit/audit.h"
#include "audit/outside.h"
#include "audit/verdict.h"
#include "cli.h"
#include "local_view.h"
#include "report/hosttab.h"
#include "scan_job.h"

static const char check_usage[] =
    "usage: portsight [check]\n"
    "\n"
    "Checks this machine: scans all 65535 TCP ports of 127.0.0.1 and ::1, lists every\n"
    "listening TCP socket with its program, binding and firewall verdict, and says per port\n"
    "what another host would see (Open / Closed / Stealth), with advice for exposed ports.\n"
    "\n"
    "Then ShieldsUP's other tests as the inside sees them: UPnP (a UDP socket on 1900),\n"
    "file sharing (TCP 139, 445, UDP 137) and whether the kernel answers a ping.\n"
    "\n"
    "Verdict: EXPOSED (a port other hosts can reach), NOT EXPOSED, or UNKNOWN (the firewall\n"
    "or the sockets could not be read; the reason is given).\n"
    "Exit status: 0 nothing found, 1 a finding (a port other hosts can reach, UPnP or the\n"
    "NetBIOS name service reachable, or a warning), 2 usage, 3 failure (the sockets could\n"
    "not be read).\n";

/* What the loopback scan saw: open ports per family, and per-address tallies. */
struct check_scan {
	struct hosttab hosts;
	struct portset open_v4;
	struct portset open_v6;
};

static enum ps_err observe(void *ctx, const struct port_result *res)
{
	struct check_scan *cs = ctx;

	if (res->state == PORT_OPEN)
		portset_add(res->addr.family == AF_INET ? &cs->open_v4 : &cs->open_v6, res->port);
	return hosttab_add(&cs->hosts, res, 0);
}

/* "0.0.0.0,::" : every address a TCP listener on port is bound to. */
static void bound_text(const struct audit_report *r, uint16_t port, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < r->nsocks && used + 1 < len; i++) {
		const struct audit_socket *s = &r->socks[i];
		char addr[PS_ADDR_STRLEN];

		if (s->proto != IPPROTO_TCP || s->port != port)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
					 ps_addr_format(&s->addr, addr, sizeof(addr)));
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static int port_listed(const struct audit_report *r, const struct check_scan *cs, uint16_t port)
{
	return portset_has(&cs->open_v4, port) || portset_has(&cs->open_v6, port) ||
	       (r && audit_report_find(r, IPPROTO_TCP, port));
}

static void print_row(const struct audit_report *r, const struct check_scan *cs,
		      const struct kb *kb, uint16_t port)
{
	const struct audit_socket *s = r ? audit_report_find(r, IPPROTO_TCP, port) : NULL;
	enum audit_outside view = audit_outside_view(s);
	char owner[64] = "-", bound[128] = "-", portname[16];
	const char *service = s && s->service[0] ? s->service : kb_service_name(kb, port, IPPROTO_TCP);

	if (s) {
		local_owner_text(r, s, owner, sizeof(owner));
		local_printable(owner, owner, sizeof(owner));
		bound_text(r, port, bound, sizeof(bound));
	}
	snprintf(portname, sizeof(portname), "%u/tcp", port);
	printf("%-11s %-9s %-7s %-22s %-24s %-8s %-8s %-8s %s\n", portname,
	       portset_has(&cs->open_v4, port) ? "open" : "closed",
	       portset_has(&cs->open_v6, port) ? "open" : "closed", owner, bound,
	       s ? audit_exposure_name(s->exposure) : "?", s ? audit_fw_verdict_name(s->fw) : "?",
	       audit_outside_name(view), service ? service : "unknown");
}

static void print_advice(const struct audit_report *r, const struct check_scan *cs)
{
	int header = 0;

	(void)cs;
	for (size_t i = 0; r && i < r->nsocks; i++) {
		const struct audit_socket *s = &r->socks[i];
		struct audit_advice adv[AUDIT_ADVICE_MAX];
		char text[sizeof(adv[0].command)];
		size_t n, k;

		if (s->proto != IPPROTO_TCP || audit_report_find(r, IPPROTO_TCP, s->port) != s ||
		    audit_outside_view(s) != AUDIT_OUTSIDE_OPEN)
			continue;
		if (!header++)
			printf("\nAdvice for ports other hosts can reach:\n");
		n = audit_advise(r, s, adv);
		printf("  %u/tcp:\n", s->port);
		for (k = 0; k < n; k++) {
			printf("    - %s\n", local_printable(adv[k].text, text, sizeof(text)));
			if (adv[k].command[0])
				printf("        %s\n", local_printable(adv[k].command, text, sizeof(text)));
		}
	}
}

/*
 * The loopback scan's counts only: "open" here is what this host reaches itself. What other hosts
 * reach is the OUTSIDE column and the verdict, so no verdict word appears on these lines.
 */
static void print_profiles(struct check_scan *cs)
{
	size_t i;

	hosttab_sort(&cs->hosts);
	printf("\nLoopback scan (what this host reaches itself; OUTSIDE is what other hosts "
	       "reach):\n");
	for (i = 0; i < cs->hosts.nhosts; i++) {
		const struct report_host *h = &cs->hosts.hosts[i];
		uint64_t closed = report_host_answered(h) - h->count[PORT_OPEN];
		char addr[PS_ADDR_STRLEN];

		printf("  %-10s %llu open, %llu closed, %llu stealth\n",
		       ps_addr_format(&h->addr, addr, sizeof(addr)),
		       (unsigned long long)h->count[PORT_OPEN], (unsigned long long)closed,
		       (unsigned long long)h->stealth);
	}
}

static const char *section_view(enum audit_outside v)
{
	return v == AUDIT_OUTSIDE_NONE ? "nothing listens for other hosts" : audit_outside_name(v);
}

/*
 * ShieldsUP's other tests, as far as the inside can tell: the sockets and the firewall's
 * verdict for UPnP and file sharing, the kernel's echo setting for the ping. TruStealth needs
 * every answer seen from outside, so it is not judged here.
 */
static void print_shieldsup(const struct audit_shieldsup_view *sv)
{
	printf("\nShieldsUP tests, judged from the inside:\n");
	if (sv->udp_read)
		printf("  UPnP (SSDP, UDP 1900):  %s%s\n", section_view(sv->upnp),
		       sv->upnp_exposed ? ": EXPOSED, other hosts can ask it to open ports" : "");
	else
		printf("  UPnP (SSDP, UDP 1900):  unknown: the UDP sockets could not be read\n");
	printf("  File sharing:           139/tcp %s, 445/tcp %s, 137/udp %s: %s\n",
	       section_view(sv->smb_139), section_view(sv->smb_445),
	       sv->udp_read ? section_view(sv->netbios_ns) : "unknown",
	       sv->file_sharing ? "REACHABLE from other hosts" : "not reachable");
	if (sv->echo_answered < 0)
		printf("  Ping:                   unknown (net.ipv4.icmp_echo_ignore_all unreadable)\n");
	else if (sv->echo_answered)
		printf("  Ping:                   the kernel answers echo requests "
		       "(icmp_echo_ignore_all = 0); whether a firewall rule drops them is not "
		       "judged from the inside\n");
	else
		printf("  Ping:                   no reply: the kernel ignores echo requests "
		       "(icmp_echo_ignore_all = 1)\n");
	printf("  TruStealth:             not judged from the inside: run 'portsight scan "
	       "--shieldsup HOST' from another machine\n");
}

static void print_view(const struct audit_report *r, struct check_scan *cs, const struct kb *kb,
		       const struct report_summary *sum, const struct audit_verdict *v,
		       const struct audit_shieldsup_view *sv)
{
	size_t rows = 0;
	uint32_t port;

	printf("portsight: checking this machine (all TCP ports of 127.0.0.1 and ::1 in %.2fs, "
	       "and every listening socket)\n\n",
	       sum->elapsed_s);
	printf("%-11s %-9s %-7s %-22s %-24s %-8s %-8s %-8s %s\n", "PORT", "127.0.0.1", "::1",
	       "PROGRAM", "BOUND TO", "REACH", "FIREWALL", "OUTSIDE", "SERVICE");
	for (port = 1; port <= PORTSET_MAX_PORT; port++) {
		if (!port_listed(r, cs, (uint16_t)port))
			continue;
		print_row(r, cs, kb, (uint16_t)port);
		rows++;
	}
	if (!rows)
		printf("(nothing listens on TCP)\n");
	print_profiles(cs);
	if (r) {
		if (v->warnings || r->nprocs_fd_denied)
			putchar('\n');
		local_print_warnings(stdout, r);
		local_print_notes(stdout, r);
	}
	print_advice(r, cs);
	print_shieldsup(sv);
	printf("\nVerdict: %s\n", v->text);
}

int cmd_check(int argc, char **argv)
{
	static const char *const loopback[] = {"127.0.0.1", "::1"};
	struct check_scan cs;
	struct run_observer_sink watch;
	struct scan_job job;
	struct audit_opts aopts;
	struct audit_report report, udp;
	struct audit_verdict verdict;
	struct audit_shieldsup_view sview;
	struct ps_diag diag = {{0}};
	enum ps_err err = PS_OK, aerr, uerr;
	size_t i;
	int rc;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			fputs(check_usage, stdout);
			return CLI_EXIT_OK;
		}
		cli_error("check takes no arguments (see 'portsight check --help')");
		return CLI_EXIT_USAGE;
	}
	rc = scan_job_init(&job);
	if (rc)
		return rc;
	memset(&cs, 0, sizeof(cs));
	hosttab_init(&cs.hosts);
	job.format = NULL;
	job.no_db = true; /* 131070 rows a run would swamp the history; scans are what it keeps */
	run_observer_sink_init(&watch, observe, &cs);
	job.observer = &watch.sink;
	job.run.ports_spec = "all";
	portset_add_range(&job.ports, 1, PORTSET_MAX_PORT);
	for (i = 0; !err && i < sizeof(loopback) / sizeof(loopback[0]); i++)
		err = target_list_add_spec(&job.targets, loopback[i], NULL, NULL, &diag);
	if (!err)
		err = target_list_finish(&job.targets, NULL, 2, &diag);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	rc = scan_job_run(&job);
	if (rc)
		goto out;

	audit_opts_init(&aopts);
	aopts.kb = job.kb;
	aopts.udp = false;
	aerr = audit_run(&aopts, &report, &diag);
	if (aerr)
		cli_error("cannot list the listening sockets: %s", ps_diag_text(&diag, aerr));
	else
		audit_report_sort(&report);
	audit_verdict_of(aerr ? NULL : &report, aerr ? ps_diag_text(&diag, aerr) : NULL, &verdict);
	/* The UDP sockets, for the UPnP and NetBIOS name service sections only: the verdict
	 * stays the TCP one the table shows. */
	aopts.tcp = false;
	aopts.udp = true;
	uerr = audit_run(&aopts, &udp, &diag);
	audit_outside_shieldsup(aerr ? NULL : &report, uerr ? NULL : &udp, NULL, &sview);
	print_view(aerr ? NULL : &report, &cs, job.kb, &job.summary, &verdict, &sview);
	if (aerr)
		rc = CLI_EXIT_FAILURE;
	else if (verdict.findings || sview.upnp_exposed || sview.file_sharing)
		rc = CLI_EXIT_FINDINGS;
	if (!uerr)
		audit_report_release(&udp);
	if (fflush(stdout) || ferror(stdout)) {
		cli_error("check: writing the output failed");
		rc = CLI_EXIT_FAILURE;
	}
	if (!aerr)
		audit_report_release(&report);
out:
	hosttab_release(&cs.hosts);
	scan_job_release(&job);
	return rc;
}
