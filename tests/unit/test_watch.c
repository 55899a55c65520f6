/* SPDX-License-Identifier: MIT */
/* watch: the snapshot diff (keyed by address, not PID), the baseline file, events as JSON. */
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "watch/watch.h"

static struct watch_listener mk(const char *netns, uint8_t proto, const char *addr, uint16_t port,
				pid_t pid, const char *program, const char *exe)
{
	struct watch_listener l;

	memset(&l, 0, sizeof(l));
	snprintf(l.netns, sizeof(l.netns), "%s", netns);
	l.proto = proto;
	assert_int_equal(ps_addr_parse(addr, &l.addr), PS_OK);
	l.port = port;
	l.pid = pid;
	l.sig = (uint64_t)pid * 7;
	l.nsockets = 1;
	l.enriched = true;
	snprintf(l.program, sizeof(l.program), "%s", program);
	snprintf(l.exe, sizeof(l.exe), "%s", exe);
	l.exposure = audit_classify(&l.addr);
	return l;
}

static void push(struct watch_snapshot *s, struct watch_listener l)
{
	assert_int_equal(watch_snapshot_push(s, &l), PS_OK);
}

static void test_diff_open_close_change(void **state)
{
	struct watch_snapshot a, b;
	struct watch_events ev;

	(void)state;
	watch_snapshot_init(&a);
	watch_snapshot_init(&b);
	watch_events_init(&ev);
	push(&a, mk("", IPPROTO_TCP, "0.0.0.0", 22, 100, "sshd", "/usr/sbin/sshd"));
	push(&a, mk("", IPPROTO_TCP, "127.0.0.1", 631, 200, "cupsd", "/usr/sbin/cupsd"));
	push(&a, mk("", IPPROTO_UDP, "0.0.0.0", 53, 300, "named", "/usr/sbin/named"));
	/* b: sshd restarted (new PID, same exe): nothing; cupsd gone; named replaced by nc on
	 * the same address; a new listener on :: 31337. */
	push(&b, mk("", IPPROTO_TCP, "::", 31337, 400, "nc", "/usr/bin/nc.openbsd"));
	push(&b, mk("", IPPROTO_UDP, "0.0.0.0", 53, 500, "nc", "/usr/bin/nc.openbsd"));
	push(&b, mk("", IPPROTO_TCP, "0.0.0.0", 22, 101, "sshd", "/usr/sbin/sshd"));
	watch_snapshot_sort(&a);
	watch_snapshot_sort(&b);
	assert_int_equal(watch_diff(&a, &b, 42.0, &ev), PS_OK);
	assert_int_equal(ev.n, 3);
	/* key order: netns, proto (tcp 6 < udp 17), port, address */
	assert_int_equal(ev.v[0].kind, WATCH_EV_CLOSE);
	assert_int_equal(ev.v[0].l.port, 631);
	assert_string_equal(ev.v[0].l.program, "cupsd");
	assert_int_equal(ev.v[1].kind, WATCH_EV_OPEN);
	assert_int_equal(ev.v[1].l.port, 31337);
	assert_int_equal(ev.v[1].l.pid, 400);
	assert_int_equal(ev.v[2].kind, WATCH_EV_CHANGE);
	assert_int_equal(ev.v[2].l.port, 53);
	assert_string_equal(ev.v[2].l.program, "nc");
	assert_string_equal(ev.v[2].was_program, "named");
	assert_true(ev.v[2].time == 42.0);
	/* The same diff the other way round: every event flips, nothing else. */
	watch_events_clear(&ev);
	assert_int_equal(watch_diff(&b, &a, 0, &ev), PS_OK);
	assert_int_equal(ev.n, 3);
	assert_int_equal(ev.v[0].kind, WATCH_EV_OPEN);
	assert_int_equal(ev.v[1].kind, WATCH_EV_CLOSE);
	assert_int_equal(ev.v[2].kind, WATCH_EV_CHANGE);
	assert_string_equal(ev.v[2].was_program, "nc");
	watch_events_release(&ev);
	watch_snapshot_release(&a);
	watch_snapshot_release(&b);
}

static void test_key_is_address_not_pid(void **state)
{
	struct watch_listener v4 = mk("", IPPROTO_TCP, "0.0.0.0", 80, 1, "nginx", "");
	struct watch_listener v6 = mk("", IPPROTO_TCP, "::", 80, 1, "nginx", "");
	struct watch_listener udp = mk("", IPPROTO_UDP, "0.0.0.0", 80, 1, "nginx", "");
	struct watch_listener ns = mk("lab", IPPROTO_TCP, "0.0.0.0", 80, 1, "nginx", "");
	struct watch_listener pid = mk("", IPPROTO_TCP, "0.0.0.0", 80, 999, "apache2", "");

	(void)state;
	assert_int_not_equal(watch_key_cmp(&v4, &v6), 0);
	assert_int_not_equal(watch_key_cmp(&v4, &udp), 0);
	assert_int_not_equal(watch_key_cmp(&v4, &ns), 0);
	assert_int_equal(watch_key_cmp(&v4, &pid), 0);
	/* Only a known program that differs is a change; a missing owner is not. */
	assert_true(watch_owner_changed(&v4, &pid));
	pid.program[0] = '\0';
	assert_false(watch_owner_changed(&v4, &pid));
	/* With both exes known the exe decides: a renamed comm is the same program. */
	snprintf(v4.exe, sizeof(v4.exe), "/usr/sbin/nginx");
	snprintf(v6.exe, sizeof(v6.exe), "/usr/sbin/nginx");
	snprintf(v6.program, sizeof(v6.program), "nginx: worker");
	assert_false(watch_owner_changed(&v4, &v6));
}

static void test_sort_merges_reuseport(void **state)
{
	struct watch_snapshot s;
	struct watch_listener a = mk("", IPPROTO_TCP, "0.0.0.0", 8080, 0, "", "");
	struct watch_listener b = mk("", IPPROTO_TCP, "0.0.0.0", 8080, 77, "worker", "/w");

	(void)state;
	a.enriched = false;
	a.sig = 5;
	b.sig = 9;
	watch_snapshot_init(&s);
	push(&s, a);
	push(&s, mk("", IPPROTO_TCP, "0.0.0.0", 22, 1, "sshd", ""));
	push(&s, b);
	watch_snapshot_sort(&s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[1].port, 8080);
	assert_int_equal(s.v[1].nsockets, 2);
	assert_int_equal(s.v[1].sig, 14);
	assert_string_equal(s.v[1].program, "worker"); /* the enriched one stands for both */
	assert_non_null(watch_snapshot_find(&s, &b));
	b.port = 8081;
	assert_null(watch_snapshot_find(&s, &b));
	watch_snapshot_release(&s);
}

static void test_baseline_round_trip(void **state)
{
	char path[] = "/tmp/ps_watch_baselineXXXXXX";
	struct watch_snapshot s, back;
	struct ps_diag diag = {{0}};
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	watch_snapshot_init(&s);
	push(&s, mk("", IPPROTO_TCP, "0.0.0.0", 22, 100, "sshd", "/usr/sbin/sshd"));
	push(&s, mk("lab", IPPROTO_UDP, "2001:db8::2", 53, 300, "named", ""));
	snprintf(s.v[1].unit, sizeof(s.v[1].unit), "named.service");
	watch_snapshot_sort(&s);
	assert_int_equal(watch_baseline_save(path, &s, &diag), PS_OK);
	assert_int_equal(watch_baseline_load(path, &back, &diag), PS_OK);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.v[0].port, 22);
	assert_string_equal(back.v[0].program, "sshd");
	assert_string_equal(back.v[0].exe, "/usr/sbin/sshd");
	assert_int_equal(back.v[0].exposure, AUDIT_EXPOSE_ALL);
	assert_string_equal(back.v[1].netns, "lab");
	assert_int_equal(back.v[1].proto, IPPROTO_UDP);
	assert_string_equal(back.v[1].unit, "named.service");
	assert_int_equal(back.v[1].exposure, AUDIT_EXPOSE_SPECIFIC);
	assert_int_equal(back.v[0].pid, 0); /* a PID is not part of what is expected */
	watch_snapshot_release(&back);
	unlink(path);
	assert_int_equal(watch_baseline_load(path, &back, &diag), PS_ERR_NOT_FOUND);
	watch_snapshot_release(&back);
	watch_snapshot_release(&s);
}

static void expect_refused(const char *text, const char *needle)
{
	struct watch_snapshot s;
	struct ps_diag diag = {{0}};
	enum ps_err err = watch_baseline_parse(text, strlen(text), &s, &diag);

	assert_int_not_equal(err, PS_OK);
	if (!strstr(diag.msg, needle))
		fail_msg("'%s': diag '%s' lacks '%s'", text, diag.msg, needle);
	assert_int_equal(s.n, 0);
}

static void test_baseline_refuses(void **state)
{
	(void)state;
	expect_refused("{\"portsight_baseline\": 1, \"listeners\": [", "not JSON");
	expect_refused("[]", "not a portsight baseline");
	expect_refused("{\"portsight_baseline\": 2, \"listeners\": []}", "version 2");
	expect_refused("{\"portsight_baseline\": 1}", "\"listeners\" is not an array");
	expect_refused("{\"portsight_baseline\": 1, \"listeners\": [7]}", "listeners[0]: not an");
	expect_refused("{\"portsight_baseline\": 1, \"listeners\": [{\"proto\": \"tcp\", "
		       "\"addr\": \"0.0.0.0\", \"port\": 22}, {\"proto\": \"tcp\", \"port\": 1}]}",
		       "listeners[1]: no \"addr\"");
	expect_refused("{\"portsight_baseline\": 1, \"listeners\": [{\"proto\": \"sctp\", "
		       "\"addr\": \"0.0.0.0\", \"port\": 22}]}",
		       "'sctp' is not tcp or udp");
	expect_refused("{\"portsight_baseline\": 1, \"listeners\": [{\"proto\": \"tcp\", "
		       "\"addr\": \"0.0.0.0\", \"port\": 0}]}",
		       "listeners[0].port");
	expect_refused("{\"portsight_baseline\": 1, \"listeners\": [{\"proto\": \"tcp\", "
		       "\"addr\": \"999.1.1.1\", \"port\": 1}]}",
		       "not an address");
	expect_refused("{\"portsight_baseline\": 1, \"listeners\": [{\"proto\": \"tcp\", "
		       "\"addr\": \"::\", \"port\": 1, \"netns\": \"../etc\"}]}",
		       "holds a '/'");
}

static void test_event_json(void **state)
{
	struct watch_event ev;
	json_error_t jerr;
	json_t *o;
	char *text;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.kind = WATCH_EV_CHANGE;
	ev.l = mk("lab", IPPROTO_TCP, "::", 31337, 4321, "nc", "/usr/bin/nc\xff");
	ev.l.fw = AUDIT_FW_ACCEPT;
	ev.l.warn = AUDIT_WARN_TROJAN | AUDIT_WARN_ADHOC;
	snprintf(ev.l.warn_text, sizeof(ev.l.warn_text), "Back Orifice port");
	snprintf(ev.was_program, sizeof(ev.was_program), "sshd");
	ev.time = 1764578400.25; /* 2025-12-01T08:40:00.250Z */
	text = watch_event_json(&ev);
	assert_non_null(text);
	o = json_loads(text, 0, &jerr);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "event")), "change");
	assert_string_equal(json_string_value(json_object_get(o, "time")),
			    "2025-12-01T08:40:00.250Z");
	assert_string_equal(json_string_value(json_object_get(o, "netns")), "lab");
	assert_string_equal(json_string_value(json_object_get(o, "proto")), "tcp");
	assert_string_equal(json_string_value(json_object_get(o, "addr")), "::");
	assert_int_equal(json_integer_value(json_object_get(o, "port")), 31337);
	assert_int_equal(json_integer_value(json_object_get(o, "pid")), 4321);
	assert_string_equal(json_string_value(json_object_get(o, "exposure")), "all");
	assert_string_equal(json_string_value(json_object_get(o, "firewall")), "accept");
	assert_string_equal(json_string_value(json_object_get(o, "exe")),
			    "/usr/bin/nc\xef\xbf\xbd");
	assert_string_equal(json_string_value(json_object_get(o, "was_program")), "sshd");
	assert_int_equal(json_array_size(json_object_get(o, "warnings")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "warnings"), 0)),
			    "trojan");
	assert_true(json_is_null(json_object_get(o, "unit")));
	json_decref(o);
	free(text);
}

static void test_prom_text(void **state)
{
	struct watch_snapshot s;
	char *text;

	(void)state;
	watch_snapshot_init(&s);
	push(&s, mk("", IPPROTO_TCP, "0.0.0.0", 22, 1, "ss\"h\\d", ""));
	push(&s, mk("", IPPROTO_TCP, "0.0.0.0", 23, 1, "gone", ""));
	s.v[1].gone_since = 5;
	watch_snapshot_sort(&s);
	text = watch_prom_text(&s);
	assert_non_null(text);
	assert_non_null(strstr(text, "# TYPE portsight_listening gauge\n"));
	assert_non_null(strstr(text,
			       "portsight_listening{netns=\"\",proto=\"tcp\",addr=\"0.0.0.0\","
			       "port=\"22\",program=\"ss\\\"h\\\\d\",exposure=\"all\","
			       "firewall=\"n/a\"} 1\n"));
	assert_null(strstr(text, "gone"));
	free(text);
	watch_snapshot_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_diff_open_close_change),
	    cmocka_unit_test(test_key_is_address_not_pid),
	    cmocka_unit_test(test_sort_merges_reuseport),
	    cmocka_unit_test(test_baseline_round_trip),
	    cmocka_unit_test(test_baseline_refuses),
	    cmocka_unit_test(test_event_json),
	    cmocka_unit_test(test_prom_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
