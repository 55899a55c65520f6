/* SPDX-License-Identifier: MIT */
#include "nmap_compat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* nmap flags portsight does not have, and the one line that says what to do instead. */
static const struct {
	const char *flag;
	const char *hint;
} unsupported[] = {
	{"-sA", "ACK scans are not available; use -sS or -sT"},
	{"-sW", "window scans are not available; use -sS or -sT"},
	{"-sM", "Maimon scans are not available; use -sS or -sT"},
	{"-sN", "NULL scans are not available; use -sS or -sT"},
	{"-sF", "FIN scans are not available; use -sS or -sT"},
	{"-sX", "Xmas scans are not available; use -sS or -sT"},
	{"-sY", "SCTP scans are not available; portsight scans TCP"},
	{"-sZ", "SCTP scans are not available; portsight scans TCP"},
	{"-sO", "IP protocol scans are not available; portsight scans TCP"},
	{"-sI", "idle scans are not available; use -sS or -sT"},
	{"-sC", "portsight runs no scripts; -sV identifies services"},
	{"--script", "portsight runs no scripts; -sV identifies services"},
	{"-O", "portsight does not guess operating systems; -sV identifies services"},
	{"-A", "portsight has no OS detection, scripts or traceroute; -sV identifies services"},
	{"-PM", "ICMP address mask pings are not available; use -PE, -PP, -PS, -PA or -PU"},
	{"-PR", "ARP (IPv4) and neighbour discovery (IPv6) are used by themselves for targets on "
		"the local link; --disable-arp-ping turns them off"},
	{"-PY", "SCTP pings are not available; use -PE, -PP, -PS, -PA or -PU"},
	{"-PO", "IP protocol pings are not available; use -PE, -PP, -PS, -PA or -PU"},
	{"--traceroute", "portsight does not trace routes"},
	{"-R", "portsight does not resolve addresses back to names; targets keep the names given"},
	{"--min-rate", "portsight paces itself from measured loss; --rate N caps it"},
	{"--host-timeout", "not available yet; --max-retries and --max-rtt-timeout bound a host"},
	{"--scan-delay", "not available yet; --rate N sets packets per second"},
	{"--max-scan-delay", "not available yet; --rate N sets packets per second"},
	{"--packet-trace", "not available yet; -v prints each open port as it is found"},
	{"-sL", "listing targets is not available; portsight scans what it is given"},
};

enum ps_err nmap_refuse_unsupported(int argc, char **argv, struct ps_diag *diag)
{
	size_t k;
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];

		for (k = 0; k < sizeof(unsupported) / sizeof(unsupported[0]); k++) {
			const char *f = unsupported[k].flag;
			size_t flen = strlen(f);

			/* Exactly the flag, or with its value inline: -PS22,80, --script=x. */
			if (strncmp(a, f, flen))
				continue;
			if (!a[flen] || (f[1] == 'P' && f[2]) || (f[1] == '-' && a[flen] == '='))
				return ps_fail(diag, PS_ERR_INVALID, "nmap's %s: %s", f,
					       unsupported[k].hint);
		}
	}
	return PS_OK;
}

/* "-PS22,80" arrives as "S22,80": the probe kind, then its ports (kind's default without). */
enum ps_err nmap_parse_ping(const char *arg, struct scan_host_probe *out, size_t cap, size_t *n,
			    struct ps_diag *diag)
{
	static const struct {
		char letter;
		uint8_t kind;
		uint16_t default_port; /* 0: no ports */
	} kinds[] = {
		{'E', SCAN_HOST_ECHO, 0},    {'P', SCAN_HOST_TIMESTAMP, 0},
		{'S', SCAN_HOST_SYN, 443},   {'A', SCAN_HOST_ACK, 80},
		{'U', SCAN_HOST_UDP, 40125},
	};
	struct portset ports;
	enum ps_err err;
	size_t k;
	uint32_t p;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (arg[0] == kinds[k].letter)
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return ps_fail(diag, PS_ERR_INVALID,
			       "unknown discovery probe -P%.16s: -PE, -PP, -PS[ports], -PA[ports], "
			       "-PU[ports] or -Pn",
			       arg);
	portset_clear(&ports);
	if (!kinds[k].default_port) {
		if (arg[1])
			return ps_fail(diag, PS_ERR_INVALID, "-P%c takes no ports", arg[0]);
		portset_add(&ports, 1); /* one probe */
	} else if (!arg[1]) {
		portset_add(&ports, kinds[k].default_port);
	} else if ((err = portset_parse(&ports, arg + 1, NULL, NULL, diag))) {
		return err;
	}
	for (p = portset_next(&ports, 0); p; p = portset_next(&ports, p)) {
		struct scan_host_probe probe = {.kind = kinds[k].kind,
						.port = kinds[k].default_port ? (uint16_t)p : 0};
		size_t i;

		for (i = 0; i < *n; i++)
			if (out[i].kind == probe.kind && out[i].port == probe.port)
				break;
		if (i < *n)
			continue; /* asked twice: one probe */
		if (*n == cap)
			return ps_fail(diag, PS_ERR_INVALID, "at most %zu discovery probes (-P...)",
				       cap);
		out[(*n)++] = probe;
	}
	return PS_OK;
}

enum ps_err nmap_parse_timing(const char *arg, unsigned *level, struct ps_diag *diag)
{
	static const char *const names[] = {"paranoid", "sneaky",     "polite",
					    "normal",	"aggressive", "insane"};
	unsigned i;

	if (arg[0] >= '0' && arg[0] <= '5' && !arg[1]) {
		*level = (unsigned)(arg[0] - '0');
		return PS_OK;
	}
	for (i = 0; i < 6; i++)
		if (!strcasecmp(arg, names[i])) {
			*level = i;
			return PS_OK;
		}
	return ps_fail(diag, PS_ERR_INVALID,
		       "bad -T \"%s\": 0-5 or paranoid, sneaky, polite, normal, aggressive, insane",
		       arg);
}

/*
 * The presets, documented in `scan --help` and the README. portsight's engines pace
 * themselves, so the slow levels cap the rate (nmap waits 5 min / 15 s / 0.4 s between probes;
 * these send 1, 2 and 10 per second, one or ten at a time) and the fast ones tighten nmap's
 * own timeouts and retries (T4: 100-1250 ms, 6 retries; T5: 50-300 ms, 2 retries).
 */
struct timing_preset {
	uint32_t rate, inflight, retries, initial_ms, min_ms, max_ms;
};

void nmap_apply_timing(unsigned level, struct scan_opts *o)
{
	static const struct timing_preset presets[6] = {
		{1, 1, 10, 5000, 1000, 10000},
		{2, 1, 10, 5000, 1000, 10000},
		{10, 10, 10, 1000, 100, 10000},
		{0, 0, 0, 0, 0, 0}, /* normal: the engines' own choice */
		{0, 0, 6, 500, 100, 1250},
		{0, 0, 2, 250, 50, 300},
	};
	const struct timing_preset *p = &presets[level > 5 ? 3 : level];

	if (!o->rate_pps)
		o->rate_pps = p->rate;
	if (!o->max_inflight)
		o->max_inflight = p->inflight;
	if (!o->max_retries && p->retries)
		o->max_retries = p->retries;
	if (!o->initial_rtt_timeout_ms)
		o->initial_rtt_timeout_ms = p->initial_ms;
	if (!o->min_rtt_timeout_ms)
		o->min_rtt_timeout_ms = p->min_ms;
	if (!o->max_rtt_timeout_ms)
		o->max_rtt_timeout_ms = p->max_ms;
}

enum ps_err nmap_top_ports(const struct kb *kb, const char *arg, struct portset *out,
			   struct ps_diag *diag)
{
	const uint16_t *ranked;
	size_t nranked, i;
	unsigned long n;
	char *end;
	uint32_t port;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || *end || arg[0] < '0' || arg[0] > '9' || n < 1 || n > PORTSET_MAX_PORT)
		return ps_fail(diag, PS_ERR_INVALID, "bad --top-ports \"%s\": a count 1-65535", arg);
	nranked = kb_ranked(kb, &ranked);
	portset_clear(out);
	for (i = 0; i < nranked && out->count < n; i++)
		portset_add(out, ranked[i]);
	for (port = 1; port <= PORTSET_MAX_PORT && out->count < n; port++)
		portset_add(out, (uint16_t)port);
	return PS_OK;
}
