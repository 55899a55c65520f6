/* SPDX-License-Identifier: MIT */
/*
 * The ruleset from `nft -j list ruleset`: chains with their rules, named sets, the order in
 * which base chains see an inbound packet, and every constant the ruleset compares ports with
 * (the judge's cache is keyed by the intervals between them).
 */
#include <stdlib.h>
#include <string.h>

#include "firewall_internal.h"

const char *fw_jstr(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static enum hook_rank hook_rank(const char *hook)
{
	if (!hook)
		return HOOK_OTHER;
	if (!strcmp(hook, "ingress"))
		return HOOK_INGRESS;
	if (!strcmp(hook, "prerouting"))
		return HOOK_PREROUTING;
	if (!strcmp(hook, "input"))
		return HOOK_INPUT;
	return HOOK_OTHER;
}

struct fw_chain *fw_find_chain(const struct audit_fw *fw, const char *family, const char *table,
			       const char *name)
{
	size_t i;

	for (i = 0; i < fw->nchains; i++) {
		struct fw_chain *c = &fw->chains[i];

		if (!strcmp(c->family, family) && !strcmp(c->table, table) &&
		    !strcmp(c->name, name))
			return c;
	}
	return NULL;
}

static enum ps_err add_chain(struct audit_fw *fw, json_t *obj)
{
	const char *family = fw_jstr(obj, "family"), *table = fw_jstr(obj, "table"),
		   *name = fw_jstr(obj, "name"), *policy = fw_jstr(obj, "policy");
	struct fw_chain *v, *c;

	if (!family || !table || !name)
		return PS_ERR_INVALID;
	if (fw_find_chain(fw, family, table, name))
		return PS_OK;
	v = realloc(fw->chains, (fw->nchains + 1) * sizeof(*v));
	if (!v)
		return PS_ERR_NOMEM;
	fw->chains = v;
	c = &v[fw->nchains++];
	memset(c, 0, sizeof(*c));
	c->family = family;
	c->table = table;
	c->name = name;
	c->dev = fw_jstr(obj, "dev");
	c->base = fw_jstr(obj, "hook") != NULL;
	c->hook = hook_rank(fw_jstr(obj, "hook"));
	c->prio = json_integer_value(json_object_get(obj, "prio"));
	c->policy_drop = policy && !strcmp(policy, "drop");
	return PS_OK;
}

static enum ps_err add_rule(struct audit_fw *fw, json_t *obj)
{
	const char *family = fw_jstr(obj, "family"), *table = fw_jstr(obj, "table"),
		   *chain = fw_jstr(obj, "chain");
	json_t *expr = json_object_get(obj, "expr");
	struct fw_chain *c;

	if (!family || !table || !chain || !json_is_array(expr))
		return PS_ERR_INVALID;
	c = fw_find_chain(fw, family, table, chain);
	if (!c)
		return PS_ERR_INVALID;
	if (c->nrules == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		json_t **r = realloc(c->rules, cap * sizeof(*r));
		long long *h;

		if (!r)
			return PS_ERR_NOMEM;
		c->rules = r;
		h = realloc(c->handles, cap * sizeof(*h));
		if (!h)
			return PS_ERR_NOMEM;
		c->handles = h;
		c->cap = cap;
	}
	c->rules[c->nrules] = expr;
	c->handles[c->nrules] = json_integer_value(json_object_get(obj, "handle"));
	c->nrules++;
	return PS_OK;
}

static enum ps_err add_set(struct audit_fw *fw, json_t *obj)
{
	const char *family = fw_jstr(obj, "family"), *table = fw_jstr(obj, "table"),
		   *name = fw_jstr(obj, "name");
	struct fw_set *v;

	if (!family || !table || !name)
		return PS_ERR_INVALID;
	v = realloc(fw->sets, (fw->nsets + 1) * sizeof(*v));
	if (!v)
		return PS_ERR_NOMEM;
	fw->sets = v;
	v[fw->nsets].family = family;
	v[fw->nsets].table = table;
	v[fw->nsets].name = name;
	v[fw->nsets].elem = json_object_get(obj, "elem");
	fw->nsets++;
	return PS_OK;
}

static bool family_sees_inbound(const struct fw_chain *c)
{
	if (!c->base || c->hook == HOOK_OTHER)
		return false;
	if (!strcmp(c->family, "netdev"))
		return c->hook == HOOK_INGRESS;
	return !strcmp(c->family, "ip") || !strcmp(c->family, "ip6") || !strcmp(c->family, "inet");
}

static int cmp_order(const void *a, const void *b, void *ctx)
{
	const struct audit_fw *fw = ctx;
	const struct fw_chain *x = &fw->chains[*(const size_t *)a];
	const struct fw_chain *y = &fw->chains[*(const size_t *)b];

	if (x->hook != y->hook)
		return x->hook < y->hook ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return 0;
}

static enum ps_err build_order(struct audit_fw *fw)
{
	size_t i;

	fw->order = calloc(fw->nchains ? fw->nchains : 1, sizeof(*fw->order));
	if (!fw->order)
		return PS_ERR_NOMEM;
	for (i = 0; i < fw->nchains; i++)
		if (family_sees_inbound(&fw->chains[i]))
			fw->order[fw->norder++] = i;
	qsort_r(fw->order, fw->norder, sizeof(*fw->order), cmp_order, fw);
	return PS_OK;
}

static enum ps_err add_bound(struct audit_fw *fw, json_int_t v)
{
	if (v < 0 || v > 65535)
		return PS_OK; /* outside the port range: no port compares differently around it */
	if (fw->nbounds + 2 > fw->capbounds) {
		size_t cap = fw->capbounds ? fw->capbounds * 2 : 64;
		uint32_t *b = realloc(fw->bounds, cap * sizeof(*b));

		if (!b)
			return PS_ERR_NOMEM;
		fw->bounds = b;
		fw->capbounds = cap;
	}
	fw->bounds[fw->nbounds++] = (uint32_t)v;
	fw->bounds[fw->nbounds++] = (uint32_t)v + 1;
	return PS_OK;
}

/* Walks the whole tree: handles and counters add needless bounds, which only costs cache
 * hits, never correctness. */
static enum ps_err collect_bounds(struct audit_fw *fw, json_t *j, int depth)
{
	enum ps_err err = PS_OK;
	const char *key;
	json_t *v;
	size_t i;

	if (depth > 64)
		return PS_ERR_TOO_LARGE;
	if (json_is_integer(j))
		return add_bound(fw, json_integer_value(j));
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			err = collect_bounds(fw, v, depth + 1);
			if (err)
				return err;
		}
	} else if (json_is_object(j)) {
		json_object_foreach(j, key, v)
		{
			err = collect_bounds(fw, v, depth + 1);
			if (err)
				return err;
		}
	}
	return err;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static enum ps_err build_bounds(struct audit_fw *fw)
{
	/* Protocol names compare as their numbers (see proto_number). */
	static const json_int_t protos[] = {1, 2, 6, 17, 33, 47, 50, 51, 58, 132, 136};
	size_t i, n = 0;
	enum ps_err err = collect_bounds(fw, fw->root, 0);

	for (i = 0; !err && i < sizeof(protos) / sizeof(protos[0]); i++)
		err = add_bound(fw, protos[i]);
	if (err)
		return err;
	qsort(fw->bounds, fw->nbounds, sizeof(*fw->bounds), cmp_u32);
	for (i = 0; i < fw->nbounds; i++)
		if (n == 0 || fw->bounds[n - 1] != fw->bounds[i])
			fw->bounds[n++] = fw->bounds[i];
	fw->nbounds = n;
	fw->cache_mask = 63;
	fw->cache = calloc(fw->cache_mask + 1, sizeof(*fw->cache));
	return fw->cache ? PS_OK : PS_ERR_NOMEM;
}

void audit_fw_free(struct audit_fw *fw)
{
	size_t i;

	if (!fw)
		return;
	for (i = 0; i < fw->nchains; i++) {
		free(fw->chains[i].rules);
		free(fw->chains[i].handles);
	}
	free(fw->chains);
	free(fw->sets);
	free(fw->order);
	free(fw->bounds);
	free(fw->cache);
	json_decref(fw->root);
	free(fw);
}

enum ps_err audit_fw_parse(const char *json, size_t len, struct audit_fw **out,
			   struct ps_diag *diag)
{
	struct audit_fw *fw = NULL;
	json_error_t jerr;
	json_t *list;
	enum ps_err err = PS_OK;
	size_t i, pass;

	*out = NULL;
	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return PS_ERR_NOMEM;
	fw->root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!fw->root) {
		err = ps_fail(diag, PS_ERR_INVALID, "nft ruleset: JSON error at line %d: %s",
			      jerr.line, jerr.text);
		goto out;
	}
	list = json_object_get(fw->root, "nftables");
	if (!json_is_array(list)) {
		err = ps_fail(diag, PS_ERR_INVALID, "nft ruleset: no \"nftables\" array");
		goto out;
	}
	/* Chains before rules: nft lists them that way, but nothing in the format promises it. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < json_array_size(list); i++) {
			json_t *item = json_array_get(list, i), *obj;

			if (pass == 0 && (obj = json_object_get(item, "chain")))
				err = add_chain(fw, obj);
			else if (pass == 0 && ((obj = json_object_get(item, "set")) ||
						(obj = json_object_get(item, "map"))))
				err = add_set(fw, obj);
			else if (pass == 1 && (obj = json_object_get(item, "rule")))
				err = add_rule(fw, obj);
			if (err) {
				ps_fail(diag, err, "nft ruleset: item %zu: %s", i,
					err == PS_ERR_INVALID ? "malformed chain, set or rule"
							      : ps_strerror(err));
				goto out;
			}
		}
	}
	err = build_order(fw);
	if (!err)
		err = build_bounds(fw);
	if (err == PS_ERR_TOO_LARGE)
		ps_fail(diag, err, "nft ruleset: nested too deeply");
out:
	if (err) {
		audit_fw_free(fw);
		return err;
	}
	*out = fw;
	return PS_OK;
}

size_t audit_fw_base_chains(const struct audit_fw *fw)
{
	return fw ? fw->norder : 0;
}
