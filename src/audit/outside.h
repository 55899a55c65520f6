/* SPDX-License-Identifier: MIT */
#ifndef PS_AUDIT_OUTSIDE_H
#define PS_AUDIT_OUTSIDE_H

/*
 * The ShieldsUP verdict another host would get on a port, judged from the inside: from the
 * socket's binding and the firewall's verdict for it, without sending anything. For a port
 * with several sockets, ask about the most exposed one (audit_report_find()).
 */
#include "audit.h"

enum audit_outside {
	AUDIT_OUTSIDE_NONE,    /* no socket, or a loopback-only one: not theirs to see ("-") */
	AUDIT_OUTSIDE_OPEN,    /* reachable and the firewall accepts (or none was judged) */
	AUDIT_OUTSIDE_CLOSED,  /* the firewall rejects: an answer, so the host is visible */
	AUDIT_OUTSIDE_STEALTH, /* the firewall drops: no answer at all */
	AUDIT_OUTSIDE_UNKNOWN, /* the firewall could not be judged: never a guess */
};

/* s may be NULL (nothing listens). */
enum audit_outside audit_outside_view(const struct audit_socket *s);
/* "-", "Open", "Closed", "Stealth", "unknown" */
const char *audit_outside_name(enum audit_outside v);

#endif
