/* SPDX-License-Identifier: MIT */
#ifndef PS_CORE_TARGET_H
#define PS_CORE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"

/* The most targets one spec or file token may name (a hostname is at most 253 characters). */
#define TARGET_TOKEN_MAX 256

/* Turns a hostname into one address; the caller (src/net) does the I/O. */
typedef enum ps_err (*target_resolve_fn)(void *ctx, const char *name, struct ps_addr *out,
					 struct ps_diag *diag);

/* Inclusive range of addresses of one family, optionally labelled with the name it came from. */
struct target_range {
	ps_u128 lo;
	ps_u128 hi;
	uint8_t family;
	uint32_t name; /* index + 1 into target_list.names; 0 when given as an address */
};

/*
 * The addresses to scan. Specs are added one by one, then target_list_finish() merges overlaps,
 * applies exclusions and numbers the addresses 0..total-1 so engines can walk them in any
 * order (the SYN engine permutes that index space).
 */
struct target_list {
	struct target_range *ranges;
	size_t nranges;
	size_t ranges_cap;
	char **names;
	size_t nnames;
	size_t names_cap;
	uint64_t *start; /* start[i]: index of the first address of ranges[i] */
	uint64_t total;
};

void target_list_init(struct target_list *list);
void target_list_release(struct target_list *list);

/*
 * One spec: "192.0.2.7", "192.0.2.0/24", "192.0.2.10-20", "192.0.2.10-192.0.2.30",
 * "2001:db8::/120", "2001:db8::1-2001:db8::ff", "2001:db8::1-ff", or a hostname (resolved
 * once through resolve, which may be NULL to refuse names).
 */
enum ps_err target_list_add_spec(struct target_list *list, const char *spec,
				 target_resolve_fn resolve, void *resolve_ctx, struct ps_diag *diag);
/* Specs separated by white space or commas, '#' starts a comment to the end of the line. */
enum ps_err target_list_add_text(struct target_list *list, const char *text, size_t len,
				 target_resolve_fn resolve, void *resolve_ctx,
				 struct ps_diag *diag);
/*
 * Merges overlapping specs (each address once), removes exclude's addresses (exclude may be
 * NULL) and refuses more than max_total addresses (PS_ERR_TOO_LARGE) or none at all.
 */
enum ps_err target_list_finish(struct target_list *list, const struct target_list *exclude,
			       uint64_t max_total, struct ps_diag *diag);
/*
 * Appends one range as it is (no checks; finish merges and numbers it): for a list built from
 * another's ranges, like the addresses a scan cannot route to.
 */
enum ps_err target_list_add_range(struct target_list *list, const struct target_range *range);
/* dst (initialised, empty) gets src's ranges and names, unfinished: finish it with an exclusion
 * to get a subset that keeps the hostnames. */
enum ps_err target_list_copy(struct target_list *dst, const struct target_list *src);
/* Address number index (0 <= index < total) and the hostname it came from, or NULL. */
void target_list_get(const struct target_list *list, uint64_t index, struct ps_addr *addr,
		     const char **name);
/* The number of addr in a finished list (ranges sorted, disjoint); false when it is not in it. */
bool target_list_index_of(const struct target_list *list, const struct ps_addr *addr,
			  uint64_t *index);

#endif
