/* SPDX-License-Identifier: MIT */
#ifndef PS_SERVE_LIMITS_H
#define PS_SERVE_LIMITS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"

/*
 * Who may start a scan now: one at a time per visitor address, at most max_active in all, at
 * most quota per address in any hour. Thread-safe; time is passed in (seconds) so tests can
 * move it. The table of addresses is fixed: memory does not grow with the visitors.
 */
enum serve_refusal {
	SERVE_OK,
	SERVE_REFUSE_ACTIVE, /* this address already has a scan running */
	SERVE_REFUSE_QUOTA,  /* this address used its scans for this hour */
	SERVE_REFUSE_BUSY,   /* the server runs as many scans as it may */
	SERVE_REFUSE_COUNT
};

#define SERVE_QUOTA_MAX	     64
#define SERVE_QUOTA_WINDOW_S 3600

struct serve_limit_entry {
	struct ps_addr addr;
	bool used;
	bool active;
	uint8_t nstarts;
	int64_t starts[SERVE_QUOTA_MAX]; /* ring of the latest scan start times */
	uint8_t next;
};

struct serve_limits {
	pthread_mutex_t lock;
	unsigned max_active, active;
	unsigned quota; /* scans per address per hour, 1..SERVE_QUOTA_MAX */
	struct serve_limit_entry *table;
	size_t size;
};

enum ps_err serve_limits_init(struct serve_limits *l, unsigned max_active, unsigned quota,
			      size_t addresses);
void serve_limits_release(struct serve_limits *l);
/* Takes a scan slot for addr at time now, or says why not. */
enum serve_refusal serve_limits_acquire(struct serve_limits *l, const struct ps_addr *addr,
					int64_t now);
/* The scan of addr ended. */
void serve_limits_done(struct serve_limits *l, const struct ps_addr *addr);
const char *serve_refusal_name(enum serve_refusal r);

#endif
