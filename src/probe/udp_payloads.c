/* SPDX-License-Identifier: MIT */
/* The UDP payload files (udp_payloads.h): ours and nmap's, one tokenizer for both. */
#include "udp_payloads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/packet.h"

#define FILE_MAX (4u << 20) /* a payload file bigger than this is not one */

extern const char udp_payloads_builtin_text[];
extern const size_t udp_payloads_builtin_len;

struct cursor {
	const char *p, *end;
	unsigned line;
};

static bool at_end(const struct cursor *c)
{
	return c->p >= c->end;
}

/* Skips blanks and comments; stops at a newline when stop_at_eol. */
static void skip_space(struct cursor *c, bool stop_at_eol)
{
	while (!at_end(c)) {
		if (*c->p == '#') {
			while (!at_end(c) && *c->p != '\n')
				c->p++;
			continue;
		}
		if (*c->p == '\n') {
			if (stop_at_eol)
				return;
			c->line++;
		} else if (*c->p != ' ' && *c->p != '\t' && *c->p != '\r') {
			return;
		}
		c->p++;
	}
}

/* A bare word (up to blank, newline, quote or comment). */
static size_t word(struct cursor *c, const char **start)
{
	*start = c->p;
	while (!at_end(c) && *c->p != ' ' && *c->p != '\t' && *c->p != '\r' && *c->p != '\n' &&
	       *c->p != '"' && *c->p != '#')
		c->p++;
	return (size_t)(c->p - *start);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A quoted string with C escapes, appended to pl (capped at NET_UDP_PAYLOAD_MAX). */
static enum ps_err quoted(struct cursor *c, struct udp_payload *pl, struct ps_diag *diag)
{
	uint8_t *data = pl->data;

	c->p++; /* the opening quote */
	while (!at_end(c) && *c->p != '"') {
		int ch = (unsigned char)*c->p++;

		if (ch == '\n')
			return ps_fail(diag, PS_ERR_INVALID, "line %u: string not closed", c->line);
		if (ch == '\\') {
			int h, l;

			if (at_end(c))
				break;
			ch = (unsigned char)*c->p++;
			switch (ch) {
			case 'x':
				if (c->end - c->p < 2 || (h = hexval(c->p[0])) < 0 ||
				    (l = hexval(c->p[1])) < 0)
					return ps_fail(diag, PS_ERR_INVALID,
						       "line %u: \\x needs two hex digits",
						       c->line);
				ch = h << 4 | l;
				c->p += 2;
				break;
			case '0':
				ch = 0;
				break;
			case 'r':
				ch = '\r';
				break;
			case 'n':
				ch = '\n';
				break;
			case 't':
				ch = '\t';
				break;
			case 'a':
				ch = '\a';
				break;
			case '\\':
			case '"':
			case '\'':
				break;
			default:
				return ps_fail(diag, PS_ERR_INVALID, "line %u: unknown escape \\%c",
					       c->line, ch >= 0x20 && ch < 0x7f ? ch : '?');
			}
		}
		if (pl->len >= NET_UDP_PAYLOAD_MAX)
			return ps_fail(diag, PS_ERR_TOO_LARGE,
				       "line %u: payload %s longer than %u bytes", c->line,
				       pl->name, (unsigned)NET_UDP_PAYLOAD_MAX);
		if (!data) {
			data = malloc(NET_UDP_PAYLOAD_MAX);
			if (!data)
				return PS_ERR_NOMEM;
			pl->data = data;
		}
		data[pl->len++] = (uint8_t)ch;
	}
	if (at_end(c))
		return ps_fail(diag, PS_ERR_INVALID, "line %u: string not closed", c->line);
	c->p++;
	return PS_OK;
}

static bool parse_uint(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (!n || n > 7)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* "53,5353,1000-1010": each port gets index idx (0-based) in its list. */
static enum ps_err add_ports(struct udp_payloads *p, const char *s, size_t n, size_t idx,
			     unsigned line, struct ps_diag *diag)
{
	size_t off = 0;

	while (off < n) {
		size_t item = off, dash = 0;
		unsigned long lo, hi, port;

		while (off < n && s[off] != ',') {
			if (s[off] == '-' && !dash)
				dash = off;
			off++;
		}
		if (dash ? !parse_uint(s + item, dash - item, 65535, &lo) ||
			       !parse_uint(s + dash + 1, off - dash - 1, 65535, &hi)
			 : !parse_uint(s + item, off - item, 65535, &lo))
			return ps_fail(diag, PS_ERR_INVALID, "line %u: bad port list \"%.*s\"",
				       line, (int)(n > 40 ? 40 : n), s);
		if (!dash)
			hi = lo;
		if (lo > hi)
			return ps_fail(diag, PS_ERR_INVALID, "line %u: reversed port range", line);
		for (port = lo; port <= hi; port++) {
			unsigned k;

			for (k = 0; k < UDP_PAYLOADS_PER_PORT && p->by_port[port][k]; k++)
				;
			if (k < UDP_PAYLOADS_PER_PORT)
				p->by_port[port][k] = (uint16_t)(idx + 1);
		}
		if (off < n)
			off++;
	}
	return PS_OK;
}

static enum ps_err new_payload(struct udp_payloads *p, const char *name, size_t nlen, unsigned line,
			       struct ps_diag *diag)
{
	struct udp_payload *items, *pl;

	if (p->count >= UDP_PAYLOADS_MAX)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "line %u: more than %u payloads", line,
			       UDP_PAYLOADS_MAX);
	items = realloc(p->items, (p->count + 1) * sizeof(*items));
	if (!items)
		return PS_ERR_NOMEM;
	p->items = items;
	pl = &items[p->count++];
	memset(pl, 0, sizeof(*pl));
	pl->cookie_off = -1;
	if (nlen >= sizeof(pl->name))
		nlen = sizeof(pl->name) - 1;
	memcpy(pl->name, name, nlen);
	return PS_OK;
}

/* The rest of a directive's line: words; false when there are none left. */
static bool next_word(struct cursor *c, const char **w, size_t *n)
{
	skip_space(c, true);
	if (at_end(c) || *c->p == '\n' || *c->p == '"')
		return false;
	*n = word(c, w);
	return *n > 0;
}

static enum ps_err own_directive(struct udp_payloads *p, struct cursor *c, const char *kw,
				 size_t kl, struct ps_diag *diag)
{
	struct udp_payload *cur = p->count ? &p->items[p->count - 1] : NULL;
	const char *w;
	size_t n;
	unsigned long a, b;

#define IS(s) (kl == sizeof(s) - 1 && !memcmp(kw, s, kl))
	if (IS("payload")) {
		if (!next_word(c, &w, &n))
			return ps_fail(diag, PS_ERR_INVALID, "line %u: payload needs a name",
				       c->line);
		return new_payload(p, w, n, c->line, diag);
	}
	if (!cur)
		return ps_fail(diag, PS_ERR_INVALID, "line %u: \"%.*s\" before any payload",
			       c->line, (int)(kl > 20 ? 20 : kl), kw);
	if (IS("ports")) {
		if (!next_word(c, &w, &n))
			return ps_fail(diag, PS_ERR_INVALID, "line %u: ports needs a list",
				       c->line);
		return add_ports(p, w, n, p->count - 1, c->line, diag);
	}
	if (IS("reply")) {
		if (!next_word(c, &w, &n) ||
		    (cur->reply = udp_reply_kind_from_name(w, n)) == UDP_REPLY_COUNT)
			return ps_fail(diag, PS_ERR_INVALID, "line %u: unknown reply reader",
				       c->line);
		return PS_OK;
	}
	if (IS("cookie")) {
		if (!next_word(c, &w, &n) || !parse_uint(w, n, NET_UDP_PAYLOAD_MAX, &a) ||
		    !next_word(c, &w, &n) || !parse_uint(w, n, UDP_REPLY_ID_MAX, &b) || !b)
			return ps_fail(diag, PS_ERR_INVALID,
				       "line %u: cookie needs an offset and a length (1-%u)",
				       c->line, UDP_REPLY_ID_MAX);
		cur->cookie_off = (int)a;
		cur->cookie_len = (unsigned)b;
		return PS_OK;
	}
	if (IS("data")) {
		enum ps_err err;

		skip_space(c, true);
		if (at_end(c) || *c->p != '"')
			return ps_fail(diag, PS_ERR_INVALID, "line %u: data needs a quoted string",
				       c->line);
		while (!at_end(c) && *c->p == '"') {
			err = quoted(c, cur, diag);
			if (err)
				return err;
			skip_space(c, true);
		}
		return PS_OK;
	}
#undef IS
	return ps_fail(diag, PS_ERR_INVALID, "line %u: unknown directive \"%.*s\"", c->line,
		       (int)(kl > 20 ? 20 : kl), kw);
}

/*
 * nmap-payloads: "udp PORTS" then quoted strings over any number of lines, and an optional
 * "source PORT" (ignored: our source ports carry the cookie).
 */
static enum ps_err nmap_directive(struct udp_payloads *p, struct cursor *c, const char *kw,
				  size_t kl, struct ps_diag *diag)
{
	const char *w;
	size_t n;
	enum ps_err err;

	if (kl == 6 && !memcmp(kw, "source", 6)) {
		unsigned long v;

		if (!p->count || !next_word(c, &w, &n) || !parse_uint(w, n, 65535, &v))
			return ps_fail(diag, PS_ERR_INVALID, "line %u: bad source", c->line);
		return PS_OK;
	}
	if (kl != 3 || memcmp(kw, "udp", 3))
		return ps_fail(diag, PS_ERR_INVALID, "line %u: unknown directive \"%.*s\"", c->line,
			       (int)(kl > 20 ? 20 : kl), kw);
	if (!next_word(c, &w, &n))
		return ps_fail(diag, PS_ERR_INVALID, "line %u: udp needs a port list", c->line);
	err = new_payload(p, "nmap", 4, c->line, diag);
	if (!err)
		err = add_ports(p, w, n, p->count - 1, c->line, diag);
	if (err)
		return err;
	snprintf(p->items[p->count - 1].name, sizeof(p->items[0].name), "nmap-%.*s",
		 (int)(n > 20 ? 20 : n), w);
	for (;;) {
		skip_space(c, false);
		if (at_end(c) || *c->p != '"')
			return PS_OK;
		err = quoted(c, &p->items[p->count - 1], diag);
		if (err)
			return err;
	}
}

enum ps_err udp_payloads_parse(struct udp_payloads *p, const char *text, size_t len,
			       enum udp_payloads_format fmt, struct ps_diag *diag)
{
	struct cursor c = {text, text + len, 1};
	enum ps_err err = PS_OK;

	memset(p, 0, sizeof(*p));
	p->by_port = calloc(65536, sizeof(*p->by_port));
	if (!p->by_port)
		return PS_ERR_NOMEM;
	for (;;) {
		const char *kw;
		size_t kl;

		skip_space(&c, false);
		if (at_end(&c))
			break;
		kl = word(&c, &kw);
		if (!kl) {
			err = ps_fail(diag, PS_ERR_INVALID, "line %u: a string outside a payload",
				      c.line);
			break;
		}
		err = fmt == UDP_PAYLOADS_NMAP ? nmap_directive(p, &c, kw, kl, diag)
					       : own_directive(p, &c, kw, kl, diag);
		if (err)
			break;
		skip_space(&c, true);
		if (fmt == UDP_PAYLOADS_OWN && !at_end(&c) && *c.p != '\n') {
			err = ps_fail(diag, PS_ERR_INVALID, "line %u: unexpected text after %.*s",
				      c.line, (int)(kl > 20 ? 20 : kl), kw);
			break;
		}
	}
	for (size_t i = 0; !err && i < p->count; i++) {
		const struct udp_payload *pl = &p->items[i];

		if (pl->cookie_off >= 0 && (size_t)pl->cookie_off + pl->cookie_len > pl->len)
			err = ps_fail(diag, PS_ERR_INVALID, "payload %s: cookie past its end",
				      pl->name);
	}
	if (err)
		udp_payloads_release(p);
	return err;
}

enum ps_err udp_payloads_builtin(struct udp_payloads *p, struct ps_diag *diag)
{
	return udp_payloads_parse(p, udp_payloads_builtin_text, udp_payloads_builtin_len,
				  UDP_PAYLOADS_OWN, diag);
}

/* nmap's files start (after comments) with "udp"; ours with "payload". */
static enum udp_payloads_format sniff(const char *text, size_t len)
{
	struct cursor c = {text, text + len, 1};
	const char *w;
	size_t n;

	skip_space(&c, false);
	n = word(&c, &w);
	return n == 3 && !memcmp(w, "udp", 3) ? UDP_PAYLOADS_NMAP : UDP_PAYLOADS_OWN;
}

enum ps_err udp_payloads_load(struct udp_payloads *p, const char *path, struct ps_diag *diag)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len;
	enum ps_err err;

	memset(p, 0, sizeof(*p));
	if (!f)
		return ps_fail(diag, PS_ERR_INVALID, "%s: %s", path, strerror(errno));
	buf = malloc(FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return PS_ERR_NOMEM;
	}
	len = fread(buf, 1, FILE_MAX + 1, f);
	if (ferror(f))
		err = ps_fail(diag, PS_ERR_IO, "%s: read error", path);
	else if (len > FILE_MAX)
		err = ps_fail(diag, PS_ERR_TOO_LARGE, "%s: larger than %u bytes", path, FILE_MAX);
	else
		err = udp_payloads_parse(p, buf, len, sniff(buf, len), diag);
	if (err && diag && strncmp(diag->msg, path, strlen(path))) {
		char msg[PS_DIAG_MAX];

		snprintf(msg, sizeof(msg), "%s: %s", path, diag->msg);
		memcpy(diag->msg, msg, sizeof(msg));
	}
	free(buf);
	fclose(f);
	return err;
}

void udp_payloads_release(struct udp_payloads *p)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		free(p->items[i].data);
	free(p->items);
	free(p->by_port);
	memset(p, 0, sizeof(*p));
}

size_t udp_payloads_for_port(const struct udp_payloads *p, uint16_t port,
			     const struct udp_payload **out, size_t max)
{
	size_t n = 0;
	unsigned k;

	if (!p || !p->by_port)
		return 0;
	for (k = 0; k < UDP_PAYLOADS_PER_PORT && n < max && p->by_port[port][k]; k++)
		out[n++] = &p->items[p->by_port[port][k] - 1];
	return n;
}
