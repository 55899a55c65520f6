/* SPDX-License-Identifier: MIT */
/*
 * The watch loop's state. Every tick dumps the listening sockets of each namespace through
 * sock_diag only (a few kernel messages, no /proc walk, no nft): that is what keeps watch under
 * 1% of a core with 5000 listeners. The full audit — owners through /proc, the firewall
 * verdict, the knowledge base — runs only on a tick whose dump shows a new key or a socket that
 * was replaced (its inode changed), which is where an event can come from.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/sockdiag.h"
#include "watch.h"

struct watch_ns {
	char name[WATCH_NETNS_MAX]; /* "" = the namespace we run in */
	int fd;			    /* /run/netns/NAME, -1 for ours */
};

/* What one socket of a dump is, in the kernel's order: ticks compare these before anything
 * else, since a quiet machine dumps the same sockets in the same order every time. */
struct raw_key {
	uint64_t inode;
	struct ps_addr addr;
	uint16_t port;
	uint8_t proto;
	uint32_t ns; /* index into watcher.ns */
};

struct raw_keys {
	struct raw_key *v;
	size_t n, cap;
};

struct watcher {
	struct watch_opts opts;
	struct watch_ns *ns;
	size_t nns;
	int self_fd; /* our own namespace, to come back to */
	struct watch_snapshot reported;
	bool primed; /* the first poll without a baseline only learns */
	size_t audits;
	size_t npending; /* reported listeners gone but not yet closed */
	struct audit_diag_dump dump;
	struct raw_keys raw, prev_raw;
};

void watch_opts_init(struct watch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tcp = true;
	o->udp = true;
	o->firewall = true;
	o->close_grace = 2.0;
}

static enum ps_err open_ns(struct watch_ns *ns, const char *name, struct ps_diag *diag)
{
	char path[WATCH_NETNS_MAX + 16];

	if (!*name || strlen(name) >= WATCH_NETNS_MAX || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return ps_fail(diag, PS_ERR_INVALID, "invalid network namespace name '%s'", name);
	snprintf(ns->name, sizeof(ns->name), "%s", name);
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0)
		return ps_fail(diag, errno == ENOENT ? PS_ERR_NOT_FOUND : PS_ERR_PERMISSION,
			       "network namespace '%s': %s", name, strerror(errno));
	return PS_OK;
}

enum ps_err watch_new(const struct watch_opts *o, const struct watch_snapshot *baseline,
		      struct watcher **out, struct ps_diag *diag)
{
	struct watcher *w = calloc(1, sizeof(*w));
	enum ps_err err = PS_OK;
	size_t i;

	*out = NULL;
	if (!w)
		return PS_ERR_NOMEM;
	w->opts = *o;
	w->self_fd = -1;
	audit_diag_dump_init(&w->dump, AUDIT_DIAG_MAX_ENTRIES);
	watch_snapshot_init(&w->reported);
	w->nns = o->nnetns ? o->nnetns : 1;
	w->ns = calloc(w->nns, sizeof(*w->ns));
	if (!w->ns) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < w->nns; i++)
		w->ns[i].fd = -1;
	for (i = 0; i < o->nnetns; i++) {
		err = open_ns(&w->ns[i], o->netns[i], diag);
		if (err)
			goto out;
	}
	if (o->nnetns) {
		w->self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (w->self_fd < 0) {
			err = ps_fail(diag, PS_ERR_SYSTEM, "cannot keep our own namespace: %s",
				      strerror(errno));
			goto out;
		}
	}
	if (baseline) {
		for (i = 0; i < baseline->n && !err; i++)
			err = watch_snapshot_push(&w->reported, &baseline->v[i]);
		if (err)
			goto out;
		for (i = 0; i < w->reported.n; i++) {
			w->reported.v[i].sig = 0; /* a file knows no inodes: compare owners once */
			w->reported.v[i].gone_since = 0;
		}
		watch_snapshot_sort(&w->reported);
		w->primed = true;
	}
	*out = w;
	w = NULL;
out:
	watch_free(w);
	return err;
}

void watch_free(struct watcher *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; w->ns && i < w->nns; i++)
		if (w->ns[i].fd >= 0)
			close(w->ns[i].fd);
	if (w->self_fd >= 0)
		close(w->self_fd);
	free(w->ns);
	watch_snapshot_release(&w->reported);
	audit_diag_dump_release(&w->dump);
	free(w->raw.v);
	free(w->prev_raw.v);
	free(w);
}

const struct watch_snapshot *watch_state(const struct watcher *w)
{
	return &w->reported;
}

size_t watch_audits(const struct watcher *w)
{
	return w->audits;
}

/* ---- the cheap poll ----------------------------------------------------------------------- */

static enum ps_err raw_push(struct raw_keys *r, const struct audit_diag_entry *e, uint32_t ns)
{
	struct raw_key *k;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct raw_key *v = reallocarray(r->v, cap, sizeof(*v));

		if (!v)
			return PS_ERR_NOMEM;
		r->v = v;
		r->cap = cap;
	}
	k = &r->v[r->n++];
	memset(k, 0, sizeof(*k));
	k->inode = e->inode;
	k->addr = e->addr;
	k->port = e->port;
	k->proto = e->proto;
	k->ns = ns;
	return PS_OK;
}

static enum ps_err dump_ns(struct watcher *w, uint32_t ns, struct ps_diag *diag)
{
	static const uint8_t families[2] = {AF_INET, AF_INET6};
	struct audit_diag_dump *d = &w->dump;
	enum ps_err err = PS_OK;
	size_t i, k;

	d->n = 0;
	for (i = 0; i < 4 && !err; i++) {
		uint8_t proto = i < 2 ? IPPROTO_TCP : IPPROTO_UDP;

		if ((proto == IPPROTO_TCP && !w->opts.tcp) ||
		    (proto == IPPROTO_UDP && !w->opts.udp))
			continue;
		d->error = 0;
		err = audit_diag_collect(families[i % 2], proto,
					 1u << (proto == IPPROTO_TCP ? TCP_LISTEN : TCP_CLOSE), d,
					 diag);
		/* udp_diag may be a missing module: TCP alone is still worth watching. */
		if (!err && d->error && proto == IPPROTO_TCP)
			err = ps_fail(diag, PS_ERR_UNSUPPORTED, "sock_diag for TCP: %s",
				      strerror(d->error));
	}
	for (k = 0; k < d->n && !err; k++)
		err = raw_push(&w->raw, &d->v[k], ns);
	return err;
}

/* The keys of a dump as a sorted snapshot (sockets sharing a key merged). */
static enum ps_err raw_snapshot(const struct watcher *w, struct watch_snapshot *cur)
{
	enum ps_err err = PS_OK;
	size_t k;

	for (k = 0; k < w->raw.n && !err; k++) {
		const struct raw_key *r = &w->raw.v[k];
		struct watch_listener l;

		memset(&l, 0, sizeof(l));
		snprintf(l.netns, sizeof(l.netns), "%s", w->ns[r->ns].name);
		l.proto = r->proto;
		l.addr = r->addr;
		l.port = r->port;
		l.sig = r->inode;
		l.nsockets = 1;
		err = watch_snapshot_push(cur, &l);
	}
	if (!err)
		watch_snapshot_sort(cur);
	return err;
}

static bool raw_unchanged(const struct watcher *w)
{
	const struct raw_keys *a = &w->raw, *b = &w->prev_raw;
	size_t k;

	if (a->n != b->n)
		return false;
	for (k = 0; k < a->n; k++) {
		const struct raw_key *x = &a->v[k], *y = &b->v[k];

		if (x->inode != y->inode || x->port != y->port || x->proto != y->proto ||
		    x->ns != y->ns || ps_addr_cmp(&x->addr, &y->addr))
			return false;
	}
	return true;
}

/* fd -1 is the namespace we are in: nothing to enter. */
static enum ps_err enter(int fd, struct ps_diag *diag)
{
	if (fd >= 0 && setns(fd, CLONE_NEWNET))
		return ps_fail(diag, errno == EPERM ? PS_ERR_PERMISSION : PS_ERR_SYSTEM,
			       "entering a network namespace: %s", strerror(errno));
	return PS_OK;
}

static enum ps_err fast_poll(struct watcher *w, struct ps_diag *diag)
{
	struct raw_keys swap = w->prev_raw;
	enum ps_err err = PS_OK;
	size_t i;

	w->prev_raw = w->raw;
	w->raw = swap;
	w->raw.n = 0;
	for (i = 0; i < w->nns && !err; i++) {
		err = enter(w->ns[i].fd, diag);
		if (err)
			break;
		err = dump_ns(w, (uint32_t)i, diag);
		/* Back home whatever happened: the next namespace, or the caller, expects it. */
		if (w->ns[i].fd >= 0 && setns(w->self_fd, CLONE_NEWNET) && !err)
			err = ps_fail(diag, PS_ERR_SYSTEM, "returning to our network namespace: %s",
				      strerror(errno));
	}
	return err;
}

/* ---- the full audit ----------------------------------------------------------------------- */

static enum ps_err full_audit(struct watcher *w, struct watch_snapshot *out, struct ps_diag *diag)
{
	enum ps_err err = PS_OK;
	size_t i;

	for (i = 0; i < w->nns && !err; i++) {
		struct audit_report r;
		struct audit_opts ao;

		audit_opts_init(&ao);
		ao.netns = w->ns[i].fd >= 0 ? w->ns[i].name : NULL;
		ao.proc_dir = w->opts.proc_dir;
		ao.firewall = w->opts.firewall;
		ao.tcp = w->opts.tcp;
		ao.udp = w->opts.udp;
		ao.kb = w->opts.kb;
		err = audit_run(&ao, &r, diag);
		if (err)
			break;
		err = watch_snapshot_add_report(out, w->ns[i].name, &r);
		audit_report_release(&r);
	}
	w->audits++;
	if (!err)
		watch_snapshot_sort(out);
	return err;
}

/* True when the tick has something only the full audit can tell: a key never seen, or a
 * socket replaced on a known key (restart or takeover). */
static bool needs_audit(const struct watch_snapshot *reported, const struct watch_snapshot *cur)
{
	size_t i;

	for (i = 0; i < cur->n; i++) {
		const struct watch_listener *r = watch_snapshot_find(reported, &cur->v[i]);

		if (!r || r->sig != cur->v[i].sig)
			return true;
	}
	return false;
}

/* The listener to report for key k of the fast poll: the audit's view of it if the audit saw
 * it, else what the poll alone knows (a socket that closed between the two). */
static struct watch_listener enriched_or_key(const struct watch_snapshot *full,
					     const struct watch_listener *k)
{
	const struct watch_listener *e = full ? watch_snapshot_find(full, k) : NULL;
	struct watch_listener l = e ? *e : *k;

	if (!e)
		l.exposure = audit_classify(&k->addr);
	l.sig = k->sig;
	l.nsockets = k->nsockets;
	l.gone_since = 0;
	return l;
}

/* Merges the fast poll into the reported state, emitting events. */
static enum ps_err merge(struct watcher *w, const struct watch_snapshot *cur,
			 const struct watch_snapshot *full, double now, double wall,
			 struct watch_events *out, struct watch_snapshot *next)
{
	const struct watch_snapshot *rep = &w->reported;
	enum ps_err err = PS_OK;
	size_t i = 0, j = 0;

	while (!err && (i < rep->n || j < cur->n)) {
		int c = i == rep->n ? 1 : j == cur->n ? -1 : watch_key_cmp(&rep->v[i], &cur->v[j]);
		struct watch_listener l;

		if (c < 0) { /* reported, not seen now */
			l = rep->v[i++];
			if (!l.gone_since)
				l.gone_since = now;
			if (now - l.gone_since >= w->opts.close_grace)
				err = watch_event_add(out, WATCH_EV_CLOSE, &l, NULL, wall);
			else
				err = watch_snapshot_push(next, &l);
		} else if (c > 0) { /* new */
			l = enriched_or_key(full, &cur->v[j++]);
			err = watch_event_add(out, WATCH_EV_OPEN, &l, NULL, wall);
			if (!err)
				err = watch_snapshot_push(next, &l);
		} else if (rep->v[i].sig != cur->v[j].sig && full) { /* replaced */
			l = enriched_or_key(full, &cur->v[j]);
			if (!l.enriched || !l.program[0]) {
				/* The audit could not see the new owner: keep the last known. */
				struct watch_listener keep = rep->v[i];

				keep.sig = l.sig;
				keep.nsockets = l.nsockets;
				keep.gone_since = 0;
				l = keep;
			} else if (watch_owner_changed(&rep->v[i], &l)) {
				err = watch_event_add(out, WATCH_EV_CHANGE, &l, &rep->v[i], wall);
			}
			if (!err)
				err = watch_snapshot_push(next, &l);
			i++;
			j++;
		} else { /* still there (or back within the grace period) */
			l = rep->v[i++];
			l.gone_since = 0;
			l.nsockets = cur->v[j++].nsockets;
			err = watch_snapshot_push(next, &l);
		}
	}
	return err;
}

enum ps_err watch_poll(struct watcher *w, double now, struct watch_events *out,
		       struct ps_diag *diag)
{
	struct watch_snapshot cur, full, next;
	struct timespec ts;
	bool audited = false;
	enum ps_err err;
	double wall;
	size_t i;

	watch_snapshot_init(&cur);
	watch_snapshot_init(&full);
	watch_snapshot_init(&next);
	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	err = fast_poll(w, diag);
	if (err)
		goto out;
	/* The common tick: the same sockets in the same order as last time, nothing waiting
	 * to be closed. Nothing to diff, nothing to audit. */
	if (w->primed && w->audits && !w->npending && raw_unchanged(w))
		goto out;
	err = raw_snapshot(w, &cur);
	if (err)
		goto out;
	if (!w->primed || needs_audit(&w->reported, &cur)) {
		err = full_audit(w, &full, diag);
		if (err)
			goto out;
		audited = true;
	}
	if (!w->primed) {
		/* The first look without a baseline: what listens now is what is expected. */
		for (i = 0; i < cur.n && !err; i++) {
			struct watch_listener l = enriched_or_key(&full, &cur.v[i]);

			err = watch_snapshot_push(&next, &l);
		}
		w->primed = true;
	} else {
		err = merge(w, &cur, audited ? &full : NULL, now, wall, out, &next);
	}
	if (err)
		goto out;
	watch_snapshot_release(&w->reported);
	w->reported = next;
	watch_snapshot_init(&next);
	w->npending = 0;
	for (i = 0; i < w->reported.n; i++)
		w->npending += w->reported.v[i].gone_since != 0;
out:
	watch_snapshot_release(&next);
	watch_snapshot_release(&full);
	watch_snapshot_release(&cur);
	return err;
}
