/* SPDX-License-Identifier: MIT */
#ifndef PS_REPORT_TEXTCLEAN_H
#define PS_REPORT_TEXTCLEAN_H

#include <stddef.h>

/*
 * Copies src into dst (dst_len bytes, always terminated) keeping valid UTF-8 and replacing
 * every invalid byte and control character with '?', so text from the wire can go into XML,
 * HTML or a terminal. Stops early rather than cut a character. Returns the length written.
 */
size_t text_clean(char *dst, size_t dst_len, const char *src);

#endif
