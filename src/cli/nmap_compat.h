/* SPDX-License-Identifier: MIT */
#ifndef PS_CLI_NMAP_COMPAT_H
#define PS_CLI_NMAP_COMPAT_H

#include "core/err.h"
#include "core/portset.h"
#include "kb/kb.h"
#include "scan/engine.h"
#include "scan/module.h"

/*
 * What an nmap user types on day one: the flags portsight honours map onto its own options
 * (cmd_scan.c's alias table); the ones it cannot honour are refused here by name, each with
 * what to use instead, before getopt would misread them ("-sU" as "-s U", "-Pn" as "-P n").
 */
enum ps_err nmap_refuse_unsupported(int argc, char **argv, struct ps_diag *diag);

/*
 * -PE, -PP, -PS[ports], -PA[ports], -PU[ports] (arg: what follows "-P"): appends the probes
 * to out (n of cap used), a probe asked twice once.
 */
enum ps_err nmap_parse_ping(const char *arg, struct scan_host_probe *out, size_t cap, size_t *n,
			    struct ps_diag *diag);

/*
 * -T0..-T5 (or paranoid, sneaky, polite, normal, aggressive, insane): timing presets. Sets
 * *level 0-5.
 */
enum ps_err nmap_parse_timing(const char *arg, unsigned *level, struct ps_diag *diag);
/* Fills the numbers of preset level into opts where the user gave none. */
void nmap_apply_timing(unsigned level, struct scan_opts *opts);

/* --top-ports N: the knowledge base's N most often exposed ports (beyond its ranking, the
 * remaining ports in ascending order). */
enum ps_err nmap_top_ports(const struct kb *kb, const char *arg, struct portset *out,
			   struct ps_diag *diag);

#endif
