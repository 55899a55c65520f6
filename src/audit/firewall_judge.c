/* SPDX-License-Identifier: MIT */
/*
 * The verdict for one query: the inbound base chains walked in order with a model packet
 * (see firewall.h), every match true, false or unknown, the outcomes collected as a set.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "firewall_internal.h"

#define FW_MAX_DEPTH 16	    /* jump/goto nesting; nft itself allows 16 */
#define FW_MAX_STEPS 200000 /* rules visited per query before we call it too complex */

/* Outcome bits: the set of things that can happen to the packet. */
#define O_ACCEPT 0x01u
#define O_DROP	 0x02u
#define O_REJECT 0x04u
#define O_NEXT	 0x08u /* go on with the next rule */
#define O_RET	 0x10u /* leave this chain: caller continues, or the base chain's policy */
#define O_FINAL	 (O_ACCEPT | O_DROP | O_REJECT)
#define O_OPAQUE (O_FINAL | O_NEXT)

enum tri { T_FALSE, T_TRUE, T_UNKNOWN };

enum val_kind {
	V_UNKNOWN, /* depends on something we do not model (source address, marks, ...) */
	V_ABSENT,  /* the header is not in this packet: nft's implicit dependency fails */
	V_NUM,
	V_STR,
	V_ADDR,
	V_IIF,	 /* the input interface: some interface other than lo */
	V_FLAGS, /* TCP flags of a SYN */
};

struct val {
	enum val_kind kind;
	long long num;
	const char *str;
	struct ps_addr addr;
};

struct eval {
	const struct audit_fw *fw;
	const struct audit_fw_query *q;
	long steps;
	char why_verdict[3][96]; /* first rule that produced ACCEPT, DROP, REJECT */
	char why_unknown[96];	 /* first thing we could not decide */
};

static void note_unknown(struct eval *ev, const struct fw_chain *c, size_t i, const char *what)
{
	if (ev->why_unknown[0])
		return;
	if (c)
		snprintf(ev->why_unknown, sizeof(ev->why_unknown),
			 "rule %lld in %s %s %s depends on %s", c->handles[i], c->family, c->table,
			 c->name, what);
	else
		snprintf(ev->why_unknown, sizeof(ev->why_unknown), "%s", what);
}

static void note_verdict(struct eval *ev, unsigned bits, const char *text)
{
	int b;

	for (b = 0; b < 3; b++)
		if ((bits & (1u << b)) && !ev->why_verdict[b][0])
			snprintf(ev->why_verdict[b], sizeof(ev->why_verdict[b]), "%s", text);
}

static int proto_number(const char *name)
{
	static const struct {
		const char *name;
		int num;
	} protos[] = {
	    {"tcp", IPPROTO_TCP},	   {"udp", IPPROTO_UDP},       {"icmp", IPPROTO_ICMP},
	    {"ipv6-icmp", IPPROTO_ICMPV6}, {"icmpv6", IPPROTO_ICMPV6}, {"sctp", IPPROTO_SCTP},
	    {"udplite", IPPROTO_UDPLITE},  {"esp", IPPROTO_ESP},       {"ah", IPPROTO_AH},
	    {"gre", IPPROTO_GRE},	   {"dccp", IPPROTO_DCCP},     {"igmp", IPPROTO_IGMP}};
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(protos[i].name, name))
			return protos[i].num;
	return -1;
}

static struct val eval_payload(const struct eval *ev, json_t *p)
{
	const char *proto = fw_jstr(p, "protocol"), *field = fw_jstr(p, "field");
	const struct audit_fw_query *q = ev->q;
	struct val v = {.kind = V_UNKNOWN};
	int pnum;

	if (!proto || !field)
		return v;
	if (!strcmp(proto, "tcp") || !strcmp(proto, "udp") || !strcmp(proto, "th")) {
		if (strcmp(proto, "th") && proto_number(proto) != q->proto)
			v.kind = V_ABSENT;
		else if (!strcmp(field, "dport"))
			v = (struct val){.kind = V_NUM, .num = q->port};
		else if (!strcmp(field, "flags") && q->proto == IPPROTO_TCP)
			v.kind = V_FLAGS;
		return v;
	}
	if (!strcmp(proto, "ip") || !strcmp(proto, "ip6")) {
		bool v4 = !strcmp(proto, "ip");

		if (v4 != (q->family == AF_INET))
			v.kind = V_ABSENT;
		else if (!strcmp(field, v4 ? "protocol" : "nexthdr"))
			v = (struct val){.kind = V_NUM, .num = q->proto};
		else if (!strcmp(field, "daddr") && q->daddr)
			v = (struct val){.kind = V_ADDR, .addr = *q->daddr};
		return v;
	}
	/* A match on another transport header implies that transport; ours is tcp or udp. */
	pnum = proto_number(proto);
	if (pnum >= 0 || !strcmp(proto, "icmpv6"))
		v.kind = V_ABSENT;
	return v;
}

static struct val eval_left(const struct eval *ev, json_t *left)
{
	const struct audit_fw_query *q = ev->q;
	struct val v = {.kind = V_UNKNOWN};
	json_t *o;
	const char *key;

	if ((o = json_object_get(left, "payload")))
		return eval_payload(ev, o);
	if ((o = json_object_get(left, "meta")) && (key = fw_jstr(o, "key"))) {
		if (!strcmp(key, "l4proto"))
			v = (struct val){.kind = V_NUM, .num = q->proto};
		else if (!strcmp(key, "nfproto"))
			v = (struct val){.kind = V_STR,
					 .str = q->family == AF_INET ? "ipv4" : "ipv6"};
		else if (!strcmp(key, "protocol"))
			v = (struct val){.kind = V_STR, .str = q->family == AF_INET ? "ip" : "ip6"};
		else if (!strcmp(key, "iif") || !strcmp(key, "iifname"))
			v.kind = V_IIF;
		return v;
	}
	if ((o = json_object_get(left, "ct")) && (key = fw_jstr(o, "key")) &&
	    !json_object_get(o, "dir")) {
		if (!strcmp(key, "state"))
			v = (struct val){.kind = V_STR, .str = "new"};
		else if (!strcmp(key, "direction"))
			v = (struct val){.kind = V_STR, .str = "original"};
	}
	return v;
}

static const struct fw_set *find_set(const struct audit_fw *fw, const struct fw_chain *c,
				     const char *name)
{
	size_t i;

	for (i = 0; i < fw->nsets; i++) {
		const struct fw_set *s = &fw->sets[i];

		if (!strcmp(s->family, c->family) && !strcmp(s->table, c->table) &&
		    !strcmp(s->name, name))
			return s;
	}
	return NULL;
}

static enum tri tri_any(enum tri acc, enum tri t)
{
	if (acc == T_TRUE || t == T_TRUE)
		return T_TRUE;
	if (acc == T_UNKNOWN || t == T_UNKNOWN)
		return T_UNKNOWN;
	return T_FALSE;
}

static enum tri compare(const struct eval *ev, const struct fw_chain *c, const struct val *v,
			json_t *r, int depth);

static enum tri compare_list(const struct eval *ev, const struct fw_chain *c, const struct val *v,
			     json_t *list, int depth)
{
	enum tri acc = T_FALSE;
	size_t i;

	if (!json_is_array(list))
		return T_FALSE; /* a set without elements matches nothing */
	for (i = 0; i < json_array_size(list) && acc != T_TRUE; i++) {
		json_t *e = json_array_get(list, i);

		/* Named set elements with counters or timeouts come wrapped in {"elem": {"val"}}.
		 */
		if (json_is_object(json_object_get(e, "elem")))
			e = json_object_get(json_object_get(e, "elem"), "val");
		acc = tri_any(acc, compare(ev, c, v, e, depth + 1));
	}
	return acc;
}

static enum tri compare_addr(const struct val *v, json_t *r)
{
	struct ps_addr a;
	json_t *pfx = json_object_get(r, "prefix");

	if (json_is_string(r)) {
		if (ps_addr_parse(json_string_value(r), &a))
			return T_UNKNOWN;
		return ps_addr_cmp(&a, &v->addr) == 0 ? T_TRUE : T_FALSE;
	}
	if (pfx) {
		const char *text = fw_jstr(pfx, "addr");
		json_int_t len = json_integer_value(json_object_get(pfx, "len"));
		size_t full, bits;

		if (!text || ps_addr_parse(text, &a) || a.family != v->addr.family || len < 0 ||
		    (size_t)len > ps_addr_len(&a) * 8)
			return T_UNKNOWN;
		full = (size_t)len / 8;
		bits = (size_t)len % 8;
		if (memcmp(a.bytes, v->addr.bytes, full))
			return T_FALSE;
		if (bits) {
			uint8_t mask = (uint8_t)(0xff << (8 - bits));

			if ((a.bytes[full] & mask) != (v->addr.bytes[full] & mask))
				return T_FALSE;
		}
		return T_TRUE;
	}
	return T_UNKNOWN;
}

static enum tri compare(const struct eval *ev, const struct fw_chain *c, const struct val *v,
			json_t *r, int depth)
{
	json_t *o;

	if (depth > FW_MAX_DEPTH)
		return T_UNKNOWN;
	if (json_is_string(r) && json_string_value(r)[0] == '@') {
		const struct fw_set *s = find_set(ev->fw, c, json_string_value(r) + 1);

		return s ? compare_list(ev, c, v, s->elem, depth) : T_UNKNOWN;
	}
	if (json_is_array(r))
		return compare_list(ev, c, v, r, depth);
	if ((o = json_object_get(r, "set")))
		return compare_list(ev, c, v, o, depth);
	switch (v->kind) {
	case V_NUM:
		if (json_is_integer(r))
			return json_integer_value(r) == v->num ? T_TRUE : T_FALSE;
		if (json_is_string(r)) {
			int p = proto_number(json_string_value(r));

			return p < 0 ? T_UNKNOWN : (p == v->num ? T_TRUE : T_FALSE);
		}
		if ((o = json_object_get(r, "range")) && json_array_size(o) == 2 &&
		    json_is_integer(json_array_get(o, 0)) && json_is_integer(json_array_get(o, 1)))
			return json_integer_value(json_array_get(o, 0)) <= v->num &&
				       v->num <= json_integer_value(json_array_get(o, 1))
				   ? T_TRUE
				   : T_FALSE;
		return T_UNKNOWN;
	case V_STR:
		if (json_is_string(r))
			return strcmp(json_string_value(r), v->str) ? T_FALSE : T_TRUE;
		return T_UNKNOWN;
	case V_IIF:
		/* The packet we model comes from another host: not through lo. */
		if (json_is_string(r) && !strcmp(json_string_value(r), "lo"))
			return T_FALSE;
		return T_UNKNOWN;
	case V_ADDR:
		return compare_addr(v, r);
	case V_FLAGS:
		if (json_is_string(r))
			return strcmp(json_string_value(r), "syn") ? T_FALSE : T_TRUE;
		return T_UNKNOWN;
	default:
		return T_UNKNOWN;
	}
}

static enum tri negate(enum tri t)
{
	return t == T_UNKNOWN ? T_UNKNOWN : (t == T_TRUE ? T_FALSE : T_TRUE);
}

static enum tri eval_match(const struct eval *ev, const struct fw_chain *c, json_t *m)
{
	const char *op = fw_jstr(m, "op");
	json_t *right = json_object_get(m, "right");
	struct val v = eval_left(ev, json_object_get(m, "left"));

	if (!op || !right)
		return T_UNKNOWN;
	if (v.kind == V_ABSENT)
		return T_FALSE;
	if (v.kind == V_UNKNOWN)
		return T_UNKNOWN;
	if (v.kind == V_FLAGS && !strcmp(op, "==") && json_is_array(right))
		/* flags == {syn}: only an exact one-element list matches a bare SYN. */
		return json_array_size(right) == 1 ? compare(ev, c, &v, right, 0) : T_FALSE;
	if (!strcmp(op, "==") || !strcmp(op, "in"))
		return compare(ev, c, &v, right, 0);
	if (!strcmp(op, "!="))
		return negate(compare(ev, c, &v, right, 0));
	if (v.kind == V_NUM && json_is_integer(right)) {
		json_int_t n = json_integer_value(right);

		if (!strcmp(op, "<"))
			return v.num < n ? T_TRUE : T_FALSE;
		if (!strcmp(op, ">"))
			return v.num > n ? T_TRUE : T_FALSE;
		if (!strcmp(op, "<="))
			return v.num <= n ? T_TRUE : T_FALSE;
		if (!strcmp(op, ">="))
			return v.num >= n ? T_TRUE : T_FALSE;
	}
	return T_UNKNOWN;
}

static unsigned eval_chain(struct eval *ev, const struct fw_chain *c, int depth);

/* The outcome of a jump/goto to target, as seen from chain c. */
static unsigned eval_jump(struct eval *ev, const struct fw_chain *c, json_t *target_obj,
			  bool is_goto, int depth)
{
	const char *target = fw_jstr(target_obj, "target");
	const struct fw_chain *t =
	    target ? fw_find_chain(ev->fw, c->family, c->table, target) : NULL;
	unsigned m;

	if (!t)
		return O_OPAQUE;
	m = eval_chain(ev, t, depth + 1);
	if (is_goto || !(m & O_RET))
		return m;
	return (m & ~O_RET) | O_NEXT;
}

/* A verdict statement, or 0 when stmt is not one. */
static unsigned eval_verdict(struct eval *ev, const struct fw_chain *c, json_t *stmt, int depth)
{
	json_t *o;

	if (json_object_get(stmt, "accept"))
		return O_ACCEPT;
	if (json_object_get(stmt, "drop"))
		return O_DROP;
	if (json_object_get(stmt, "reject"))
		return O_REJECT;
	if (json_object_get(stmt, "return"))
		return O_RET;
	if (json_object_get(stmt, "continue"))
		return O_NEXT;
	if ((o = json_object_get(stmt, "jump")))
		return eval_jump(ev, c, o, false, depth);
	if ((o = json_object_get(stmt, "goto")))
		return eval_jump(ev, c, o, true, depth);
	return 0;
}

/* A verdict map: the key's value picks a verdict; no element matching means go on. */
static unsigned eval_vmap(struct eval *ev, const struct fw_chain *c, json_t *vmap, int depth)
{
	json_t *data = json_object_get(vmap, "data"), *elems;
	struct val key = eval_left(ev, json_object_get(vmap, "key"));
	unsigned acc = 0;
	size_t i;

	if (key.kind == V_ABSENT)
		return O_NEXT;
	elems = json_object_get(data, "set");
	if (!json_is_array(elems))
		return O_OPAQUE; /* a named map: its contents change at run time */
	for (i = 0; i < json_array_size(elems); i++) {
		json_t *pair = json_array_get(elems, i);
		enum tri t;
		unsigned v;

		if (!json_is_array(pair) || json_array_size(pair) != 2)
			return O_OPAQUE;
		t = key.kind == V_UNKNOWN ? T_UNKNOWN
					  : compare(ev, c, &key, json_array_get(pair, 0), 0);
		if (t == T_FALSE)
			continue;
		v = eval_verdict(ev, c, json_array_get(pair, 1), depth);
		if (!v)
			return O_OPAQUE;
		acc |= v;
		if (t == T_TRUE)
			return acc;
	}
	return acc | O_NEXT;
}

/* Statements that never end a rule's evaluation nor change where the packet goes. */
static bool harmless(json_t *stmt)
{
	static const char *const names[] = {"counter", "log",	  "mangle",    "notrack",
					    "set",     "comment", "ct helper", "meter"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (json_object_get(stmt, names[i]))
			return true;
	return false;
}

/* The outcome of rule i of chain c, with O_NEXT when the packet may go on to the next rule. */
static unsigned eval_rule(struct eval *ev, const struct fw_chain *c, size_t i, int depth)
{
	json_t *expr = c->rules[i], *o;
	const char *unknown = NULL; /* why the rule may or may not apply */
	unsigned v = O_NEXT;
	size_t k;

	for (k = 0; k < json_array_size(expr); k++) {
		json_t *stmt = json_array_get(expr, k);

		if ((o = json_object_get(stmt, "match"))) {
			enum tri t = eval_match(ev, c, o);

			if (t == T_FALSE)
				return O_NEXT;
			if (t == T_UNKNOWN && !unknown)
				unknown = "a match we cannot decide for a new packet from anywhere";
			continue;
		}
		if (json_object_get(stmt, "limit") || json_object_get(stmt, "quota")) {
			if (!unknown)
				unknown = "a rate limit or quota";
			continue;
		}
		if (harmless(stmt))
			continue;
		if ((o = json_object_get(stmt, "vmap"))) {
			v = eval_vmap(ev, c, o, depth);
			break;
		}
		v = eval_verdict(ev, c, stmt, depth);
		if (!v) {
			note_unknown(ev, c, i, "a statement we do not model");
			v = O_OPAQUE;
		}
		break;
	}
	if (unknown) {
		if (v != O_NEXT)
			note_unknown(ev, c, i, unknown);
		return v | O_NEXT;
	}
	if (!(v & O_NEXT) && (v & O_FINAL)) {
		char text[96];

		snprintf(text, sizeof(text), "rule %lld in %s %s %s", c->handles[i], c->family,
			 c->table, c->name);
		note_verdict(ev, v & O_FINAL, text);
	}
	return v;
}

static unsigned eval_chain(struct eval *ev, const struct fw_chain *c, int depth)
{
	unsigned acc = 0;
	size_t i;

	if (depth > FW_MAX_DEPTH) {
		note_unknown(ev, NULL, 0, "jumps nested too deep");
		return O_OPAQUE | O_RET;
	}
	for (i = 0; i < c->nrules; i++) {
		unsigned r;

		if (++ev->steps > FW_MAX_STEPS) {
			note_unknown(ev, NULL, 0, "a ruleset too large to judge");
			return O_OPAQUE | O_RET;
		}
		r = eval_rule(ev, c, i, depth);
		acc |= r & ~O_NEXT;
		if (!(r & O_NEXT))
			return acc;
	}
	return acc | O_RET;
}

static unsigned eval_base(struct eval *ev, const struct fw_chain *c)
{
	unsigned m = eval_chain(ev, c, 0);

	if (m & O_RET) {
		char text[96];

		m &= ~O_RET;
		m |= c->policy_drop ? O_DROP : O_ACCEPT;
		snprintf(text, sizeof(text), "policy %s of %s %s %s",
			 c->policy_drop ? "drop" : "accept", c->family, c->table, c->name);
		note_verdict(ev, c->policy_drop ? O_DROP : O_ACCEPT, text);
	}
	return m & O_FINAL;
}

static bool chain_applies(const struct fw_chain *c, uint8_t family, bool *maybe)
{
	*maybe = false;
	if (!strcmp(c->family, "ip") && family != AF_INET)
		return false;
	if (!strcmp(c->family, "ip6") && family != AF_INET6)
		return false;
	/* Ingress chains hang off devices: one sees the packet only if it arrives there, and
	 * a packet from another host never arrives on lo. A netdev chain without a device
	 * (several devices, newer nft) is just as uncertain. */
	if (c->hook == HOOK_INGRESS) {
		if (c->dev && !strcmp(c->dev, "lo"))
			return false;
		*maybe = true;
	}
	return true;
}

/* The cache key of q, or 0 when q is not cacheable (a query for one destination address). */
static uint32_t cache_key(const struct audit_fw *fw, const struct audit_fw_query *q)
{
	size_t lo = 0, hi = fw->nbounds;

	if (q->daddr)
		return 0;
	while (lo < hi) { /* how many bounds are <= port: the interval's index */
		size_t mid = lo + (hi - lo) / 2;

		if (fw->bounds[mid] <= q->port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return ((uint32_t)lo << 3 | (q->family == AF_INET6) << 1 | (q->proto == IPPROTO_UDP)) + 1;
}

static struct fw_cache_entry *cache_slot(const struct audit_fw *fw, uint32_t key)
{
	size_t i = (uint32_t)(key * 2654435761u) & fw->cache_mask;

	while (fw->cache[i].key && fw->cache[i].key != key)
		i = (i + 1) & fw->cache_mask;
	return &fw->cache[i];
}

static void cache_put(struct audit_fw *fw, uint32_t key, enum audit_fw_verdict v, const char *why)
{
	struct fw_cache_entry *e;

	if ((fw->cache_used + 1) * 2 > fw->cache_mask + 1) {
		size_t i, old_size = fw->cache_mask + 1;
		struct fw_cache_entry *old = fw->cache,
				      *grown = calloc(old_size * 2, sizeof(*grown));

		if (!grown)
			return; /* a cache miss next time, nothing worse */
		fw->cache = grown;
		fw->cache_mask = old_size * 2 - 1;
		for (i = 0; i < old_size; i++)
			if (old[i].key)
				*cache_slot(fw, old[i].key) = old[i];
		free(old);
	}
	e = cache_slot(fw, key);
	if (!e->key)
		fw->cache_used++;
	e->key = key;
	e->verdict = (uint8_t)v;
	snprintf(e->why, sizeof(e->why), "%s", why);
}

static enum audit_fw_verdict
judge_uncached(const struct audit_fw *fw, const struct audit_fw_query *q, char *why, size_t whylen)
{
	struct eval ev = {.fw = fw, .q = q};
	unsigned acc = 0;
	bool passed = true;
	size_t i;

	if (whylen)
		why[0] = '\0';
	for (i = 0; i < fw->norder && passed; i++) {
		const struct fw_chain *c = &fw->chains[fw->order[i]];
		bool maybe;
		unsigned m;

		if (!chain_applies(c, q->family, &maybe))
			continue;
		m = eval_base(&ev, c);
		if (maybe)
			m |= O_ACCEPT;
		acc |= m & (O_DROP | O_REJECT);
		passed = m & O_ACCEPT;
	}
	if (passed) {
		acc |= O_ACCEPT;
		if (!ev.why_verdict[0][0])
			snprintf(ev.why_verdict[0], sizeof(ev.why_verdict[0]), "%s",
				 fw->norder ? "no rule stops it" : "no firewall rules");
	}
	switch (acc) {
	case O_ACCEPT:
		snprintf(why, whylen, "%s", ev.why_verdict[0]);
		return AUDIT_FW_ACCEPT;
	case O_DROP:
		snprintf(why, whylen, "%s", ev.why_verdict[1]);
		return AUDIT_FW_DROP;
	case O_REJECT:
		snprintf(why, whylen, "%s", ev.why_verdict[2]);
		return AUDIT_FW_REJECT;
	default:
		snprintf(why, whylen, "%s",
			 ev.why_unknown[0] ? ev.why_unknown : "several outcomes");
		return AUDIT_FW_UNKNOWN;
	}
}

enum audit_fw_verdict audit_fw_judge(struct audit_fw *fw, const struct audit_fw_query *q, char *why,
				     size_t whylen)
{
	uint32_t key = cache_key(fw, q);
	char buf[96];
	enum audit_fw_verdict v;

	if (key) {
		const struct fw_cache_entry *e = cache_slot(fw, key);

		if (e->key == key) {
			snprintf(why, whylen, "%s", e->why);
			return (enum audit_fw_verdict)e->verdict;
		}
	}
	v = judge_uncached(fw, q, buf, sizeof(buf));
	if (key)
		cache_put(fw, key, v, buf);
	snprintf(why, whylen, "%s", buf);
	return v;
}
