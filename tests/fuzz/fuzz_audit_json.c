/* SPDX-License-Identifier: MIT */
/*
 * `portsight local --format jsonl` on processes that hold anything: the input, split at NUL
 * bytes, gives a process name, cmdline, exe, unit, user, device and warning text. Every record
 * must still be made (jansson refuses invalid UTF-8, so audit_json cleans first), parse back,
 * and carry each string as core/textclean's TEXT_UTF8 form of it.
 */
#include <jansson.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_json.h"
#include "core/textclean.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { F_COMM, F_CMDLINE, F_EXE, F_UNIT, F_USER, F_DEVICE, F_WARN, F_COUNT };

static void expect_text(json_t *obj, const char *key, const char *raw)
{
	char *want = text_clean_dup(raw, TEXT_UTF8);
	const char *got = json_string_value(json_object_get(obj, key));

	if (!want)
		return;
	if (!got || strcmp(got, want))
		abort();
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + F_COUNT), *field[F_COUNT];
	struct audit_proc proc = {.pid = 1};
	size_t owner = 0, i, k = 0;
	struct audit_socket sock = {.proto = IPPROTO_TCP, .state = 10, .port = 31337, .v6only = -1};
	struct audit_report r = {.socks = &sock, .nsocks = 1, .procs = &proc, .nprocs = 1};
	json_t *v, *back;
	char *text;

	if (!copy)
		return 0;
	/* Fields at the NUL bytes; missing ones are empty. */
	memcpy(copy, data, size);
	memset(copy + size, 0, F_COUNT);
	field[k++] = copy;
	for (i = 0; i < size && k < F_COUNT; i++)
		if (!copy[i])
			field[k++] = copy + i + 1;
	while (k < F_COUNT)
		field[k++] = copy + size;
	snprintf(proc.comm, sizeof(proc.comm), "%s", field[F_COMM]);
	proc.cmdline = field[F_CMDLINE];
	proc.exe = field[F_EXE];
	proc.unit = field[F_UNIT][0] ? field[F_UNIT] : NULL;
	snprintf(sock.user, sizeof(sock.user), "%s", field[F_USER]);
	snprintf(sock.device, sizeof(sock.device), "%s", field[F_DEVICE]);
	snprintf(sock.warn_text, sizeof(sock.warn_text), "%s", field[F_WARN]);
	sock.exposure = size && (data[0] & 1) ? AUDIT_EXPOSE_ALL : AUDIT_EXPOSE_LOOPBACK;
	sock.warn = size ? data[size - 1] & 7u : 0;
	sock.procs = &owner;
	sock.nprocs = 1;

	v = audit_socket_json(&r, &sock, true);
	if (!v)
		abort(); /* not out of memory at these sizes: a string jansson refused */
	text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		abort();
	back = json_loads(text, 0, NULL);
	if (!back || !json_equal(back, v))
		abort();
	{
		json_t *p = json_array_get(json_object_get(back, "processes"), 0);

		expect_text(p, "name", proc.comm);
		expect_text(p, "cmdline", proc.cmdline);
		expect_text(p, "exe", proc.exe);
		if (proc.unit)
			expect_text(p, "unit", proc.unit);
		if (sock.user[0])
			expect_text(back, "user", sock.user);
		if (sock.warn_text[0])
			expect_text(back, "warning", sock.warn_text);
	}
	json_decref(back);
	free(text);
	json_decref(v);
	free(copy);
	return 0;
}
