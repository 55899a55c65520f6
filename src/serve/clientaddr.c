/* SPDX-License-Identifier: MIT */
#include "clientaddr.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Longest text an address hop can take: "[v6]:port" plus a little. */
#define HOP_TEXT_MAX 64

enum ps_err serve_cidr_parse(const char *text, struct serve_cidr *out, struct ps_diag *diag)
{
	char buf[HOP_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long prefix;
	unsigned max, i;
	char *end;

	if (alen == 0 || alen >= sizeof(buf))
		return ps_fail(diag, PS_ERR_INVALID, "bad network \"%.64s\"", text);
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	if (ps_addr_parse(buf, &out->net))
		return ps_fail(diag, PS_ERR_INVALID, "bad network \"%.64s\" (an address/prefix)",
			       text);
	max = out->net.family == AF_INET ? 32 : 128;
	prefix = max;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]))
			return ps_fail(diag, PS_ERR_INVALID, "bad prefix in \"%.64s\"", text);
		prefix = strtoul(slash + 1, &end, 10);
		if (*end || prefix > max)
			return ps_fail(diag, PS_ERR_INVALID, "bad prefix in \"%.64s\" (0-%u)", text,
				       max);
	}
	out->prefix = (uint8_t)prefix;
	for (i = 0; i < 16; i++) {
		unsigned bit = i * 8;

		if (bit >= prefix)
			out->net.bytes[i] = 0;
		else if (bit + 8 > prefix)
			out->net.bytes[i] &= (uint8_t)(0xffu << (8 - (prefix - bit)));
	}
	return PS_OK;
}

bool serve_cidr_contains(const struct serve_cidr *cidr, const struct ps_addr *addr)
{
	unsigned full = cidr->prefix / 8, rest = cidr->prefix % 8;

	if (addr->family != cidr->net.family)
		return false;
	if (memcmp(addr->bytes, cidr->net.bytes, full))
		return false;
	if (rest && ((addr->bytes[full] ^ cidr->net.bytes[full]) & (uint8_t)(0xffu << (8 - rest))))
		return false;
	return true;
}

void serve_addr_unmap(struct ps_addr *addr)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t v4[4];

	if (addr->family != AF_INET6 || memcmp(addr->bytes, mapped, sizeof(mapped)))
		return;
	memcpy(v4, addr->bytes + 12, 4);
	memset(addr, 0, sizeof(*addr));
	addr->family = AF_INET;
	memcpy(addr->bytes, v4, 4);
}

/* "192.0.2.7", "192.0.2.7:80", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:80". */
static bool hop_addr(const char *s, size_t n, struct ps_addr *out)
{
	char buf[HOP_TEXT_MAX];
	const char *colon;
	size_t i;

	if (n == 0 || n >= sizeof(buf))
		return false;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close)
			return false;
		/* After "]" only nothing or ":digits". */
		for (i = (size_t)(close - s) + 1; i < n; i++)
			if (!(i == (size_t)(close - s) + 1 ? s[i] == ':'
							   : isdigit((unsigned char)s[i])))
				return false;
		if ((size_t)(close - s) + 1 < n && (size_t)(close - s) + 2 == n)
			return false; /* "[..]:" without a port */
		n = (size_t)(close - s) - 1;
		s++;
		memcpy(buf, s, n);
		buf[n] = '\0';
		return !ps_addr_parse(buf, out) && out->family == AF_INET6;
	}
	colon = memchr(s, ':', n);
	if (colon && !memchr(colon + 1, ':', n - (size_t)(colon - s) - 1)) {
		/* One colon: IPv4 with a port. */
		if ((size_t)(colon - s) + 1 == n)
			return false;
		for (i = (size_t)(colon - s) + 1; i < n; i++)
			if (!isdigit((unsigned char)s[i]))
				return false;
		n = (size_t)(colon - s);
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (ps_addr_parse(buf, out))
		return false;
	serve_addr_unmap(out);
	return true;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims optional white space around [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
	while (*n && is_ows(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_ows((*s)[*n - 1]))
		(*n)--;
}

static bool is_tchar(char c)
{
	return isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~:[]", c);
}

/*
 * One forwarded-pair's value (token or quoted-string, RFC 7230 3.2.6) into out, unquoted.
 * Returns false when malformed.
 */
static bool pair_value(const char *v, size_t n, char *out, size_t outsz, size_t *outlen)
{
	size_t i, o = 0;

	if (n && v[0] == '"') {
		if (n < 2 || v[n - 1] != '"')
			return false;
		for (i = 1; i + 1 < n; i++) {
			if (v[i] == '\\') {
				if (++i + 1 >= n)
					return false;
			} else if (v[i] == '"') {
				return false;
			}
			if (o + 1 >= outsz)
				return false;
			out[o++] = v[i];
		}
	} else {
		for (i = 0; i < n; i++) {
			if (!is_tchar(v[i]) || o + 1 >= outsz)
				return false;
			out[o++] = v[i];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return true;
}

/* One Forwarded element ("for=...;proto=...;by=..."): its for= address (family 0: none). */
static bool forwarded_element(const char *s, size_t n, struct ps_addr *hop)
{
	bool seen_for = false;

	memset(hop, 0, sizeof(*hop));
	while (n) {
		const char *semi = NULL, *eq;
		size_t i, plen, klen, vlen;
		bool quoted = false;

		/* The pair ends at a ';' outside quotes. */
		for (i = 0; i < n; i++) {
			if (s[i] == '"' && (i == 0 || s[i - 1] != '\\'))
				quoted = !quoted;
			if (s[i] == ';' && !quoted) {
				semi = s + i;
				break;
			}
		}
		plen = semi ? (size_t)(semi - s) : n;
		{
			const char *p = s;
			size_t pn = plen;
			char val[HOP_TEXT_MAX];

			trim(&p, &pn);
			eq = memchr(p, '=', pn);
			if (!eq)
				return false;
			klen = (size_t)(eq - p);
			if (!pair_value(eq + 1, pn - klen - 1, val, sizeof(val), &vlen))
				return false;
			if (klen == 3 && !strncasecmp(p, "for", 3)) {
				if (seen_for)
					return false; /* two for= in one element: which is it? */
				seen_for = true;
				if (!hop_addr(val, vlen, hop))
					memset(hop, 0, sizeof(*hop));
			} else if (klen == 0) {
				return false;
			}
		}
		if (!semi)
			break;
		n -= plen + 1;
		s = semi + 1;
	}
	return true;
}

enum ps_err serve_hops_parse(const char *value, size_t len, bool forwarded, struct ps_addr *hops,
			     size_t max, size_t *nhops, struct ps_diag *diag)
{
	size_t count = 0;

	*nhops = 0;
	while (len) {
		const char *comma = NULL, *item;
		size_t i, n;
		bool quoted = false;

		for (i = 0; i < len; i++) {
			if (value[i] == '"' && (i == 0 || value[i - 1] != '\\'))
				quoted = !quoted;
			if (value[i] == ',' && !quoted) {
				comma = value + i;
				break;
			}
		}
		item = value;
		n = comma ? (size_t)(comma - value) : len;
		trim(&item, &n);
		/* Empty list elements are allowed (RFC 7230 7: "#rule"). */
		if (n) {
			if (count == max)
				return ps_fail(diag, PS_ERR_TOO_LARGE,
					       "more than %zu forwarding hops", max);
			if (forwarded) {
				if (!forwarded_element(item, n, &hops[count]))
					return ps_fail(diag, PS_ERR_INVALID,
						       "malformed Forwarded header");
			} else if (!hop_addr(item, n, &hops[count])) {
				memset(&hops[count], 0, sizeof(hops[count]));
			}
			count++;
		}
		if (!comma)
			break;
		len -= (size_t)(comma - value) + 1;
		value = comma + 1;
	}
	*nhops = count;
	return PS_OK;
}

static bool trusted_addr(const struct serve_cidr *trusted, size_t ntrusted,
			 const struct ps_addr *addr)
{
	size_t i;

	for (i = 0; i < ntrusted; i++)
		if (serve_cidr_contains(&trusted[i], addr))
			return true;
	return false;
}

enum ps_err serve_client_addr(const struct ps_addr *peer, const struct serve_cidr *trusted,
			      size_t ntrusted, const char *forwarded, const char *xff,
			      struct ps_addr *out, struct ps_diag *diag)
{
	struct ps_addr hops[SERVE_HOPS_MAX];
	const char *header = forwarded ? forwarded : xff;
	size_t nhops = 0, i;
	enum ps_err err;

	*out = *peer;
	serve_addr_unmap(out);
	if (!header || !trusted_addr(trusted, ntrusted, out))
		return PS_OK;
	err = serve_hops_parse(header, strlen(header), forwarded != NULL, hops, SERVE_HOPS_MAX,
			       &nhops, diag);
	if (err)
		return err;
	/* From the nearest hop outwards, past every proxy we trust. */
	for (i = nhops; i-- > 0;) {
		if (!hops[i].family)
			return ps_fail(diag, PS_ERR_INVALID,
				       "the proxy forwarded a hop without an address");
		*out = hops[i];
		if (!trusted_addr(trusted, ntrusted, out))
			return PS_OK;
	}
	return PS_OK;
}
