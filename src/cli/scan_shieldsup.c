/* SPDX-License-Identifier: MIT */
/*
 * `portsight scan --shieldsup TARGET`: ShieldsUP's test set against one host. The port part
 * is the job's own scan (its -oX/-oG/-oJ... reports and history as usual), watched by an
 * observer; then the UPnP, NetBIOS and ping tests (src/run/shieldsup.h); then the report,
 * in our words, and the exit code of check and local: 1 a finding (TruStealth failed), else
 * 0 (PASSED, or UNKNOWN with its reason: a test could not be run and nothing answered).
 */
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "outfile.h"
#include "run/shieldsup.h"
#include "scan_job.h"

struct shu_watch {
	struct shieldsup_result *r;
};

static enum ps_err observe_port(void *ctx, const struct port_result *res)
{
	struct shu_watch *w = ctx;

	if (res->proto != IPPROTO_TCP)
		return PS_OK;
	return shieldsup_port_add(w->r, res);
}

static const char *state_word(enum port_state st, enum port_reason reason)
{
	struct port_result res = {.state = st, .reason = reason};

	if (st == PORT_OPEN)
		return "Open";
	if (st == PORT_CLOSED)
		return "Closed";
	return port_result_answered(&res) ? "Closed (ICMP)" : "Stealth";
}

static void print_upnp(FILE *out, const struct shieldsup_upnp *u)
{
	size_t i;

	fprintf(out, "UPnP exposure (SSDP M-SEARCH to UDP 1900: up to %u, one every %.1f s, "
		     "the first reply ends it)\n",
		SHIELDSUP_UPNP_TRIES, SHIELDSUP_UPNP_INTERVAL_MS / 1000.0);
	switch (u->answer) {
	case SHIELDSUP_ANSWERED:
		fprintf(out, "  EXPOSED: M-SEARCH %u of %u drew a reply after %u ms, from port %u "
			     "(%zu bytes). Anyone on the Internet can ask this device to open "
			     "ports or list its services.\n",
			u->sent, SHIELDSUP_UPNP_TRIES, u->reply_ms, u->reply_port, u->reply_len);
		fprintf(out, "  The reply's first line and headers:\n    %s\n", u->status);
		for (i = 0; i < u->nheaders; i++)
			fprintf(out, "    %s\n", u->headers[i]);
		if (u->headers_cut)
			fprintf(out, "    (%zu more header lines not shown)\n", u->headers_cut);
		if (u->note[0])
			fprintf(out, "  Note: %s\n", u->note);
		break;
	case SHIELDSUP_SILENT:
		fprintf(out, "  Not exposed: %u M-SEARCH sent, no reply.\n", u->sent);
		break;
	case SHIELDSUP_REFUSED:
		fprintf(out, "  Not exposed, but visible: %s.\n", u->note);
		break;
	case SHIELDSUP_NOT_TESTED:
		fprintf(out, "  Not tested: %s.\n", u->note);
		break;
	}
}

static void print_share_port(FILE *out, const struct shieldsup_result *r, uint16_t port,
			     const char *what)
{
	enum port_state st = shieldsup_port_state(r, port);
	size_t i;

	for (i = 0; i < r->nports && r->ports[i].port != port; i++)
		;
	if (st == PORT_STATE_COUNT)
		fprintf(out, "  %u/tcp %-26s not tested\n", port, what);
	else
		fprintf(out, "  %u/tcp %-26s %s\n", port, what,
			state_word(st, (enum port_reason)r->ports[i].reason));
}

static void print_sharing(FILE *out, const struct shieldsup_result *r,
			  const struct shieldsup_verdict *v)
{
	const struct shieldsup_netbios *nb = &r->netbios;

	fprintf(out, "\nFile sharing (NetBIOS and SMB)\n");
	print_share_port(out, r, 139, "NetBIOS session (SMB)");
	print_share_port(out, r, 445, "SMB over TCP");
	fprintf(out, "  137/udp %-26s ", "NetBIOS name service");
	switch (nb->answer) {
	case SHIELDSUP_ANSWERED:
		fprintf(out, "answered the node status request%s%s\n", nb->names[0] ? ": " : "",
			nb->names[0] ? nb->names : "");
		if (nb->note[0])
			fprintf(out, "    Note: %s\n", nb->note);
		break;
	case SHIELDSUP_SILENT:
		fprintf(out, "no reply to %u node status requests\n", nb->sent);
		break;
	case SHIELDSUP_REFUSED:
		fprintf(out, "an ICMP error came back (no name service, the host visible)\n");
		break;
	case SHIELDSUP_NOT_TESTED:
		fprintf(out, "not tested: %s\n", nb->note);
		break;
	}
	fprintf(out, "  %s\n", v->file_sharing
				   ? "REACHABLE: this host's file sharing answers other hosts."
				   : "Not reachable: no file sharing service answered.");
}

static void print_ports(FILE *out, const struct shieldsup_result *r,
			const struct shieldsup_verdict *v, const struct kb *kb)
{
	bool all = r->set == SHIELDSUP_SET_COMMON;
	size_t i;

	fprintf(out, "\n%s (%zu TCP ports tested%s)\n",
		r->set == SHIELDSUP_SET_COMMON ? "Common ports" : "All service ports, 0-1055",
		v->tested, r->port0_tested ? ", port 0 among them" : "");
	if (r->ports_note[0])
		fprintf(out, "  Note: %s\n", r->ports_note);
	if (!all && !v->answered)
		fprintf(out, "  (every port is stealth: none is listed)\n");
	for (i = 0; i < r->nports; i++) {
		const struct shieldsup_port *p = &r->ports[i];
		struct port_result res = {.state = p->state, .reason = p->reason};
		const char *svc = p->port ? kb_service_name(kb, p->port, IPPROTO_TCP) : NULL;
		char name[16];

		/* All service ports: only those that answered, the rest is the count. */
		if (!all && !port_result_answered(&res))
			continue;
		snprintf(name, sizeof(name), "%u/tcp", p->port);
		fprintf(out, "  %-9s %-14s %-20s %s\n", name,
			state_word((enum port_state)p->state, (enum port_reason)p->reason),
			port_reason_name((enum port_reason)p->reason),
			svc ? svc : p->port ? "" : "(reserved)");
	}
	fprintf(out, "  %zu open, %zu closed, %zu stealth\n", v->open, v->answered - v->open,
		v->tested - v->answered);
}

static void print_report(FILE *out, const struct shieldsup_result *r,
			 const struct shieldsup_verdict *v, const struct kb *kb,
			 const char *engine)
{
	char addr[PS_ADDR_STRLEN];

	fprintf(out, "portsight: ShieldsUP tests of %s (%s ports, %s engine)\n\n",
		ps_addr_format(&r->target, addr, sizeof(addr)),
		r->set == SHIELDSUP_SET_COMMON ? "common" : "all service", engine);
	print_upnp(out, &r->upnp);
	print_sharing(out, r, v);
	print_ports(out, r, v, kb);
	fprintf(out, "\nPing (ICMP echo): %s\n", v->ping);
	fprintf(out, "\nSolicited packets:   %s\n", v->solicited);
	if (v->unsolicited[0])
		fprintf(out, "Unsolicited packets: %s\n", v->unsolicited);
	else
		fprintf(out, "Unsolicited packets: %s\n",
			r->unsolicited.note[0] ? r->unsolicited.note : "not watched");
	fprintf(out, "Ping reply:          %s\n", v->ping);
	fprintf(out, "%s\n", v->text);
}

/* The ShieldsUP record after the port lines of a JSON Lines report (stdout or a file). */
static int append_jsonl(const char *path, json_t *rec)
{
	bool on_stdout = !path || !strcmp(path, "-");
	FILE *f = on_stdout ? stdout : fopen(path, "a");
	int rc = 0;

	if (!f) {
		cli_error("cannot append the ShieldsUP record to %s", path);
		return CLI_EXIT_FAILURE;
	}
	if (json_dumpf(rec, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) ||
	    fputc('\n', f) == EOF || fflush(f))
		rc = CLI_EXIT_FAILURE;
	if (!on_stdout && fclose(f))
		rc = CLI_EXIT_FAILURE;
	if (rc)
		cli_error("writing the ShieldsUP record to %s failed", on_stdout ? "stdout" : path);
	return rc;
}

static int write_jsonl(struct scan_job *job, const struct shieldsup_result *r,
		       const struct shieldsup_verdict *v, bool main_jsonl)
{
	json_t *rec = json_object(), *body = shieldsup_json(r, v);
	size_t i;
	int rc = 0;

	if (!rec || !body || json_object_set_new(rec, "shieldsup", body)) {
		json_decref(rec);
		return cli_fail(PS_ERR_NOMEM, NULL);
	}
	if (main_jsonl)
		rc = append_jsonl(job->output, rec);
	for (i = 0; !rc && i < job->nextra; i++)
		if (!strcmp(job->extra[i].format, "jsonl"))
			rc = append_jsonl(job->extra[i].path, rec);
	json_decref(rec);
	return rc;
}

static int write_text(const char *path, const struct shieldsup_result *r,
		      const struct shieldsup_verdict *v, const struct kb *kb, const char *engine)
{
	struct ps_diag diag = {{0}};
	struct outfile of;
	enum ps_err err;

	err = outfile_open(&of, path ? path : "-", &diag);
	if (err)
		return cli_fail(err, &diag);
	print_report(of.f, r, v, kb, engine);
	err = outfile_commit(&of, &diag);
	outfile_discard(&of);
	return err ? cli_fail(err, &diag) : CLI_EXIT_OK;
}

/* Which engine the port part gets, and the ports: port 0 only where the engine can send it. */
static int choose_ports(struct scan_job *job, struct shieldsup_result *r, const char **engine)
{
	const struct scan_engine *e = NULL;
	struct ps_diag diag = {{0}};
	enum ps_err err;

	job->run.udp_ports = NULL;
	shieldsup_ports_of(r->set, false, &job->ports);
	err = run_pick_engine(&job->run, &e, NULL, &diag);
	if (err)
		return cli_fail(err, &diag);
	*engine = e->name;
	if (e->needs_raw) {
		shieldsup_ports_of(r->set, true, &job->ports);
	} else {
		snprintf(r->ports_note, sizeof(r->ports_note),
			 "port 0 not tested: the %s engine cannot send to it (the kernel refuses "
			 "port 0); -sS with CAP_NET_RAW tests it",
			 e->name);
	}
	job->run.ports_spec = r->set == SHIELDSUP_SET_COMMON ? "shieldsup-common,0" : "0-1055";
	return CLI_EXIT_OK;
}

int scan_shieldsup_run(struct scan_job *job, enum shieldsup_set set)
{
	struct shieldsup_result *r = malloc(sizeof(*r));
	struct shieldsup_verdict v;
	struct shieldsup_opts o;
	struct scan_opts ping_opts;
	struct shieldsup_watch watcher;
	enum ps_err err;
	struct run_observer_sink watch;
	struct shu_watch w = {.r = r};
	struct ps_diag diag = {{0}};
	const char *engine = "?", *format = job->format ? job->format : "text";
	struct ps_addr target;
	bool jsonl = !strcmp(format, "jsonl");
	int rc;

	shieldsup_watch_init(&watcher);
	if (!r)
		return cli_fail(PS_ERR_NOMEM, NULL);
	if (strcmp(format, "text") && !jsonl) {
		cli_error("--shieldsup reports as text or jsonl (--format %s: write the port part "
			  "with -oX, -oG, --output-csv or --output-html)",
			  format);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (job->targets.total != 1) {
		cli_error("--shieldsup tests one host; the targets name %llu addresses",
			  (unsigned long long)job->targets.total);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	target_list_get(&job->targets, 0, &target, NULL);
	shieldsup_result_init(r, &target, set);
	if ((rc = choose_ports(job, r, &engine)))
		goto out;
	/* Our report and an -oX - (say) would interleave on one stream: refuse before anything. */
	for (size_t i = 0; i < job->nextra; i++)
		if (outfile_same(job->output ? job->output : "-", job->extra[i].path)) {
			cli_error("two reports cannot share %s: give each output its own file",
				  strcmp(job->extra[i].path, "-") ? job->extra[i].path
								  : "standard output");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	/* Text: the ShieldsUP report replaces the port list; JSON Lines: the port lines stay and
	 * the ShieldsUP record follows them. */
	if (!jsonl)
		job->format = NULL;
	run_observer_sink_init(&watch, observe_port, &w);
	job->observer = &watch.sink;
	/* Unsolicited packets: watched from before the first probe to after the last. */
	if (shieldsup_watch_start(&watcher, &target, &job->ports, &diag))
		snprintf(r->unsolicited.note, sizeof(r->unsolicited.note), "%s", diag.msg);
	rc = scan_job_run(job);
	if (rc) {
		shieldsup_watch_stop(&watcher, &r->unsolicited);
		goto out;
	}
	shieldsup_opts_init(&o);
	o.ping = shieldsup_ping_echo;
	o.ping_ctx = &ping_opts;
	ping_opts = job->run.tuning;
	ping_opts.stop = NULL;
	err = shieldsup_test_host(&o, r, &diag);
	if (watcher.pid > 0)
		shieldsup_watch_stop(&watcher, &r->unsolicited);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	shieldsup_verdict_of(r, &v);
	rc = jsonl ? CLI_EXIT_OK : write_text(job->output, r, &v, job->kb, engine);
	if (!rc)
		rc = write_jsonl(job, r, &v, jsonl);
	/* check's and local's rule: a finding is 1; UNKNOWN, with its reason printed, is not. */
	if (!rc && v.findings)
		rc = CLI_EXIT_FINDINGS;
out:
	free(r);
	return rc;
}
