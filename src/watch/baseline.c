/* SPDX-License-Identifier: MIT */
/*
 * The baseline file: what is expected to listen, as JSON.
 *   {"portsight_baseline": 1, "listeners": [
 *     {"netns": "", "proto": "tcp", "addr": "0.0.0.0", "port": 22, "program": "sshd",
 *      "exe": "/usr/sbin/sshd"}, ...]}
 * People edit it by hand, so the parser names the entry and field it refuses; the exposure is
 * recomputed from the address rather than trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watch.h"

static enum ps_err get_text(json_t *o, const char *key, size_t i, char *dst, size_t len,
			    bool required, struct ps_diag *diag)
{
	json_t *v = json_object_get(o, key);
	size_t n;

	if (!v || json_is_null(v)) {
		if (required)
			return ps_fail(diag, PS_ERR_INVALID, "listeners[%zu]: no \"%s\"", i, key);
		dst[0] = '\0';
		return PS_OK;
	}
	if (!json_is_string(v))
		return ps_fail(diag, PS_ERR_INVALID, "listeners[%zu].%s: not a string", i, key);
	n = json_string_length(v);
	if (n >= len || memchr(json_string_value(v), '\0', n))
		return ps_fail(diag, PS_ERR_INVALID,
			       "listeners[%zu].%s: longer than %zu bytes or "
			       "holds a NUL",
			       i, key, len - 1);
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	return PS_OK;
}

static enum ps_err parse_listener(json_t *o, size_t i, struct watch_listener *l,
				  struct ps_diag *diag)
{
	char proto[8], addr[PS_ADDR_STRLEN];
	json_t *port;
	enum ps_err err;

	memset(l, 0, sizeof(*l));
	if (!json_is_object(o))
		return ps_fail(diag, PS_ERR_INVALID, "listeners[%zu]: not an object", i);
	err = get_text(o, "proto", i, proto, sizeof(proto), true, diag);
	if (!err)
		err = get_text(o, "addr", i, addr, sizeof(addr), true, diag);
	if (!err)
		err = get_text(o, "netns", i, l->netns, sizeof(l->netns), false, diag);
	if (!err)
		err = get_text(o, "program", i, l->program, sizeof(l->program), false, diag);
	if (!err)
		err = get_text(o, "exe", i, l->exe, sizeof(l->exe), false, diag);
	if (!err)
		err = get_text(o, "unit", i, l->unit, sizeof(l->unit), false, diag);
	if (err)
		return err;
	if (!strcmp(proto, "tcp"))
		l->proto = IPPROTO_TCP;
	else if (!strcmp(proto, "udp"))
		l->proto = IPPROTO_UDP;
	else
		return ps_fail(diag, PS_ERR_INVALID, "listeners[%zu].proto: '%s' is not tcp or udp",
			       i, proto);
	if (ps_addr_parse(addr, &l->addr))
		return ps_fail(diag, PS_ERR_INVALID, "listeners[%zu].addr: '%s' is not an address",
			       i, addr);
	port = json_object_get(o, "port");
	if (!json_is_integer(port) || json_integer_value(port) < 1 ||
	    json_integer_value(port) > 65535)
		return ps_fail(diag, PS_ERR_INVALID, "listeners[%zu].port: not a number 1-65535",
			       i);
	if (strchr(l->netns, '/'))
		return ps_fail(diag, PS_ERR_INVALID, "listeners[%zu].netns: '%s' holds a '/'", i,
			       l->netns);
	l->port = (uint16_t)json_integer_value(port);
	l->exposure = audit_classify(&l->addr);
	l->fw = AUDIT_FW_NA;
	l->enriched = true;
	l->nsockets = 1;
	return PS_OK;
}

enum ps_err watch_baseline_parse(const char *text, size_t len, struct watch_snapshot *out,
				 struct ps_diag *diag)
{
	json_error_t jerr;
	json_t *root, *list, *version;
	enum ps_err err = PS_OK;
	size_t i;

	watch_snapshot_init(out);
	if (len > WATCH_BASELINE_MAX_BYTES)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "larger than %zu bytes",
			       WATCH_BASELINE_MAX_BYTES);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ps_fail(diag, PS_ERR_INVALID, "not JSON: %s (line %d)", jerr.text,
			       jerr.line);
	version = json_object_get(root, "portsight_baseline");
	list = json_object_get(root, "listeners");
	if (!json_is_object(root) || !json_is_integer(version)) {
		err = ps_fail(diag, PS_ERR_INVALID,
			      "not a portsight baseline "
			      "(no \"portsight_baseline\" version)");
		goto out;
	}
	if (json_integer_value(version) != 1) {
		err = ps_fail(diag, PS_ERR_UNSUPPORTED,
			      "baseline version %lld (this portsight "
			      "reads version 1)",
			      (long long)json_integer_value(version));
		goto out;
	}
	if (!json_is_array(list)) {
		err = ps_fail(diag, PS_ERR_INVALID, "\"listeners\" is not an array");
		goto out;
	}
	if (json_array_size(list) > WATCH_BASELINE_MAX_LISTENERS) {
		err = ps_fail(diag, PS_ERR_TOO_LARGE, "more than %zu listeners",
			      WATCH_BASELINE_MAX_LISTENERS);
		goto out;
	}
	for (i = 0; i < json_array_size(list); i++) {
		struct watch_listener l;

		err = parse_listener(json_array_get(list, i), i, &l, diag);
		if (!err)
			err = watch_snapshot_push(out, &l);
		if (err)
			goto out;
	}
	watch_snapshot_sort(out);
out:
	json_decref(root);
	if (err)
		watch_snapshot_release(out);
	return err;
}

enum ps_err watch_baseline_load(const char *path, struct watch_snapshot *out, struct ps_diag *diag)
{
	struct ps_diag inner = {{0}};
	char *text = NULL;
	size_t len = 0, cap = 0;
	enum ps_err err = PS_OK;
	FILE *f;

	watch_snapshot_init(out);
	f = fopen(path, "re");
	if (!f)
		return ps_fail(diag, errno == ENOENT ? PS_ERR_NOT_FOUND : PS_ERR_IO,
			       "baseline %s: %s", path, strerror(errno));
	for (;;) {
		size_t n;

		if (len == cap) {
			char *grown;

			if (cap >= WATCH_BASELINE_MAX_BYTES) {
				err = ps_fail(diag, PS_ERR_TOO_LARGE,
					      "baseline %s: larger than "
					      "%zu bytes",
					      path, WATCH_BASELINE_MAX_BYTES);
				goto out;
			}
			cap = cap ? cap * 2 : 16384;
			grown = realloc(text, cap + 1);
			if (!grown) {
				err = PS_ERR_NOMEM;
				goto out;
			}
			text = grown;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		err = ps_fail(diag, PS_ERR_IO, "baseline %s: read error", path);
		goto out;
	}
	err = watch_baseline_parse(text ? text : "", len, out, &inner);
	if (err)
		ps_fail(diag, err, "baseline %s: %s", path, ps_diag_text(&inner, err));
out:
	fclose(f);
	free(text);
	return err;
}

static json_t *listener_json(const struct watch_listener *l)
{
	char addr[PS_ADDR_STRLEN];
	json_t *o = json_object();

	if (!o)
		return NULL;
	if (json_object_set_new(o, "netns", json_string(l->netns)) ||
	    json_object_set_new(o, "proto", json_string(audit_proto_name(l->proto))) ||
	    json_object_set_new(o, "addr",
				json_string(ps_addr_format(&l->addr, addr, sizeof(addr)))) ||
	    json_object_set_new(o, "port", json_integer(l->port))) {
		json_decref(o);
		return NULL;
	}
	/* A name that is not UTF-8 is left out: the entry still matches by address. */
	if (l->program[0])
		json_object_set_new(o, "program", json_string(l->program));
	if (l->exe[0])
		json_object_set_new(o, "exe", json_string(l->exe));
	if (l->unit[0])
		json_object_set_new(o, "unit", json_string(l->unit));
	return o;
}

enum ps_err watch_baseline_save(const char *path, const struct watch_snapshot *s,
				struct ps_diag *diag)
{
	json_t *root = json_object(), *list = json_array();
	enum ps_err err = PS_OK;
	char *tmp = NULL;
	size_t i;
	int fd = -1, rc;

	if (!root || !list || json_object_set_new(root, "portsight_baseline", json_integer(1)) ||
	    json_object_set(root, "listeners", list)) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < s->n; i++) {
		json_t *o = listener_json(&s->v[i]);

		if (!o || json_array_append_new(list, o)) {
			err = PS_ERR_NOMEM;
			goto out;
		}
	}
	if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0) {
		tmp = NULL;
		err = PS_ERR_NOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = ps_fail(diag, PS_ERR_IO, "baseline %s: %s", path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (json_dumpfd(root, fd, JSON_INDENT(1) | JSON_PRESERVE_ORDER) ||
	    write(fd, "\n", 1) != 1 || fsync(fd)) {
		err = ps_fail(diag, PS_ERR_IO, "baseline %s: write failed: %s", path,
			      strerror(errno));
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc) {
		err = ps_fail(diag, PS_ERR_IO, "baseline %s: %s", path, strerror(errno));
		goto out;
	}
	if (rename(tmp, path)) {
		err = ps_fail(diag, PS_ERR_IO, "baseline %s: %s", path, strerror(errno));
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
	json_decref(list);
	json_decref(root);
	return err;
}
