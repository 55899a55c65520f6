/* SPDX-License-Identifier: MIT */
#ifndef PS_HARDEN_HARDEN_H
#define PS_HARDEN_HARDEN_H

/*
 * portsight harden: an nftables table of its own, `inet portsight`, that drops (or rejects)
 * new inbound connections to every exposed port the user did not allow. The plan comes from
 * the local audit (what listens, how exposed, what the ruleset does now) and the knowledge
 * base (service names in --allow); it is rendered as nft text and applied in one transaction
 * through libnftables after a dry run, so the table is either all there or not at all. Other
 * tables are never touched: removing ours restores the ruleset byte for byte.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "audit/outside.h"
#include "core/err.h"

struct kb;

#define HARDEN_TABLE	  "portsight" /* family inet */
#define HARDEN_RANGES_MAX 256

/* A port range of one protocol, or of both (proto 0). */
struct harden_range {
	uint8_t proto;
	uint16_t lo, hi;
	char name[48]; /* what the user wrote, for the plan's reasons */
};

struct harden_ports {
	struct harden_range v[HARDEN_RANGES_MAX];
	size_t n;
};

/*
 * Parses "ssh,443/tcp,53/udp,8000-8100,http": numbers, ranges, an optional /tcp or /udp, and
 * service names from the knowledge base (kb may be NULL: then names are refused). Appends.
 */
enum ps_err harden_ports_parse(const char *list, const struct kb *kb, struct harden_ports *out,
			       struct ps_diag *diag);
bool harden_ports_match(const struct harden_ports *p, uint8_t proto, uint16_t port,
			const char **name);

enum harden_mode {
	HARDEN_DROP,   /* no answer: Stealth */
	HARDEN_REJECT, /* TCP reset / ICMP port unreachable: Closed */
};

struct harden_opts {
	struct harden_ports allow;
	struct harden_ports refuse;
	bool keep_ssh;	       /* default true: port 22/tcp and sockets held by sshd stay open */
	uint16_t session_port; /* TCP port of the SSH session we run in (never closed), or 0 */
	enum harden_mode mode;
	bool stealth_ping; /* also drop ICMP / ICMPv6 echo requests */
};

void harden_opts_init(struct harden_opts *o);

struct harden_item {
	uint8_t proto;
	uint16_t port;
	bool close;
	char program[AUDIT_COMM_MAX + 1]; /* first owner, "" when unknown */
	enum audit_exposure exposure;
	enum audit_outside before, after; /* what a scan from another host sees */
	char reason[96];
};

struct harden_plan {
	struct harden_item *items; /* exposed ports, sorted by proto then port */
	size_t n;
	size_t nclose;
	size_t nchange; /* items whose outside view changes */
	enum harden_mode mode;
	bool stealth_ping;
};

/* Builds the plan from an audit report (with the firewall judged). */
enum ps_err harden_plan_build(const struct audit_report *r, const struct harden_opts *o,
			      struct harden_plan *out, struct ps_diag *diag);
void harden_plan_release(struct harden_plan *p);

/* The table as nft input text (malloc'd; NULL when out of memory). */
char *harden_render(const struct harden_plan *p);

/* ---- nftables (libnftables) --------------------------------------------------------------- */

/* Loads table text atomically in place of any table of ours: a dry run first (nft -c), then one
 * transaction that deletes the old table and adds the new. On error nothing changed. */
enum ps_err harden_nft_load(const char *table_text, struct ps_diag *diag);
/* Our table as nft text (malloc'd into *out), or *out = NULL when there is none. */
enum ps_err harden_nft_current(char **out, struct ps_diag *diag);
/* Deletes our table; *removed says whether there was one. */
enum ps_err harden_nft_remove(bool *removed, struct ps_diag *diag);
/* Puts back what harden_nft_current() returned: that text, or no table at all. */
enum ps_err harden_nft_restore(const char *previous, struct ps_diag *diag);

/* ---- confirmation ------------------------------------------------------------------------- */

/*
 * --apply waits for --confirm from another invocation through a file in dir named after the
 * network namespace (one pending apply per namespace): create it holding our pid, poll it,
 * and it is confirmed once --confirm removed it.
 */
enum ps_err harden_pending_path(const char *dir, char *buf, size_t len, struct ps_diag *diag);
enum ps_err harden_pending_create(const char *path, struct ps_diag *diag);
bool harden_pending_exists(const char *path);
/* --confirm: removes the file of a waiting apply; PS_ERR_NOT_FOUND when none waits. */
enum ps_err harden_pending_confirm(const char *path, struct ps_diag *diag);
void harden_pending_clear(const char *path);

#endif
