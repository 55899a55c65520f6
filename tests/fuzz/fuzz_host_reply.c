/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for host discovery's reading of a reply (src/net/packet.c parsing, then
 * src/scan/module_host.c's validate and classify): any bytes, as a frame or a bare IP packet,
 * either name one of the run's probes and say up (or down, for a router's error) with a
 * known reason, or are refused; never a read out of bounds, never a probe number outside the
 * list.
 */
#include <stdint.h>
#include <stdlib.h>

#include "net/packet.h"
#include "scan/module.h"

static const struct scan_host_probe probes[] = {
    {.kind = SCAN_HOST_ECHO},
    {.kind = SCAN_HOST_SYN, .port = 443},
    {.kind = SCAN_HOST_ACK, .port = 80},
    {.kind = SCAN_HOST_TIMESTAMP},
    {.kind = SCAN_HOST_UDP, .port = 40125},
};

/* A fixed key: the seeds are replies to probes built with it (their cookies verify). */
static const struct scan_probe_env env = {
    .key = {0x0123456789abcdefULL, 0xfedcba9876543210ULL},
    .sport_base = 50000,
    .sport_span = SCAN_HOST_SPORT_SPAN,
    .host_probes = probes,
    .nhost_probes = sizeof(probes) / sizeof(probes[0]),
};

static void judge(const struct net_reply *r)
{
	struct scan_probe_match m;
	enum port_state state;
	enum port_reason reason;

	if (!scan_host_module.validate(&env, r, &m))
		return;
	if (!m.dport || m.dport > env.nhost_probes)
		abort();
	if ((uint16_t)(m.sport - env.sport_base) >= env.sport_span)
		abort();
	if (!scan_host_module.classify(r, &state, &reason))
		return;
	if ((state != PORT_OPEN && state != PORT_FILTERED) || reason == REASON_NONE ||
	    reason >= REASON_COUNT)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_reply r;

	if (net_parse_frame(data, size, &r) == PS_OK)
		judge(&r);
	if (net_parse_ip(data, size, &r) == PS_OK)
		judge(&r);
	return 0;
}
