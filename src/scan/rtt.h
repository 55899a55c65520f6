/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_RTT_H
#define PS_SCAN_RTT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The RTT estimator both engines use: RFC 6298's, turning measured replies into a probe
 * timeout (the loss model that decides how many tries a silent port gets is passplan.h's).
 *
 * Defaults when scan_opts leaves a number at zero, the same for both engines (they were
 * 1000/100/3000 ms for connect and 250/10/1000 ms for SYN):
 *  - initial 1 s (RFC 6298 2.1). Before the first sample the timeout must exceed any RTT we
 *    may meet: a connect probe that times out is aborted (its socket reset), so if the
 *    initial timeout were below the path's RTT no answer would ever arrive to measure it and
 *    every port would come out filtered. The SYN engine pays it only when nothing answered
 *    before the first pass ended (a dark range), and a pass that sent nothing is not waited
 *    for (passplan.c), so a dark scan costs a few seconds, not a wrong answer.
 *  - minimum 10 ms. The floor applies once samples exist: then srtt + 4 rttvar already
 *    follows the path, and the floor only guards against a timeout shorter than our own
 *    scheduling. A spurious timeout costs the SYN engine a duplicate probe (a late reply
 *    still counts) and the connect engine one retry, which its loss model sees as loss and
 *    answers with more tries; answers already queued are read before any timeout fires
 *    (connect.c). A 100 ms floor cost every retransmission round 100 ms on a LAN: most of
 *    a 65535-port scan's time once the probes are out.
 *  - maximum 3 s: a path slower than that is one we cannot scan with per-probe timeouts
 *    anyway, and a cap keeps one burst of delayed samples from stalling a scan for long.
 */
#define SCAN_RTT_INITIAL_MS 1000u
#define SCAN_RTT_MIN_MS	    10u
#define SCAN_RTT_MAX_MS	    3000u

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

#endif
