/* SPDX-License-Identifier: MIT */
#ifndef PS_REPORT_HOSTPROFILE_H
#define PS_REPORT_HOSTPROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "hostgroup.h"

/*
 * Hosts grouped by their open port profile (every port's state, reason and, for open ports,
 * the service), for reports of networks: a /16 whose hosts all look alike is one group of
 * 65536 addresses, not 65536 copies of the same grid. Each group keeps one host's ports as
 * its example and its addresses as ranges; per port, how many hosts have it open.
 */
struct hp_range {
	ps_u128 first, last;
};

struct hp_group {
	uint64_t hash;
	struct hg_host example; /* own copy; addr is the group's first address */
	struct hp_range *ranges;
	size_t nranges;
	size_t ranges_cap;
	uint64_t hosts;
};

struct hostprofiles {
	struct hp_group *groups;
	size_t ngroups;
	size_t groups_cap;
	size_t *slots; /* open addressing: group index + 1, 0 = empty */
	size_t nslots;
	uint32_t *open_tcp; /* [port]: hosts with it open; NULL until the first */
	uint32_t *open_udp;
	uint64_t hosts;
};

void hostprofiles_init(struct hostprofiles *hp);
void hostprofiles_release(struct hostprofiles *hp);
/* Adds a host as a hostgroup hands it over (ports sorted; hosts in any order). */
enum ps_err hostprofiles_add(struct hostprofiles *hp, const struct hg_host *host);
/* Sorts the groups: most hosts first, then the first address. */
void hostprofiles_sort(struct hostprofiles *hp);

#endif
