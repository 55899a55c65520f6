/* SPDX-License-Identifier: MIT */
/*
 * Matching replies against the database: PCRE2 (JIT-compiled when the database was loaded),
 * then the product/version/info templates filled from the captures. The database is only
 * read here; what a match writes lives in the caller's probe_matcher.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe_internal.h"

/* Backtracking caps: a hostile reply must not turn one regex into minutes of CPU. */
#define MATCH_LIMIT 200000u
#define DEPTH_LIMIT 5000u

/* Template output before cleaning: raw capture bytes, more room than any field needs. */
struct out_text {
	char buf[512];
	size_t len;
};

static void out_byte(struct out_text *o, unsigned char c)
{
	if (o->len < sizeof(o->buf))
		o->buf[o->len++] = (char)c;
}

struct captures {
	const unsigned char *subject;
	size_t len;
	const PCRE2_SIZE *ov;
	uint32_t count; /* pairs the match set: pairs past it hold an earlier match's offsets */
};

/* Capture n as a span; false when it did not take part in the match. */
static bool capture(const struct captures *c, unsigned n, const unsigned char **p, size_t *len)
{
	size_t start, end;

	if (n >= c->count)
		return false;
	/* In size_t: 2 * n must not wrap in unsigned before it indexes the vector. */
	start = c->ov[(size_t)n * 2];
	end = c->ov[(size_t)n * 2 + 1];
	if (start == PCRE2_UNSET || start > end || end > c->len)
		return false;
	*p = c->subject + start;
	*len = end - start;
	return true;
}

/* Reads a quoted argument "..." at *s (for $SUBST and $I); returns its length or -1. */
static int quoted_arg(const char **s, const char **start)
{
	const char *p = *s, *e;

	while (*p == ' ' || *p == ',')
		p++;
	if (*p != '"')
		return -1;
	e = strchr(p + 1, '"');
	if (!e)
		return -1;
	*start = p + 1;
	*s = e + 1;
	return (int)(e - p - 1);
}

/* $SUBST(n,"from","to"): the capture with each "from" replaced. */
static const char *subst(struct out_text *o, const struct captures *c, const char *s)
{
	const char *from, *to;
	const unsigned char *cap;
	size_t caplen, i;
	unsigned n;
	int flen, tlen;

	if (*s < '0' || *s > '9')
		return s;
	n = (unsigned)(*s++ - '0');
	flen = quoted_arg(&s, &from);
	tlen = flen < 0 ? -1 : quoted_arg(&s, &to);
	if (tlen < 0 || *s != ')')
		return s;
	if (!capture(c, n, &cap, &caplen))
		return s + 1;
	for (i = 0; i < caplen;) {
		if (flen > 0 && caplen - i >= (size_t)flen &&
		    !memcmp(cap + i, from, (size_t)flen)) {
			int k;

			for (k = 0; k < tlen; k++)
				out_byte(o, (unsigned char)to[k]);
			i += (size_t)flen;
		} else {
			out_byte(o, cap[i++]);
		}
	}
	return s + 1;
}

/* $I(n,">"): the capture as an unsigned big- (">") or little-endian ("<") integer. */
static const char *int_of(struct out_text *o, const struct captures *c, const char *s)
{
	const char *order;
	const unsigned char *cap;
	size_t caplen, i;
	unsigned long long v = 0;
	char num[24];
	unsigned n;

	if (*s < '0' || *s > '9')
		return s;
	n = (unsigned)(*s++ - '0');
	if (quoted_arg(&s, &order) != 1 || *s != ')')
		return s;
	if (!capture(c, n, &cap, &caplen) || caplen > 8)
		return s + 1;
	for (i = 0; i < caplen; i++)
		v |= (unsigned long long)cap[*order == '<' ? i : caplen - 1 - i] << (8 * i);
	snprintf(num, sizeof(num), "%llu", v);
	for (i = 0; num[i]; i++)
		out_byte(o, (unsigned char)num[i]);
	return s + 1;
}

static void expand(char *dst, size_t size, const char *tmpl, const struct captures *c)
{
	struct out_text o = {.len = 0};
	const char *s = tmpl;
	size_t len;

	if (!size)
		return;
	dst[0] = '\0';
	if (!tmpl)
		return;
	while (*s) {
		const unsigned char *cap;
		size_t caplen, i;

		if (s[0] == '$' && s[1] >= '1' && s[1] <= '9') {
			if (capture(c, (unsigned)(s[1] - '0'), &cap, &caplen))
				for (i = 0; i < caplen; i++)
					out_byte(&o, cap[i]);
			s += 2;
		} else if (!strncmp(s, "$P(", 3) && s[3] >= '1' && s[3] <= '9' && s[4] == ')') {
			if (capture(c, (unsigned)(s[3] - '0'), &cap, &caplen))
				for (i = 0; i < caplen; i++)
					out_byte(&o, cap[i]);
			s += 5;
		} else if (!strncmp(s, "$SUBST(", 7)) {
			s = subst(&o, c, s + 7);
		} else if (!strncmp(s, "$I(", 3)) {
			s = int_of(&o, c, s + 3);
		} else {
			out_byte(&o, (unsigned char)*s++);
		}
	}
	/* Printable ASCII only: the fields end up in terminals, JSON and SQL. */
	len = text_clean_mem(dst, size, o.buf, o.len, TEXT_ASCII);
	/* Templates like "protocol $1; $3" leave a dangling "; " when a capture is empty. */
	while (len && (dst[len - 1] == ' ' || dst[len - 1] == ';' || dst[len - 1] == ','))
		dst[--len] = '\0';
}

enum ps_err probe_matcher_new(struct probe_matcher **out)
{
	struct probe_matcher *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return PS_ERR_NOMEM;
	m->md = pcre2_match_data_create(20, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	if (!m->md || !m->mctx) {
		probe_matcher_free(m);
		return PS_ERR_NOMEM;
	}
	pcre2_set_match_limit(m->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, DEPTH_LIMIT);
	*out = m;
	return PS_OK;
}

void probe_matcher_free(struct probe_matcher *m)
{
	if (!m)
		return;
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	free(m);
}

/* Returns the number of capture pairs set (0: no match). */
static int run_match(struct probe_matcher *mt, const struct pdb_match *m, const void *reply,
		     size_t len)
{
	int rc = pcre2_match(m->re, reply, len, 0, 0, mt->md, mt->mctx);

	return rc > 0 ? rc : 0;
}

static void fill(const struct probe_matcher *mt, const struct pdb_match *m, const void *reply,
		 size_t len, int pairs, struct probe_match_result *out)
{
	struct captures c = {
	    .subject = reply,
	    .len = len,
	    .ov = pcre2_get_ovector_pointer(mt->md),
	    .count = (uint32_t)pairs,
	};

	memset(out, 0, sizeof(*out));
	snprintf(out->service, sizeof(out->service), "%s", m->service);
	expand(out->product, sizeof(out->product), m->tmpl[PDB_PRODUCT], &c);
	expand(out->version, sizeof(out->version), m->tmpl[PDB_VERSION], &c);
	expand(out->info, sizeof(out->info), m->tmpl[PDB_INFO], &c);
	expand(out->host, sizeof(out->host), m->tmpl[PDB_HOST], &c);
	out->backdoor = m->backdoor;
}

/*
 * One probe's match lines. A hard match ends the search; the first soft match is kept and
 * narrows what may follow to its service (a later hard match must agree with it).
 */
static enum probe_match_kind match_probe(struct probe_matcher *mt, const struct pdb_probe *probe,
					 const void *reply, size_t len, const char **only,
					 struct probe_match_result *out)
{
	enum probe_match_kind kind = PROBE_MATCH_NONE;
	size_t i;
	int pairs;

	for (i = 0; i < probe->nmatches; i++) {
		const struct pdb_match *m = &probe->matches[i];

		if (*only && strcasecmp(m->service, *only))
			continue;
		if (m->soft && *only)
			continue;
		pairs = run_match(mt, m, reply, len);
		if (!pairs)
			continue;
		fill(mt, m, reply, len, pairs, out);
		if (!m->soft)
			return PROBE_MATCH_HARD;
		kind = PROBE_MATCH_SOFT;
		*only = m->service;
	}
	return kind;
}

enum probe_match_kind probe_db_match(const struct probe_db *db, struct probe_matcher *mt,
				     const char *probe_name, const void *reply, size_t len,
				     const char *only_service, struct probe_match_result *out)
{
	const struct pdb_probe *probe = pdb_find_probe(db, probe_name ? probe_name : "NULL");
	const struct pdb_probe *null_probe = pdb_find_probe(db, "NULL");
	struct probe_match_result soft;
	enum probe_match_kind kind, best = PROBE_MATCH_NONE;
	const char *only = only_service;
	char names[256];
	char *save = NULL, *name;

	if (!len || !mt)
		return PROBE_MATCH_NONE;
	if (probe) {
		kind = match_probe(mt, probe, reply, len, &only, &soft);
		if (kind == PROBE_MATCH_HARD)
			goto hard;
		if (kind == PROBE_MATCH_SOFT)
			best = kind;
		if (probe->fallback) {
			snprintf(names, sizeof(names), "%s", probe->fallback);
			for (name = strtok_r(names, ", ", &save); name;
			     name = strtok_r(NULL, ", ", &save)) {
				const struct pdb_probe *fb = pdb_find_probe(db, name);

				if (!fb || fb == probe)
					continue;
				kind = match_probe(mt, fb, reply, len, &only, &soft);
				if (kind == PROBE_MATCH_HARD)
					goto hard;
				if (kind == PROBE_MATCH_SOFT && !best)
					best = kind;
			}
		}
	}
	if (null_probe && null_probe != probe) {
		kind = match_probe(mt, null_probe, reply, len, &only, &soft);
		if (kind == PROBE_MATCH_HARD)
			goto hard;
		if (kind == PROBE_MATCH_SOFT && !best)
			best = kind;
	}
	if (best)
		*out = soft;
	return best;
hard:
	*out = soft;
	return PROBE_MATCH_HARD;
}
