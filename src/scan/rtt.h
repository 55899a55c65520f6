/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_RTT_H
#define PS_SCAN_RTT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Timing and retry policy shared by the scan engines: an RFC 6298 round-trip estimator that
 * turns measured replies into a probe timeout, and a loss model that turns "ports that only
 * answered on a retry" into how many tries a silent port deserves before it is called filtered.
 */

/* Defaults when scan_opts leaves a number at zero. */
#define SCAN_RTT_INITIAL_MS 1000u /* RFC 6298 2.1: 1 s before the first measurement */
#define SCAN_RTT_MIN_MS	    100u
#define SCAN_RTT_MAX_MS	    3000u
#define SCAN_MAX_RETRIES    10u
#define SCAN_MIN_TRIES	    2u /* one retry always: a single lost packet must not hide a port */

struct scan_rtt {
	uint64_t srtt_ns;
	uint64_t rttvar_ns;
	uint64_t initial_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	bool have_sample;
};

/* Zero milliseconds picks the default; a max below min is raised to min. */
void scan_rtt_init(struct scan_rtt *rtt, uint32_t initial_ms, uint32_t min_ms, uint32_t max_ms);
/* One measured round trip: from sending a probe to its answer. */
void scan_rtt_sample(struct scan_rtt *rtt, uint64_t sample_ns);
/* How long to wait for an answer before retrying: srtt + 4 rttvar, clamped to [min, max]. */
uint64_t scan_rtt_timeout_ns(const struct scan_rtt *rtt);

struct scan_loss {
	uint64_t pairs_total;  /* (address, port) pairs in the scan */
	uint64_t answered;     /* pairs that answered on some try */
	uint64_t failed_tries; /* unanswered tries of pairs that did answer later */
	unsigned max_tries;
};

void scan_loss_init(struct scan_loss *loss, uint64_t pairs_total, unsigned max_tries);
/* A pair answered on try number tries (1 = the first probe). */
void scan_loss_answer(struct scan_loss *loss, unsigned tries);
/*
 * How many tries a silent pair gets. conservative = false is the running estimate used while
 * the scan is under way; true is the final word before a pair is reported filtered.
 */
unsigned scan_loss_tries_cap(const struct scan_loss *loss, bool conservative);

#endif
