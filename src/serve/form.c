/* SPDX-License-Identifier: MIT */
#include "form.h"

#include <stdio.h>
#include <string.h>

static const char *const test_names[SERVE_TEST_COUNT] = {
    [SERVE_TEST_NONE] = "none", [SERVE_TEST_COMMON] = "common", [SERVE_TEST_SERVICE] = "service",
    [SERVE_TEST_ALL] = "all",	[SERVE_TEST_PORT] = "port",	[SERVE_TEST_TROJANS] = "trojans",
    [SERVE_TEST_SHIELDSUP] = "shieldsup",
};

enum serve_test serve_test_parse(const char *name)
{
	int t;

	for (t = SERVE_TEST_COMMON; t < SERVE_TEST_COUNT; t++)
		if (!strcmp(name, test_names[t]))
			return (enum serve_test)t;
	return SERVE_TEST_NONE;
}

const char *serve_test_name(enum serve_test test)
{
	return test < SERVE_TEST_COUNT ? test_names[test] : "none";
}

const char *serve_test_spec(enum serve_test test, uint16_t port, char *buf, size_t len)
{
	switch (test) {
	case SERVE_TEST_COMMON:
		return "common";
	case SERVE_TEST_SERVICE:
		return "service";
	case SERVE_TEST_ALL:
		return "1-65535";
	case SERVE_TEST_PORT:
		snprintf(buf, len, "%u", port);
		return buf;
	case SERVE_TEST_TROJANS:
		return "trojans";
	case SERVE_TEST_SHIELDSUP:
		return "shieldsup-common";
	default:
		return "";
	}
}

bool serve_port_parse(const char *text, uint16_t *port)
{
	unsigned v = 0;
	size_t i, n = strlen(text);

	if (n == 0 || n > 5 || (n > 1 && text[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		v = v * 10 + (unsigned)(text[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum ps_err serve_form_decode(const char *in, size_t n, char *out, size_t outsz, size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = in[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return PS_ERR_INVALID;
			hi = hexval(in[i + 1]);
			lo = hexval(in[i + 2]);
			if (hi < 0 || lo < 0)
				return PS_ERR_INVALID;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		/* No control bytes (NUL included) in any field of this form. */
		if ((unsigned char)c < 0x20 || c == 0x7f)
			return PS_ERR_INVALID;
		if (o + 1 >= outsz)
			return PS_ERR_TOO_LARGE;
		out[o++] = c;
	}
	out[o] = '\0';
	*outlen = o;
	return PS_OK;
}

enum form_field { FIELD_TOKEN, FIELD_TEST, FIELD_PORT, FIELD_LIVE, FIELD_COUNT };
static const char *const field_names[FIELD_COUNT] = {"token", "test", "port", "live"};

static enum ps_err form_field(struct serve_form *f, unsigned *seen, const char *key,
			      const char *val, size_t vlen, struct ps_diag *diag)
{
	int i;

	for (i = 0; i < FIELD_COUNT; i++)
		if (!strcmp(key, field_names[i]))
			break;
	if (i == FIELD_COUNT)
		return ps_fail(diag, PS_ERR_INVALID,
			       "unknown field \"%.32s\": this server scans only the visitor", key);
	if (*seen & (1u << i))
		return ps_fail(diag, PS_ERR_INVALID, "field \"%s\" given twice", key);
	*seen |= 1u << i;
	switch (i) {
	case FIELD_TOKEN:
		if (vlen == 0 || vlen > SERVE_TOKEN_MAX)
			return ps_fail(diag, PS_ERR_INVALID, "bad token");
		memcpy(f->token, val, vlen + 1);
		return PS_OK;
	case FIELD_TEST:
		f->test = serve_test_parse(val);
		if (f->test == SERVE_TEST_NONE)
			return ps_fail(diag, PS_ERR_INVALID, "unknown test \"%.32s\"", val);
		return PS_OK;
	case FIELD_PORT:
		/* The consent form always sends the box, filled in or not. */
		if (vlen && !serve_port_parse(val, &f->port))
			return ps_fail(diag, PS_ERR_INVALID, "port \"%.16s\" is not 1-65535", val);
		return PS_OK;
	default:
		if (strcmp(val, "1") && strcmp(val, "0"))
			return ps_fail(diag, PS_ERR_INVALID, "bad live flag");
		f->live = val[0] == '1';
		return PS_OK;
	}
}

enum ps_err serve_form_parse(const char *body, size_t len, struct serve_form *out,
			     struct ps_diag *diag)
{
	unsigned seen = 0;
	enum ps_err err;

	memset(out, 0, sizeof(*out));
	if (len > SERVE_BODY_MAX)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "request body over %d bytes",
			       SERVE_BODY_MAX);
	while (len) {
		const char *amp = memchr(body, '&', len), *eq;
		size_t n = amp ? (size_t)(amp - body) : len, raw, klen, vlen;
		char key[SERVE_FIELD_MAX + 1], val[SERVE_FIELD_MAX + 1];

		if (n) {
			eq = memchr(body, '=', n);
			raw = eq ? (size_t)(eq - body) : n;
			if (serve_form_decode(body, raw, key, sizeof(key), &klen))
				return ps_fail(diag, PS_ERR_INVALID, "malformed form field name");
			if (serve_form_decode(eq ? eq + 1 : "", eq ? n - raw - 1 : 0, val,
					      sizeof(val), &vlen))
				return ps_fail(diag, PS_ERR_INVALID, "malformed value of \"%.32s\"",
					       key);
			err = form_field(out, &seen, key, val, vlen, diag);
			if (err)
				return err;
		}
		if (!amp)
			break;
		len -= n + 1;
		body = amp + 1;
	}
	if (!(seen & (1u << FIELD_TOKEN)))
		return ps_fail(diag, PS_ERR_INVALID, "no token: load the page and press Proceed");
	if (!(seen & (1u << FIELD_TEST)))
		return ps_fail(diag, PS_ERR_INVALID, "no test chosen");
	if (out->test == SERVE_TEST_PORT && !out->port)
		return ps_fail(diag, PS_ERR_INVALID, "the single-port test needs a port (1-65535)");
	return PS_OK;
}
