/* SPDX-License-Identifier: MIT */
#include "rate.h"

/* A window closes after this many probes and expects this many replies to be trusted. */
#define WINDOW_MIN_SENT 512u
#define WINDOW_MIN_REPLIES 128u

/*
 * The bucket holds about 10 ms worth of tokens (a coarse sleep, ~1 ms on a loaded machine,
 * must not lose rate), at most one send batch of 64 unless 2 ms worth is more (a fast scan
 * sends whole batches). A low --rate thus never bursts more than 1/100 s worth after a pause:
 * the cap the user asked for holds over any 10 ms, in both engines.
 */
static void set_burst(struct scan_rate *rate)
{
	double small = rate->pps / 100.0 + 1.0;

	rate->burst = rate->pps / 500.0;
	if (rate->burst < 64.0)
		rate->burst = small < 64.0 ? small : 64.0;
}

void scan_rate_init(struct scan_rate *rate, uint32_t fixed_pps, uint64_t now_ns)
{
	rate->fixed = fixed_pps != 0;
	rate->pps = fixed_pps ? fixed_pps : SCAN_RATE_START;
	rate->max_pps = fixed_pps ? fixed_pps : SCAN_RATE_AUTO_MAX;
	rate->min_pps = SCAN_RATE_MIN;
	rate->lowest_pps = 0;
	rate->slow_start = !rate->fixed;
	rate->increase = 0;
	rate->tokens = 0;
	rate->refill_ns = now_ns;
	rate->tick_ns = now_ns;
	rate->win_sent = 0;
	rate->win_replies = 0;
	rate->ratio_avg = -1.0;
	rate->decreases = 0;
	set_burst(rate);
}

void scan_rate_bounds(struct scan_rate *rate, double min_pps, double max_pps)
{
	if (max_pps <= 0)
		max_pps = SCAN_RATE_AUTO_MAX;
	if (min_pps < 1.0)
		min_pps = 1.0;
	if (min_pps > max_pps)
		min_pps = max_pps;
	rate->fixed = false;
	rate->slow_start = true;
	rate->min_pps = min_pps;
	rate->max_pps = max_pps;
	rate->pps = SCAN_RATE_START;
	if (rate->pps > max_pps)
		rate->pps = max_pps;
	if (rate->pps < min_pps)
		rate->pps = min_pps;
	set_burst(rate);
}

unsigned scan_rate_take(struct scan_rate *rate, uint64_t now_ns, unsigned want)
{
	unsigned n;

	if (now_ns > rate->refill_ns) {
		rate->tokens += (double)(now_ns - rate->refill_ns) * rate->pps / 1e9;
		rate->refill_ns = now_ns;
		if (rate->tokens > rate->burst)
			rate->tokens = rate->burst;
	}
	n = rate->tokens >= want ? want : (unsigned)rate->tokens;
	rate->tokens -= n;
	return n;
}

uint64_t scan_rate_wait_ns(const struct scan_rate *rate)
{
	double missing = 1.0 - rate->tokens;

	return missing <= 0 ? 0 : (uint64_t)(missing * 1e9 / rate->pps) + 1;
}

void scan_rate_account(struct scan_rate *rate, unsigned sent, unsigned replies)
{
	rate->win_sent += sent;
	rate->win_replies += replies;
}

void scan_rate_set_pps(struct scan_rate *rate, double pps)
{
	if (pps < 1.0)
		pps = 1.0;
	rate->pps = pps;
	rate->max_pps = pps;
	set_burst(rate);
}

void scan_rate_window_reset(struct scan_rate *rate)
{
	rate->win_sent = 0;
	rate->win_replies = 0;
}

static void decrease(struct scan_rate *rate)
{
	if (rate->slow_start || rate->increase == 0)
		rate->increase = rate->pps / 32.0;
	rate->slow_start = false;
	rate->pps /= 2.0;
	if (rate->pps < rate->min_pps)
		rate->pps = rate->min_pps;
	if (!rate->lowest_pps || rate->pps < rate->lowest_pps)
		rate->lowest_pps = rate->pps;
	rate->decreases++;
}

/* True when the window's reply ratio says replies went missing. */
static bool ratio_loss(struct scan_rate *rate)
{
	double ratio;
	bool loss = false;

	if (rate->win_sent < WINDOW_MIN_SENT)
		return false;
	ratio = (double)rate->win_replies / (double)rate->win_sent;
	if (rate->ratio_avg < 0) {
		rate->ratio_avg = ratio;
	} else if (rate->ratio_avg * (double)rate->win_sent < WINDOW_MIN_REPLIES) {
		/* Too few replies expected for the ratio to mean anything: widen the window. */
		return false;
	} else {
		loss = ratio < 0.75 * rate->ratio_avg;
		if (!loss)
			rate->ratio_avg += (ratio - rate->ratio_avg) / 8.0;
	}
	rate->win_sent = 0;
	rate->win_replies = 0;
	return loss;
}

void scan_rate_tick(struct scan_rate *rate, uint64_t now_ns, bool hard_loss)
{
	bool loss;

	if (now_ns - rate->tick_ns < SCAN_RATE_TICK_NS && !hard_loss)
		return;
	rate->tick_ns = now_ns;
	if (rate->fixed)
		return;
	loss = hard_loss || ratio_loss(rate);
	if (loss)
		decrease(rate);
	else if (rate->slow_start)
		rate->pps *= SCAN_RATE_SLOW_START_GROWTH;
	else
		rate->pps += rate->increase;
	if (rate->pps > rate->max_pps)
		rate->pps = rate->max_pps;
	set_burst(rate);
}
