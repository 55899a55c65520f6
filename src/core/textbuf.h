/* SPDX-License-Identifier: MIT */
#ifndef PS_CORE_TEXTBUF_H
#define PS_CORE_TEXTBUF_H

#include <stddef.h>

/*
 * Sentences built in a fixed buffer (verdicts, summaries): appends to the NUL-terminated text
 * in buf (len bytes in all), cutting what does not fit; a full buffer takes nothing more.
 */
void text_appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "" for one, "s" for any other count: "%zu port%s". */
const char *text_plural(size_t n);

#endif
