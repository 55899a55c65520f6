/* SPDX-License-Identifier: MIT */
#ifndef PS_REPORT_HOSTGROUP_H
#define PS_REPORT_HOSTGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/dynbuf.h"
#include "core/err.h"
#include "core/result.h"

/*
 * Engines deliver results in any order (the SYN engine permutes addresses and ports), but XML,
 * grepable and HTML describe one host at a time. A hostgroup gathers each host's results in a
 * compact form and hands the host over as soon as all its ports have arrived (when the number
 * of ports per host is known), so a long scan streams host by host; whatever is left is handed
 * over, in address order, by hostgroup_flush().
 */
struct hg_port {
	uint16_t port;
	uint8_t proto;
	uint8_t state;
	uint8_t reason;
	uint8_t ttl;
	uint32_t rtt_us;
	struct service_info *service; /* own copy; NULL when none */
};

struct hg_host {
	struct ps_addr addr;
	char *hostname; /* own copy or NULL */
	struct hg_port *ports;
	size_t nports;
	size_t ports_cap;
	uint32_t counts[PORT_STATE_COUNT];
	uint32_t answered; /* ports with any reply (not ShieldsUP's stealth) */
	uint32_t stealth;
	time_t first_seen;
	time_t last_seen;
	struct hg_host *next; /* hash chain */
};

/* Called with a host whose ports are sorted by protocol and port; the host is freed after. */
typedef enum ps_err (*hg_emit_fn)(void *ctx, const struct hg_host *host);

struct hostgroup {
	struct hg_host **buckets;
	size_t nbuckets;
	size_t nhosts;
	uint64_t ports_per_host; /* 0 = unknown: nothing is emitted before the flush */
	hg_emit_fn emit;
	void *ctx;
};

void hostgroup_init(struct hostgroup *hg, uint64_t ports_per_host, hg_emit_fn emit, void *ctx);
void hostgroup_release(struct hostgroup *hg);
enum ps_err hostgroup_add(struct hostgroup *hg, const struct port_result *res);
enum ps_err hostgroup_flush(struct hostgroup *hg);

/*
 * Appends "1-21,23,25-79": the ports of host in state with reason (either < 0 = any) to out.
 */
enum ps_err hg_port_ranges(const struct hg_host *host, int state, int reason, struct dynbuf *out);

#endif
