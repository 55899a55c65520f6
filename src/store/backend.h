/* SPDX-License-Identifier: MIT */
#ifndef PS_STORE_BACKEND_H
#define PS_STORE_BACKEND_H

#include "core/target.h"
#include "store.h"

/*
 * A history backend: one const descriptor per database kind, and an opaque connection it
 * allocates in open. store.c picks the descriptor from the location and dispatches every
 * store_* call through it; a backend never sees another's connection. Every function is
 * required. A new kind of database (PostgreSQL) is one more descriptor and one more line in
 * store.c's scheme table; the compact encoding of port states is shared (hoststates.h).
 */
struct store_backend {
	const char *name; /* "sqlite" */
	/* location: what follows the scheme ("sqlite:PATH" gives PATH), or a bare path. */
	enum ps_err (*open)(const char *location, void **conn, struct ps_diag *diag);
	void (*close)(void *conn);
	int (*schema)(const void *conn);
	enum ps_err (*scan_begin)(void *conn, const struct store_scan_params *p, int64_t *id,
				  struct ps_diag *diag);
	enum ps_err (*scan_port)(void *conn, const struct port_result *res, struct ps_diag *diag);
	enum ps_err (*scan_commit)(void *conn, struct ps_diag *diag);
	enum ps_err (*scan_end)(void *conn, const struct store_scan_totals *t,
				struct ps_diag *diag);
	/* Stops recording without an end: the scan stays incomplete, what was committed stays. */
	void (*scan_abort)(void *conn);
	enum ps_err (*list_scans)(void *conn, unsigned limit, store_scan_fn fn, void *ctx,
				  struct ps_diag *diag);
	enum ps_err (*last_pair)(void *conn, int64_t *old_id, int64_t *new_id,
				 struct ps_diag *diag);
	enum ps_err (*load_scan)(void *conn, int64_t id, struct snapshot *snap,
				 struct ps_diag *diag);
};

extern const struct store_backend store_sqlite_backend;
/* Built when libpq is there (PS_HAVE_LIBPQ); the location is the whole connection URI. */
extern const struct store_backend store_postgres_backend;

/*
 * The identity of a target set and port set (store_scan_identity's hash) from address ranges
 * in any order, overlapping or adjacent: ranges is sorted and merged in place.
 */
enum ps_err store_identity_of_ranges(struct target_range *ranges, size_t n,
				     const struct portset *ports, char out[STORE_IDENTITY_LEN + 1]);

#endif
