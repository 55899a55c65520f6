/* SPDX-License-Identifier: MIT */
#ifndef PS_SERVE_SERVE_H
#define PS_SERVE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "clientaddr.h"
#include "core/err.h"
#include "kb/kb.h"
#include "report/report.h"

/*
 * portsight serve: a self-hosted ShieldsUP. An HTTP server (libmicrohttpd) that scans whoever
 * visits it, and nobody else: the target is the connection's own peer (or the client a trusted
 * proxy names), never a parameter. Each scan is one run_scan() in a thread of its own; the
 * page follows it live over Server-Sent Events, or, without JavaScript, as a streamed page.
 * Nothing here prints: every scan and refusal goes to the log callback.
 */
struct serve;

/* One line of the log: a scan that ended, or a request refused. */
struct serve_log_rec {
	time_t when;
	const char *client; /* the visitor's address */
	const char *test;   /* "common", "all", "port"... */
	const char *ports;  /* the spec scanned */
	uint32_t nports;
	const char *engine;		  /* NULL when refused */
	const struct report_summary *sum; /* NULL when refused */
	const char *refused;		  /* NULL, or why: "quota", "busy", "token"... */
	const char *error;		  /* the run failed: why */
};

struct serve_opts {
	const char *listen; /* "ADDR:PORT", "[ADDR]:PORT" */
	const struct serve_cidr *trusted;
	size_t ntrusted;
	const struct kb *kb;
	unsigned max_scans;	   /* at once, over all visitors */
	unsigned quota;		   /* scans per address per hour */
	uint32_t max_rate;	   /* probes per second over all scans together */
	uint32_t max_ports;	   /* the largest test offered */
	unsigned client_timeout_s; /* an idle (slow) client is cut off after this */
	unsigned request_timeout_s; /* a whole request must arrive within this (0: 30) */
	unsigned max_conns;	   /* connections at once */
	unsigned per_ip_conns;	   /* connections at once from one peer address (0: no cap) */
	unsigned scan_timeout_s;   /* a scan's longest run */
	const char *engine;	   /* NULL: SYN when permitted, else connect */
	const char *db;		   /* history database; NULL: the default one */
	bool no_db;
	const char *tls_cert; /* PEM text (not a path); both or neither */
	const char *tls_key;
	void (*log)(void *ctx, const struct serve_log_rec *rec);
	void *log_ctx;
	/* The process-wide deny filter left off: for a process that confines itself or must
	 * not be confined (a fuzzing harness, whose leak checker traces threads with ptrace).
	 * The request threads' own allowlist stays. */
	bool no_process_filter;
};

/* The port the server listens on (the one it was given). */
uint16_t serve_port(const struct serve *srv);

/* Listens and serves in threads of its own; returns once the socket is open. */
enum ps_err serve_start(const struct serve_opts *opts, struct serve **out, struct ps_diag *diag);
/* Stops every scan, waits for them, closes the socket. */
void serve_stop(struct serve *srv);

/* "192.0.2.1:8080", "[2001:db8::1]:8080", ":8080" (every address). */
enum ps_err serve_listen_parse(const char *text, struct ps_addr *addr, bool *any, uint16_t *port,
			       struct ps_diag *diag);

#endif
