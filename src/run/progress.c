/* SPDX-License-Identifier: MIT */
/* The progress sink: counters a status line reads from another thread. */
#include <stdatomic.h>
#include <string.h>

#include "core/clock.h"
#include "sink.h"

static enum ps_err progress_begin(struct run_sink *sink, const struct run_info *info,
				  struct ps_diag *diag)
{
	struct run_progress_sink *ps = sink->state;

	(void)diag;
	ps->ports_per_host = (info->meta.ports ? info->meta.ports->count : 0) +
			     (info->meta.udp_ports ? info->meta.udp_ports->count : 0);
	atomic_store(&ps->total, info->meta.targets * ps->ports_per_host);
	atomic_store(&ps->start_ns, ps_now_ns());
	return PS_OK;
}

/* After discovery only the hosts up are scanned: the total shrinks to their ports. */
static enum ps_err progress_hosts(struct run_sink *sink, const struct host_table *hosts,
				  struct ps_diag *diag)
{
	struct run_progress_sink *ps = sink->state;

	(void)diag;
	atomic_store(&ps->total, hosts->discovery_only ? 0 : hosts->up * ps->ports_per_host);
	return PS_OK;
}

static enum ps_err progress_port(struct run_sink *sink, const struct port_result *res,
				 struct ps_diag *diag)
{
	struct run_progress_sink *ps = sink->state;

	(void)diag;
	atomic_fetch_add_explicit(&ps->done, 1, memory_order_relaxed);
	if (res->state == PORT_OPEN)
		atomic_fetch_add_explicit(&ps->open, 1, memory_order_relaxed);
	return PS_OK;
}

static enum ps_err progress_end(struct run_sink *sink, const struct report_summary *sum,
				struct ps_diag *diag)
{
	struct run_progress_sink *ps = sink->state;

	(void)sum;
	(void)diag;
	if (!atomic_exchange(&ps->finished, 1) && ps->on_finish)
		ps->on_finish(ps->finish_ctx);
	return PS_OK;
}

static void progress_abort(struct run_sink *sink)
{
	struct run_progress_sink *ps = sink->state;

	if (!atomic_exchange(&ps->finished, 1) && ps->on_finish)
		ps->on_finish(ps->finish_ctx);
}

static const struct run_sink_ops progress_sink_ops = {
	.name = "progress",
	.begin = progress_begin,
	.port = progress_port,
	.hosts = progress_hosts,
	.end = progress_end,
	.abort = progress_abort,
};

void run_progress_sink_init(struct run_progress_sink *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->sink.ops = &progress_sink_ops;
	ps->sink.state = ps;
	ps->sink.early = true;
}

void run_progress_read(const struct run_progress_sink *ps, struct run_progress *out)
{
	uint64_t start = atomic_load(&ps->start_ns);

	memset(out, 0, sizeof(*out));
	out->done = atomic_load_explicit(&ps->done, memory_order_relaxed);
	out->open = atomic_load_explicit(&ps->open, memory_order_relaxed);
	out->total = atomic_load(&ps->total);
	out->finished = atomic_load(&ps->finished);
	out->eta_s = -1;
	if (!start)
		return;
	out->elapsed_s = (double)(ps_now_ns() - start) / 1e9;
	if (out->total)
		out->percent = 100.0 * (double)out->done / (double)out->total;
	if (out->elapsed_s > 0)
		out->rate = (double)out->done / out->elapsed_s;
	/* Answers arrive fast, silence only after timeouts: the ETA is a guide, not a promise. */
	if (out->rate > 0 && out->total >= out->done)
		out->eta_s = (double)(out->total - out->done) / out->rate;
}
