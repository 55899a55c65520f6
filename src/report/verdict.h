/* SPDX-License-Identifier: MIT */
#ifndef PS_REPORT_VERDICT_H
#define PS_REPORT_VERDICT_H

#include <stdint.h>

/*
 * ShieldsUP's three states, for one host: Open (answers and accepts), Closed (the host answers,
 * with an RST or an ICMP error, so it is visible) and Stealth (no answer at all). A host is
 * "stealth" only when every port that is not open gave no answer.
 */
enum verdict_kind {
	VERDICT_EXPOSED, /* at least one open port */
	VERDICT_CLOSED,	 /* nothing open, but the host reveals itself */
	VERDICT_STEALTH, /* nothing open, nothing answered */
};

struct verdict {
	enum verdict_kind kind;
	char text[96];
};

void verdict_of(uint64_t open, uint64_t closed, uint64_t stealth, struct verdict *v);
const char *verdict_kind_name(enum verdict_kind kind);

#endif
