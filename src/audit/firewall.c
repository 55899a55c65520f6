/* SPDX-License-Identifier: MIT */
#include "firewall.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/dynbuf.h"

extern char **environ;

/* A ruleset larger than this is not something we would judge rule by rule anyway. */
#define FW_JSON_MAX  ((size_t)64 * 1024 * 1024)
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

/* ---- parsing ---------------------------------------------------------------------------- */

static const char *jstr(json_t *obj, const char *key)
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

static struct fw_chain *find_chain(const struct audit_fw *fw, const char *family, const char *table,
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
	const char *family = jstr(obj, "family"), *table = jstr(obj, "table"),
		   *name = jstr(obj, "name"), *policy = jstr(obj, "policy");
	struct fw_chain *v, *c;

	if (!family || !table || !name)
		return PS_ERR_INVALID;
	if (find_chain(fw, family, table, name))
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
	c->dev = jstr(obj, "dev");
	c->base = jstr(obj, "hook") != NULL;
	c->hook = hook_rank(jstr(obj, "hook"));
	c->prio = json_integer_value(json_object_get(obj, "prio"));
	c->policy_drop = policy && !strcmp(policy, "drop");
	return PS_OK;
}

static enum ps_err add_rule(struct audit_fw *fw, json_t *obj)
{
	const char *family = jstr(obj, "family"), *table = jstr(obj, "table"),
		   *chain = jstr(obj, "chain");
	json_t *expr = json_object_get(obj, "expr");
	struct fw_chain *c;

	if (!family || !table || !chain || !json_is_array(expr))
		return PS_ERR_INVALID;
	c = find_chain(fw, family, table, chain);
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
	const char *family = jstr(obj, "family"), *table = jstr(obj, "table"),
		   *name = jstr(obj, "name");
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

/* ---- running nft ------------------------------------------------------------------------ */

static enum ps_err read_all(int fd, struct dynbuf *b)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		enum ps_err err;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return PS_ERR_IO;
		if (n == 0)
			return PS_OK;
		err = dynbuf_add(b, chunk, (size_t)n);
		if (err)
			return err;
	}
}

enum ps_err audit_fw_load(const char *nft, struct audit_fw **out, struct ps_diag *diag)
{
	char *argv[] = {(char *)(nft ? nft : "nft"), "-j", "list", "ruleset", NULL};
	posix_spawn_file_actions_t fa;
	struct dynbuf json, errs;
	int opipe[2] = {-1, -1}, epipe[2] = {-1, -1}, status = 0;
	enum ps_err err = PS_OK, rerr;
	bool fa_ready = false;
	pid_t pid = -1;

	*out = NULL;
	dynbuf_init(&json, FW_JSON_MAX);
	dynbuf_init(&errs, 4096);
	if (pipe2(opipe, O_CLOEXEC) || pipe2(epipe, O_CLOEXEC)) {
		err = ps_fail(diag, PS_ERR_SYSTEM, "pipe: %s", strerror(errno));
		goto out;
	}
	if (posix_spawn_file_actions_init(&fa)) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	fa_ready = true;
	posix_spawn_file_actions_adddup2(&fa, opipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, epipe[1], 2);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ)) {
		pid = -1;
		err = ps_fail(diag, PS_ERR_UNSUPPORTED, "%s not found", argv[0]);
		goto out;
	}
	close(opipe[1]);
	close(epipe[1]);
	opipe[1] = epipe[1] = -1;
	/* nft writes little to stderr, so reading stdout to the end first cannot deadlock. */
	rerr = read_all(opipe[0], &json);
	if (read_all(epipe[0], &errs) == PS_ERR_IO && !rerr)
		rerr = PS_ERR_IO;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *nl = errs.data ? strchr(errs.data, '\n') : NULL;

		if (nl)
			*nl = '\0';
		err = ps_fail(diag,
			      errs.data && strstr(errs.data, "not permitted") ? PS_ERR_PERMISSION
									      : PS_ERR_SYSTEM,
			      "%s -j list ruleset failed: %s", argv[0],
			      errs.data && errs.data[0] ? errs.data : "no message");
		goto out;
	}
	if (rerr) {
		err = ps_fail(diag, rerr, "reading nft output: %s", ps_strerror(rerr));
		goto out;
	}
	err = audit_fw_parse(json.data ? json.data : "", json.len, out, diag);
out:
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (fa_ready)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++) {
		if (opipe[i] >= 0)
			close(opipe[i]);
		if (epipe[i] >= 0)
			close(epipe[i]);
	}
	dynbuf_release(&json);
	dynbuf_release(&errs);
	return err;
}

/* ---- judging ---------------------------------------------------------------------------- */

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
	const char *proto = jstr(p, "protocol"), *field = jstr(p, "field");
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
	if ((o = json_object_get(left, "meta")) && (key = jstr(o, "key"))) {
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
	if ((o = json_object_get(left, "ct")) && (key = jstr(o, "key")) &&
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
		const char *text = jstr(pfx, "addr");
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
	const char *op = jstr(m, "op");
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
	const char *target = jstr(target_obj, "target");
	const struct fw_chain *t = target ? find_chain(ev->fw, c->family, c->table, target) : NULL;
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
