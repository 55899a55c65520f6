/* SPDX-License-Identifier: MIT */
#ifndef PS_PROBE_PROBE_H
#define PS_PROBE_PROBE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/result.h"

/*
 * Service identification (`portsight scan --service`): for every open TCP port, wait for a
 * banner (the NULL probe), then send protocol probes in order of likelihood for that port,
 * match the replies against a probe database with PCRE2, and look inside TLS.
 *
 * The database is our own text file (src/probe/probes.db, compiled in); a user's own
 * nmap-service-probes file can be added on top of it at run time.
 */

/* ---- the probe/match database ---- */

struct probe_db;

enum probe_db_format {
	PROBE_DB_NATIVE, /* our probes.db syntax (see the head of probes.db) */
	PROBE_DB_NMAP,	 /* the nmap-service-probes syntax */
};

enum ps_err probe_db_new(struct probe_db **out);
void probe_db_free(struct probe_db *db);
/* Adds the compiled-in probes.db. */
enum ps_err probe_db_add_builtin(struct probe_db *db, struct ps_diag *diag);
/*
 * Adds the probes and matches of text. A probe whose name already exists gets the new
 * matches appended, so a user's NULL probe extends ours. origin names the source in errors.
 */
enum ps_err probe_db_add_text(struct probe_db *db, const char *text, size_t len,
			      enum probe_db_format format, const char *origin,
			      struct ps_diag *diag);
/* Reads path (at most 32 MiB) and adds it. */
enum ps_err probe_db_add_file(struct probe_db *db, const char *path, enum probe_db_format format,
			      struct ps_diag *diag);
size_t probe_db_probe_count(const struct probe_db *db);
size_t probe_db_match_count(const struct probe_db *db);

/* What one reply matched. */
enum probe_match_kind {
	PROBE_MATCH_NONE,
	PROBE_MATCH_SOFT, /* the service is known, the product is not */
	PROBE_MATCH_HARD,
};

struct probe_match_result {
	char service[32];
	char product[64];
	char version[32];
	char info[128];
	char host[64];
	bool backdoor; /* the match line is marked as a known backdoor */
};

/*
 * Scratch space for probe_db_match(): one per identification or thread, never shared. Every
 * regex is compiled (and JIT-compiled) when it is added, so a loaded database is only read
 * and any number of matchers may use one at once.
 */
struct probe_matcher;

enum ps_err probe_matcher_new(struct probe_matcher **out);
void probe_matcher_free(struct probe_matcher *m);

/*
 * Matches a reply to the probe called probe_name (NULL: the NULL probe) against that probe's
 * matches, its fallbacks, then the NULL probe's. With only_service set, other services are
 * ignored (after a soft match only its service can follow).
 */
enum probe_match_kind probe_db_match(const struct probe_db *db, struct probe_matcher *matcher,
				     const char *probe_name, const void *reply, size_t len,
				     const char *only_service, struct probe_match_result *out);

/* ---- what the port numbers promise ---- */

/*
 * The knowledge base's view of a port, as callbacks so this module's tests can supply a table
 * (production: probe_lore_from_kb in probe_kb.c).
 */
struct probe_lore {
	/* Service name the port is registered for, or NULL. */
	const char *(*service_name)(const void *ctx, uint16_t port, uint8_t proto);
	const void *ctx;
};

struct kb;
void probe_lore_from_kb(struct probe_lore *lore, const struct kb *kb);

/* ---- identification ---- */

struct probe_opts {
	const struct probe_db *db;     /* required; only read, so runs at once may share it */
	const struct probe_lore *lore; /* may be NULL: no unexpected-for-the-port flags */
	uint32_t max_parallel;	       /* ports identified at once; 0 = 512 (less if fds are few) */
	uint32_t wait_ms;	       /* first wait for a reply; 0 = adaptive from 400 ms */
	uint32_t max_wait_ms;	       /* the adaptive wait never grows past this; 0 = 3000 */
	uint32_t port_budget_ms;       /* all probes of one port; 0 = 10000 */
	uint32_t probes_per_port;      /* connections at once per port after the banner; 0 = 3 */
	uint8_t intensity;	       /* highest rarity tried (1-9); 0 = 7 */
	const volatile sig_atomic_t *stop;
};

struct probe_stats {
	uint64_t connections;
	uint64_t probes_sent;
	uint64_t tls_handshakes;
	uint32_t matched;
	uint32_t guessed;
	uint32_t unknown;
	uint32_t max_wait_ms; /* the adaptive wait at the end */
};

/*
 * Identifies the service on each of the n ports (open TCP results; others only get a guess
 * from the port number). out[i] belongs to ports[i]. Returns PS_ERR_INTERRUPTED when
 * opts->stop was set (out is still filled with what was learned).
 */
enum ps_err probe_identify(const struct probe_opts *opts, const struct port_result *ports,
			   struct service_info *out, size_t n, struct probe_stats *stats,
			   struct ps_diag *diag);

/*
 * Loads what probe_identify would otherwise read from files on its first TLS handshake
 * (OpenSSL's configuration and providers) and on its first certificate (the time zone), so
 * that it can then run in a sandbox that opens no file.
 */
void probe_preload(void);

/* ---- reply parsers (used by the engine, exposed for tests and fuzzing) ---- */

/* Parses an HTTP/1.x response head (and the <title> if present). PS_ERR_INVALID if not HTTP. */
enum ps_err probe_http_parse(const void *reply, size_t len, struct service_http *out);

/* Does the reply start with a TLS record (handshake or alert)? Sets *version (0x0301...). */
bool probe_tls_sniff(const void *reply, size_t len, uint16_t *version);

/* Summarises a DER certificate into out (subject CN, SANs, issuer, validity, flags). */
enum ps_err probe_tls_cert_summary(const void *der, size_t len, int64_t now,
				   struct service_tls *out, uint32_t *flags);

/*
 * Fills flags UNEXPECTED / BACKDOOR and, when nothing matched, the name guessed from the
 * port. Service names compare through the database's aliases (the knowledge base's
 * "http-alt" is our "http"). BACKDOOR is set only from match_backdoor: a match line that
 * identifies the trojan's own protocol answered, never from the port number.
 */
void probe_classify(const struct probe_db *db, const struct probe_lore *lore, uint16_t port,
		    uint8_t proto, bool match_backdoor, struct service_info *svc);

#endif
