/* SPDX-License-Identifier: MIT */
#include <math.h>

#include "passplan.h"

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

double scan_loss_misses(const struct scan_loss *loss, unsigned tries)
{
	return scan_loss_misses_of(loss, loss->answered, tries);
}

double scan_loss_misses_of(const struct scan_loss *loss, uint64_t count, unsigned tries)
{
	double all = (double)(loss->answered + loss->failed_tries);
	double q, expected = (double)count;
	unsigned k;

	if (!loss->answered)
		return 0;
	q = (double)loss->failed_tries / all;
	for (k = 0; k < tries && expected > 0; k++)
		expected *= q;
	return expected;
}

/* The dark pass when it is not decided yet (pass 2, if pass 1 shows it is needed). */
#define DARK_PASS_UNDECIDED 2u
#define DARK_PASS_NEVER	    UINT32_MAX

void pass_plan_init(struct pass_plan *plan, uint64_t npairs, unsigned max_retries)
{
	unsigned retries = max_retries ? max_retries : PASS_PLAN_DEFAULT_RETRIES;

	*plan = (struct pass_plan){
	    .npairs = npairs,
	    .max_passes = retries + 1,
	    .dark_pass = retries >= 2 ? DARK_PASS_NEVER : 1,
	    .waited = true,
	};
	scan_loss_init(&plan->loss, npairs, plan->max_passes);
}

void pass_plan_no_dark_pass(struct pass_plan *plan)
{
	plan->dark_pass = DARK_PASS_NEVER;
	plan->no_dark_pass = true;
}

/*
 * After the wait that followed pass plan->pass - 1: is pass plan->pass worth sending? Two
 * budgets. The answering pairs of hosts that answered: answered x q^passes. And the live hosts
 * that still look dark because every try of their answering ports was lost: at worst such a
 * host has one, so (hosts that answered) x q^(tries of a dark pair). With a single dark pass
 * that second one was q^2 per host: a /16 with 200 one-port hosts at 2% loss each way lost a
 * port in one scan of eight.
 */
static bool worth_sending(struct pass_plan *plan, const struct pass_stats *stats)
{
	uint64_t recovered = stats->answered - plan->answered_before;
	uint64_t hosts = stats->hosts_answered ? stats->hosts_answered : stats->answered;
	unsigned p = plan->pass;

	if (p == DARK_PASS_UNDECIDED && plan->max_passes > 2 && !plan->no_dark_pass &&
	    (plan->last_sent == 0 || recovered > 0))
		plan->dark_pass = p;
	if (p < 2 || recovered > 0 || plan->dark_pass == p)
		return true;
	if (scan_loss_misses(&plan->loss, plan->passes_sent) > SCAN_LOSS_BUDGET)
		return true;
	return plan->dark_pass < plan->passes_sent &&
	       scan_loss_misses_of(&plan->loss, hosts, plan->passes_sent - plan->dark_pass + 1) >
		   SCAN_LOSS_BUDGET;
}

enum pass_step pass_plan_next(struct pass_plan *plan, const struct pass_stats *stats)
{
	if (stats->stop)
		return PASS_STOPPED;
	if (plan->passes_sent == 0) {
		plan->answered_before = stats->answered;
		return stats->answered >= plan->npairs ? PASS_DONE : PASS_SEND;
	}
	if (stats->answered >= plan->npairs || plan->passes_sent >= plan->max_passes)
		return PASS_DONE;
	/* A pass that sent nothing has nothing to wait for. */
	if (!plan->waited && plan->last_sent) {
		plan->waited = true;
		return PASS_WAIT;
	}
	plan->pass = plan->passes_sent;
	if (!worth_sending(plan, stats)) {
		plan->pass = plan->passes_sent - 1; /* answers from now on are the last pass's */
		return PASS_DONE;
	}
	plan->answered_before = stats->answered;
	return PASS_SEND;
}

void pass_plan_sent(struct pass_plan *plan, uint64_t sent)
{
	plan->last_sent = sent;
	plan->passes_sent = plan->pass + 1;
	plan->waited = false;
}

void pass_plan_answer(struct pass_plan *plan)
{
	scan_loss_answer(&plan->loss, plan->pass + 1);
}

void pass_plan_answer_unlimited(struct pass_plan *plan)
{
	scan_loss_answer(&plan->loss, 1);
}

bool pass_plan_resends(const struct pass_plan *plan, bool host_answered)
{
	return plan->pass == 0 || plan->pass >= plan->dark_pass || host_answered;
}

unsigned pass_plan_tries(const struct pass_plan *plan, bool host_answered)
{
	if (host_answered)
		return plan->passes_sent;
	return plan->dark_pass < plan->passes_sent ? plan->passes_sent - plan->dark_pass + 1 : 1;
}
