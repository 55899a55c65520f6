/* SPDX-License-Identifier: MIT */
/* What the audit library hands the CLI to show: the ShieldsUP view per socket and the JSON
 * records of `portsight local`. */
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit/audit.h"
#include "audit/audit_json.h"
#include "audit/outside.h"
#include "audit/verdict.h"

static void test_outside_view(void **state)
{
	static const struct {
		enum audit_exposure exposure;
		enum audit_fw_verdict fw;
		enum audit_outside want;
		const char *name;
	} cases[] = {
	    {AUDIT_EXPOSE_LOOPBACK, AUDIT_FW_NA, AUDIT_OUTSIDE_NONE, "-"},
	    /* Loopback stays out of reach whatever a rule for the port says. */
	    {AUDIT_EXPOSE_LOOPBACK, AUDIT_FW_ACCEPT, AUDIT_OUTSIDE_NONE, "-"},
	    {AUDIT_EXPOSE_ALL, AUDIT_FW_ACCEPT, AUDIT_OUTSIDE_OPEN, "Open"},
	    {AUDIT_EXPOSE_SPECIFIC, AUDIT_FW_ACCEPT, AUDIT_OUTSIDE_OPEN, "Open"},
	    /* No firewall judged (--no-firewall, no ruleset): nothing stands in the way. */
	    {AUDIT_EXPOSE_ALL, AUDIT_FW_NA, AUDIT_OUTSIDE_OPEN, "Open"},
	    {AUDIT_EXPOSE_ALL, AUDIT_FW_REJECT, AUDIT_OUTSIDE_CLOSED, "Closed"},
	    {AUDIT_EXPOSE_SPECIFIC, AUDIT_FW_DROP, AUDIT_OUTSIDE_STEALTH, "Stealth"},
	    {AUDIT_EXPOSE_ALL, AUDIT_FW_DROP, AUDIT_OUTSIDE_STEALTH, "Stealth"},
	    {AUDIT_EXPOSE_ALL, AUDIT_FW_UNKNOWN, AUDIT_OUTSIDE_UNKNOWN, "unknown"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct audit_socket s = {.exposure = cases[i].exposure, .fw = cases[i].fw};

		assert_int_equal(audit_outside_view(&s), cases[i].want);
		assert_string_equal(audit_outside_name(audit_outside_view(&s)), cases[i].name);
	}
	/* Nothing listens: nothing to see. */
	assert_int_equal(audit_outside_view(NULL), AUDIT_OUTSIDE_NONE);
}

static char *dump(json_t *v)
{
	char *text;

	assert_non_null(v);
	text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	assert_non_null(text);
	return text;
}

/* One socket, one process whose name and cmdline hold what processes may hold. */
struct fixture {
	struct audit_proc proc;
	size_t proc_index;
	struct audit_socket sock;
	struct audit_report report;
};

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->proc.pid = 4242;
	snprintf(f->proc.comm, sizeof(f->proc.comm), "x\x1b[31mx\x9b");
	f->proc.cmdline = (char *)"nc -l odd\xff\"\\\n";
	f->proc.exe = (char *)"/usr/bin/nc.openbsd";
	f->sock.proto = IPPROTO_TCP;
	f->sock.state = 10;
	assert_int_equal(ps_addr_parse("0.0.0.0", &f->sock.addr), PS_OK);
	f->sock.port = 31337;
	f->sock.v6only = -1;
	f->sock.exposure = AUDIT_EXPOSE_ALL;
	f->sock.accepts_v4 = true;
	f->sock.inode = 99;
	f->sock.procs = &f->proc_index;
	f->sock.nprocs = 1;
	f->sock.fw = AUDIT_FW_ACCEPT;
	f->sock.fw_v4 = AUDIT_FW_ACCEPT;
	f->sock.fw_v6 = AUDIT_FW_NA;
	f->sock.warn = AUDIT_WARN_TROJAN | AUDIT_WARN_ADHOC;
	snprintf(f->sock.warn_text, sizeof(f->sock.warn_text), "Back Orifice");
	f->report.socks = &f->sock;
	f->report.nsocks = 1;
	f->report.procs = &f->proc;
	f->report.nprocs = 1;
	f->report.netns_ino = 4026531840u;
	f->report.kb_joined = true;
}

/* One verdict per port, its numbers the OUTSIDE column's; a finding is Open or a warning. */
static void test_verdict(void **state)
{
	struct audit_socket socks[] = {
	    {.proto = IPPROTO_TCP, .port = 22, .exposure = AUDIT_EXPOSE_ALL, .fw = AUDIT_FW_ACCEPT},
	    /* the IPv6 socket of the same port: counted once */
	    {.proto = IPPROTO_TCP, .port = 22, .exposure = AUDIT_EXPOSE_ALL, .fw = AUDIT_FW_DROP},
	    {.proto = IPPROTO_TCP, .port = 631, .exposure = AUDIT_EXPOSE_LOOPBACK},
	    {.proto = IPPROTO_TCP, .port = 8080, .exposure = AUDIT_EXPOSE_ALL, .fw = AUDIT_FW_DROP},
	};
	struct audit_report r = {.socks = socks, .nsocks = 4};
	struct audit_verdict v;

	(void)state;
	audit_verdict_of(&r, NULL, &v);
	assert_int_equal(v.kind, AUDIT_VERDICT_EXPOSED);
	assert_int_equal(v.ports, 3);
	assert_int_equal(v.open, 1);
	assert_int_equal(v.loopback_only, 1);
	assert_int_equal(v.stealth, 1);
	assert_true(v.findings);
	assert_string_equal(v.text,
			    "EXPOSED: 1 port reachable from other hosts (tcp/22); of 3 ports "
			    "listening, 1 loopback-only, 1 Stealth to other hosts");

	socks[0].fw = AUDIT_FW_UNKNOWN;
	socks[1].fw = AUDIT_FW_UNKNOWN;
	snprintf(r.fw_note, sizeof(r.fw_note), "nft not found");
	audit_verdict_of(&r, NULL, &v);
	assert_int_equal(v.kind, AUDIT_VERDICT_UNKNOWN);
	assert_false(v.findings);
	assert_non_null(strstr(v.text, "firewall could not be judged: nft not found"));

	/* Nothing reachable, but a warning: still a finding. */
	socks[0].fw = socks[1].fw = AUDIT_FW_REJECT;
	/* cppcheck-suppress unreadVariable ; r reaches socks, which cppcheck does not see */
	socks[2].warn = AUDIT_WARN_TROJAN;
	audit_verdict_of(&r, NULL, &v);
	assert_int_equal(v.kind, AUDIT_VERDICT_NOT_EXPOSED);
	assert_int_equal(v.closed, 1);
	assert_int_equal(v.warnings, 1);
	assert_true(v.findings);

	audit_verdict_of(NULL, "permission denied", &v);
	assert_int_equal(v.kind, AUDIT_VERDICT_UNKNOWN);
	assert_string_equal(v.text,
			    "UNKNOWN: the listening sockets could not be read (permission denied)");
	assert_string_equal(audit_verdict_name(AUDIT_VERDICT_NOT_EXPOSED), "NOT EXPOSED");
}

static void test_socket_json(void **state)
{
	static const char want[] =
	    "{\"type\":\"socket\",\"proto\":\"tcp\",\"address\":\"0.0.0.0\",\"port\":31337,"
	    "\"state\":\"LISTEN\",\"exposure\":\"all\",\"accepts_ipv4\":true,"
	    "\"accepts_ipv6\":false,\"v6only\":null,\"ifindex\":0,\"device\":null,\"uid\":0,"
	    "\"user\":null,\"inode\":99,\"netns\":4026531840,\"firewall\":\"accept\","
	    "\"firewall_ipv4\":\"accept\",\"firewall_ipv6\":\"n/a\",\"firewall_why\":null,"
	    "\"service\":null,\"warnings\":[\"trojan-port\",\"ad-hoc-listener\"],"
	    "\"warning\":\"Back Orifice\",\"owner_not_visible\":false,\"processes\":[{\"pid\":4242,"
	    "\"name\":\"x\\u001B[31mx\xef\xbf\xbd\","
	    "\"cmdline\":\"nc -l odd\xef\xbf\xbd\\\"\\\\\\n\",\"exe\":\"/usr/bin/nc.openbsd\","
	    "\"unit\":null}]}";
	struct fixture f;
	char *text;

	(void)state;
	fixture_init(&f);
	text = dump(audit_socket_json(&f.report, &f.sock, false));
	assert_string_equal(text, want);
	free(text);
}

/* The cache shares each process's object between its sockets: the same text, every time. */
static void test_socket_json_cached(void **state)
{
	struct audit_json_cache cache;
	struct fixture f;
	char *plain, *first, *second;

	(void)state;
	fixture_init(&f);
	audit_json_cache_init(&cache);
	plain = dump(audit_socket_json(&f.report, &f.sock, false));
	first = dump(audit_socket_json_cached(&cache, &f.report, &f.sock, false));
	second = dump(audit_socket_json_cached(&cache, &f.report, &f.sock, false));
	assert_non_null(cache.procs);
	assert_non_null(cache.procs[0]); /* built once, kept */
	assert_string_equal(first, plain);
	assert_string_equal(second, plain);
	audit_json_cache_release(&cache);
	free(plain);
	free(first);
	free(second);
}

static void test_socket_json_advice(void **state)
{
	struct fixture f;
	json_t *v, *advice;
	size_t i;

	(void)state;
	fixture_init(&f);
	v = audit_socket_json(&f.report, &f.sock, true);
	assert_non_null(v);
	advice = json_object_get(v, "advice");
	assert_true(json_is_array(advice));
	assert_true(json_array_size(advice) >= 1);
	for (i = 0; i < json_array_size(advice); i++) {
		json_t *a = json_array_get(advice, i);

		assert_true(json_is_string(json_object_get(a, "kind")));
		assert_true(json_string_length(json_object_get(a, "text")) > 0);
		assert_true(json_is_string(json_object_get(a, "command")) ||
			    json_is_null(json_object_get(a, "command")));
	}
	/* An exposed nc gets the nft rule that closes its port. */
	{
		char *text = json_dumps(advice, JSON_COMPACT);

		assert_non_null(strstr(text, "tcp dport 31337 drop"));
		free(text);
	}
	json_decref(v);
}

static void test_summary_json(void **state)
{
	static const char want[] =
	    "{\"type\":\"summary\",\"sockets\":1,\"unowned\":0,\"procs_fd_denied\":0,"
	    "\"procs_vanished\":0,\"malformed_messages\":0,\"netns\":4026531840,"
	    "\"netns_name\":\"lab\",\"dump_interrupted\":false,\"dump_note\":null,"
	    "\"udp_unavailable\":false,\"firewall\":\"n/a\",\"firewall_note\":\"nft: not "
	    "found\",\"kb\":true,\"kb_note\":null}";
	struct fixture f;
	char *text;

	(void)state;
	fixture_init(&f);
	snprintf(f.report.fw_note, sizeof(f.report.fw_note), "nft: not found");
	/* A note without the flag is stale: only a cut-short dump has one to show. */
	snprintf(f.report.dump_note, sizeof(f.report.dump_note), "stale");
	text = dump(audit_summary_json(&f.report, "lab"));
	assert_string_equal(text, want);
	free(text);
	text = dump(audit_summary_json(&f.report, NULL));
	assert_non_null(strstr(text, "\"netns_name\":null"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outside_view), cmocka_unit_test(test_verdict),
	    cmocka_unit_test(test_socket_json),	 cmocka_unit_test(test_socket_json_cached),
	    cmocka_unit_test(test_socket_json_advice),
	    cmocka_unit_test(test_summary_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
