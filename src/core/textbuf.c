/* SPDX-License-Identifier: MIT */
#include "textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void text_appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

const char *text_plural(size_t n)
{
	return n == 1 ? "" : "s";
}
