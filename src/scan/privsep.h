/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_PRIVSEP_H
#define PS_SCAN_PRIVSEP_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "engine.h"
#include "net/sandbox.h"

/*
 * Privilege separation for a raw engine. The caller opens its sockets with the privileges it
 * has; scan_privsep_run() then forks: the child gives up every capability (net_priv_drop)
 * and only then parses packets from the wire, sending each finding up a pipe as a fixed
 * record; the parent, which keeps its privileges for what the command does next (the local
 * audit needs CAP_NET_ADMIN and to read other processes' sockets), turns records back into
 * results. A parser bug in the child can reach neither the parent's capabilities nor its
 * memory.
 */
struct scan_privsep_record {
	uint64_t pair; /* the engine's own numbering of (address, port) */
	uint32_t rtt_us;
	uint8_t state;
	uint8_t reason;
	uint8_t ttl;
	uint8_t tries;
	/* Bytes that follow the record (what a reply said: struct service_facts), at most
	 * SCAN_PRIVSEP_EXTRA_MAX. */
	uint16_t extra_len;
};

#define SCAN_PRIVSEP_EXTRA_MAX 2048u

/* The child's side: where records go (buffered here, written to the pipe a batch at a time;
 * what is buffered when the sandbox stops the child is still sent). */
#define SCAN_PRIVSEP_OUT_BUF 8192
struct scan_privsep_out {
	int fd;
	volatile size_t len; /* complete records in buf */
	uint8_t buf[SCAN_PRIVSEP_OUT_BUF];
};

_Static_assert(SCAN_PRIVSEP_OUT_BUF >= sizeof(struct scan_privsep_record) + SCAN_PRIVSEP_EXTRA_MAX,
	       "a record with its largest extra fits the child's buffer");

/* extra: rec->extra_len bytes sent with the record (NULL when 0). */
void scan_privsep_emit(struct scan_privsep_out *out, const struct scan_privsep_record *rec,
		       const void *extra);
/* Sends what is buffered now (a progress record must not wait for the buffer to fill). */
void scan_privsep_flush(struct scan_privsep_out *out);

/*
 * Runs in the child, capabilities already dropped; fills stats. stop is the child's own flag
 * (set by a thread of the child): Ctrl-C goes to the parent, which passes it on through a
 * pipe of this run's own.
 */
typedef enum ps_err (*scan_privsep_child_fn)(void *ctx, const volatile sig_atomic_t *stop,
					     struct scan_privsep_out *out,
					     struct scan_stats *stats, struct ps_diag *diag);
/* Runs in the parent for every record, in order; extra holds its rec->extra_len bytes. */
typedef void (*scan_privsep_record_fn)(void *ctx, const struct scan_privsep_record *rec,
				       const void *extra);

/* Runs in the parent right after the fork: let go of what only the child uses. */
typedef void (*scan_privsep_release_fn)(void *ctx);

/*
 * Forks, runs child(child_ctx) there and on_record(record_ctx) here for each record; returns
 * the child's result (its diag and stats copied over) as soon as the child has sent it. When
 * *stop becomes set, the child is asked to stop (a byte on the run's stop pipe) and its
 * partial results still arrive. release (may be NULL) gets child_ctx in the parent after the fork: closing the
 * packet sockets there leaves their last close, and the RCU grace period each costs (tens of
 * milliseconds on a busy machine), to the exiting child, which is not waited for.
 */
enum ps_err scan_privsep_run(scan_privsep_child_fn child, void *child_ctx,
			     scan_privsep_release_fn release, scan_privsep_record_fn on_record,
			     void *record_ctx, const volatile sig_atomic_t *stop,
			     struct scan_stats *stats, struct ps_diag *diag);

/*
 * How a child is confined: its sandbox profile, who it is in error lines ("the packet
 * reader"), and what it loads after giving up its capabilities but before the sandbox closes
 * (prepare, may be NULL: OpenSSL's configuration, which it reads from files).
 * scan_privsep_run is scan_privsep_run_as with the packet reader's jail.
 */
struct scan_privsep_jail {
	enum net_sandbox_profile profile;
	const char *who;
	void (*prepare)(void *child_ctx);
};
enum ps_err scan_privsep_run_as(const struct scan_privsep_jail *jail, scan_privsep_child_fn child,
				void *child_ctx, scan_privsep_release_fn release,
				scan_privsep_record_fn on_record, void *record_ctx,
				const volatile sig_atomic_t *stop, struct scan_stats *stats,
				struct ps_diag *diag);

#endif
