/* SPDX-License-Identifier: MIT */
#ifndef PS_AUDIT_SOCKDIAG_H
#define PS_AUDIT_SOCKDIAG_H

/*
 * sock_diag netlink (inet_diag): the request ss sends, and a parser for the dump that comes
 * back. The parser takes raw bytes and trusts nothing in them, so the fuzz harness and the
 * unit tests drive it directly.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"

struct audit_diag_entry {
	uint8_t proto;
	uint8_t state;
	struct ps_addr addr;
	uint16_t port;
	uint32_t ifindex;
	uint32_t uid;
	uint64_t inode;
	int8_t v6only; /* -1 when not reported (IPv4) */
};

/* Everything one or more dumps produced. Entries are capped at max. */
struct audit_diag_dump {
	struct audit_diag_entry *v;
	size_t n, cap, max;
	size_t nmalformed; /* messages skipped: payload too short, unknown family */
	bool interrupted;  /* NLM_F_DUMP_INTR: the socket table changed during the dump */
	int error;	   /* errno from an NLMSG_ERROR that ended the dump, else 0 */
	bool cut_short;	   /* a datagram did not parse: the rest of that dump was dropped */
	char cut_note[PS_DIAG_MAX];
};

#define AUDIT_DIAG_MAX_ENTRIES (1u << 22)

void audit_diag_dump_init(struct audit_diag_dump *d, size_t max);
void audit_diag_dump_release(struct audit_diag_dump *d);

/*
 * Parses one datagram of a dump for protocol proto. *done becomes true at NLMSG_DONE or an
 * NLMSG_ERROR (recorded in d->error). A broken netlink frame returns PS_ERR_TRUNCATED or
 * PS_ERR_INVALID; entries parsed before it are kept.
 */
enum ps_err audit_diag_parse(const void *buf, size_t len, uint8_t proto, struct audit_diag_dump *d,
			     bool *done, struct ps_diag *diag);

/* Builds the SOCK_DIAG_BY_FAMILY dump request (INET_DIAG_REQ_V2); returns its length, or 0 when
 * size is too small. states is a bit mask of TCP states (1 << TCP_LISTEN, ...). */
size_t audit_diag_request(void *buf, size_t size, uint8_t family, uint8_t proto, uint32_t states,
			  uint32_t seq);

/* Dumps family/proto sockets in the given states from the current network namespace. A
 * datagram that does not parse ends that dump with what was parsed so far, d->cut_short set
 * and the reason in d->cut_note: the sockets already seen are still worth reporting. */
enum ps_err audit_diag_collect(uint8_t family, uint8_t proto, uint32_t states,
			       struct audit_diag_dump *d, struct ps_diag *diag);

#endif
