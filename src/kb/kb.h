/* SPDX-License-Identifier: MIT */
#ifndef PS_KB_KB_H
#define PS_KB_KB_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/portset.h"

/*
 * The port knowledge base: what a port is for, how risky it is to expose, which trojans used
 * it. The data is our own text file (data/ports.kb), compiled into the binary; kb_parse()
 * reads the same format from any buffer, and is what the fuzz harness drives.
 */
struct kb;

/* Limits of kb_parse(): whatever the input, memory stays bounded. */
#define KB_TEXT_MAX		 ((size_t)4 * 1024 * 1024)
#define KB_LINE_MAX		 1024
#define KB_ENTRIES_MAX		 16384
#define KB_TROJANS_PER_ENTRY_MAX 64
#define KB_NAME_MAX		 48

#define KB_PRESET_NAMES                                                                          \
	"common, shieldsup-common, service, top100, top1000, trojans, upnp, filesharing"

enum kb_range {
	KB_RANGE_SYSTEM,     /* 1-1023 */
	KB_RANGE_REGISTERED, /* 1024-49151 */
	KB_RANGE_DYNAMIC,    /* 49152-65535 */
};

struct kb_entry {
	uint16_t port;
	uint8_t proto;		    /* IPPROTO_TCP or IPPROTO_UDP */
	const char *service;	    /* short name: "http" */
	const char *description;    /* one sentence */
	const char *risk;	    /* what exposing it risks; may be NULL */
	const char *const *trojans; /* names of backdoors known to use this port */
	size_t ntrojans;
};

enum ps_err kb_parse(const char *text, size_t len, struct kb **out, struct ps_diag *diag);
enum ps_err kb_load_builtin(struct kb **out, struct ps_diag *diag);
void kb_free(struct kb *kb);

enum kb_range kb_port_range(uint16_t port);
const char *kb_range_name(enum kb_range range);

/* The entry for port/proto, or NULL. */
const struct kb_entry *kb_lookup(const struct kb *kb, uint16_t port, uint8_t proto);
/* The service name for port/proto, or NULL when the port is unknown. */
const char *kb_service_name(const struct kb *kb, uint16_t port, uint8_t proto);
/* Entries whose service name equals name (case-insensitive); returns how many were found and
 * stores at most max of them in out. */
size_t kb_find_service(const struct kb *kb, const char *name, const struct kb_entry **out,
		       size_t max);

/* Entries whose trojan list names name (case-insensitive); like kb_find_service. */
size_t kb_find_trojan(const struct kb *kb, const char *name, const struct kb_entry **out,
		      size_t max);

/* The entries in (port, proto) order: index 0..kb_count()-1. */
size_t kb_count(const struct kb *kb);
const struct kb_entry *kb_entry_at(const struct kb *kb, size_t index);
/* How many distinct trojan names the base knows (case-insensitive). */
size_t kb_trojan_count(const struct kb *kb);
/* The "rank" list, most often exposed first; returns its length. */
size_t kb_ranked(const struct kb *kb, const uint16_t **ports);

/* A portset_preset_fn (ctx is a struct kb *): the presets of KB_PRESET_NAMES. */
enum ps_err kb_preset(void *ctx, const char *name, struct portset *out, struct ps_diag *diag);

#endif
