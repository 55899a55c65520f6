/* SPDX-License-Identifier: MIT */
#ifndef PS_CLI_LOCAL_VIEW_H
#define PS_CLI_LOCAL_VIEW_H

#include <stddef.h>
#include <stdio.h>

#include "audit/audit.h"

/* Text pieces of `portsight local` that the no-argument check shows too (cmd_local.c). */

/* s cleaned into buf for a terminal (core/textclean): process names must not reach it raw. */
const char *local_printable(const char *s, char *buf, size_t len);
/* "sshd[812]" or "nginx[90]+3" for the processes holding s; "?" when none is visible. */
void local_owner_text(const struct audit_report *r, const struct audit_socket *s, char *buf,
		      size_t len);
/* Each warning once per (program, port), then the ports whose owner could not be seen. */
void local_print_warnings(FILE *out, const struct audit_report *r);
/* The summary line and a note for everything the audit could not see. */
void local_print_notes(FILE *out, const struct audit_report *r);

#endif
