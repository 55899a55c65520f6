/* SPDX-License-Identifier: MIT */
#include "service.h"

#include <stdlib.h>
#include <string.h>

#include "scan/privsep.h"

enum ps_err run_service_prepare(struct run_service *sv, struct ps_diag *diag)
{
	enum ps_err err = probe_db_new(&sv->db);

	if (!err)
		err = probe_db_add_builtin(sv->db, diag);
	if (!err && sv->probes_file)
		err = probe_db_add_file(sv->db, sv->probes_file, PROBE_DB_NMAP, diag);
	return err;
}

enum ps_err run_service_hold(struct run_service *sv, const struct port_result *res)
{
	if (sv->nheld == sv->held_cap) {
		size_t cap = sv->held_cap ? sv->held_cap * 2 : 64;
		struct port_result *v = realloc(sv->held, cap * sizeof(*v));

		if (!v)
			return PS_ERR_NOMEM;
		sv->held = v;
		sv->held_cap = cap;
	}
	sv->held[sv->nheld++] = *res;
	return PS_OK;
}

/*
 * The identification runs in a child of its own (scan/privsep): no capabilities, and a
 * seccomp sandbox that allows TCP sockets and what an epoll client needs, nothing else (no
 * file, no exec, no raw socket). Banners, probe replies and TLS certificates from the wire are
 * parsed there; what it found comes back as one record per port (its service_info, bytes the
 * parent re-terminates: the child is not trusted) and one with the counters. A child the
 * sandbox stopped costs the services, never the ports: they are reported without one.
 */
#define STATS_RECORD (UINT64_MAX - 1)

/* ThreadSanitizer follows neither a fork of a threaded process nor a seccomp sandbox. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define IN_PROCESS 1
#endif
#endif
#if !defined(IN_PROCESS) && defined(__SANITIZE_THREAD__)
#define IN_PROCESS 1
#endif
#ifndef IN_PROCESS
#define IN_PROCESS 0
#endif

struct service_run {
	struct run_service *sv;
	struct probe_opts opts;
	bool *known; /* parent: which info[] came back */
};

static void service_prepare(void *ctx)
{
	(void)ctx;
	probe_preload();
}

static enum ps_err service_child(void *ctx, const volatile sig_atomic_t *stop,
				 struct scan_privsep_out *out, struct scan_stats *stats,
				 struct ps_diag *diag)
{
	struct service_run *r = ctx;
	struct run_service *sv = r->sv;
	struct probe_opts opts = r->opts;
	struct scan_privsep_record rec = {0};
	enum ps_err err;
	size_t i;

	(void)stats;
	opts.stop = stop;
	err = probe_identify(&opts, sv->held, sv->info, sv->nheld, &sv->stats, diag);
	for (i = 0; i < sv->nheld; i++) {
		rec.pair = i;
		rec.extra_len = sizeof(sv->info[i]);
		scan_privsep_emit(out, &rec, &sv->info[i]);
	}
	rec.pair = STATS_RECORD;
	rec.extra_len = sizeof(sv->stats);
	scan_privsep_emit(out, &rec, &sv->stats);
	return err;
}

#define TERMINATE(a) ((a)[sizeof(a) - 1] = '\0')

static void service_record(void *ctx, const struct scan_privsep_record *rec, const void *extra)
{
	struct service_run *r = ctx;
	struct run_service *sv = r->sv;
	struct service_info *info;

	if (rec->pair == STATS_RECORD && rec->extra_len == sizeof(sv->stats)) {
		memcpy(&sv->stats, extra, sizeof(sv->stats));
		return;
	}
	if (rec->pair >= sv->nheld || rec->extra_len != sizeof(*info))
		return; /* not a record of ours: dropped */
	info = &sv->info[rec->pair];
	memcpy(info, extra, sizeof(*info));
	TERMINATE(info->name);
	TERMINATE(info->product);
	TERMINATE(info->version);
	TERMINATE(info->info);
	TERMINATE(info->tls.version);
	TERMINATE(info->tls.cipher);
	TERMINATE(info->tls.subject_cn);
	TERMINATE(info->tls.issuer);
	TERMINATE(info->tls.sans);
	TERMINATE(info->http.server);
	TERMINATE(info->http.title);
	r->known[rec->pair] = true;
}

enum ps_err run_service_run(struct run_service *sv, const struct kb *kb,
			     const volatile sig_atomic_t *stop, struct ps_diag *diag)
{
	static const struct scan_privsep_jail jail = {
	    .profile = NET_SANDBOX_STREAMS, .who = "service identification", .prepare = service_prepare};
	struct probe_lore lore;
	struct service_run r = {.sv = sv};
	enum ps_err err;
	size_t i;

	_Static_assert(sizeof(struct service_info) <= SCAN_PRIVSEP_EXTRA_MAX &&
			   sizeof(struct probe_stats) <= SCAN_PRIVSEP_EXTRA_MAX,
		       "a service_info goes up the privsep pipe in one record");
	if (!sv->nheld)
		return PS_OK;
	sv->info = calloc(sv->nheld, sizeof(*sv->info));
	r.known = calloc(sv->nheld, sizeof(*r.known));
	if (!sv->info || !r.known) {
		free(r.known);
		return PS_ERR_NOMEM;
	}
	probe_lore_from_kb(&lore, kb);
	r.opts = (struct probe_opts){
	    .db = sv->db, .lore = &lore, .stop = stop, .intensity = sv->intensity};
	if (IN_PROCESS)
		err = probe_identify(&r.opts, sv->held, sv->info, sv->nheld, &sv->stats, diag);
	else
		err = scan_privsep_run_as(&jail, service_child, &r, NULL, service_record, &r, stop,
					  NULL, diag);
	for (i = 0; i < sv->nheld; i++)
		sv->held[i].service = IN_PROCESS || r.known[i] ? &sv->info[i] : NULL;
	free(r.known);
	return err;
}

void run_service_release(struct run_service *sv)
{
	probe_db_free(sv->db);
	free(sv->held);
	free(sv->info);
	memset(sv, 0, sizeof(*sv));
}
