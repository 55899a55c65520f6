/* SPDX-License-Identifier: MIT */
#ifndef PS_AUDIT_AUDIT_JSON_H
#define PS_AUDIT_AUDIT_JSON_H

/*
 * The local audit as JSON (`portsight local --format jsonl`): one object per socket, then one
 * summary object. Every string is cleaned to UTF-8 first (core/textclean TEXT_UTF8: a cmdline
 * can hold any byte, jansson refuses what is not UTF-8), so no record is ever lost to an odd
 * process. The caller owns the result (json_decref) and writes it.
 */
#include <jansson.h>
#include <stdbool.h>

#include "audit.h"

/* {"type":"socket", ...} for s of r, with "advice" when advice is set; NULL: out of memory. */
json_t *audit_socket_json(const struct audit_report *r, const struct audit_socket *s, bool advice);

/*
 * The same for every socket of a report: each process's object is built once and shared by
 * the sockets it holds (5000 sockets of 5 processes cleaned 5000 cmdlines of up to 4 KiB).
 */
struct audit_json_cache {
	json_t **procs; /* [r->nprocs], NULL until built */
	size_t nprocs;
};
void audit_json_cache_init(struct audit_json_cache *c);
void audit_json_cache_release(struct audit_json_cache *c);
json_t *audit_socket_json_cached(struct audit_json_cache *c, const struct audit_report *r,
				 const struct audit_socket *s, bool advice);
/* {"type":"summary", ...}; netns_name is the --netns name or NULL. NULL: out of memory. */
json_t *audit_summary_json(const struct audit_report *r, const char *netns_name);

#endif
