/* SPDX-License-Identifier: MIT */
/* Listener snapshots keyed by address, not PID; the diff that turns two of them into events. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "watch.h"

void watch_snapshot_init(struct watch_snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

void watch_snapshot_release(struct watch_snapshot *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

enum ps_err watch_snapshot_push(struct watch_snapshot *s, const struct watch_listener *l)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct watch_listener *v = reallocarray(s->v, cap, sizeof(*v));

		if (!v)
			return PS_ERR_NOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *l;
	return PS_OK;
}

int watch_key_cmp(const struct watch_listener *a, const struct watch_listener *b)
{
	int c = strcmp(a->netns, b->netns);

	if (c)
		return c;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return ps_addr_cmp(&a->addr, &b->addr);
}

static int cmp_listener(const void *a, const void *b)
{
	return watch_key_cmp(a, b);
}

/* Sockets sharing a key (SO_REUSEPORT, or one per worker) are one listener: their inodes are
 * summed into the signature, the first enriched owner stands for all. */
static void merge_into(struct watch_listener *dst, const struct watch_listener *src)
{
	uint64_t sig = dst->sig + src->sig;
	size_t n = dst->nsockets + src->nsockets;

	if (src->enriched && (!dst->enriched || (!dst->pid && src->pid)))
		*dst = *src;
	dst->sig = sig;
	dst->nsockets = n;
}

void watch_snapshot_sort(struct watch_snapshot *s)
{
	size_t i, out = 0;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_listener);
	for (i = 1; i < s->n; i++) {
		if (!watch_key_cmp(&s->v[out], &s->v[i]))
			merge_into(&s->v[out], &s->v[i]);
		else
			s->v[++out] = s->v[i];
	}
	s->n = out + 1;
}

const struct watch_listener *watch_snapshot_find(const struct watch_snapshot *s,
						 const struct watch_listener *key)
{
	if (!s->n)
		return NULL;
	return bsearch(key, s->v, s->n, sizeof(*s->v), cmp_listener);
}

static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = src ? strnlen(src, len - 1) : 0;

	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

enum ps_err watch_snapshot_add_report(struct watch_snapshot *s, const char *netns,
				      const struct audit_report *r)
{
	size_t i;

	for (i = 0; i < r->nsocks; i++) {
		const struct audit_socket *so = &r->socks[i];
		struct watch_listener l;
		enum ps_err err;

		memset(&l, 0, sizeof(l));
		copy_str(l.netns, sizeof(l.netns), netns);
		l.proto = so->proto;
		l.addr = so->addr;
		l.port = so->port;
		l.sig = so->inode;
		l.nsockets = 1;
		l.enriched = true;
		l.uid = so->uid;
		copy_str(l.user, sizeof(l.user), so->user);
		l.exposure = so->exposure;
		l.fw = so->fw;
		copy_str(l.service, sizeof(l.service), so->service);
		l.warn = so->warn;
		copy_str(l.warn_text, sizeof(l.warn_text), so->warn_text);
		if (so->nprocs) {
			const struct audit_proc *p = &r->procs[so->procs[0]];

			l.pid = p->pid;
			copy_str(l.program, sizeof(l.program), p->comm);
			copy_str(l.exe, sizeof(l.exe), p->exe);
			copy_str(l.unit, sizeof(l.unit), p->unit);
		}
		err = watch_snapshot_push(s, &l);
		if (err)
			return err;
	}
	return PS_OK;
}

/* ---- events ------------------------------------------------------------------------------- */

void watch_events_init(struct watch_events *e)
{
	memset(e, 0, sizeof(*e));
}

void watch_events_release(struct watch_events *e)
{
	free(e->v);
	memset(e, 0, sizeof(*e));
}

void watch_events_clear(struct watch_events *e)
{
	e->n = 0;
}

enum ps_err watch_events_push(struct watch_events *e, const struct watch_event *ev)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct watch_event *v = reallocarray(e->v, cap, sizeof(*v));

		if (!v)
			return PS_ERR_NOMEM;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = *ev;
	return PS_OK;
}

const char *watch_event_kind_name(enum watch_event_kind k)
{
	switch (k) {
	case WATCH_EV_OPEN:
		return "open";
	case WATCH_EV_CLOSE:
		return "close";
	case WATCH_EV_CHANGE:
		return "change";
	}
	return "?";
}

/* Programs differ only when both are known: an owner we could not see (another user's
 * process, one that exited mid-audit) is not a takeover. The exe decides when both have one,
 * so a program renamed by prctl is not a change either. */
bool watch_owner_changed(const struct watch_listener *a, const struct watch_listener *b)
{
	if (!a->enriched || !b->enriched || !a->program[0] || !b->program[0])
		return false;
	if (a->exe[0] && b->exe[0])
		return strcmp(a->exe, b->exe) != 0;
	return strcmp(a->program, b->program) != 0;
}

enum ps_err watch_event_add(struct watch_events *out, enum watch_event_kind kind,
			    const struct watch_listener *l, const struct watch_listener *was,
			    double time)
{
	struct watch_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.l = *l;
	ev.l.gone_since = 0;
	ev.time = time;
	if (was) {
		copy_str(ev.was_program, sizeof(ev.was_program), was->program);
		copy_str(ev.was_exe, sizeof(ev.was_exe), was->exe);
	}
	return watch_events_push(out, &ev);
}

enum ps_err watch_diff(const struct watch_snapshot *old, const struct watch_snapshot *new,
		       double time, struct watch_events *out)
{
	size_t i = 0, j = 0;
	enum ps_err err = PS_OK;

	while (!err && (i < old->n || j < new->n)) {
		int c = i == old->n ? 1 : j == new->n ? -1 : watch_key_cmp(&old->v[i], &new->v[j]);

		if (c < 0) {
			err = watch_event_add(out, WATCH_EV_CLOSE, &old->v[i], NULL, time);
			i++;
		} else if (c > 0) {
			err = watch_event_add(out, WATCH_EV_OPEN, &new->v[j], NULL, time);
			j++;
		} else {
			if (watch_owner_changed(&old->v[i], &new->v[j]))
				err = watch_event_add(out, WATCH_EV_CHANGE, &new->v[j], &old->v[i],
						      time);
			i++;
			j++;
		}
	}
	return err;
}
