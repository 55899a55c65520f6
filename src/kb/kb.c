/* SPDX-License-Identifier: MIT */
/*
 * The knowledge base parser. The format (described at the top of ports.kb) is line based: a
 * "port N/proto name" line opens an entry, "desc", "risk" and "trojans" lines fill it, and
 * "rank" lines list ports from most to least often exposed. The parser works on a private
 * copy of the text and cuts the fields out of it in place, so an entry's strings cost no
 * allocation of their own and the whole base is freed with a handful of free() calls.
 */
#include "core/array.h"
#include "kb.h"
#include "kb_internal.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One entry plus what only the parser needs: where it was defined and where its trojans start
 * in the shared pool (the pool moves while it grows, so pointers are fixed up at the end). */
struct kb_item {
	struct kb_entry entry;
	uint32_t line;
	size_t trojan_first;
};

struct kb {
	char *text;
	struct kb_item *items;
	size_t nitems;
	size_t items_cap;
	const char **trojan_pool;
	size_t ntrojan_refs;
	size_t pool_cap;
	uint16_t *rank;
	size_t nrank;
	size_t ntrojan_names;
};

/* Parser state for one kb_parse() call. */
struct kb_parser {
	struct kb *kb;
	struct kb_item *cur; /* the entry being filled, or NULL before the first "port" line */
	struct portset ranked;
	uint32_t line;
	struct ps_diag *diag;
};

static enum ps_err kb_error(struct kb_parser *p, enum ps_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum ps_err kb_error(struct kb_parser *p, enum ps_err err, const char *fmt, ...)
{
	char detail[PS_DIAG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return ps_fail(p->diag, err, "kb line %u: %s", p->line, detail);
}

static char *skip_space(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void trim_end(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* A decimal port 1-65535 at *s, advancing *s past it. */
static bool read_port(char **s, uint16_t *out)
{
	char *p = *s;
	uint32_t v = 0;

	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (uint32_t)(*p - '0');
		if (v > 65535)
			return false;
		p++;
	}
	if (v == 0)
		return false;
	*out = (uint16_t)v;
	*s = p;
	return true;
}

static bool valid_service_name(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.+", *s))
			return false;
	return n > 0 && n <= KB_NAME_MAX;
}

/* Printable ASCII only: the text ends up on terminals and in JSON. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static enum ps_err finish_entry(struct kb_parser *p)
{
	struct kb_item *it = p->cur;

	if (!it)
		return PS_OK;
	p->cur = NULL;
	if (!it->entry.description)
		return ps_fail(p->diag, PS_ERR_INVALID, "kb line %u: entry %u/%s has no desc line",
			       it->line, it->entry.port,
			       it->entry.proto == IPPROTO_TCP ? "tcp" : "udp");
	return PS_OK;
}

static enum ps_err parse_port_line(struct kb_parser *p, char *rest)
{
	struct kb *kb = p->kb;
	struct kb_item *it;
	uint16_t port;
	uint8_t proto;
	char *name;
	enum ps_err err;

	err = finish_entry(p);
	if (err)
		return err;
	if (!read_port(&rest, &port))
		return kb_error(p, PS_ERR_INVALID,
				"expected \"port N/tcp|udp name\" with N 1-65535");
	if (!strncmp(rest, "/tcp", 4))
		proto = IPPROTO_TCP;
	else if (!strncmp(rest, "/udp", 4))
		proto = IPPROTO_UDP;
	else
		return kb_error(p, PS_ERR_INVALID, "port %u needs /tcp or /udp", port);
	rest += 4;
	if (*rest != ' ' && *rest != '\t')
		return kb_error(p, PS_ERR_INVALID, "expected a service name after port %u", port);
	name = skip_space(rest);
	if (!valid_service_name(name))
		return kb_error(p, PS_ERR_INVALID,
				"service name must be 1-%d of [A-Za-z0-9._+-], one word",
				KB_NAME_MAX);

	if (kb->nitems == KB_ENTRIES_MAX)
		return kb_error(p, PS_ERR_TOO_LARGE, "more than %d entries", KB_ENTRIES_MAX);
	struct kb_item *items =
	    ps_array_grow(kb->items, kb->nitems, &kb->items_cap, sizeof(*items), 256);

	if (!items)
		return PS_ERR_NOMEM;
	kb->items = items;
	it = &kb->items[kb->nitems++];
	memset(it, 0, sizeof(*it));
	it->entry.port = port;
	it->entry.proto = proto;
	it->entry.service = name;
	it->line = p->line;
	it->trojan_first = kb->ntrojan_refs;
	p->cur = it;
	return PS_OK;
}

static enum ps_err set_text(struct kb_parser *p, const char *key, const char **field,
			    const char *rest)
{
	if (!p->cur)
		return kb_error(p, PS_ERR_INVALID, "\"%s\" before any \"port\" line", key);
	if (*field)
		return kb_error(p, PS_ERR_INVALID, "second \"%s\" for %u/%s", key,
				p->cur->entry.port,
				p->cur->entry.proto == IPPROTO_TCP ? "tcp" : "udp");
	if (!*rest)
		return kb_error(p, PS_ERR_INVALID, "empty \"%s\"", key);
	*field = rest;
	return PS_OK;
}

static enum ps_err push_trojan(struct kb_parser *p, const char *name)
{
	struct kb *kb = p->kb;

	if (p->cur->entry.ntrojans == KB_TROJANS_PER_ENTRY_MAX)
		return kb_error(p, PS_ERR_TOO_LARGE, "more than %d trojans for one port",
				KB_TROJANS_PER_ENTRY_MAX);
	if (kb->ntrojan_refs == kb->pool_cap) {
		size_t cap = kb->pool_cap ? kb->pool_cap * 2 : 256;
		const char **pool = realloc(kb->trojan_pool, cap * sizeof(*pool));

		if (!pool)
			return PS_ERR_NOMEM;
		kb->trojan_pool = pool;
		kb->pool_cap = cap;
	}
	kb->trojan_pool[kb->ntrojan_refs++] = name;
	p->cur->entry.ntrojans++;
	return PS_OK;
}

/* "trojans A, B, C": may repeat; names are trimmed and must not be empty. */
static enum ps_err parse_trojans(struct kb_parser *p, char *rest)
{
	char *name = rest, *comma;
	enum ps_err err;

	if (!p->cur)
		return kb_error(p, PS_ERR_INVALID, "\"trojans\" before any \"port\" line");
	for (;;) {
		comma = strchr(name, ',');
		if (comma)
			*comma = '\0';
		name = skip_space(name);
		trim_end(name);
		if (!*name)
			return kb_error(p, PS_ERR_INVALID, "empty trojan name");
		if (strlen(name) > KB_NAME_MAX)
			return kb_error(p, PS_ERR_INVALID, "trojan name longer than %d characters",
					KB_NAME_MAX);
		err = push_trojan(p, name);
		if (err)
			return err;
		if (!comma)
			return PS_OK;
		name = comma + 1;
	}
}

static enum ps_err parse_rank(struct kb_parser *p, char *rest)
{
	struct kb *kb = p->kb;
	uint16_t port;

	if (!kb->rank) {
		kb->rank = malloc(PORTSET_MAX_PORT * sizeof(*kb->rank));
		if (!kb->rank)
			return PS_ERR_NOMEM;
	}
	rest = skip_space(rest);
	while (*rest) {
		if (!read_port(&rest, &port) || (*rest && *rest != ' ' && *rest != '\t'))
			return kb_error(p, PS_ERR_INVALID, "rank takes port numbers 1-65535");
		if (portset_has(&p->ranked, port))
			return kb_error(p, PS_ERR_INVALID, "port %u ranked twice", port);
		portset_add(&p->ranked, port);
		kb->rank[kb->nrank++] = port; /* at most 65535 distinct ports fit */
		rest = skip_space(rest);
	}
	return PS_OK;
}

static enum ps_err parse_line(struct kb_parser *p, char *line)
{
	char *key, *rest;

	trim_end(line);
	key = skip_space(line);
	if (!*key || *key == '#')
		return PS_OK;
	if (!printable(key))
		return kb_error(p, PS_ERR_INVALID, "control or non-ASCII character");
	rest = key;
	while (*rest && *rest != ' ' && *rest != '\t')
		rest++;
	if (*rest)
		*rest++ = '\0';
	rest = skip_space(rest);

	if (!strcmp(key, "port"))
		return parse_port_line(p, rest);
	if (!strcmp(key, "desc"))
		return set_text(p, "desc", p->cur ? &p->cur->entry.description : NULL, rest);
	if (!strcmp(key, "risk"))
		return set_text(p, "risk", p->cur ? &p->cur->entry.risk : NULL, rest);
	if (!strcmp(key, "trojans"))
		return parse_trojans(p, rest);
	if (!strcmp(key, "rank"))
		return parse_rank(p, rest);
	return kb_error(p, PS_ERR_INVALID, "unknown keyword \"%.32s\"", key);
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct kb_item *a = pa, *b = pb;

	if (a->entry.port != b->entry.port)
		return a->entry.port < b->entry.port ? -1 : 1;
	if (a->entry.proto != b->entry.proto)
		return a->entry.proto < b->entry.proto ? -1 : 1;
	return 0;
}

static int name_cmp(const void *pa, const void *pb)
{
	return strcasecmp(*(const char *const *)pa, *(const char *const *)pb);
}

static enum ps_err count_trojan_names(struct kb *kb)
{
	const char **names;
	size_t i, n = 0;

	if (kb->ntrojan_refs == 0)
		return PS_OK;
	names = malloc(kb->ntrojan_refs * sizeof(*names));
	if (!names)
		return PS_ERR_NOMEM;
	memcpy(names, kb->trojan_pool, kb->ntrojan_refs * sizeof(*names));
	qsort(names, kb->ntrojan_refs, sizeof(*names), name_cmp);
	for (i = 0; i < kb->ntrojan_refs; i++)
		if (i == 0 || strcasecmp(names[i - 1], names[i]))
			n++;
	free(names);
	kb->ntrojan_names = n;
	return PS_OK;
}

/* Points entries at their trojans, sorts them for lookup and refuses duplicates. */
static enum ps_err finish_kb(struct kb_parser *p)
{
	struct kb *kb = p->kb;
	size_t i;

	for (i = 0; i < kb->nitems; i++) {
		struct kb_item *it = &kb->items[i];

		it->entry.trojans = it->entry.ntrojans ? kb->trojan_pool + it->trojan_first : NULL;
	}
	if (kb->nitems)
		qsort(kb->items, kb->nitems, sizeof(*kb->items), item_cmp);
	for (i = 1; i < kb->nitems; i++) {
		const struct kb_item *a = &kb->items[i - 1], *b = &kb->items[i];

		if (!item_cmp(a, b))
			return ps_fail(p->diag, PS_ERR_INVALID,
				       "kb line %u: duplicate entry %u/%s (first at line %u)",
				       a->line > b->line ? a->line : b->line, a->entry.port,
				       a->entry.proto == IPPROTO_TCP ? "tcp" : "udp",
				       a->line < b->line ? a->line : b->line);
	}
	return count_trojan_names(kb);
}

static enum ps_err parse_lines(struct kb_parser *p, char *text, size_t len)
{
	size_t start = 0, end;
	enum ps_err err;

	while (start < len) {
		p->line++;
		for (end = start; end < len && text[end] != '\n'; end++)
			if (text[end] == '\0')
				return kb_error(p, PS_ERR_INVALID, "NUL byte");
		if (end - start > KB_LINE_MAX)
			return kb_error(p, PS_ERR_INVALID, "line longer than %d characters",
					KB_LINE_MAX);
		text[end] = '\0';
		err = parse_line(p, text + start);
		if (err)
			return err;
		start = end + 1;
	}
	return finish_entry(p);
}

enum ps_err kb_parse(const char *text, size_t len, struct kb **out, struct ps_diag *diag)
{
	struct kb_parser p = {.diag = diag};
	struct kb *kb = NULL;
	enum ps_err err;

	*out = NULL;
	if (len > KB_TEXT_MAX)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "kb: text larger than %zu bytes",
			       KB_TEXT_MAX);
	kb = calloc(1, sizeof(*kb));
	if (!kb)
		return PS_ERR_NOMEM;
	kb->text = malloc(len + 1);
	if (!kb->text) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	if (len)
		memcpy(kb->text, text, len); /* text may be NULL when len is 0 */
	kb->text[len] = '\0';
	p.kb = kb;
	portset_clear(&p.ranked);

	err = parse_lines(&p, kb->text, len);
	if (!err)
		err = finish_kb(&p);
	if (!err) {
		*out = kb;
		kb = NULL;
	}
out:
	kb_free(kb);
	return err;
}

enum ps_err kb_load_builtin(struct kb **out, struct ps_diag *diag)
{
	return kb_parse(kb_builtin_text, kb_builtin_len, out, diag);
}

void kb_free(struct kb *kb)
{
	if (!kb)
		return;
	free(kb->rank);
	free(kb->trojan_pool);
	free(kb->items);
	free(kb->text);
	free(kb);
}

enum kb_range kb_port_range(uint16_t port)
{
	if (port < 1024)
		return KB_RANGE_SYSTEM;
	if (port < 49152)
		return KB_RANGE_REGISTERED;
	return KB_RANGE_DYNAMIC;
}

const char *kb_range_name(enum kb_range range)
{
	switch (range) {
	case KB_RANGE_SYSTEM:
		return "system";
	case KB_RANGE_REGISTERED:
		return "registered";
	case KB_RANGE_DYNAMIC:
		return "dynamic";
	}
	return "unknown";
}

const struct kb_entry *kb_lookup(const struct kb *kb, uint16_t port, uint8_t proto)
{
	struct kb_item key = {.entry = {.port = port, .proto = proto}};
	const struct kb_item *it;

	if (!kb || !kb->nitems)
		return NULL;
	it = bsearch(&key, kb->items, kb->nitems, sizeof(*kb->items), item_cmp);
	return it ? &it->entry : NULL;
}

const char *kb_service_name(const struct kb *kb, uint16_t port, uint8_t proto)
{
	const struct kb_entry *e = kb_lookup(kb, port, proto);

	return e ? e->service : NULL;
}

size_t kb_find_service(const struct kb *kb, const char *name, const struct kb_entry **out,
		       size_t max)
{
	size_t i, found = 0;

	for (i = 0; kb && i < kb->nitems; i++) {
		if (strcasecmp(kb->items[i].entry.service, name))
			continue;
		if (found < max)
			out[found] = &kb->items[i].entry;
		found++;
	}
	return found;
}

size_t kb_find_trojan(const struct kb *kb, const char *name, const struct kb_entry **out,
		      size_t max)
{
	size_t i, j, found = 0;

	for (i = 0; kb && i < kb->nitems; i++) {
		const struct kb_entry *e = &kb->items[i].entry;

		for (j = 0; j < e->ntrojans; j++)
			if (!strcasecmp(e->trojans[j], name))
				break;
		if (j == e->ntrojans)
			continue;
		if (found < max)
			out[found] = e;
		found++;
	}
	return found;
}

size_t kb_count(const struct kb *kb)
{
	return kb ? kb->nitems : 0;
}

const struct kb_entry *kb_entry_at(const struct kb *kb, size_t index)
{
	return kb && index < kb->nitems ? &kb->items[index].entry : NULL;
}

size_t kb_trojan_count(const struct kb *kb)
{
	return kb ? kb->ntrojan_names : 0;
}

size_t kb_ranked(const struct kb *kb, const uint16_t **ports)
{
	*ports = kb ? kb->rank : NULL;
	return kb ? kb->nrank : 0;
}

/* The ports ShieldsUP-style "common ports" checks probe: the classic services plus the low
 * ephemeral ports early Windows handed out (1024-1030). */
static const char common_spec[] =
    "21,22,23,25,79,80,110,113,119,135,139,143,389,443,445,1002,1024-1030,1720,5000";

static enum ps_err preset_top(const struct kb *kb, size_t n, const char *name, struct portset *out,
			      struct ps_diag *diag)
{
	size_t i;

	if (kb->nrank < n)
		return ps_fail(diag, PS_ERR_NOT_FOUND,
			       "port preset \"%s\": the knowledge base ranks only %zu ports", name,
			       kb->nrank);
	for (i = 0; i < n; i++)
		portset_add(out, kb->rank[i]);
	return PS_OK;
}

enum ps_err kb_preset(void *ctx, const char *name, struct portset *out, struct ps_diag *diag)
{
	const struct kb *kb = ctx;
	size_t i;

	if (!strcasecmp(name, "common") || !strcasecmp(name, "shieldsup-common"))
		return portset_parse(out, common_spec, NULL, NULL, diag);
	/* ShieldsUP's UPnP test is SSDP on UDP 1900; the device's HTTP side is on 2869 or 5000. */
	if (!strcasecmp(name, "upnp"))
		return portset_parse(out, "1900,2869,5000", NULL, NULL, diag);
	/* File sharing: NetBIOS name, datagram and session services, and SMB over TCP. */
	if (!strcasecmp(name, "filesharing"))
		return portset_parse(out, "137-139,445", NULL, NULL, diag);
	if (!strcasecmp(name, "service")) {
		portset_clear(out);
		portset_add_range(out, 1, 1055);
		return PS_OK;
	}
	if (strcasecmp(name, "top100") && strcasecmp(name, "top1000") &&
	    strcasecmp(name, "trojans"))
		return ps_fail(diag, PS_ERR_INVALID,
			       "unknown port preset \"%.40s\" (valid: " KB_PRESET_NAMES ")", name);
	if (!kb)
		return ps_fail(diag, PS_ERR_INVALID, "port preset \"%s\" needs the knowledge base",
			       name);
	portset_clear(out);
	if (!strcasecmp(name, "top100"))
		return preset_top(kb, 100, name, out, diag);
	if (!strcasecmp(name, "top1000"))
		return preset_top(kb, 1000, name, out, diag);
	for (i = 0; i < kb->nitems; i++) {
		const struct kb_entry *e = &kb->items[i].entry;

		if (e->proto == IPPROTO_TCP && e->ntrojans)
			portset_add(out, e->port);
	}
	return PS_OK;
}
