/* SPDX-License-Identifier: MIT */
/*
 * The production lore: the knowledge base. Kept in its own object so that tests which supply
 * their own table do not pull the knowledge base in.
 */
#include "kb/kb.h"
#include "probe.h"

static const char *kb_name(const void *ctx, uint16_t port, uint8_t proto)
{
	return kb_service_name(ctx, port, proto);
}

static size_t kb_trojans(const void *ctx, uint16_t port, uint8_t proto, const char *const **names)
{
	const struct kb_entry *entry = kb_lookup(ctx, port, proto);

	if (!entry || !entry->ntrojans)
		return 0;
	*names = entry->trojans;
	return entry->ntrojans;
}

void probe_lore_from_kb(struct probe_lore *lore, const struct kb *kb)
{
	lore->service_name = kb_name;
	lore->trojans = kb_trojans;
	lore->ctx = kb;
}
