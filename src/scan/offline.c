/* SPDX-License-Identifier: MIT */
#include "offline.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/clock.h"
#include "permute.h"

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Positions taken from the permutation at once (scan_perm_iter_next_batch). */
#define OFFLINE_BATCH 64u

/* One batch's probes and frames, and the module's cache: on the heap, not the stack. */
struct offline_work {
	struct scan_probe probes[OFFLINE_BATCH];
	uint8_t frames[OFFLINE_BATCH][NET_FRAME_MAX];
	size_t lens[OFFLINE_BATCH];
	struct scan_probe_cache cache;
};

/* The order and the frames of a run, without a network: the same seed gives the same digest. */
enum ps_err scan_offline_run(const struct scan_opts *opts, const struct scan_probe_module *module,
			     struct scan_offline_stats *stats, struct ps_diag *diag)
{
	static const uint8_t link_dst[6] = {0x02, 0, 0, 0, 0, 2}, link_src[6] = {0x02, 0, 0, 0, 0, 1};
	struct ps_addr src4, src6;
	struct scan_probe_env env = {.key = {.k0 = 0x0ff11e, .k1 = 0}, .sport_span = 1};
	struct scan_perm_range range;
	struct scan_perm_iter it;
	struct scan_perm perm;
	uint16_t *ports = NULL;
	uint64_t seed = opts->seed, npairs, t0, cpu0;
	uint32_t nports, p, i = 0;
	uint16_t ip_id = 0;
	uint64_t batch[OFFLINE_BATCH];
	size_t nbatch, k;
	struct offline_work *w;

	memset(stats, 0, sizeof(*stats));
	if (!opts->targets || !opts->ports || !opts->targets->total || !opts->ports->count)
		return ps_fail(diag, PS_ERR_INVALID, "offline: nothing to build");
	nports = opts->ports->count;
	if (opts->targets->total > UINT64_MAX / nports)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "offline: too many address/port pairs");
	npairs = opts->targets->total * nports;
	if (!(ports = malloc(nports * sizeof(*ports))))
		return PS_ERR_NOMEM;
	if (!(w = calloc(1, sizeof(*w)))) {
		free(ports);
		return PS_ERR_NOMEM;
	}
	for (p = portset_next(opts->ports, 0); p && i < nports; p = portset_next(opts->ports, p))
		ports[i++] = (uint16_t)p;
	ps_addr_parse("198.18.0.1", &src4);
	ps_addr_parse("2001:db8::1", &src6);
	if (opts->source)
		*(opts->source->family == AF_INET6 ? &src6 : &src4) = *opts->source;
	if (!seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = ps_now_ns();
	env.key.k1 = seed;
	scan_perm_init(&perm, npairs, seed);
	range = scan_perm_whole(&perm);
	if (opts->nshards > 1) {
		if (opts->shard >= opts->nshards) {
			free(ports);
			free(w);
			return ps_fail(diag, PS_ERR_INVALID, "offline: shard %llu of %llu does not "
							     "exist",
				       (unsigned long long)opts->shard,
				       (unsigned long long)opts->nshards);
		}
		range = scan_perm_shard(&perm, opts->shard, opts->nshards);
	}
	scan_perm_iter_init(&it, &perm, range, 0, 1);
	t0 = ps_now_ns();
	cpu0 = thread_cpu_ns();
	while ((nbatch = scan_perm_iter_next_batch(&it, batch, OFFLINE_BATCH))) {
		for (k = 0; k < nbatch; k++) {
			struct scan_probe *probe = &w->probes[k];

			*probe = (struct scan_probe){
			    .sport = 40000,
			    .dport = ports[batch[k] % nports],
			    .ip_id = ip_id,
			    .link_dst = link_dst,
			    .link_src = link_src,
			};
			ip_id++;
			target_list_get(opts->targets, batch[k] / nports, &probe->dst, NULL);
			probe->src = probe->dst.family == AF_INET6 ? src6 : src4;
		}
		if (module->make_packets_cached)
			module->make_packets_cached(&w->cache, w->frames, w->lens, &env, w->probes,
						    nbatch);
		else
			for (k = 0; k < nbatch; k++)
				w->lens[k] = module->make_packet(w->frames[k], NET_FRAME_MAX, &env,
								 &w->probes[k]);
		for (k = 0; k < nbatch; k++) {
			const uint8_t *frame = w->frames[k];
			size_t len = w->lens[k];

			if (!len)
				continue;
			stats->packets++;
			stats->bytes += len;
			/* Reads the frame's last word, so building it cannot be skipped. */
			stats->digest =
				(stats->digest ^ frame[len - 1] ^ ((uint64_t)frame[len / 2] << 8)) *
				0x100000001b3ull;
		}
		if (opts->stop && *opts->stop)
			break;
	}
	stats->elapsed_ns = ps_now_ns() - t0;
	stats->cpu_ns = thread_cpu_ns() - cpu0;
	free(ports);
	free(w);
	return PS_OK;
}
