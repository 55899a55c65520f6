/* SPDX-License-Identifier: MIT */
#ifndef PS_AUDIT_FIREWALL_INTERNAL_H
#define PS_AUDIT_FIREWALL_INTERNAL_H

/*
 * The parsed ruleset, shared by the three parts of the firewall module:
 *   firewall_parse.c  `nft -j list ruleset` JSON -> chains, sets, the inbound chain order
 *   firewall_nft.c    running nft and reading its output
 *   firewall_judge.c  the verdict for one query, walking the chains with a model packet
 * Nothing outside src/audit/firewall_*.c includes this.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firewall.h"

enum hook_rank { HOOK_INGRESS, HOOK_PREROUTING, HOOK_INPUT, HOOK_OTHER };

struct fw_chain {
	const char *family, *table, *name;
	const char *dev; /* netdev ingress chains: the device */
	enum hook_rank hook;
	long long prio;
	bool base;
	bool policy_drop;
	json_t **rules; /* each rule's "expr" array */
	long long *handles;
	size_t nrules, cap;
};

struct fw_set {
	const char *family, *table, *name;
	json_t *elem; /* may be NULL: an empty set */
};

struct audit_fw {
	json_t *root;
	struct fw_chain *chains;
	size_t nchains;
	struct fw_set *sets;
	size_t nsets;
	size_t *order; /* base chains that see inbound packets, in the order they see them */
	size_t norder;
	/* Every integer in the ruleset, c and c+1, sorted: between two neighbours every port
	 * compares alike against every constant, so one verdict serves the whole interval. */
	uint32_t *bounds;
	size_t nbounds, capbounds;
	struct fw_cache_entry *cache; /* open addressing, keyed by interval/family/proto */
	size_t cache_used, cache_mask;
};

struct fw_cache_entry {
	uint32_t key; /* 0 = empty */
	uint8_t verdict;
	char why[96];
};

/* obj[key] as a string, or NULL. */
const char *fw_jstr(json_t *obj, const char *key);
/* The chain family/table/name, or NULL. */
struct fw_chain *fw_find_chain(const struct audit_fw *fw, const char *family, const char *table,
			       const char *name);

#endif
