/* SPDX-License-Identifier: MIT */
#ifndef PS_CORE_TEXTCLEAN_H
#define PS_CORE_TEXTCLEAN_H

#include <stddef.h>

/*
 * The one sanitiser for text that someone else wrote: banners, certificate names, process
 * names and command lines, history rows. Pure: no I/O, no locale.
 */
enum text_mode {
	/*
	 * For a terminal and for markup (text, XML, HTML, CSV, grepable): valid UTF-8 stays,
	 * except what a terminal obeys or XML 1.0 cannot hold. C0 controls and DEL; C1
	 * controls, as the raw byte (0x9b is CSI to many terminals) and as U+0080-U+009F
	 * encoded; the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
	 * U+2066-U+2069: they reorder the rest of the line on screen); U+FFFE and U+FFFF.
	 * Each of those characters, and each byte that is not UTF-8, becomes one '?'.
	 */
	TEXT_TERMINAL,
	/*
	 * For an encoder that escapes controls itself (jansson refuses invalid UTF-8 but escapes
	 * the rest): only bytes that are not UTF-8 change, each to U+FFFD. A NUL byte inside
	 * src_len becomes U+FFFD too, so the result stays one C string.
	 */
	TEXT_UTF8,
	/* For names taken from the wire (probe fields, certificate names): printable ASCII
	 * (0x20-0x7e) only; every other byte is dropped. */
	TEXT_ASCII,
};

/*
 * Copies src_len bytes of src into dst (dst_len bytes, always terminated when dst_len > 0)
 * cleaned for mode. Stops early rather than cut a character. Returns the length written.
 * TEXT_TERMINAL and TEXT_ASCII never grow text, so there dst may be src (cleaning in place).
 */
size_t text_clean_mem(char *dst, size_t dst_len, const void *src, size_t src_len,
		      enum text_mode mode);

/* text_clean_mem() of the C string src in TEXT_TERMINAL mode. */
size_t text_clean(char *dst, size_t dst_len, const char *src);

/* A cleaned copy of the C string src, never cut (free() it); NULL when out of memory. */
char *text_clean_dup(const char *src, enum text_mode mode);

#endif
