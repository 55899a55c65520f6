/* SPDX-License-Identifier: MIT */
#ifndef PS_CORE_PORTSET_H
#define PS_CORE_PORTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PORTSET_MAX_PORT 65535u
#define PORTSET_WORDS	 (65536u / 64u)

/* A set of TCP/UDP ports as a bitmap: repeats and overlaps in a spec collapse for free. */
struct portset {
	uint64_t bits[PORTSET_WORDS];
	uint32_t count;
};

/*
 * Resolves a named preset ("top100", "trojans"...) into ports. Core knows only "all"; the
 * knowledge base supplies the rest, so this module stays free of port lore.
 */
typedef enum ps_err (*portset_preset_fn)(void *ctx, const char *name, struct portset *out,
					 struct ps_diag *diag);

void portset_clear(struct portset *set);
void portset_add(struct portset *set, uint16_t port);
void portset_add_range(struct portset *set, uint16_t lo, uint16_t hi);
void portset_merge(struct portset *dst, const struct portset *src);
bool portset_has(const struct portset *set, uint16_t port);
/* The smallest port in the set greater than after, or 0 when there is none. Start with 0. */
uint32_t portset_next(const struct portset *set, uint32_t after);
/* Fills out (room for set->count entries) in ascending order; returns the count. */
size_t portset_to_array(const struct portset *set, uint16_t *out);

/*
 * Parses "22,80,8000-8100", "-" / "all" (1-65535), "-1024", "60000-" and preset names, each
 * item separated by commas. An optional "T:" prefix (nmap's syntax) is accepted. Port 0,
 * numbers above 65535, reversed ranges and empty items are errors.
 */
enum ps_err portset_parse(struct portset *out, const char *spec, portset_preset_fn preset,
			  void *preset_ctx, struct ps_diag *diag);

/*
 * nmap's mixed spec: "U:53,161,T:80,443". A "T:" or "U:" prefix applies to its item and every
 * later one up to the next prefix; items before any prefix are for both protocols. Otherwise
 * as portset_parse(); "S:" (SCTP) is refused.
 */
enum ps_err portset_parse_protos(struct portset *tcp, struct portset *udp, const char *spec,
				 portset_preset_fn preset, void *preset_ctx, struct ps_diag *diag);

#endif
