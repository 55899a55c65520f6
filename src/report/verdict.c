/* SPDX-License-Identifier: MIT */
#include "verdict.h"

#include <inttypes.h>
#include <stdio.h>

void verdict_of(uint64_t open, uint64_t closed, uint64_t stealth, struct verdict *v)
{
	(void)stealth;
	if (open) {
		v->kind = VERDICT_EXPOSED;
		snprintf(v->text, sizeof(v->text), "EXPOSED: %" PRIu64 " open port%s", open,
			 open == 1 ? "" : "s");
	} else if (closed) {
		v->kind = VERDICT_CLOSED;
		snprintf(v->text, sizeof(v->text),
			 "CLOSED: nothing open, but %" PRIu64 " port%s answered (not stealth)",
			 closed, closed == 1 ? "" : "s");
	} else {
		v->kind = VERDICT_STEALTH;
		snprintf(v->text, sizeof(v->text), "STEALTH: no port answered");
	}
}

const char *verdict_kind_name(enum verdict_kind kind)
{
	switch (kind) {
	case VERDICT_EXPOSED:
		return "exposed";
	case VERDICT_CLOSED:
		return "closed";
	default:
		return "stealth";
	}
}
