/* SPDX-License-Identifier: MIT */
/*
 * The history recorder as a sink. History is best-effort for a scan: a database that cannot be
 * opened or written (the default one or --db FILE) costs the record, never the scan or its
 * reports: one warning, and the scan goes on unrecorded.
 */
#include <stdio.h>
#include <string.h>

#include "run.h"
#include "store/store.h"

static enum ps_err history_begin(struct run_sink *sink, const struct run_info *info,
				 struct ps_diag *diag)
{
	struct run_history_sink *hs = sink->state;
	char identity[STORE_IDENTITY_LEN + 1];
	struct store_scan_params p = {
	    .args = info->meta.args,
	    .engine = info->meta.engine,
	    .ports_spec = info->meta.ports_spec,
	    .targets = info->meta.targets,
	    .start = info->meta.start,
	    .ports = info->meta.ports,
	    /* Which earlier scans diff compares this one with: the job's, not what answered. */
	    .identity = info->targets && info->meta.ports ? identity : NULL,
	};
	char fleet[160];
	const char *path = hs->path;
	struct ps_diag local = {{0}};
	char def[4096];
	enum ps_err err;

	hs->events = info->events;
	if (p.identity && (err = store_scan_identity(info->targets, info->meta.ports, identity)))
		return err;
	if (info->nshards > 1) {
		/* Shards that agree on targets, ports, seed and count are one scan by default:
		 * no coordination between the machines, and a rerun shard replaces itself. */
		if (info->fleet)
			snprintf(fleet, sizeof(fleet), "%s", info->fleet);
		else
			snprintf(fleet, sizeof(fleet), "%.16s-%llx-%llu", p.identity ? identity : "",
				 (unsigned long long)info->seed, (unsigned long long)info->nshards);
		p.fleet = fleet;
		p.shard = info->shard;
		p.nshards = info->nshards;
	}
	if (!path) {
		if (store_default_path(def, sizeof(def)) || store_make_parents(def)) {
			run_warn(hs->events, "warning: no usable history directory (HOME, "
					     "XDG_STATE_HOME); this scan is not recorded (--no-db "
					     "silences this)");
			return PS_OK;
		}
		path = def;
	}
	err = store_open(path, &hs->st, &local);
	if (!err)
		err = store_scan_begin(hs->st, &p, &hs->scan_id, &local);
	if (!err)
		return PS_OK;
	store_close(hs->st);
	hs->st = NULL;
	(void)diag;
	run_warn(hs->events, "warning: %s; this scan is not recorded%s", ps_diag_text(&local, err),
		 path == def ? " (--no-db silences this)" : "");
	return PS_OK;
}

static void history_failed(struct run_history_sink *hs, enum ps_err err,
			   const struct ps_diag *diag)
{
	run_warn(hs->events, "warning: %s; the rest of this scan is not recorded",
		 ps_diag_text(diag, err));
	store_close(hs->st);
	hs->st = NULL;
}

static enum ps_err history_port(struct run_sink *sink, const struct port_result *res,
				struct ps_diag *diag)
{
	struct run_history_sink *hs = sink->state;
	struct ps_diag local = {{0}};
	enum ps_err err;

	(void)diag;
	/* The history's rows are ports 1-65535: port 0 (ShieldsUP's) is in the reports only. */
	if (res->port == 0)
		return PS_OK;
	if (hs->st && (err = store_scan_port(hs->st, res, &local)))
		history_failed(hs, err, &local);
	return PS_OK;
}

static enum ps_err history_end(struct run_sink *sink, const struct report_summary *sum,
			       struct ps_diag *diag)
{
	struct run_history_sink *hs = sink->state;
	struct store_scan_totals t = {
	    .hosts_up = sum->hosts_up,
	    .ports_scanned = sum->ports_scanned,
	    .open = sum->open,
	    .closed = sum->closed,
	    /* The history row keeps three counts: open|filtered is a kind of no answer. */
	    .filtered = sum->filtered + sum->open_filtered,
	    .elapsed_s = sum->elapsed_s,
	    .interrupted = sum->interrupted,
	};
	struct ps_diag local = {{0}};
	enum ps_err err;

	(void)diag;
	if (!hs->st)
		return PS_OK;
	if ((err = store_scan_end(hs->st, &t, &local))) {
		history_failed(hs, err, &local);
		return PS_OK;
	}
	store_close(hs->st);
	hs->st = NULL;
	return PS_OK;
}

/* The scan row stays without an end time: history shows it as incomplete. */
static void history_abort(struct run_sink *sink)
{
	struct run_history_sink *hs = sink->state;

	store_scan_abort(hs->st);
	store_close(hs->st);
	hs->st = NULL;
}

static const struct run_sink_ops history_sink_ops = {
	.name = "history",
	.begin = history_begin,
	.port = history_port,
	.end = history_end,
	.abort = history_abort,
};

void run_history_sink_init(struct run_history_sink *hs, const char *path)
{
	memset(hs, 0, sizeof(*hs));
	hs->sink.ops = &history_sink_ops;
	hs->sink.state = hs;
	hs->path = path;
}
