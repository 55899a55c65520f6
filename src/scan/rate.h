/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_RATE_H
#define PS_SCAN_RATE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Send pacing: a token bucket whose rate is either fixed (--rate) or found automatically. One
 * limiter for both engines, with the same --rate semantics (the same bucket, the same burst):
 * the raw transport uses both modes; the connect engine only the fixed one, because without
 * --rate its window of handshakes in flight is already a closed loop through the kernel
 * (a probe ends with an answer, an error or its timeout) and needs no open-loop pacing on
 * top, while the loss signals of automatic mode (ring drops, ENOBUFS on a packet socket)
 * have no counterpart on its sockets.
 *
 * Automatic mode is AIMD. It starts at SCAN_RATE_START pps and, every tick (5 ms) without a
 * loss signal, grows: x1.5 per tick until the first loss (slow start), then by 1/32 of the
 * rate at that loss per tick. A loss signal halves the rate (never below SCAN_RATE_MIN), and
 * the ceiling is SCAN_RATE_AUTO_MAX (--rate sets a fixed rate instead).
 * Loss signals are: the receive ring dropped frames, the device queue refused a frame
 * (ENOBUFS), or the reply ratio of a window of probes fell below 3/4 of its running average
 * (a permuted scan spreads answering pairs evenly, so that ratio is steady until something
 * on the path starts dropping).
 */
#define SCAN_RATE_START 50000u
#define SCAN_RATE_MIN 100u
#define SCAN_RATE_AUTO_MAX 2000000u
#define SCAN_RATE_TICK_NS 5000000ull
#define SCAN_RATE_SLOW_START_GROWTH 1.5

struct scan_rate {
	double pps;
	double min_pps; /* automatic mode's floor: SCAN_RATE_MIN, or --min-rate */
	double max_pps;
	double lowest_pps; /* the lowest rate a loss brought it down to; 0: never lowered */
	bool fixed;
	bool slow_start;
	double increase; /* pps added per tick after slow start */
	double tokens;
	double burst;
	uint64_t refill_ns;
	uint64_t tick_ns;
	/* reply-ratio window */
	uint64_t win_sent, win_replies;
	double ratio_avg; /* < 0 until the first window closes */
	uint32_t decreases;
};

void scan_rate_init(struct scan_rate *rate, uint32_t fixed_pps, uint64_t now_ns);
/*
 * Automatic mode between min_pps and max_pps (--min-rate, --max-rate): the rate starts at
 * SCAN_RATE_START brought into the bounds, and a loss never takes it below min_pps. max_pps 0:
 * SCAN_RATE_AUTO_MAX. A bucket made fixed by scan_rate_init becomes automatic.
 */
void scan_rate_bounds(struct scan_rate *rate, double min_pps, double max_pps);
/* Takes up to want tokens; returns how many may be sent now. */
unsigned scan_rate_take(struct scan_rate *rate, uint64_t now_ns, unsigned want);
/* Nanoseconds until one token is there. */
uint64_t scan_rate_wait_ns(const struct scan_rate *rate);
/* Accounts probes sent and replies seen (for the ratio signal). */
void scan_rate_account(struct scan_rate *rate, unsigned sent, unsigned replies);
/* Sets the rate of a fixed bucket (a share of another controller's rate); keeps its tokens. */
void scan_rate_set_pps(struct scan_rate *rate, double pps);
/* Forgets the reply-ratio window (the probes that follow will be of another kind). */
void scan_rate_window_reset(struct scan_rate *rate);
/* Once per loop: applies the tick's adjustment. hard_loss: ring drops or ENOBUFS. */
void scan_rate_tick(struct scan_rate *rate, uint64_t now_ns, bool hard_loss);

#endif
