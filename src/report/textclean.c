/* SPDX-License-Identifier: MIT */
#include "textclean.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, past U+10FFFF, and U+FFFE/U+FFFF (not XML characters). */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

size_t text_clean(char *dst, size_t dst_len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strlen(src), i = 0, out = 0;

	if (!dst_len)
		return 0;
	while (i < n) {
		size_t len = utf8_seq(s + i, n - i);

		if (len == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			len = 0; /* control characters: XML 1.0 cannot carry them, terminals obey
				    them */
		if (out + (len ? len : 1) >= dst_len)
			break;
		if (len) {
			memcpy(dst + out, s + i, len);
			out += len;
			i += len;
		} else {
			dst[out++] = '?';
			i++;
		}
	}
	dst[out] = '\0';
	return out;
}
