/* SPDX-License-Identifier: MIT */
#include "array.h"
#include "target.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

void target_list_init(struct target_list *list)
{
	memset(list, 0, sizeof(*list));
}

void target_list_release(struct target_list *list)
{
	size_t i;

	for (i = 0; i < list->nnames; i++)
		free(list->names[i]);
	free(list->names);
	free(list->ranges);
	free(list->start);
	target_list_init(list);
}

static enum ps_err push_range(struct target_list *list, const struct target_range *r)
{
	struct target_range *p =
	    ps_array_grow(list->ranges, list->nranges, &list->ranges_cap, sizeof(*p), 16);

	if (!p)
		return PS_ERR_NOMEM;
	list->ranges = p;
	list->ranges[list->nranges++] = *r;
	return PS_OK;
}

static enum ps_err push_name(struct target_list *list, const char *name, uint32_t *index)
{
	char *copy;

	if (list->nnames == list->names_cap) {
		size_t cap = list->names_cap ? list->names_cap * 2 : 8;
		char **p = realloc(list->names, cap * sizeof(*p));

		if (!p)
			return PS_ERR_NOMEM;
		list->names = p;
		list->names_cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return PS_ERR_NOMEM;
	list->names[list->nnames++] = copy;
	*index = (uint32_t)list->nnames;
	return PS_OK;
}

static int family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

static ps_u128 family_max(int family)
{
	return family == AF_INET ? (ps_u128)0xffffffffu : ~(ps_u128)0;
}

static enum ps_err add_cidr(struct target_list *list, const char *spec, char *slash,
			    struct ps_diag *diag)
{
	struct target_range r = {0};
	struct ps_addr base;
	char *end;
	long prefix;
	int bits;
	ps_u128 host_mask;

	*slash = '\0';
	if (ps_addr_parse(spec, &base))
		return ps_fail(diag, PS_ERR_INVALID, "bad target \"%s/%s\": not an address", spec,
			       slash + 1);
	bits = family_bits(base.family);
	prefix = strtol(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end || prefix < 0 || prefix > bits)
		return ps_fail(diag, PS_ERR_INVALID, "bad target \"%s/%s\": prefix must be 0-%d",
			       spec, slash + 1, bits);
	host_mask = prefix == bits ? 0 : (family_max(base.family) >> prefix);
	r.family = base.family;
	r.lo = ps_addr_to_u128(&base) & ~host_mask & family_max(base.family);
	r.hi = r.lo | host_mask;
	return push_range(list, &r);
}

/* "a-b": b is a whole address, or the last octet (IPv4) / last group in hex (IPv6). */
static enum ps_err add_range(struct target_list *list, const char *spec, char *dash,
			     struct ps_diag *diag)
{
	struct target_range r = {0};
	struct ps_addr first, last;
	const char *tail = dash + 1;
	char *end;
	unsigned long v;

	*dash = '\0';
	if (ps_addr_parse(spec, &first))
		return PS_ERR_NOT_FOUND; /* not a range: perhaps a hostname with a dash */
	r.family = first.family;
	r.lo = ps_addr_to_u128(&first);
	if (!ps_addr_parse(tail, &last)) {
		if (last.family != first.family)
			return ps_fail(diag, PS_ERR_INVALID,
				       "bad target range \"%s-%s\": mixes IPv4 and IPv6", spec,
				       tail);
		r.hi = ps_addr_to_u128(&last);
	} else {
		int is4 = first.family == AF_INET;
		size_t digits = strspn(tail, is4 ? "0123456789" : "0123456789abcdefABCDEF");

		/* Only plain digits: strtoul alone would also take "0x1f", "+5" and " 5". */
		v = strtoul(tail, &end, is4 ? 10 : 16);
		if (!*tail || tail[digits] || digits > (is4 ? 3u : 4u) || *end ||
		    v > (is4 ? 255u : 0xffffu))
			return ps_fail(diag, PS_ERR_INVALID, "bad target range \"%s-%s\"", spec,
				       tail);
		r.hi = (r.lo & ~(ps_u128)(is4 ? 0xff : 0xffff)) | v;
	}
	if (r.hi < r.lo)
		return ps_fail(diag, PS_ERR_INVALID, "bad target range \"%s-%s\": end before start",
			       spec, tail);
	return push_range(list, &r);
}

/* RFC 1123 letters, digits, '-', '.' ('_' too, seen in the wild); an all-numeric name such as
 * "192.0.2.300" is a mistyped address, never a host to look up (RFC 3696 2: no numeric TLD). */
static int is_hostname(const char *s)
{
	size_t n = strlen(s);
	int letters = 0;

	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
		return 0;
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return 0;
		letters += isalpha((unsigned char)*s) != 0;
	}
	return letters > 0;
}

enum ps_err target_list_add_spec(struct target_list *list, const char *spec,
				 target_resolve_fn resolve, void *resolve_ctx, struct ps_diag *diag)
{
	char buf[TARGET_TOKEN_MAX];
	struct target_range r = {0};
	struct ps_addr addr;
	char *mark;
	enum ps_err err;

	if (!*spec)
		return ps_fail(diag, PS_ERR_INVALID, "bad target: empty");
	/* Messages quote the spec, so nothing that could break the line or drive a terminal. */
	for (size_t i = 0; spec[i]; i++)
		if ((unsigned char)spec[i] <= 0x20 || (unsigned char)spec[i] >= 0x7f)
			return ps_fail(
			    diag, PS_ERR_INVALID,
			    "bad target: space, control or non-ASCII byte 0x%02x at offset %zu",
			    (unsigned char)spec[i], i);
	if (strlen(spec) >= sizeof(buf))
		return ps_fail(diag, PS_ERR_INVALID, "bad target \"%.32s...\": too long", spec);
	strcpy(buf, spec);

	mark = strchr(buf, '/');
	if (mark)
		return add_cidr(list, buf, mark, diag);
	mark = strchr(buf, '-');
	if (mark) {
		err = add_range(list, buf, mark, diag);
		if (err != PS_ERR_NOT_FOUND)
			return err;
		strcpy(buf, spec);
	}
	if (!ps_addr_parse(buf, &addr)) {
		r.family = addr.family;
		r.lo = r.hi = ps_addr_to_u128(&addr);
		return push_range(list, &r);
	}
	if (!is_hostname(buf))
		return ps_fail(diag, PS_ERR_INVALID,
			       "bad target \"%s\": not an address, network or "
			       "hostname",
			       buf);
	if (!resolve)
		return ps_fail(diag, PS_ERR_INVALID,
			       "bad target \"%s\": names are not allowed here", buf);
	err = resolve(resolve_ctx, buf, &addr, diag);
	if (err)
		return err;
	r.family = addr.family;
	r.lo = r.hi = ps_addr_to_u128(&addr);
	err = push_name(list, buf, &r.name);
	if (err)
		return err;
	return push_range(list, &r);
}

enum ps_err target_list_add_text(struct target_list *list, const char *text, size_t len,
				 target_resolve_fn resolve, void *resolve_ctx, struct ps_diag *diag)
{
	char token[TARGET_TOKEN_MAX];
	size_t i = 0, n;
	enum ps_err err;

	while (i < len) {
		unsigned char c = (unsigned char)text[i];

		if (c == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (isspace(c) || c == ',') {
			i++;
			continue;
		}
		if (c == '\0')
			return ps_fail(diag, PS_ERR_INVALID,
				       "bad target list: NUL byte at offset %zu", i);
		n = 0;
		while (i < len && text[i] && !isspace((unsigned char)text[i]) && text[i] != ',' &&
		       text[i] != '#') {
			if (n + 1 >= sizeof(token))
				return ps_fail(diag, PS_ERR_INVALID,
					       "bad target list: entry at offset %zu too long", i);
			token[n++] = text[i++];
		}
		token[n] = '\0';
		err = target_list_add_spec(list, token, resolve, resolve_ctx, diag);
		if (err)
			return err;
	}
	return PS_OK;
}

static int range_cmp(const void *pa, const void *pb)
{
	const struct target_range *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return 0;
}

/* Sorts and merges overlapping or touching ranges in place; names are kept only by
 * single-address ranges (a name on a merged block would be a lie). */
static size_t merge_sorted(struct target_range *r, size_t n, int keep_names)
{
	size_t out = 0, i;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	for (i = 1; i < n; i++) {
		struct target_range *last = &r[out];

		if (keep_names && r[i].family == last->family && r[i].lo <= last->hi)
			continue; /* the same address named twice: keep one label */
		if (!keep_names && r[i].family == last->family &&
		    (r[i].lo <= last->hi || r[i].lo - 1 == last->hi)) {
			if (r[i].hi > last->hi)
				last->hi = r[i].hi;
			continue;
		}
		r[++out] = r[i];
	}
	return out + 1;
}

/* a minus b, both sorted and disjoint; appends the pieces to out. */
static enum ps_err subtract(const struct target_range *a, size_t na, const struct target_range *b,
			    size_t nb, struct target_list *out)
{
	size_t i, j = 0;
	enum ps_err err;

	for (i = 0; i < na; i++) {
		struct target_range cur = a[i];
		int alive = 1;

		while (j < nb && (b[j].family < cur.family ||
				  (b[j].family == cur.family && b[j].hi < cur.lo)))
			j++;
		for (size_t k = j;
		     alive && k < nb && b[k].family == cur.family && b[k].lo <= cur.hi; k++) {
			if (b[k].hi < cur.lo)
				continue;
			if (b[k].lo > cur.lo) {
				struct target_range piece = cur;

				piece.hi = b[k].lo - 1;
				err = push_range(out, &piece);
				if (err)
					return err;
			}
			if (b[k].hi >= cur.hi)
				alive = 0;
			else
				cur.lo = b[k].hi + 1;
		}
		if (alive) {
			err = push_range(out, &cur);
			if (err)
				return err;
		}
	}
	return PS_OK;
}

static enum ps_err collect(const struct target_list *src, int named, struct target_list *out)
{
	size_t i;
	enum ps_err err;

	for (i = 0; i < src->nranges; i++) {
		if (!!src->ranges[i].name != named)
			continue;
		err = push_range(out, &src->ranges[i]);
		if (err)
			return err;
	}
	out->nranges = merge_sorted(out->ranges, out->nranges, named);
	return PS_OK;
}

static enum ps_err number_ranges(struct target_list *list, uint64_t max_total, struct ps_diag *diag)
{
	ps_u128 total = 0;
	size_t i;

	free(list->start);
	list->start = malloc((list->nranges + 1) * sizeof(*list->start));
	if (!list->start)
		return PS_ERR_NOMEM;
	for (i = 0; i < list->nranges; i++) {
		ps_u128 size = list->ranges[i].hi - list->ranges[i].lo + 1;

		if (size == 0 || size > (ps_u128)max_total || total + size > (ps_u128)max_total)
			return ps_fail(diag, PS_ERR_TOO_LARGE,
				       "too many target addresses (more than %llu)",
				       (unsigned long long)max_total);
		list->start[i] = (uint64_t)total;
		total += size;
	}
	list->total = (uint64_t)total;
	if (list->total == 0)
		return ps_fail(diag, PS_ERR_INVALID, "no target addresses left to scan");
	return PS_OK;
}

static enum ps_err collect_exclusions(const struct target_list *exclude, struct target_list *out)
{
	enum ps_err err;
	size_t i;

	for (i = 0; exclude && i < exclude->nranges; i++) {
		struct target_range r = exclude->ranges[i];

		r.name = 0;
		err = push_range(out, &r);
		if (err)
			return err;
	}
	out->nranges = merge_sorted(out->ranges, out->nranges, 0);
	return PS_OK;
}

enum ps_err target_list_finish(struct target_list *list, const struct target_list *exclude,
			       uint64_t max_total, struct ps_diag *diag)
{
	struct target_list unnamed, named, excl, anon, result;
	enum ps_err err;

	target_list_init(&unnamed);
	target_list_init(&named);
	target_list_init(&excl);
	target_list_init(&anon);
	target_list_init(&result);

	err = collect(list, 0, &unnamed);
	if (!err)
		err = collect(list, 1, &named);
	if (!err)
		err = collect_exclusions(exclude, &excl);
	/* Named addresses keep their label, so carve them out of the anonymous blocks. */
	if (!err)
		err = subtract(unnamed.ranges, unnamed.nranges, named.ranges, named.nranges, &anon);
	if (!err)
		err = subtract(anon.ranges, anon.nranges, excl.ranges, excl.nranges, &result);
	if (!err)
		err = subtract(named.ranges, named.nranges, excl.ranges, excl.nranges, &result);
	if (err)
		goto out;
	if (result.nranges) /* qsort(NULL, 0) is undefined */
		qsort(result.ranges, result.nranges, sizeof(*result.ranges), range_cmp);

	free(list->ranges);
	list->ranges = result.ranges;
	list->nranges = result.nranges;
	list->ranges_cap = result.ranges_cap;
	result.ranges = NULL;
	err = number_ranges(list, max_total, diag);
out:
	target_list_release(&unnamed);
	target_list_release(&named);
	target_list_release(&excl);
	target_list_release(&anon);
	target_list_release(&result);
	return err;
}

enum ps_err target_list_add_range(struct target_list *list, const struct target_range *range)
{
	return push_range(list, range);
}

enum ps_err target_list_copy(struct target_list *dst, const struct target_list *src)
{
	enum ps_err err = PS_OK;
	uint32_t index;
	size_t i;

	for (i = 0; !err && i < src->nnames; i++)
		err = push_name(dst, src->names[i], &index);
	for (i = 0; !err && i < src->nranges; i++)
		err = push_range(dst, &src->ranges[i]);
	return err;
}

void target_list_get(const struct target_list *list, uint64_t index, struct ps_addr *addr,
		     const char **name)
{
	size_t lo = 0, hi = list->nranges;
	const struct target_range *r;

	/* The last range whose start is <= index. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (list->start[mid] <= index)
			lo = mid;
		else
			hi = mid;
	}
	r = &list->ranges[lo];
	ps_addr_from_u128(r->lo + (index - list->start[lo]), r->family, addr);
	if (name)
		*name = r->name ? list->names[r->name - 1] : NULL;
}

bool target_list_index_of(const struct target_list *list, const struct ps_addr *addr,
			  uint64_t *index)
{
	ps_u128 v = ps_addr_to_u128(addr);
	size_t lo = 0, hi = list->nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct target_range *r = &list->ranges[mid];

		if (r->family < addr->family || (r->family == addr->family && r->hi < v))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == list->nranges || list->ranges[lo].family != addr->family ||
	    list->ranges[lo].lo > v)
		return false;
	*index = list->start[lo] + (uint64_t)(v - list->ranges[lo].lo);
	return true;
}
