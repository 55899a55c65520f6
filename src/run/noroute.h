/* SPDX-License-Identifier: MIT */
#ifndef PS_RUN_NOROUTE_H
#define PS_RUN_NOROUTE_H

#include "core/err.h"
#include "core/target.h"

/*
 * The targets the kernel has no route to (through interface, when non-NULL), nmap's "no
 * route" hosts: nothing can be sent to them, so they are neither scanned nor up. unroutable
 * (initialised, empty) gets them, finished; it stays empty (total 0) when every target is
 * routable. A route lookup failing for another reason than "no route" is an error.
 *
 * Each range is looked up at both ends and split in the middle while the ends disagree, so
 * the edge of a route inside a range (198.18.255.0-198.19.0.255 with only 198.18/16 routed)
 * is found to the address in at most 2 x 128 lookups; a hole with routed addresses on both
 * sides of it inside one range is not looked for.
 */
enum ps_err run_find_unroutable(const struct target_list *targets, const char *interface,
				struct target_list *unroutable, struct ps_diag *diag);

#endif
