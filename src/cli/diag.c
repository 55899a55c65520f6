/* SPDX-License-Identifier: MIT */
/* Errors to the user: one line on stderr, and the exit code that goes with an error. */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("portsight: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_fail(enum ps_err err, const struct ps_diag *diag)
{
	cli_error("%s", ps_diag_text(diag, err));
	switch (err) {
	case PS_ERR_INVALID:
	case PS_ERR_RANGE:
	case PS_ERR_TOO_LARGE:
	case PS_ERR_RESOLVE:
	case PS_ERR_NOT_FOUND:
	case PS_ERR_TRUNCATED:
		return CLI_EXIT_USAGE;
	case PS_ERR_INTERRUPTED:
		return CLI_EXIT_INTERRUPTED;
	default:
		return CLI_EXIT_FAILURE;
	}
}
