/* SPDX-License-Identifier: MIT */
#ifndef PS_AUDIT_ADVICE_H
#define PS_AUDIT_ADVICE_H

/*
 * What to do about an exposed port: stop the program, bind it to loopback, or close the port
 * in nftables. For `portsight` (the check view): find the socket with audit_report_find(),
 * then ask audit_advise() for up to AUDIT_ADVICE_MAX pieces of advice, most direct first.
 */
#include <stddef.h>

#include "audit.h"

enum audit_advice_kind {
	AUDIT_ADVICE_STOP,	    /* stop (and disable) the program or its unit */
	AUDIT_ADVICE_BIND_LOOPBACK, /* make it listen on 127.0.0.1 / ::1 only */
	AUDIT_ADVICE_FIREWALL,	    /* an nft rule that closes the port to other hosts */
	AUDIT_ADVICE_NOTE,	    /* nothing to do, and why (loopback only, already blocked) */
};

#define AUDIT_ADVICE_MAX 3

struct audit_advice {
	enum audit_advice_kind kind;
	char text[200];	   /* one sentence for a person */
	char command[320]; /* a shell command that does it; "" when there is none */
};

/*
 * Fills out[] with advice for socket s of report r and returns how many (1..AUDIT_ADVICE_MAX).
 * A loopback-only socket, or one the firewall already drops or rejects, gets one NOTE.
 */
size_t audit_advise(const struct audit_report *r, const struct audit_socket *s,
		    struct audit_advice out[AUDIT_ADVICE_MAX]);

/* Writes the nft command that drops new connections to proto/port from other hosts into buf,
 * in a table of its own so it does not depend on the existing ruleset. */
void audit_advice_nft_rule(uint8_t proto, uint16_t port, char *buf, size_t len);

const char *audit_advice_kind_name(enum audit_advice_kind kind); /* "stop", "bind", ... */

#endif
