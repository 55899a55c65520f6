/* SPDX-License-Identifier: MIT */
#include <math.h>

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

void scan_loss_init(struct scan_loss *loss, uint64_t pairs_total, unsigned max_tries)
{
	*loss = (struct scan_loss){
	    .pairs_total = pairs_total,
	    .max_tries = max_tries < SCAN_MIN_TRIES ? SCAN_MIN_TRIES : max_tries,
	};
}

void scan_loss_answer(struct scan_loss *loss, unsigned tries)
{
	loss->answered++;
	loss->failed_tries += tries ? tries - 1 : 0;
}

/*
 * Why the cap is what it is.
 *
 * A pair that would answer (open: SYN-ACK, closed: RST, rejected: ICMP) stays silent on one
 * try when the probe or the answer is lost: with independent loss p each way that happens with
 * q = 1 - (1 - p)^2, so about 0.0199 at p = 1%. A silent pair is reported filtered after k
 * tries, so an answering pair is misreported with probability q^k, and over N pairs we expect
 * N q^k misreports. We choose the smallest k with N q^k <= SCAN_LOSS_BUDGET (1e-3: one scan in
 * a thousand loses a port). For a full 65535-port scan at 1% loss each way:
 *	k = 4: 65535 * 0.0199^4 = 1.0e-2	(one scan in a hundred loses a port: too many)
 *	k = 5: 65535 * 0.0199^5 = 2.0e-4	(chosen)
 * On a clean path q is ~0 and k = 2 already gives N q^2 far below the budget, so 1100 silently
 * dropped ports cost two timeouts, not ten.
 *
 * q is estimated from pairs that answered: each answered on try t_i, so sum(t_i - 1) tries were
 * lost out of sum(t_i) (a geometric distribution's maximum likelihood estimate). Silent pairs
 * tell nothing: a firewall drop and a lost packet look the same. A prior of one loss in twenty
 * tries keeps the estimate sane before any answer arrived (a one-port scan of a silent port
 * gets 4 tries, not 11). The conservative estimate adds two standard errors, so a scan that
 * saw few answers retries more rather than guess low. While the scan runs the point estimate
 * decides; pairs that used up that cap wait until the end, when the conservative cap (now
 * based on every answer) decides whether they get more tries.
 */
#define SCAN_LOSS_BUDGET      1e-3
#define SCAN_LOSS_PRIOR_LOST  1.0
#define SCAN_LOSS_PRIOR_TRIES 20.0

unsigned scan_loss_tries_cap(const struct scan_loss *loss, bool conservative)
{
	double tries = (double)(loss->answered + loss->failed_tries) + SCAN_LOSS_PRIOR_TRIES;
	double q = ((double)loss->failed_tries + SCAN_LOSS_PRIOR_LOST) / tries;
	double pairs = loss->pairs_total ? (double)loss->pairs_total : 1.0;
	double expected;
	unsigned k;

	if (conservative)
		q += 2.0 * sqrt(q * (1.0 - q) / tries);
	if (q >= 1.0)
		return loss->max_tries;
	expected = pairs * q;
	for (k = 1; k < loss->max_tries; k++) {
		if (k >= SCAN_MIN_TRIES && expected <= SCAN_LOSS_BUDGET)
			break;
		expected *= q;
	}
	return k;
}
