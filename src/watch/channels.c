/* SPDX-License-Identifier: MIT */
/* The simple channels: JSON Lines, a terminal table, syslog, a Prometheus textfile. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/dynbuf.h"
#include "core/textclean.h"
#include "watch.h"

/* ---- JSON Lines --------------------------------------------------------------------------- */

static enum ps_err stream_open(void **ctx, const struct watch_channel_opts *o, struct ps_diag *diag)
{
	if (!o->out)
		return ps_fail(diag, PS_ERR_INVALID, "no output stream");
	*ctx = o->out;
	return PS_OK;
}

/* A tail -f or a pipe to jq must see each event as it happens, not when a buffer fills. */
static enum ps_err stream_flush(FILE *out, struct ps_diag *diag)
{
	if (fflush(out) || ferror(out))
		return ps_fail(diag, PS_ERR_IO, "writing events: %s", strerror(errno));
	return PS_OK;
}

static enum ps_err jsonl_emit(void *ctx, const struct watch_event *ev, const char *json,
			      struct ps_diag *diag)
{
	FILE *out = ctx;

	(void)ev;
	fputs(json, out);
	fputc('\n', out);
	return stream_flush(out, diag);
}

static void stream_close(void *ctx)
{
	fflush(ctx);
}

const struct watch_channel watch_chan_jsonl = {
    .name = "jsonl",
    .open = stream_open,
    .emit = jsonl_emit,
    .close = stream_close,
};

/* ---- terminal table ----------------------------------------------------------------------- */

static enum ps_err table_open(void **ctx, const struct watch_channel_opts *o, struct ps_diag *diag)
{
	enum ps_err err = stream_open(ctx, o, diag);

	if (err)
		return err;
	fprintf(o->out, "%-8s %-6s %-5s %-26s %-8s %-7s %7s  %-16s %s\n", "TIME", "EVENT", "PROTO",
		"ADDRESS", "EXPOSURE", "FW", "PID", "PROGRAM", "NOTE");
	return stream_flush(o->out, diag);
}

static enum ps_err table_emit(void *ctx, const struct watch_event *ev, const char *json,
			      struct ps_diag *diag)
{
	const struct watch_listener *l = &ev->l;
	char addr[PS_ADDR_STRLEN], where[PS_ADDR_STRLEN + 16], when[16], prog[WATCH_PROGRAM_MAX];
	char note[WATCH_PROGRAM_MAX + WATCH_NETNS_MAX + sizeof(ev->l.warn_text) + 16];
	char clean[sizeof(note)], pid[16];
	time_t sec = (time_t)ev->time;
	struct tm tm;
	FILE *out = ctx;

	(void)json;
	localtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	ps_addr_format(&l->addr, addr, sizeof(addr));
	snprintf(where, sizeof(where), l->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr,
		 l->port);
	text_clean(prog, sizeof(prog), l->program[0] ? l->program : "?");
	snprintf(pid, sizeof(pid), l->pid ? "%d" : "-", (int)l->pid);
	if (ev->kind == WATCH_EV_CHANGE)
		snprintf(note, sizeof(note), "was %s%s%s", ev->was_program,
			 l->warn_text[0] ? "; " : "", l->warn_text);
	else
		snprintf(note, sizeof(note), "%s%s%s%s", l->netns[0] ? "netns " : "", l->netns,
			 l->netns[0] && l->warn_text[0] ? "; " : "", l->warn_text);
	text_clean(clean, sizeof(clean), note);
	fprintf(out, "%-8s %-6s %-5s %-26s %-8s %-7s %7s  %-16s %s\n", when,
		watch_event_kind_name(ev->kind), audit_proto_name(l->proto), where,
		audit_exposure_name(l->exposure), audit_fw_verdict_name(l->fw), pid, prog, clean);
	return stream_flush(out, diag);
}

const struct watch_channel watch_chan_table = {
    .name = "table",
    .open = table_open,
    .emit = table_emit,
    .close = stream_close,
};

/* ---- syslog ------------------------------------------------------------------------------- */

static enum ps_err syslog_open(void **ctx, const struct watch_channel_opts *o, struct ps_diag *diag)
{
	(void)o;
	(void)diag;
	openlog("portsight", LOG_PID, LOG_DAEMON);
	*ctx = NULL;
	return PS_OK;
}

static enum ps_err syslog_emit(void *ctx, const struct watch_event *ev, const char *json,
			       struct ps_diag *diag)
{
	const struct watch_listener *l = &ev->l;
	char addr[PS_ADDR_STRLEN], prog[WATCH_PROGRAM_MAX], warn[160];

	(void)ctx;
	(void)diag;
	ps_addr_format(&l->addr, addr, sizeof(addr));
	text_clean(prog, sizeof(prog), l->program[0] ? l->program : "?");
	text_clean(warn, sizeof(warn), l->warn_text);
	/* The words for a person first; the JSON after them for whoever parses the journal. */
	syslog(ev->kind == WATCH_EV_CLOSE ? LOG_NOTICE : LOG_WARNING,
	       "%s %s/%u on %s by %s (pid %d), exposure %s, firewall %s%s%s %s",
	       watch_event_kind_name(ev->kind), audit_proto_name(l->proto), l->port, addr, prog,
	       (int)l->pid, audit_exposure_name(l->exposure), audit_fw_verdict_name(l->fw),
	       warn[0] ? ": " : "", warn, json);
	return PS_OK;
}

static void syslog_close(void *ctx)
{
	(void)ctx;
	closelog();
}

const struct watch_channel watch_chan_syslog = {
    .name = "syslog",
    .open = syslog_open,
    .emit = syslog_emit,
    .close = syslog_close,
};

/* ---- Prometheus textfile ------------------------------------------------------------------ */

/* Label values escape backslash, quote and newline (exposition format); the rest must be
 * UTF-8, which text_clean guarantees. */
static enum ps_err put_label(struct dynbuf *b, const char *name, const char *value, bool comma)
{
	char clean[WATCH_PATH_MAX];
	const char *p;
	enum ps_err rc;

	text_clean(clean, sizeof(clean), value);
	rc = dynbuf_addf(b, "%s%s=\"", comma ? "," : "", name);
	for (p = clean; *p && !rc; p++) {
		if (*p == '\\' || *p == '"')
			rc = dynbuf_addf(b, "\\%c", *p);
		else
			rc = dynbuf_add(b, p, 1);
	}
	return rc ? rc : dynbuf_add(b, "\"", 1);
}

char *watch_prom_text(const struct watch_snapshot *s)
{
	struct dynbuf b;
	enum ps_err rc;
	size_t i;

	dynbuf_init(&b, (size_t)256 * 1024 * 1024);
	rc = dynbuf_addf(&b, "# HELP portsight_listening A socket listening on this machine, "
			     "as portsight watch sees it.\n# TYPE portsight_listening gauge\n");
	for (i = 0; i < s->n && !rc; i++) {
		const struct watch_listener *l = &s->v[i];
		char addr[PS_ADDR_STRLEN], port[8];

		if (l->gone_since)
			continue; /* gone, its close not yet reported: not listening */
		snprintf(port, sizeof(port), "%u", l->port);
		rc = dynbuf_add(&b, "portsight_listening{", 20);
		rc = rc ? rc : put_label(&b, "netns", l->netns, false);
		rc = rc ? rc : put_label(&b, "proto", audit_proto_name(l->proto), true);
		rc = rc ? rc
			: put_label(&b, "addr", ps_addr_format(&l->addr, addr, sizeof(addr)), true);
		rc = rc ? rc : put_label(&b, "port", port, true);
		rc = rc ? rc : put_label(&b, "program", l->program, true);
		rc = rc ? rc : put_label(&b, "exposure", audit_exposure_name(l->exposure), true);
		rc = rc ? rc : put_label(&b, "firewall", audit_fw_verdict_name(l->fw), true);
		rc = rc ? rc : dynbuf_addf(&b, "} 1\n");
	}
	if (rc || !b.data) {
		dynbuf_release(&b);
		return NULL;
	}
	return b.data; /* handed over: the caller frees it */
}

static enum ps_err prom_open(void **ctx, const struct watch_channel_opts *o, struct ps_diag *diag)
{
	if (!o->target || !o->target[0])
		return ps_fail(diag, PS_ERR_INVALID, "--prom needs a file name");
	*ctx = (void *)o->target;
	return PS_OK;
}

static enum ps_err prom_emit(void *ctx, const struct watch_event *ev, const char *json,
			     struct ps_diag *diag)
{
	(void)ctx;
	(void)ev;
	(void)json;
	(void)diag;
	return PS_OK;
}

/* node_exporter may read the file at any moment: it must see the old one or the new one,
 * never half of one, so write beside it and rename over it. */
static enum ps_err prom_state(void *ctx, const struct watch_snapshot *s, struct ps_diag *diag)
{
	const char *path = ctx;
	char *text = watch_prom_text(s), *tmp = NULL;
	enum ps_err err = PS_OK;
	size_t len;
	int fd = -1;

	if (!text)
		return PS_ERR_NOMEM;
	len = strlen(text);
	if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0) {
		tmp = NULL;
		err = PS_ERR_NOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = ps_fail(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0644) || write(fd, text, len) != (ssize_t)len) {
		err = ps_fail(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		err = ps_fail(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		err = ps_fail(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(text);
	return err;
}

static void prom_close(void *ctx)
{
	(void)ctx;
}

const struct watch_channel watch_chan_prom = {
    .name = "prom",
    .open = prom_open,
    .emit = prom_emit,
    .state = prom_state,
    .close = prom_close,
};
