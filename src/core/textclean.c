/* SPDX-License-Identifier: MIT */
#include "textclean.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the UTF-8 sequence at s (at most n bytes) with its code point, or 0 when the
 * bytes are not UTF-8: overlong forms, surrogates, values past U+10FFFF, cut sequences. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp_out)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80) {
		*cp_out = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_out = cp;
	return len;
}

/* What TEXT_TERMINAL replaces (see textclean.h for why each). */
static bool terminal_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfffe || cp == 0xffff;
}

size_t text_clean_mem(char *dst, size_t dst_len, const void *src, size_t src_len,
		      enum text_mode mode)
{
	static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *s = src;
	size_t i = 0, out = 0;

	if (!dst_len)
		return 0;
	while (i < src_len) {
		uint32_t cp = 0;
		size_t len = mode == TEXT_ASCII ? 1 : utf8_decode(s + i, src_len - i, &cp);
		const char *put = (const char *)s + i;
		size_t put_len = len;

		switch (mode) {
		case TEXT_TERMINAL:
			if (!len || terminal_unsafe(cp))
				put = "?", put_len = 1;
			break;
		case TEXT_UTF8:
			if (!len || cp == 0)
				put = replacement, put_len = sizeof(replacement) - 1;
			break;
		case TEXT_ASCII:
			if (s[i] < 0x20 || s[i] > 0x7e)
				put_len = 0;
			break;
		}
		if (!len)
			len = 1; /* one byte that is not UTF-8: one replacement, then resync */
		if (out + put_len >= dst_len)
			break;
		memmove(dst + out, put, put_len); /* dst may be src: see textclean.h */
		out += put_len;
		i += len;
	}
	dst[out] = '\0';
	return out;
}

size_t text_clean(char *dst, size_t dst_len, const char *src)
{
	return text_clean_mem(dst, dst_len, src, strlen(src), TEXT_TERMINAL);
}

char *text_clean_dup(const char *src, enum text_mode mode)
{
	size_t n = strlen(src), size;
	char *dst;

	/* TEXT_UTF8 may triple a string of stray bytes; the other modes never grow it. */
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	size = (mode == TEXT_UTF8 ? 3 * n : n) + 1;
	dst = malloc(size);
	if (dst)
		text_clean_mem(dst, size, src, n, mode);
	return dst;
}
