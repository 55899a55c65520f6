/* SPDX-License-Identifier: MIT */
/* The ping test: one ICMP (ICMPv6) echo through the discovery engine (scan_ping_echo). */
#include <stdio.h>
#include <string.h>

#include "scan/discovery.h"
#include "shieldsup.h"

static void on_host(void *ctx, const struct scan_host_result *h)
{
	struct shieldsup_ping *out = ctx;

	if (h->status.up) {
		out->answer = SHIELDSUP_ANSWERED;
		out->rtt_us = h->status.rtt_us;
		return;
	}
	if (h->status.reason == REASON_NO_RESPONSE) {
		out->answer = SHIELDSUP_SILENT;
		return;
	}
	/* An ICMP error instead of the reply (a reject rule): the host, or its router, spoke. */
	out->answer = SHIELDSUP_REFUSED;
	snprintf(out->note, sizeof(out->note), "%s instead of an echo reply",
		 port_reason_name((enum port_reason)h->status.reason));
}

enum ps_err shieldsup_ping_echo(void *ctx, const struct ps_addr *target, unsigned timeout_ms,
				struct shieldsup_ping *out)
{
	const struct scan_opts *base = ctx;
	struct scan_opts opts;
	struct target_list list;
	struct ps_diag diag = {{0}};
	char addr[PS_ADDR_STRLEN];
	enum ps_err err;

	memset(out, 0, sizeof(*out));
	if (base)
		opts = *base;
	else
		memset(&opts, 0, sizeof(opts));
	opts.ports = NULL;
	opts.on_result = NULL;
	if (timeout_ms && (!opts.max_rtt_timeout_ms || opts.max_rtt_timeout_ms > timeout_ms))
		opts.max_rtt_timeout_ms = timeout_ms;
	if (opts.min_rtt_timeout_ms > opts.max_rtt_timeout_ms)
		opts.min_rtt_timeout_ms = opts.max_rtt_timeout_ms;
	if (opts.initial_rtt_timeout_ms > opts.max_rtt_timeout_ms)
		opts.initial_rtt_timeout_ms = opts.max_rtt_timeout_ms;
	target_list_init(&list);
	err = target_list_add_spec(&list, ps_addr_format(target, addr, sizeof(addr)), NULL, NULL,
				   &diag);
	if (!err)
		err = target_list_finish(&list, NULL, 1, &diag);
	opts.targets = &list;
	if (!err)
		err = scan_ping_echo(&opts, on_host, out, &diag);
	if (err) {
		out->answer = SHIELDSUP_NOT_TESTED;
		snprintf(out->note, sizeof(out->note), "%s", ps_diag_text(&diag, err));
	}
	target_list_release(&list);
	return err;
}
