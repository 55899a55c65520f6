/* SPDX-License-Identifier: MIT */
#ifndef PS_REPORT_REPORT_H
#define PS_REPORT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/err.h"
#include "core/portset.h"
#include "core/result.h"
#include "core/target.h"
#include "kb/kb.h"

/* Which states get listed (--show); the profile and summary always count every port. */
#define REPORT_SHOW_OPEN     (1u << PORT_OPEN)
#define REPORT_SHOW_CLOSED   (1u << PORT_CLOSED)
#define REPORT_SHOW_FILTERED (1u << PORT_FILTERED)
#define REPORT_SHOW_OPEN_FILTERED (1u << PORT_OPEN_FILTERED)
#define REPORT_SHOW_ALL                                                                          \
	(REPORT_SHOW_OPEN | REPORT_SHOW_CLOSED | REPORT_SHOW_FILTERED | REPORT_SHOW_OPEN_FILTERED)

/* What the run was; formats that describe the scan itself (XML's nmaprun) read this. */
struct report_meta {
	const char *args;	/* the command line, for the record */
	const char *engine;	/* "connect", "syn" */
	const char *ports_spec; /* as the user gave it */
	const struct portset *ports;	  /* TCP (may be empty with udp_ports) */
	const struct portset *udp_ports; /* -sU; NULL: none */
	uint64_t targets;	/* addresses to scan */
	time_t start;
	/* The targets without a route: not scanned, down with reason no-route; may be NULL. */
	const struct target_list *no_route;
};

struct report_summary {
	uint64_t targets;
	uint64_t hosts_up; /* hosts with at least one answered port */
	uint64_t ports_scanned;
	uint64_t open;
	uint64_t closed;
	uint64_t filtered;
	uint64_t open_filtered; /* UDP ports that never answered */
	uint64_t stealth; /* filtered with no answer at all (ShieldsUP's "stealth") */
	uint64_t no_route; /* targets not scanned: the kernel has no route to them */
	int discovered;	   /* host discovery ran: hosts_up / hosts_down are its verdicts */
	uint64_t hosts_down;
	double elapsed_s;
	int interrupted;
};

struct report;
struct hostgroup;

/* An output format: a const descriptor; per-run state hangs off report->state. */
struct report_format {
	const char *name;
	enum ps_err (*begin)(struct report *r);
	/* Every result arrives here, shown or not; report_shows() says whether to list it. */
	enum ps_err (*port)(struct report *r, const struct port_result *res);
	enum ps_err (*end)(struct report *r, const struct report_summary *sum);
	void (*release)(struct report *r);
	/*
	 * Optional, for by_host formats: a host's discovery verdict, before its ports (and, for
	 * a host that gets no port, on its own: -sn, or a down host with -v).
	 */
	enum ps_err (*host)(struct report *r, const struct ps_addr *addr, const char *hostname,
			    const struct host_status *st);
	/* Rows by address, then port: results are gathered per host (hostgroup) and handed to
	 * port() in that order when the scan ends. */
	bool by_host;
};

struct report {
	const struct report_format *fmt;
	FILE *out;
	const struct kb *kb; /* service names and notes; may be NULL */
	unsigned show;	     /* REPORT_SHOW_* mask */
	const struct report_meta *meta;
	void *state;
	struct hostgroup *order; /* fmt->by_host: the hosts still gathering results */
	const struct host_table *hosts; /* discovery's verdicts; NULL: none ran (user-set) */
};

/* The format called name, or NULL. */
const struct report_format *report_format_find(const char *name);
/* "text, jsonl, ..." for help texts. */
const char *report_format_names(void);

enum ps_err report_begin(struct report *r, const struct report_format *fmt, FILE *out,
			 const struct kb *kb, unsigned show, const struct report_meta *meta);
enum ps_err report_port(struct report *r, const struct port_result *res);
enum ps_err report_end(struct report *r, const struct report_summary *sum);
/* Discovery's verdicts, before the first port; table stays the caller's until the end. */
void report_hosts(struct report *r, const struct host_table *table);
/* addr's verdict, or NULL when no discovery ran (the host is up by the user's word). */
const struct host_status *report_host_status(const struct report *r, const struct ps_addr *addr);

typedef enum ps_err (*report_host_fn)(void *ctx, const struct ps_addr *addr,
				      const char *hostname, const struct host_status *st);
/*
 * The hosts a report lists that no port result brings: with -sn every host up, and with -v
 * (nmap's rule) every host found down, in address order.
 */
enum ps_err report_unscanned_hosts(const struct report *r, report_host_fn fn, void *ctx);
void report_release(struct report *r);

static inline int report_shows(const struct report *r, const struct port_result *res)
{
	return (int)((r->show >> res->state) & 1u);
}

/* Parses --show: "open", "closed,filtered", "all". */
enum ps_err report_parse_show(const char *spec, unsigned *show, struct ps_diag *diag);

#endif
