/* SPDX-License-Identifier: MIT */
/*
 * The history front: picks a backend from the location and dispatches to it. The identity of
 * a job lives here too, since every backend keys diff's default pair by it.
 */
#include "store.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "hoststates.h"

struct store {
	const struct store_backend *backend;
	void *conn;
};

/* Locations by scheme; a location without one is a path (SQLite). */
#ifdef PS_HAVE_LIBPQ
#define STORE_POSTGRES (&store_postgres_backend)
#else
#define STORE_POSTGRES NULL
#endif
static const struct store_scheme {
	const char *prefix;
	const struct store_backend *backend; /* NULL: known, not in this build */
	const char *label;
	int whole; /* the backend takes the whole location (a libpq connection URI) */
} store_schemes[] = {
    {"sqlite://", &store_sqlite_backend, "SQLite", 0},
    {"sqlite:", &store_sqlite_backend, "SQLite", 0},
    {"postgresql://", STORE_POSTGRES, "PostgreSQL", 1},
    {"postgres://", STORE_POSTGRES, "PostgreSQL", 1},
};

/* "scheme://" at the start: a URL, not a file name with a colon in it. */
static int looks_like_url(const char *location)
{
	const char *p = location;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	return !strncmp(p, "://", 3);
}

enum ps_err store_open(const char *location, struct store **out, struct ps_diag *diag)
{
	const struct store_backend *backend = &store_sqlite_backend;
	const char *rest = location;
	struct store *st;
	enum ps_err err;
	size_t i;

	*out = NULL;
	for (i = 0; i < sizeof(store_schemes) / sizeof(store_schemes[0]); i++) {
		const struct store_scheme *s = &store_schemes[i];

		if (strncmp(location, s->prefix, strlen(s->prefix)))
			continue;
		if (!s->backend)
			return ps_fail(diag, PS_ERR_UNSUPPORTED,
				       "history database: %s (%s) is not supported by this build "
				       "(built without libpq); use a file path or sqlite:PATH",
				       s->label, s->prefix);
		backend = s->backend;
		rest = s->whole ? location : location + strlen(s->prefix);
		break;
	}
	if (i == sizeof(store_schemes) / sizeof(store_schemes[0]) && looks_like_url(location))
		return ps_fail(diag, PS_ERR_INVALID,
			       "history database: unknown kind of location '%.64s' (a file path, "
			       "sqlite:PATH or postgresql://...)",
			       location);
	st = calloc(1, sizeof(*st));
	if (!st)
		return PS_ERR_NOMEM;
	st->backend = backend;
	if ((err = backend->open(rest, &st->conn, diag))) {
		free(st);
		return err;
	}
	*out = st;
	return PS_OK;
}

const char *store_location_file(const char *location)
{
	if (!strncmp(location, "sqlite://", 9))
		return location + 9;
	if (!strncmp(location, "sqlite:", 7))
		return location + 7;
	return looks_like_url(location) ? NULL : location;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	st->backend->close(st->conn);
	free(st);
}

int store_schema(const struct store *st)
{
	return st->backend->schema(st->conn);
}

const char *store_backend_name(const struct store *st)
{
	return st->backend->name;
}

enum ps_err store_scan_begin(struct store *st, const struct store_scan_params *p, int64_t *id,
			     struct ps_diag *diag)
{
	return st->backend->scan_begin(st->conn, p, id, diag);
}

enum ps_err store_scan_port(struct store *st, const struct port_result *res, struct ps_diag *diag)
{
	return st->backend->scan_port(st->conn, res, diag);
}

enum ps_err store_scan_commit(struct store *st, struct ps_diag *diag)
{
	return st->backend->scan_commit(st->conn, diag);
}

enum ps_err store_scan_end(struct store *st, const struct store_scan_totals *t,
			   struct ps_diag *diag)
{
	return st->backend->scan_end(st->conn, t, diag);
}

void store_scan_abort(struct store *st)
{
	if (st)
		st->backend->scan_abort(st->conn);
}

enum ps_err store_list_scans(struct store *st, unsigned limit, store_scan_fn fn, void *ctx,
			     struct ps_diag *diag)
{
	return st->backend->list_scans(st->conn, limit, fn, ctx, diag);
}

enum ps_err store_last_pair(struct store *st, int64_t *old_id, int64_t *new_id,
			    struct ps_diag *diag)
{
	return st->backend->last_pair(st->conn, old_id, new_id, diag);
}

enum ps_err store_load_scan(struct store *st, int64_t id, struct snapshot *snap,
			    struct ps_diag *diag)
{
	return st->backend->load_scan(st->conn, id, snap, diag);
}

static int range_order(const void *a, const void *b)
{
	const struct target_range *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->hi > y->hi) - (x->hi < y->hi);
}

static void put_u128(uint8_t *out, ps_u128 v)
{
	int i;

	for (i = 15; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

static void hex(const uint8_t *md, unsigned len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < len; i++) {
		out[2 * (size_t)i] = digits[md[i] >> 4];
		out[2 * (size_t)i + 1] = digits[md[i] & 15];
	}
	out[2 * (size_t)len] = '\0';
}

/*
 * The hashed bytes: a version tag, then per merged address range its family and both ends as
 * 16 big-endian bytes, then the protocol and the port ranges as the store keeps them.
 */
enum ps_err store_identity_of_ranges(struct target_range *ranges, size_t n,
				     const struct portset *ports, char out[STORE_IDENTITY_LEN + 1])
{
	static const char tag[] = "portsight-scan-identity-1";
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t buf[33], digest[EVP_MAX_MD_SIZE], *port_ranges = malloc(4u * ports->count + 4u);
	unsigned dlen = 0;
	size_t i, merged = 0;
	int ok;

	if (!md || !port_ranges) {
		EVP_MD_CTX_free(md);
		free(port_ranges);
		return PS_ERR_NOMEM;
	}
	if (n)
		qsort(ranges, n, sizeof(*ranges), range_order);
	for (i = 0; i < n; i++) {
		struct target_range *last = merged ? &ranges[merged - 1] : NULL;

		if (last && last->family == ranges[i].family &&
		    (ranges[i].lo <= last->hi || ranges[i].lo == last->hi + 1)) {
			if (ranges[i].hi > last->hi)
				last->hi = ranges[i].hi;
			continue;
		}
		ranges[merged++] = ranges[i];
	}
	ok =
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) && EVP_DigestUpdate(md, tag, sizeof(tag) - 1);
	for (i = 0; ok && i < merged; i++) {
		buf[0] = ranges[i].family;
		put_u128(buf + 1, ranges[i].lo);
		put_u128(buf + 17, ranges[i].hi);
		ok = EVP_DigestUpdate(md, buf, 33);
	}
	ok = ok && EVP_DigestUpdate(md, "tcp", 3) &&
	     EVP_DigestUpdate(md, port_ranges, hoststates_ports_encode(ports, port_ranges));
	ok = ok && EVP_DigestFinal_ex(md, digest, &dlen) && dlen * 2 == STORE_IDENTITY_LEN;
	EVP_MD_CTX_free(md);
	free(port_ranges);
	if (!ok)
		return PS_ERR_SYSTEM;
	hex(digest, dlen, out);
	return PS_OK;
}

enum ps_err store_scan_identity(const struct target_list *targets, const struct portset *ports,
				char out[STORE_IDENTITY_LEN + 1])
{
	struct target_range *copy = NULL;
	enum ps_err err;

	if (targets->nranges && !(copy = malloc(targets->nranges * sizeof(*copy))))
		return PS_ERR_NOMEM;
	if (targets->nranges)
		memcpy(copy, targets->ranges, targets->nranges * sizeof(*copy));
	err = store_identity_of_ranges(copy, targets->nranges, ports, out);
	free(copy);
	return err;
}
