/* SPDX-License-Identifier: MIT */
#ifndef PS_CORE_DYNBUF_H
#define PS_CORE_DYNBUF_H

#include <stddef.h>

#include "err.h"

/*
 * A growable byte buffer with a hard cap (the idea of curl's dynbuf): whatever arrives from the
 * wire, memory never grows past max. The data is always NUL-terminated for convenience.
 */
struct dynbuf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

void dynbuf_init(struct dynbuf *b, size_t max);
void dynbuf_release(struct dynbuf *b);
void dynbuf_reset(struct dynbuf *b);
/* Appends n bytes; PS_ERR_TOO_LARGE (and nothing appended) when that would pass max. */
enum ps_err dynbuf_add(struct dynbuf *b, const void *p, size_t n);
enum ps_err dynbuf_addf(struct dynbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
