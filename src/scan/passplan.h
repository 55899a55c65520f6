/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_PASSPLAN_H
#define PS_SCAN_PASSPLAN_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The loss model, and the retransmission plan of a pass-based (stateless) transport built on
 * it. Both engines retry silent pairs by the same model: the connect engine pair by pair
 * (scan_loss_tries_cap), the raw transport pass by pass (pass_plan).
 */

#define SCAN_MAX_RETRIES 10u
#define SCAN_MIN_TRIES	 2u   /* one retry always: a single lost packet must not hide a port */
#define SCAN_LOSS_BUDGET 1e-3 /* expected misreported pairs per scan we accept */

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
/*
 * Answering pairs expected to be still unheard after tries tries each: answered x q^tries,
 * q the measured loss of one try (no prior: with no answer at all, nothing was lost).
 */
double scan_loss_misses(const struct scan_loss *loss, unsigned tries);
/* The same for count answering things (hosts, say) instead of the answered pairs. */
double scan_loss_misses_of(const struct scan_loss *loss, uint64_t count, unsigned tries);

/*
 * The pass plan. Pass 0 probes every pair; later passes re-send the unanswered pairs of hosts
 * that answered something (a silent port there is worth asking again). Pairs of hosts that
 * said nothing at all, most of a sparse network, are re-sent from the "dark pass" on: pass 1
 * when at most one retry is allowed, else pass 2, and only when pass 1 showed loss (it
 * recovered answers) or had nothing to show it with (it sent nothing). On a clean network
 * that halves the probes of a mostly dark range; on a lossy one a host whose only open port
 * lost its first probe gets the tries the loss calls for, not one.
 *
 * Between passes the transport waits one RTO. A retransmission pass that woke nothing up
 * means nothing is being lost, unless the path is lossy and the last few lost pairs were
 * simply lost again: the plan goes on while scan_loss_misses() says more than
 * SCAN_LOSS_BUDGET answering pairs may still be unheard (stopping at the first pass that
 * recovered nothing once misreported a closed port as filtered: 1% loss each way, 65535
 * ports, a loaded machine). At most max_retries + 1 passes; a stop request ends it at once.
 *
 * The transport's loop:
 *	pass_plan_init(&plan, npairs, max_retries);
 *	while ((step = pass_plan_next(&plan, &stats)) != PASS_DONE && step != PASS_STOPPED)
 *		step == PASS_SEND ? send pass plan.pass (pass_plan_resends() says which pairs),
 *				    then pass_plan_sent()
 *				  : wait one RTO for answers (pass_plan_answer() for each);
 *	final wait; every unanswered pair is silent after pass_plan_tries() tries.
 */
enum pass_step {
	PASS_SEND,    /* send pass plan->pass now */
	PASS_WAIT,    /* give the last pass one RTO to be answered, then ask again */
	PASS_DONE,    /* nothing more to send: final wait, then report the silent pairs */
	PASS_STOPPED, /* a stop was requested */
};

struct pass_stats {
	uint64_t answered;	 /* pairs answered so far */
	uint64_t hosts_answered; /* hosts that answered something (0: not counted) */
	bool stop;	   /* stop requested (Ctrl-C) */
};

struct pass_plan {
	uint64_t npairs;
	unsigned max_passes;
	unsigned pass;		  /* the pass being sent, or the next one */
	unsigned passes_sent;	  /* passes completely sent */
	unsigned dark_pass;	  /* the first pass that re-sends pairs of silent hosts */
	bool no_dark_pass;	  /* pass_plan_no_dark_pass(): never one */
	bool waited;		  /* the last sent pass got its RTO */
	uint64_t answered_before; /* answers when the last pass began */
	uint64_t last_sent;	  /* probes the last pass sent */
	struct scan_loss loss;
};

/*
 * max_retries 0: the default, SCAN_MAX_RETRIES as in the connect engine (the plan stops long
 * before on a clean path: after pass 1, or after the dark pass).
 */
void pass_plan_init(struct pass_plan *plan, uint64_t npairs, unsigned max_retries);
enum pass_step pass_plan_next(struct pass_plan *plan, const struct pass_stats *stats);
/*
 * No dark pass: the pairs of a host that answered nothing are sent once. For host discovery
 * with several probes per host, which stand in for each other's retransmissions (a live
 * host is missed only if every one of them is lost).
 */
void pass_plan_no_dark_pass(struct pass_plan *plan);
/* The pass just sent (PASS_SEND) is out, with sent probes. */
void pass_plan_sent(struct pass_plan *plan, uint64_t sent);
/* A pair answered during pass plan->pass (or the wait after it). */
void pass_plan_answer(struct pass_plan *plan);
/*
 * A pair answered on the first probe it got an answer budget for: the earlier tries were not
 * lost but refused by the target's ICMP rate limit, which the transport now paces to. Counted
 * as no loss, so the silent pairs left do not look like a lossy path to be asked ten times.
 */
void pass_plan_answer_unlimited(struct pass_plan *plan);
/* Whether the current pass re-sends an unanswered pair of a host that answered / did not. */
bool pass_plan_resends(const struct pass_plan *plan, bool host_answered);
/* Probes an unanswered pair got, once the plan is done. */
unsigned pass_plan_tries(const struct pass_plan *plan, bool host_answered);

#define PASS_PLAN_DEFAULT_RETRIES SCAN_MAX_RETRIES

#endif
