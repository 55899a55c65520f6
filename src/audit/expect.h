/* SPDX-License-Identifier: MIT */
#ifndef PS_AUDIT_EXPECT_H
#define PS_AUDIT_EXPECT_H

/*
 * Does the program fit the port? A small table of which programs normally serve a service
 * (sshd for ssh, nginx or apache2 for http, ...), and the rules that turn a socket, its owners
 * and the knowledge base's view of its port into warnings.
 */
#include <stdbool.h>
#include <stddef.h>

#include "audit.h"

/* True when service is in our table; *expected then lists the usual programs, comma-separated. */
bool audit_expected_programs(const char *service, const char **expected);
/* True when prog (a comm or an exe basename) is one of service's usual programs. */
bool audit_program_fits(const char *service, const char *prog);
/* True for nc, ncat, socat and the like: handy, and a classic backdoor. */
bool audit_program_adhoc(const char *prog);

/*
 * Sets s->warn and s->warn_text from what the kb says about the port (service may be NULL,
 * ntrojans/trojan the kb's trojan list) and the programs holding it.
 */
void audit_judge_program(struct audit_socket *s, const struct audit_proc *procs,
			 const char *service, const char *const *trojans, size_t ntrojans);

#endif
