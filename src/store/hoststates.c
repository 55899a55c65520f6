/* SPDX-License-Identifier: MIT */
/*
 * Per-host port codes for the history. One scan's results arrive in a random order of address
 * x port (the SYN engine permutes them), so each result costs one hash probe and a 2-bit store;
 * nothing is encoded until the backend writes a checkpoint. A host costs (ports + 3) / 4 bytes:
 * 16 KiB for every port, 4 bytes for 16 ports.
 */
#include "hoststates.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define HOSTSTATES_TABLE_MIN 64

static size_t host_bytes(const struct hoststates *hs)
{
	return (hs->nports + 3u) / 4u;
}

enum ps_err hoststates_init(struct hoststates *hs, const struct portset *ports)
{
	uint32_t p, n = 0;

	memset(hs, 0, sizeof(*hs));
	hs->position = malloc(65536 * sizeof(*hs->position));
	hs->ports = malloc(65536 * sizeof(*hs->ports));
	if (!hs->position || !hs->ports) {
		hoststates_release(hs);
		return PS_ERR_NOMEM;
	}
	for (p = 0; p < 65536; p++)
		hs->position[p] = HOSTSTATES_NO_POSITION;
	for (p = 1; p <= PORTSET_MAX_PORT; p++) {
		if (ports && !portset_has(ports, (uint16_t)p))
			continue;
		hs->position[p] = (uint16_t)n;
		hs->ports[n++] = (uint16_t)p;
	}
	hs->nports = n;
	return PS_OK;
}

void hoststates_release(struct hoststates *hs)
{
	size_t i;

	for (i = 0; i < hs->nhosts; i++)
		free(hs->hosts[i].hostname);
	free(hs->position);
	free(hs->ports);
	free(hs->hosts);
	free(hs->table);
	free(hs->pool);
	memset(hs, 0, sizeof(*hs));
}

static uint32_t host_hash(const struct ps_addr *addr, uint8_t proto)
{
	uint32_t h = ps_addr_hash(addr) ^ proto;

	/* FNV's low bits are weak for addresses that differ in the last byte only. */
	h ^= h >> 16;
	h *= 0x45d9f3bu;
	h ^= h >> 16;
	return h;
}

static int host_is(const struct hoststates_host *h, const struct ps_addr *addr, uint8_t proto)
{
	return h->proto == proto && !ps_addr_cmp(&h->addr, addr);
}

static enum ps_err grow_table(struct hoststates *hs)
{
	size_t cap = hs->table_cap ? hs->table_cap * 2 : HOSTSTATES_TABLE_MIN, i;
	uint32_t *t = calloc(cap, sizeof(*t));

	if (!t)
		return PS_ERR_NOMEM;
	for (i = 0; i < hs->nhosts; i++) {
		size_t slot = host_hash(&hs->hosts[i].addr, hs->hosts[i].proto) & (cap - 1);

		while (t[slot])
			slot = (slot + 1) & (cap - 1);
		t[slot] = (uint32_t)(i + 1);
	}
	free(hs->table);
	hs->table = t;
	hs->table_cap = cap;
	return PS_OK;
}

static enum ps_err add_host(struct hoststates *hs, const struct ps_addr *addr, uint8_t proto,
			    const char *hostname, size_t *index)
{
	size_t need = host_bytes(hs);
	struct hoststates_host *h;

	if (hs->nhosts >= UINT32_MAX - 1)
		return PS_ERR_TOO_LARGE;
	if (hs->nhosts == hs->hosts_cap) {
		size_t cap = hs->hosts_cap ? hs->hosts_cap * 2 : 16;
		void *p = realloc(hs->hosts, cap * sizeof(*hs->hosts));

		if (!p)
			return PS_ERR_NOMEM;
		hs->hosts = p;
		hs->hosts_cap = cap;
	}
	if (hs->pool_len + need > hs->pool_cap) {
		size_t cap = hs->pool_cap ? hs->pool_cap * 2 : 4096;
		void *p;

		while (cap < hs->pool_len + need)
			cap *= 2;
		p = realloc(hs->pool, cap);
		if (!p)
			return PS_ERR_NOMEM;
		hs->pool = p;
		hs->pool_cap = cap;
	}
	h = &hs->hosts[hs->nhosts];
	memset(h, 0, sizeof(*h));
	h->addr = *addr;
	h->proto = proto;
	h->cells = hs->pool_len;
	if (hostname && !(h->hostname = strdup(hostname)))
		return PS_ERR_NOMEM;
	memset(hs->pool + hs->pool_len, 0, need);
	hs->pool_len += need;
	*index = hs->nhosts++;
	return PS_OK;
}

static enum ps_err find_host(struct hoststates *hs, const struct ps_addr *addr, uint8_t proto,
			     const char *hostname, size_t *index)
{
	size_t slot;
	enum ps_err err;

	if ((hs->nhosts + 1) * 2 > hs->table_cap && (err = grow_table(hs)))
		return err;
	slot = host_hash(addr, proto) & (hs->table_cap - 1);
	while (hs->table[slot]) {
		if (host_is(&hs->hosts[hs->table[slot] - 1], addr, proto)) {
			*index = hs->table[slot] - 1;
			return PS_OK;
		}
		slot = (slot + 1) & (hs->table_cap - 1);
	}
	if ((err = add_host(hs, addr, proto, hostname, index)))
		return err;
	hs->table[slot] = (uint32_t)(*index + 1);
	return PS_OK;
}

enum ps_err hoststates_set(struct hoststates *hs, const struct ps_addr *addr, uint8_t proto,
			   const char *hostname, uint16_t port, enum hoststates_code code,
			   size_t *host)
{
	uint16_t pos = hs->position[port];
	struct hoststates_host *h;
	uint8_t *cell;
	unsigned shift, old;
	size_t index;
	enum ps_err err;

	if (pos == HOSTSTATES_NO_POSITION)
		return PS_ERR_RANGE;
	if ((err = find_host(hs, addr, proto, hostname, &index)))
		return err;
	h = &hs->hosts[index];
	cell = hs->pool + h->cells + pos / 4u;
	shift = (pos % 4u) * 2u;
	old = (*cell >> shift) & 3u;
	*cell = (uint8_t)((*cell & ~(3u << shift)) | ((unsigned)code << shift));
	if (!old && code) {
		h->covered++;
		hs->covered++;
	} else if (old && !code) {
		h->covered--;
		hs->covered--;
	}
	h->answered += (code == HOSTSTATES_CLOSED || code == HOSTSTATES_LISTED) -
		       (old == HOSTSTATES_CLOSED || old == HOSTSTATES_LISTED);
	if (!h->dirty) {
		h->dirty = 1;
		hs->ndirty++;
	}
	if (host)
		*host = index;
	return PS_OK;
}

enum hoststates_code hoststates_get(const struct hoststates *hs, size_t host, uint32_t position)
{
	const uint8_t *cell = hs->pool + hs->hosts[host].cells + position / 4u;

	return (enum hoststates_code)((*cell >> ((position % 4u) * 2u)) & 3u);
}

/* A run is one LEB128 varint: count << 2 | code (count <= 65535: at most 3 bytes). */
static size_t put_run(uint8_t *out, uint32_t count, unsigned code)
{
	uint32_t v = count << 2 | code;
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

size_t hoststates_encode(const struct hoststates *hs, size_t host, uint8_t *out)
{
	const uint8_t *cells = hs->pool + hs->hosts[host].cells;
	uint32_t pos = 0, run = 0;
	unsigned code = 0;
	size_t len = 0;

	for (pos = 0; pos < hs->nports; pos++) {
		unsigned c;

		/* Four ports of one code in a byte: whole bytes at a time through long runs. */
		if (pos % 4u == 0 && run && pos + 4 <= hs->nports &&
		    cells[pos / 4u] == (uint8_t)(code * 0x55u)) {
			run += 4;
			pos += 3;
			continue;
		}
		c = (cells[pos / 4u] >> ((pos % 4u) * 2u)) & 3u;
		if (run && c == code) {
			run++;
			continue;
		}
		if (run)
			len += put_run(out + len, run, code);
		code = c;
		run = 1;
	}
	if (run)
		len += put_run(out + len, run, code);
	return len;
}

enum ps_err hoststates_decode(const uint8_t *blob, size_t len, uint32_t nports,
			      hoststates_run_fn fn, void *ctx, struct ps_diag *diag)
{
	uint32_t pos = 0;
	size_t i = 0;
	enum ps_err err;

	while (i < len) {
		uint32_t v = 0, count;
		unsigned shift = 0;

		do {
			if (i >= len || shift > 21)
				return ps_fail(diag, PS_ERR_INVALID, "history: a bad port run");
			v |= (uint32_t)(blob[i] & 0x7f) << shift;
			shift += 7;
		} while (blob[i++] & 0x80);
		count = v >> 2;
		if (!count || count > nports - pos)
			return ps_fail(diag, PS_ERR_INVALID,
				       "history: port runs do not match the scan's %u ports",
				       nports);
		if ((err = fn(ctx, pos, count, (enum hoststates_code)(v & 3u))))
			return err;
		pos += count;
	}
	if (pos != nports)
		return ps_fail(diag, PS_ERR_INVALID,
			       "history: port runs cover %u of the scan's %u ports", pos, nports);
	return PS_OK;
}

size_t hoststates_ports_encode(const struct portset *ports, uint8_t *out)
{
	uint32_t p = portset_next(ports, 0);
	size_t len = 0;

	while (p) {
		uint32_t hi = p;

		while (hi < PORTSET_MAX_PORT && portset_has(ports, (uint16_t)(hi + 1)))
			hi++;
		out[len++] = (uint8_t)(p >> 8);
		out[len++] = (uint8_t)p;
		out[len++] = (uint8_t)(hi >> 8);
		out[len++] = (uint8_t)hi;
		p = hi < PORTSET_MAX_PORT ? portset_next(ports, hi) : 0;
	}
	return len;
}

enum ps_err hoststates_ports_decode(const uint8_t *blob, size_t len, struct portset *out,
				    struct ps_diag *diag)
{
	size_t i;

	portset_clear(out);
	if (len % 4)
		return ps_fail(diag, PS_ERR_INVALID, "history: a bad port set");
	for (i = 0; i < len; i += 4) {
		uint16_t lo = (uint16_t)(blob[i] << 8 | blob[i + 1]);
		uint16_t hi = (uint16_t)(blob[i + 2] << 8 | blob[i + 3]);

		if (!lo || hi < lo)
			return ps_fail(diag, PS_ERR_INVALID, "history: a bad port range %u-%u", lo,
				       hi);
		portset_add_range(out, lo, hi);
	}
	return PS_OK;
}

enum ps_err hoststates_addr_decode(int family, const void *bytes, size_t len, struct ps_addr *out,
				   struct ps_diag *diag)
{
	memset(out, 0, sizeof(*out));
	if (!bytes || !((family == 4 && len == 4) || (family == 6 && len == 16)))
		return ps_fail(diag, PS_ERR_INVALID,
			       "history: a bad address (family %d, %zu bytes)", family, len);
	out->family = family == 4 ? AF_INET : AF_INET6;
	memcpy(out->bytes, bytes, len);
	return PS_OK;
}

static enum ps_err load_run(void *ctx, uint32_t first, uint32_t count, enum hoststates_code code)
{
	struct hoststates_load *load = ctx;
	uint8_t state = code == HOSTSTATES_CLOSED ? PORT_CLOSED : PORT_FILTERED;
	uint32_t pos;
	enum ps_err err;

	if (code != HOSTSTATES_CLOSED && code != HOSTSTATES_SILENT)
		return PS_OK;
	for (pos = first; pos < first + count; pos++)
		if ((err = snapshot_add(load->snap, &load->addr, load->ports[pos], load->proto,
					state, NULL)))
			return err;
	return PS_OK;
}

enum ps_err hoststates_load_host(struct hoststates_load *load, int family, const void *addr,
				 size_t addr_len, int proto, const void *states, size_t len,
				 struct ps_diag *diag)
{
	enum ps_err err;

	if ((err = hoststates_addr_decode(family, addr, addr_len, &load->addr, diag)))
		return err;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return ps_fail(diag, PS_ERR_INVALID, "history: a bad protocol %d", proto);
	load->proto = (uint8_t)proto;
	return hoststates_decode(states, states ? len : 0, load->nports, load_run, load, diag);
}

int hoststates_all(const struct hoststates *hs, size_t host, enum hoststates_code code)
{
	const uint8_t *cells = hs->pool + hs->hosts[host].cells;
	uint8_t full = (uint8_t)(code * 0x55u);
	uint32_t whole = hs->nports / 4u, pos;

	if (hs->hosts[host].covered != hs->nports)
		return 0;
	for (pos = 0; pos < whole; pos++)
		if (cells[pos] != full)
			return 0;
	for (pos = whole * 4u; pos < hs->nports; pos++)
		if (hoststates_get(hs, host, pos) != code)
			return 0;
	return 1;
}

size_t hoststates_list_encode(const struct ps_addr *addrs, size_t n, uint8_t *out)
{
	ps_u128 prev = 0;
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		ps_u128 v = ps_addr_to_u128(&addrs[i]), d = v - prev;

		prev = v;
		while (d >= 0x80) {
			out[len++] = (uint8_t)(d | 0x80);
			d >>= 7;
		}
		out[len++] = (uint8_t)d;
	}
	return len;
}

enum ps_err hoststates_list_decode(int family, const uint8_t *blob, size_t len,
				   hoststates_addr_fn fn, void *ctx, struct ps_diag *diag)
{
	ps_u128 prev = 0, max = family == 4 ? 0xffffffffu : ~(ps_u128)0;
	size_t i = 0, n = 0;
	enum ps_err err;

	if (family != 4 && family != 6)
		return ps_fail(diag, PS_ERR_INVALID, "history: a bad address family %d", family);
	while (i < len) {
		ps_u128 d = 0;
		unsigned shift = 0;
		struct ps_addr a;

		do {
			if (i >= len || shift > 126)
				return ps_fail(diag, PS_ERR_INVALID, "history: a bad host list");
			d |= (ps_u128)(blob[i] & 0x7f) << shift;
			shift += 7;
		} while (blob[i++] & 0x80);
		/* Strictly ascending (a zero delta repeats a host) and within the family. */
		if ((n && !d) || d > max - prev)
			return ps_fail(diag, PS_ERR_INVALID, "history: a bad host list");
		prev += d;
		n++;
		ps_addr_from_u128(prev, family == 4 ? AF_INET : AF_INET6, &a);
		if ((err = fn(ctx, &a)))
			return err;
	}
	return PS_OK;
}
