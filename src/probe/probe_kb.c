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

void probe_lore_from_kb(struct probe_lore *lore, const struct kb *kb)
{
	lore->service_name = kb_name;
	lore->ctx = kb;
}
