/* SPDX-License-Identifier: MIT */
#ifndef PS_WATCH_WATCH_H
#define PS_WATCH_WATCH_H

/*
 * portsight watch: this machine's listening sockets over time. A listener is keyed by what a
 * client reaches — (network namespace, protocol, bound address, port) — never by PID, so a
 * service that restarts with a new PID on the same address is not an event (Wazuh alerts on
 * every PID change). Snapshots of listeners are diffed into events (opened, closed, changed
 * owner program); a baseline file is a snapshot written as JSON. The watcher polls sock_diag
 * cheaply every tick and runs the full audit (processes, firewall, knowledge base) only when
 * the set of sockets changed. Channels deliver events; this library never prints on its own,
 * it writes only where a channel was told to.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "audit/audit.h"
#include "core/addr.h"
#include "core/err.h"

#define WATCH_NETNS_MAX	  64 /* namespace name, "" = the one we run in */
#define WATCH_PROGRAM_MAX 64
#define WATCH_PATH_MAX	  160
#define WATCH_UNIT_MAX	  96

/* Limits of the baseline parser: whatever the file, memory stays bounded. */
#define WATCH_BASELINE_MAX_BYTES     ((size_t)64 * 1024 * 1024)
#define WATCH_BASELINE_MAX_LISTENERS ((size_t)1 << 20)

struct watch_listener {
	/* the key */
	char netns[WATCH_NETNS_MAX];
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	struct ps_addr addr;
	uint16_t port;
	/* what the fast poll sees: changes when the socket was replaced (restart, takeover) */
	uint64_t sig;	 /* sum of the inodes of every socket on this key (SO_REUSEPORT) */
	size_t nsockets; /* sockets sharing the key */
	bool enriched;	 /* the fields below come from an audit (or the baseline file) */
	pid_t pid;	 /* 0 when no owner was found */
	uint32_t uid;
	char program[WATCH_PROGRAM_MAX]; /* comm; "" when unknown */
	char exe[WATCH_PATH_MAX];
	char unit[WATCH_UNIT_MAX];
	char user[AUDIT_USER_MAX];
	enum audit_exposure exposure;
	enum audit_fw_verdict fw;
	char service[48];
	unsigned warn; /* AUDIT_WARN_* */
	char warn_text[160];
	double gone_since; /* watcher: when the fast poll stopped seeing it; 0 while seen */
};

/* A set of listeners sorted by key; keys are unique. */
struct watch_snapshot {
	struct watch_listener *v;
	size_t n, cap;
};

void watch_snapshot_init(struct watch_snapshot *s);
void watch_snapshot_release(struct watch_snapshot *s);
/* Appends (unsorted); watch_snapshot_sort() then orders by key and merges duplicate keys. */
enum ps_err watch_snapshot_push(struct watch_snapshot *s, const struct watch_listener *l);
void watch_snapshot_sort(struct watch_snapshot *s);
/* The listener with l's key, or NULL. The snapshot must be sorted. */
const struct watch_listener *watch_snapshot_find(const struct watch_snapshot *s,
						 const struct watch_listener *key);
int watch_key_cmp(const struct watch_listener *a, const struct watch_listener *b);
/* Adds every socket of an audit report (taken in namespace netns, "" for ours). */
enum ps_err watch_snapshot_add_report(struct watch_snapshot *s, const char *netns,
				      const struct audit_report *r);

enum watch_event_kind {
	WATCH_EV_OPEN,	 /* a new listener */
	WATCH_EV_CLOSE,	 /* a listener went away */
	WATCH_EV_CHANGE, /* same address, another program holds it */
};

struct watch_event {
	enum watch_event_kind kind;
	struct watch_listener l;	     /* now (open, change) or last seen (close) */
	char was_program[WATCH_PROGRAM_MAX]; /* change: who held it before */
	char was_exe[WATCH_PATH_MAX];
	double time; /* seconds since the epoch */
};

struct watch_events {
	struct watch_event *v;
	size_t n, cap;
};

void watch_events_init(struct watch_events *e);
void watch_events_release(struct watch_events *e);
void watch_events_clear(struct watch_events *e);
enum ps_err watch_events_push(struct watch_events *e, const struct watch_event *ev);

/*
 * What changed from old to new (both sorted): keys only in new open, keys only in old close,
 * keys in both change when both programs are known and differ (comm or exe). A PID that
 * changed alone is nothing. Events come in key order, stamped with time.
 */
enum ps_err watch_diff(const struct watch_snapshot *old, const struct watch_snapshot *new,
		       double time, struct watch_events *out);

/* Another program holds the key: both owners known and their exe (else comm) differ. An
 * owner we could not see (another user's process, one that exited mid-audit) is no change. */
bool watch_owner_changed(const struct watch_listener *a, const struct watch_listener *b);
enum ps_err watch_event_add(struct watch_events *out, enum watch_event_kind kind,
			    const struct watch_listener *l, const struct watch_listener *was,
			    double time);

const char *watch_event_kind_name(enum watch_event_kind k); /* "open", "close", "change" */

/* One JSON object for the event, no newline; malloc'd, NULL when out of memory. */
char *watch_event_json(const struct watch_event *ev);

/* ---- baseline ----------------------------------------------------------------------------- */

/* Parses a baseline file's text into a sorted snapshot (enriched with what the file says). */
enum ps_err watch_baseline_parse(const char *text, size_t len, struct watch_snapshot *out,
				 struct ps_diag *diag);
enum ps_err watch_baseline_load(const char *path, struct watch_snapshot *out, struct ps_diag *diag);
/* Writes the snapshot to path atomically (a temporary file in the same directory, renamed). */
enum ps_err watch_baseline_save(const char *path, const struct watch_snapshot *s,
				struct ps_diag *diag);

/* ---- the watcher -------------------------------------------------------------------------- */

struct watch_opts {
	const char *const *netns; /* names under /run/netns; none = the current namespace */
	size_t nnetns;
	bool tcp, udp;
	bool firewall;	      /* judge the nftables ruleset on each audit */
	const struct kb *kb;  /* borrowed; NULL: no service names or trojan warnings */
	const char *proc_dir; /* NULL = /proc */
	/* A listener must stay gone this long before it is reported closed, so a restart that
	 * takes a moment is not a close and an open. 0 reports at once (--once). */
	double close_grace;
};

struct watcher;

void watch_opts_init(struct watch_opts *o);
/* With baseline (borrowed, copied) the first poll reports every deviation from it; without
 * one the first poll only learns the current state. */
enum ps_err watch_new(const struct watch_opts *o, const struct watch_snapshot *baseline,
		      struct watcher **out, struct ps_diag *diag);
void watch_free(struct watcher *w);
/* One tick at time now (seconds, monotonic or wall as long as it is consistent): appends the
 * events to out. */
enum ps_err watch_poll(struct watcher *w, double now, struct watch_events *out,
		       struct ps_diag *diag);
/* What the watcher believes is listening now (sorted; closes not yet reported included). */
const struct watch_snapshot *watch_state(const struct watcher *w);
/* How many full audits ran (the expensive part; the bench reports it). */
size_t watch_audits(const struct watcher *w);

/* ---- channels ----------------------------------------------------------------------------- */

struct watch_channel_opts {
	FILE *out;	    /* jsonl, table */
	const char *target; /* exec: shell command; webhook: URL; prom: file path */
	double timeout;	    /* webhook: seconds per attempt */
	unsigned retries;   /* webhook: attempts after the first */
	size_t queue_max;   /* webhook: events waiting at most (then the oldest is dropped) */
};

/* An alert channel: a const descriptor (zmap's output modules) and a per-run context. */
struct watch_channel {
	const char *name;
	enum ps_err (*open)(void **ctx, const struct watch_channel_opts *o, struct ps_diag *diag);
	/* json is watch_event_json(ev). Must not block the watch loop for long. */
	enum ps_err (*emit)(void *ctx, const struct watch_event *ev, const char *json,
			    struct ps_diag *diag);
	/* Called after every tick that changed something, with the state; may be NULL. */
	enum ps_err (*state)(void *ctx, const struct watch_snapshot *s, struct ps_diag *diag);
	/* One line on what went wrong over the run ("2 events not delivered"); may be NULL. */
	void (*summary)(void *ctx, char *buf, size_t len);
	void (*close)(void *ctx);
};

extern const struct watch_channel watch_chan_jsonl;   /* one JSON object per line on out */
extern const struct watch_channel watch_chan_table;   /* a terminal table on out */
extern const struct watch_channel watch_chan_syslog;  /* syslog (journald picks it up) */
extern const struct watch_channel watch_chan_exec;    /* sh -c target per event */
extern const struct watch_channel watch_chan_webhook; /* HTTP POST to target (libcurl) */
extern const struct watch_channel watch_chan_prom;    /* Prometheus textfile at target */

/* The Prometheus text exposition of a state (portsight_listening{...} 1 per listener). */
char *watch_prom_text(const struct watch_snapshot *s);

#endif
