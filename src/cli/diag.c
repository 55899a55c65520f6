/* SPDX-License-Identifier: MIT */
/* Errors to the user: one line on stderr, and the exit code that goes with an error. */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include "core/textclean.h"

/*
 * Messages quote what others wrote (an XML file's address or state, a file name, a history
 * row): the whole line goes through the one sanitiser, so no escape or bidi override in a
 * quoted piece reaches the terminal, whichever message quotes it.
 */
void cli_error(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	text_clean(line, sizeof(line), line);
	fprintf(stderr, "portsight: %s\n", line);
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
