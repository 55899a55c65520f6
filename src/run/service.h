/* SPDX-License-Identifier: MIT */
#ifndef PS_RUN_SERVICE_H
#define PS_RUN_SERVICE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/result.h"
#include "kb/kb.h"
#include "probe/probe.h"

/*
 * Service identification (-sV), a stage of the run: open ports are held back while the scan runs, identified together
 * afterwards (probe_identify), and reported with their service attached.
 */
struct run_service {
	bool enabled;
	const char *probes_file; /* --probes: a user's nmap-service-probes file, or NULL */
	uint8_t intensity;	 /* highest probe rarity tried; 0 = the engine's default */
	struct probe_db *db;
	struct port_result *held;
	size_t nheld;
	size_t held_cap;
	struct service_info *info;
	struct probe_stats stats;
};

/* Loads the probe database (ours, then --probes); before the scan, so errors come first. */
enum ps_err run_service_prepare(struct run_service *sv, struct ps_diag *diag);
/* Keeps an open port for identification. */
enum ps_err run_service_hold(struct run_service *sv, const struct port_result *res);
/*
 * Identifies every held port and points each held result's service at its answer (NULL
 * where none came back). Runs in a child without capabilities under a seccomp sandbox
 * (NET_SANDBOX_STREAMS), in a ThreadSanitizer build in this process (TSan follows neither a
 * fork of a threaded process nor a sandbox); an error (the sandbox stopped it, say) leaves
 * the held ports in place, services where they arrived.
 */
enum ps_err run_service_run(struct run_service *sv, const struct kb *kb,
			     const volatile sig_atomic_t *stop, struct ps_diag *diag);
void run_service_release(struct run_service *sv);

#endif
