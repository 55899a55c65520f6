/* SPDX-License-Identifier: MIT */
#include "rtt.h"

#define NS_PER_MS 1000000ull

static uint64_t ms_or(uint32_t ms, uint32_t fallback)
{
	return (uint64_t)(ms ? ms : fallback) * NS_PER_MS;
}

void scan_rtt_init(struct scan_rtt *rtt, uint32_t initial_ms, uint32_t min_ms, uint32_t max_ms)
{
	*rtt = (struct scan_rtt){
	    .initial_ns = ms_or(initial_ms, SCAN_RTT_INITIAL_MS),
	    .min_ns = ms_or(min_ms, SCAN_RTT_MIN_MS),
	    .max_ns = ms_or(max_ms, SCAN_RTT_MAX_MS),
	};
	if (rtt->max_ns < rtt->min_ns)
		rtt->max_ns = rtt->min_ns;
}

void scan_rtt_sample(struct scan_rtt *rtt, uint64_t sample_ns)
{
	uint64_t diff;

	if (!rtt->have_sample) {
		/* RFC 6298 2.2 */
		rtt->srtt_ns = sample_ns;
		rtt->rttvar_ns = sample_ns / 2;
		rtt->have_sample = true;
		return;
	}
	/* RFC 6298 2.3 with alpha = 1/8, beta = 1/4 */
	diff = rtt->srtt_ns > sample_ns ? rtt->srtt_ns - sample_ns : sample_ns - rtt->srtt_ns;
	rtt->rttvar_ns = rtt->rttvar_ns - rtt->rttvar_ns / 4 + diff / 4;
	rtt->srtt_ns = rtt->srtt_ns - rtt->srtt_ns / 8 + sample_ns / 8;
}

uint64_t scan_rtt_timeout_ns(const struct scan_rtt *rtt)
{
	uint64_t rto = rtt->have_sample ? rtt->srtt_ns + 4 * rtt->rttvar_ns : rtt->initial_ns;

	if (rto < rtt->min_ns)
		rto = rtt->min_ns;
	if (rto > rtt->max_ns)
		rto = rtt->max_ns;
	return rto;
}
