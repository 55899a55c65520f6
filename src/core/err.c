/* SPDX-License-Identifier: MIT */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const err_text[PS_ERR_COUNT] = {
	[PS_OK] = "success",
	[PS_ERR_NOMEM] = "out of memory",
	[PS_ERR_INVALID] = "invalid input",
	[PS_ERR_RANGE] = "value out of range",
	[PS_ERR_TOO_LARGE] = "too large",
	[PS_ERR_IO] = "input/output error",
	[PS_ERR_SYSTEM] = "system call failed",
	[PS_ERR_RESOLVE] = "name resolution failed",
	[PS_ERR_PERMISSION] = "permission denied",
	[PS_ERR_NOT_FOUND] = "not found",
	[PS_ERR_UNSUPPORTED] = "not supported",
	[PS_ERR_INTERRUPTED] = "interrupted",
	[PS_ERR_TRUNCATED] = "truncated input",
};

const char *ps_strerror(enum ps_err err)
{
	if ((unsigned)err >= PS_ERR_COUNT)
		return "unknown error";
	return err_text[err];
}

enum ps_err ps_fail(struct ps_diag *diag, enum ps_err err, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return err;
	va_start(ap, fmt);
	vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
	va_end(ap);
	/* One line, whatever text of the user's or of the wire it quotes: no newline, no
	 * terminal escape. */
	for (char *c = diag->msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return err;
}

const char *ps_diag_text(const struct ps_diag *diag, enum ps_err err)
{
	if (diag && diag->msg[0])
		return diag->msg;
	return ps_strerror(err);
}
