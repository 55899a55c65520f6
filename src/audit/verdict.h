/* SPDX-License-Identifier: MIT */
#ifndef PS_AUDIT_VERDICT_H
#define PS_AUDIT_VERDICT_H

/*
 * The one verdict on this machine and the one exit-code rule, for `check` and `local` alike.
 * Per port (a port with several sockets counts once, by its most exposed socket) it tallies what
 * another host would get (outside.h), so the verdict's numbers are the table's OUTSIDE column,
 * and a finding is what the user must act on: a port Open to other hosts, or a warning.
 */
#include <stdbool.h>
#include <stddef.h>

#include "audit.h"
#include "outside.h"

enum audit_verdict_kind {
	AUDIT_VERDICT_NOT_EXPOSED, /* nothing other hosts can reach */
	AUDIT_VERDICT_EXPOSED,	   /* at least one port Open to other hosts */
	AUDIT_VERDICT_UNKNOWN, /* the firewall or the sockets could not be read: never a guess */
};

struct audit_verdict {
	enum audit_verdict_kind kind;
	size_t ports;	      /* distinct (protocol, port) listening */
	size_t open;	      /* Open to other hosts */
	size_t closed;	      /* the firewall rejects: Closed */
	size_t stealth;	      /* the firewall drops: Stealth */
	size_t unknown;	      /* listening for other hosts, firewall not judged */
	size_t loopback_only; /* not theirs to see */
	size_t warnings;      /* once per (program, port), as printed */
	bool findings;	      /* exit code 1: open or warnings */
	char text[320];	      /* "EXPOSED: 1 port reachable from other hosts (tcp/4102); ..." */
};

/* r NULL: the sockets could not be read, why says so (may be NULL). Pure: no I/O. */
void audit_verdict_of(const struct audit_report *r, const char *why, struct audit_verdict *v);
/* "NOT EXPOSED", "EXPOSED", "UNKNOWN" */
const char *audit_verdict_name(enum audit_verdict_kind kind);

#endif
