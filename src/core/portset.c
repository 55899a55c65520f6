/* SPDX-License-Identifier: MIT */
#include "portset.h"

#include <ctype.h>
#include <string.h>

void portset_clear(struct portset *set)
{
	memset(set, 0, sizeof(*set));
}

bool portset_has(const struct portset *set, uint16_t port)
{
	return (set->bits[port / 64] >> (port % 64)) & 1u;
}

void portset_add(struct portset *set, uint16_t port)
{
	uint64_t mask = (uint64_t)1 << (port % 64);

	if (!(set->bits[port / 64] & mask)) {
		set->bits[port / 64] |= mask;
		set->count++;
	}
}

/* A word at a time: "-p-" is 1024 words, not 65535 calls. */
void portset_add_range(struct portset *set, uint16_t lo, uint16_t hi)
{
	uint32_t w, last = hi / 64u;

	if (lo > hi)
		return;
	for (w = lo / 64u; w <= last; w++) {
		uint64_t mask = ~(uint64_t)0;

		if (w == lo / 64u)
			mask &= ~(uint64_t)0 << (lo % 64u);
		if (w == last && hi % 64u != 63u)
			mask &= ((uint64_t)1 << (hi % 64u + 1u)) - 1u;
		set->count += (uint32_t)__builtin_popcountll(mask & ~set->bits[w]);
		set->bits[w] |= mask;
	}
}

void portset_merge(struct portset *dst, const struct portset *src)
{
	uint32_t i, count = 0;

	for (i = 0; i < PORTSET_WORDS; i++) {
		dst->bits[i] |= src->bits[i];
		count += (uint32_t)__builtin_popcountll(dst->bits[i]);
	}
	dst->count = count;
}

uint32_t portset_next(const struct portset *set, uint32_t after)
{
	uint32_t p = after + 1;

	while (p <= PORTSET_MAX_PORT) {
		uint64_t word = set->bits[p / 64] >> (p % 64);

		if (word)
			return p + (uint32_t)__builtin_ctzll(word);
		p = (p / 64 + 1) * 64;
	}
	return 0;
}

size_t portset_to_array(const struct portset *set, uint16_t *out)
{
	size_t n = 0;
	uint32_t w;

	for (w = 0; w < PORTSET_WORDS; w++) {
		uint64_t word = set->bits[w];

		if (w == 0)
			word &= ~(uint64_t)1; /* port 0 is not listed, as portset_next */
		for (; word; word &= word - 1)
			out[n++] = (uint16_t)(w * 64u + (uint32_t)__builtin_ctzll(word));
	}
	return n;
}

/* Reads a decimal port at *s; advances *s. Refuses 0, >65535 and missing digits. */
static enum ps_err parse_port(const char **s, uint16_t *out, struct ps_diag *diag)
{
	const char *p = *s;
	size_t ndigits = strspn(p, "0123456789");
	uint32_t v = 0;

	if (ndigits == 0)
		return ps_fail(diag, PS_ERR_INVALID,
			       "bad port spec: expected a port number at \"%.20s\"", p);
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (uint32_t)(*p - '0');
		if (v > PORTSET_MAX_PORT)
			/* Only the number itself: "70000-80000" must not read "port 70000-8000". */
			return ps_fail(
			    diag, PS_ERR_RANGE, "bad port spec: port %.*s%s is above 65535",
			    (int)(ndigits > 10 ? 10 : ndigits), *s, ndigits > 10 ? "..." : "");
		p++;
	}
	if (v == 0)
		return ps_fail(diag, PS_ERR_RANGE,
			       "bad port spec: port 0 cannot be scanned (1-65535)");
	*out = (uint16_t)v;
	*s = p;
	return PS_OK;
}

static enum ps_err parse_item(struct portset *out, const char *item, size_t len,
			      portset_preset_fn preset, void *preset_ctx, struct ps_diag *diag)
{
	char buf[64];
	const char *p;
	uint16_t lo = 1, hi = PORTSET_MAX_PORT;
	enum ps_err err;

	if (len == 0)
		return ps_fail(diag, PS_ERR_INVALID, "bad port spec: empty item");
	if (len >= sizeof(buf))
		return ps_fail(diag, PS_ERR_INVALID, "bad port spec: item too long: \"%.20s...\"",
			       item);
	memcpy(buf, item, len);
	buf[len] = '\0';

	if (!strcmp(buf, "-") || !strcmp(buf, "all")) {
		portset_add_range(out, 1, PORTSET_MAX_PORT);
		return PS_OK;
	}
	if (isalpha((unsigned char)buf[0])) {
		struct portset named;

		if (!preset)
			return ps_fail(diag, PS_ERR_INVALID, "bad port spec: unknown preset \"%s\"",
				       buf);
		portset_clear(&named);
		err = preset(preset_ctx, buf, &named, diag);
		if (err)
			return err;
		portset_merge(out, &named);
		return PS_OK;
	}

	p = buf;
	if (*p != '-') {
		err = parse_port(&p, &lo, diag);
		if (err)
			return err;
		hi = lo;
	}
	if (*p == '-') {
		p++;
		hi = PORTSET_MAX_PORT;
		if (*p) {
			err = parse_port(&p, &hi, diag);
			if (err)
				return err;
		}
	}
	if (*p)
		return ps_fail(diag, PS_ERR_INVALID, "bad port spec: unexpected \"%s\" in \"%s\"",
			       p, buf);
	if (lo > hi)
		return ps_fail(diag, PS_ERR_RANGE, "bad port spec: range %u-%u is reversed", lo,
			       hi);
	portset_add_range(out, lo, hi);
	return PS_OK;
}

enum ps_err portset_parse_protos(struct portset *tcp, struct portset *udp, const char *spec,
				 portset_preset_fn preset, void *preset_ctx, struct ps_diag *diag)
{
	const char *item = spec, *comma;
	bool to_tcp = true, to_udp = true;
	enum ps_err err;

	portset_clear(tcp);
	portset_clear(udp);
	for (size_t i = 0; spec[i]; i++)
		if ((unsigned char)spec[i] < 0x20 || (unsigned char)spec[i] >= 0x7f)
			return ps_fail(
			    diag, PS_ERR_INVALID,
			    "bad port spec: control or non-ASCII byte 0x%02x at offset %zu",
			    (unsigned char)spec[i], i);
	if (!*item)
		return ps_fail(diag, PS_ERR_INVALID, "bad port spec: empty");
	for (;;) {
		size_t len;

		if (item[0] && item[1] == ':') {
			switch (item[0]) {
			case 'T':
				to_tcp = true;
				to_udp = false;
				break;
			case 'U':
				to_tcp = false;
				to_udp = true;
				break;
			default:
				return ps_fail(diag, PS_ERR_INVALID,
					       "bad port spec: \"%c:\": only T: (TCP) and U: (UDP)",
					       item[0]);
			}
			item += 2;
		}
		comma = strchr(item, ',');
		len = comma ? (size_t)(comma - item) : strlen(item);
		err = PS_OK;
		if (to_tcp)
			err = parse_item(tcp, item, len, preset, preset_ctx, diag);
		if (!err && to_udp)
			err = parse_item(udp, item, len, preset, preset_ctx, diag);
		if (err)
			return err;
		if (!comma)
			break;
		item = comma + 1;
	}
	return PS_OK;
}

enum ps_err portset_parse(struct portset *out, const char *spec, portset_preset_fn preset,
			  void *preset_ctx, struct ps_diag *diag)
{
	const char *item = spec, *comma;
	enum ps_err err;

	portset_clear(out);
	/* Messages quote the spec, so nothing that could break the line or drive a terminal. */
	for (size_t i = 0; spec[i]; i++)
		if ((unsigned char)spec[i] < 0x20 || (unsigned char)spec[i] >= 0x7f)
			return ps_fail(
			    diag, PS_ERR_INVALID,
			    "bad port spec: control or non-ASCII byte 0x%02x at offset %zu",
			    (unsigned char)spec[i], i);
	if (!strncmp(item, "T:", 2))
		item += 2;
	if (!*item)
		return ps_fail(diag, PS_ERR_INVALID, "bad port spec: empty");
	for (;;) {
		comma = strchr(item, ',');
		err = parse_item(out, item, comma ? (size_t)(comma - item) : strlen(item), preset,
				 preset_ctx, diag);
		if (err)
			return err;
		if (!comma)
			break;
		item = comma + 1;
	}
	return PS_OK;
}
