/* SPDX-License-Identifier: MIT */
#ifndef PS_RUN_RUN_H
#define PS_RUN_RUN_H

#include <signal.h>
#include <stdbool.h>

#include "core/err.h"
#include "core/portset.h"
#include "core/target.h"
#include "kb/kb.h"
#include "report/report.h"
#include "scan/engine.h"
#include "resume.h"
#include "scan/module.h"
#include "sink.h"

/* Host discovery before the port scan (nmap's ping scan). */
enum run_discovery {
	RUN_DISCOVERY_OFF,  /* every target is scanned, up by the user's word (-Pn; the default
			     * of every front end but `scan`) */
	RUN_DISCOVERY_AUTO, /* on for a network (more than one address), off for one host */
	RUN_DISCOVERY_ON,   /* on, even for one host (-PE, -PS...) */
	RUN_DISCOVERY_ONLY, /* discovery and no port scan (-sn) */
};

/*
 * One scan run: job -> engine -> sinks. Every feature that scans (the scan command, the check,
 * a server, a monitor) fills a run_job, chooses its sinks and calls run_scan(); nothing here
 * prints, exits or touches a signal. Two runs may go on at once in one process (threads): all
 * their state is in their own job, sinks and stop flag.
 */
struct run_job {
	const struct kb *kb;		   /* service names for reports and identification */
	const struct target_list *targets; /* finished (target_list_finish) */
	const struct portset *ports; /* TCP; may be empty when udp_ports is not */
	const struct portset *udp_ports; /* -sU: scanned by the UDP engine after TCP; NULL: none */
	const char *udp_payloads_file;	 /* -sU: our payload format or nmap-payloads; NULL: ours */
	const char *ports_spec; /* as the user gave it, for the record */
	const char *engine;	/* "connect", "syn"; NULL: the best usable one */
	struct scan_opts tuning; /* rates, timeouts, seed, interface, source; the rest is set here */
	const char *args;	 /* the command line, for the record; may be NULL */
	bool service;		 /* identify open ports before the sinks see them (-sV) */
	const char *probes_file; /* with service: also a user's nmap-service-probes file */
	uint8_t version_intensity; /* with service: highest probe rarity tried (1-9); 0 = 7 */
	/* With tuning.nshards > 1: the name of the whole split scan in the history, the same on
	 * every shard; NULL: derived from the scan's identity, seed and shard count. */
	const char *fleet;
	/* --resume: the checkpoint to keep (and to continue from); NULL: none. SYN engine only. */
	struct run_resume *resume;
	enum run_discovery discovery;
	const struct scan_host_probe *host_probes; /* NULL: nmap's default set */
	size_t nhost_probes;
	bool no_arp;	     /* on-link targets get the probes too (--disable-arp-ping) */
	bool list_down;	     /* reports list the hosts found down (-v) */
};

/* What a run says along the way (warnings, notes); NULL callbacks are silent. */
struct run_events {
	void (*warning)(void *ctx, const char *msg); /* a part failed, the run goes on */
	void (*note)(void *ctx, const char *msg);    /* worth knowing: a fallback, a choice */
	void *ctx;
};

struct run_result {
	struct report_summary summary;
	struct scan_stats stats;
	const struct scan_engine *engine;
	/* The engine failed after results came in (its packet reader stopped by the sandbox,
	 * say): the sinks ended with what was found, summary.interrupted set, and this says
	 * why. PS_OK otherwise. */
	enum ps_err failure;
	struct ps_diag failure_diag;
};

/*
 * Runs job and feeds every result to every sink, in order: begin (all, before the first
 * probe; a failing begin aborts those already begun and nothing is scanned), port (each
 * result once), end (with the summary). A stop request (*stop set, e.g. by a SIGINT handler)
 * ends the run early: the sinks still get end() with summary.interrupted set and PS_OK is
 * returned. stop and events may be NULL. result may be NULL.
 */
enum ps_err run_scan(const struct run_job *job, struct run_sink *const *sinks, size_t nsinks,
		     const volatile sig_atomic_t *stop, const struct run_events *events,
		     struct run_result *result, struct ps_diag *diag);

/* The engine run_scan would use for job, and why SYN was not chosen (why may be NULL). */
enum ps_err run_pick_engine(const struct run_job *job, const struct scan_engine **engine,
			    struct ps_diag *why, struct ps_diag *diag);

#endif
