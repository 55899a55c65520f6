/* SPDX-License-Identifier: MIT */
#include "dynbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dynbuf_init(struct dynbuf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void dynbuf_release(struct dynbuf *b)
{
	free(b->data);
	dynbuf_init(b, b->max);
}

void dynbuf_reset(struct dynbuf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static enum ps_err dynbuf_reserve(struct dynbuf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > b->max || b->len > b->max - n)
		return PS_ERR_TOO_LARGE;
	need = b->len + n + 1;
	if (need <= b->cap)
		return PS_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->data, cap);
	if (!p)
		return PS_ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	return PS_OK;
}

enum ps_err dynbuf_add(struct dynbuf *b, const void *p, size_t n)
{
	enum ps_err err = dynbuf_reserve(b, n);

	if (err)
		return err;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return PS_OK;
}

enum ps_err dynbuf_addf(struct dynbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	char *big = NULL;
	enum ps_err err;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return PS_ERR_INVALID;
	if ((size_t)n < sizeof(small))
		return dynbuf_add(b, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (!big)
		return PS_ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	err = dynbuf_add(b, big, (size_t)n);
	free(big);
	return err;
}
