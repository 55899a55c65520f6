/* SPDX-License-Identifier: MIT */
/*
 * core/textclean on arbitrary bytes. The first byte picks the mode, the second the size of the
 * destination; the rest is the text. What every mode promises is checked on every output,
 * with a UTF-8 check written from the table of well-formed byte sequences (Unicode 15, table
 * 3-7) rather than from a decoder like the one under test.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/textclean.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of the well-formed sequence at s, or 0. */
static size_t well_formed(const uint8_t *s, size_t n)
{
	static const struct {
		uint8_t lo, hi;	  /* first byte */
		uint8_t len;	  /* bytes in the sequence */
		uint8_t lo2, hi2; /* second byte; the rest are 80..BF */
	} rows[] = {
	    {0x00, 0x7f, 1, 0, 0},	 {0xc2, 0xdf, 2, 0x80, 0xbf}, {0xe0, 0xe0, 3, 0xa0, 0xbf},
	    {0xe1, 0xec, 3, 0x80, 0xbf}, {0xed, 0xed, 3, 0x80, 0x9f}, {0xee, 0xef, 3, 0x80, 0xbf},
	    {0xf0, 0xf0, 4, 0x90, 0xbf}, {0xf1, 0xf3, 4, 0x80, 0xbf}, {0xf4, 0xf4, 4, 0x80, 0x8f},
	};
	size_t r, i;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		if (s[0] < rows[r].lo || s[0] > rows[r].hi)
			continue;
		if (rows[r].len > n)
			return 0;
		if (rows[r].len > 1 && (s[1] < rows[r].lo2 || s[1] > rows[r].hi2))
			return 0;
		for (i = 2; i < rows[r].len; i++)
			if (s[i] < 0x80 || s[i] > 0xbf)
				return 0;
		return rows[r].len;
	}
	return 0;
}

static bool all_well_formed(const uint8_t *s, size_t n)
{
	size_t i = 0, len;

	while (i < n) {
		len = well_formed(s + i, n - i);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

/* A character TEXT_TERMINAL must never let through (s is well formed). */
static bool terminal_unsafe(const uint8_t *s, size_t len)
{
	if (len == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	if (len == 2)
		return s[0] == 0xc2 && s[1] <= 0x9f; /* U+0080-U+009F */
	if (len == 3 && s[0] == 0xe2)
		return (s[1] == 0x80 && s[2] >= 0xaa && s[2] <= 0xae) ||
		       (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9);
	if (len == 3 && s[0] == 0xef && s[1] == 0xbf)
		return s[2] == 0xbe || s[2] == 0xbf;
	return false;
}

static void check_output(const uint8_t *out, size_t len, enum text_mode mode)
{
	size_t i = 0, n;

	if (!all_well_formed(out, len))
		abort();
	while (i < len) {
		n = well_formed(out + i, len - i);
		if (mode == TEXT_TERMINAL && terminal_unsafe(out + i, n))
			abort();
		if (mode == TEXT_ASCII && (n != 1 || out[i] < 0x20 || out[i] > 0x7e))
			abort();
		i += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum text_mode mode;
	size_t dst_len, len, big_len, again_len, text_len;
	const uint8_t *text;
	char *dst = NULL, *big = NULL, *again = NULL, *cstr = NULL, *dup = NULL;

	if (size < 2)
		return 0;
	mode = (enum text_mode)(data[0] % 3);
	dst_len = data[1];
	text = data + 2;
	text_len = size - 2;
	/* Exactly dst_len bytes, so a write past the end is ASan's to see. */
	dst = malloc(dst_len ? dst_len : 1);
	big_len = 3 * text_len + 1;
	big = malloc(big_len);
	again = malloc(big_len);
	cstr = malloc(text_len + 1);
	if (!dst || !big || !again || !cstr)
		goto out;

	len = text_clean_mem(dst, dst_len, text, text_len, mode);
	if (dst_len == 0) {
		if (len != 0)
			abort();
	} else {
		if (len >= dst_len || strlen(dst) != len)
			abort();
		check_output((const uint8_t *)dst, len, mode);
	}

	/* With room for the worst case nothing is cut, and a short buffer holds a prefix. */
	big_len = text_clean_mem(big, 3 * text_len + 1, text, text_len, mode);
	if (strlen(big) != big_len)
		abort();
	check_output((const uint8_t *)big, big_len, mode);
	if (dst_len && (len > big_len || memcmp(dst, big, len)))
		abort();
	if (mode == TEXT_TERMINAL && big_len > text_len)
		abort(); /* the terminal mode never grows text (in-place cleaning relies on it) */
	/* Clean text stays as it is. */
	again_len = text_clean_mem(again, 3 * text_len + 1, big, big_len, mode);
	if (again_len != big_len || memcmp(again, big, big_len))
		abort();
	/* Text that is already well formed (and has no NUL) passes TEXT_UTF8 unchanged. */
	if (mode == TEXT_UTF8 && all_well_formed(text, text_len) && !memchr(text, 0, text_len) &&
	    (big_len != text_len || memcmp(big, text, text_len)))
		abort();
	/* The allocating form agrees with the buffer form up to the first NUL. */
	memcpy(cstr, text, text_len);
	cstr[text_len] = '\0';
	dup = text_clean_dup(cstr, mode);
	if (!dup)
		goto out;
	again_len = text_clean_mem(again, 3 * text_len + 1, cstr, strlen(cstr), mode);
	if (strcmp(dup, again) || strlen(dup) != again_len)
		abort();
	if (mode == TEXT_TERMINAL) {
		/* In place, as local_printable does it. */
		text_clean_mem(cstr, text_len + 1, cstr, strlen(cstr), mode);
		if (strcmp(cstr, dup))
			abort();
	}
out:
	free(dup);
	free(cstr);
	free(again);
	free(big);
	free(dst);
	return 0;
}
