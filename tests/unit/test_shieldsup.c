/* SPDX-License-Identifier: MIT */
/*
 * The ShieldsUP library's pure parts: the TruStealth verdict over every combination of
 * outcomes (ports x UPnP x NetBIOS x ping x unsolicited packets), the port bookkeeping, the
 * port sets and the SSDP reply splitter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "run/shieldsup.h"

enum ports_case { P_NONE, P_STEALTH, P_CLOSED, P_OPEN, P_ICMP, P_COUNT };

static void add_port(struct shieldsup_result *r, uint16_t port, enum port_state st,
		     enum port_reason reason)
{
	struct port_result res = {.port = port, .proto = 6, .state = st, .reason = reason};

	assert_int_equal(shieldsup_port_add(r, &res), PS_OK);
}

/* The 26 common ports, all stealth but what pc makes of port 445. */
static void fill_ports(struct shieldsup_result *r, enum ports_case pc)
{
	size_t i;

	if (pc == P_NONE)
		return;
	for (i = 0; i < SHIELDSUP_COMMON_COUNT; i++)
		add_port(r, shieldsup_common_ports[i], PORT_FILTERED, REASON_NO_RESPONSE);
	if (pc == P_CLOSED)
		add_port(r, 445, PORT_CLOSED, REASON_RESET);
	else if (pc == P_OPEN)
		add_port(r, 445, PORT_OPEN, REASON_SYN_ACK);
	else if (pc == P_ICMP)
		add_port(r, 445, PORT_FILTERED, REASON_ICMP_ADMIN_PROHIBITED);
}

static bool spoke(enum shieldsup_answer a)
{
	return a == SHIELDSUP_ANSWERED || a == SHIELDSUP_REFUSED;
}

static void test_every_combination(void **state)
{
	static struct shieldsup_result r;
	struct shieldsup_verdict v;
	struct ps_addr t;
	unsigned pc, up, nb, pg, un, n = 0;

	(void)state;
	ps_addr_parse("192.0.2.2", &t);
	for (pc = 0; pc < P_COUNT; pc++)
		for (up = 0; up < 4; up++)
			for (nb = 0; nb < 4; nb++)
				for (pg = 0; pg < 4; pg++)
					for (un = 0; un < 3; un++) {
		bool port_spoke = pc == P_CLOSED || pc == P_OPEN || pc == P_ICMP;
		bool other_spoke, any;
		enum shieldsup_stealth want;

		shieldsup_result_init(&r, &t, SHIELDSUP_SET_COMMON);
		fill_ports(&r, (enum ports_case)pc);
		r.upnp.answer = (enum shieldsup_answer)up;
		r.netbios.answer = (enum shieldsup_answer)nb;
		r.ping.answer = (enum shieldsup_answer)pg;
		r.unsolicited.observed = un > 0;
		r.unsolicited.count = un == 2 ? 2 : 0;
		shieldsup_verdict_of(&r, &v);

		other_spoke = spoke(r.upnp.answer) || spoke(r.netbios.answer);
		any = port_spoke || other_spoke || spoke(r.ping.answer) || un == 2;
		if (any)
			want = SHIELDSUP_STEALTH_FAILED;
		else if (pc == P_NONE || r.ping.answer == SHIELDSUP_NOT_TESTED)
			want = SHIELDSUP_STEALTH_UNKNOWN;
		else
			want = SHIELDSUP_STEALTH_PASSED;
		assert_int_equal(v.stealth, want);
		assert_int_equal(v.findings, want == SHIELDSUP_STEALTH_FAILED);
		assert_int_equal(v.open, pc == P_OPEN);
		assert_int_equal(v.closed, pc == P_CLOSED);
		assert_int_equal(v.answered, port_spoke);
		assert_int_equal(v.tested, pc == P_NONE ? 0 : SHIELDSUP_COMMON_COUNT);
		assert_int_equal(v.upnp_exposed, up == SHIELDSUP_ANSWERED);
		assert_int_equal(v.ping_answered, pg == SHIELDSUP_ANSWERED);
		assert_int_equal(v.file_sharing, pc == P_OPEN || nb == SHIELDSUP_ANSWERED);
		assert_string_equal(shieldsup_stealth_name(v.stealth),
				    want == SHIELDSUP_STEALTH_FAILED   ? "FAILED"
				    : want == SHIELDSUP_STEALTH_PASSED ? "PASSED"
								       : "UNKNOWN");
		/* The text gives every cause, and the ping-only case says it in those words. */
		assert_int_equal(strstr(v.text, "the host answered a ping") != NULL,
				 spoke(r.ping.answer));
		assert_int_equal(strstr(v.text, "every port tested is stealth, but") != NULL,
				 spoke(r.ping.answer) && !port_spoke && !other_spoke);
		assert_int_equal(strstr(v.text, "1 port open") != NULL, pc == P_OPEN);
		assert_int_equal(strstr(v.text, "unsolicited") != NULL, un == 2);
		assert_int_equal(strstr(v.text, "UPnP answered") != NULL, up == SHIELDSUP_ANSWERED);
		assert_int_equal(strncmp(v.solicited, "none", 4) == 0,
				 !port_spoke && !other_spoke && !spoke(r.ping.answer));
		assert_int_equal(strstr(v.solicited, "445/tcp") != NULL, port_spoke);
		assert_int_equal(v.unsolicited[0] == '\0', un == 0);
		n++;
	}
	assert_int_equal(n, 5 * 4 * 4 * 4 * 3);
}

static void test_ping_only_words(void **state)
{
	static struct shieldsup_result r;
	struct shieldsup_verdict v;
	struct ps_addr t;

	(void)state;
	ps_addr_parse("192.0.2.2", &t);
	shieldsup_result_init(&r, &t, SHIELDSUP_SET_COMMON);
	fill_ports(&r, P_STEALTH);
	r.upnp.answer = SHIELDSUP_SILENT;
	r.netbios.answer = SHIELDSUP_SILENT;
	r.ping.answer = SHIELDSUP_ANSWERED;
	r.ping.rtt_us = 310;
	shieldsup_verdict_of(&r, &v);
	assert_string_equal(v.text, "TruStealth: FAILED: every port tested is stealth, but the "
				    "host answered a ping");
	assert_string_equal(v.solicited, "1 answer: ping echo reply");
	assert_string_equal(v.ping, "echo reply (0.31 ms)");
	r.ping.answer = SHIELDSUP_SILENT;
	shieldsup_verdict_of(&r, &v);
	assert_string_equal(v.text, "TruStealth: PASSED: none of the 26 ports answered, nor "
				    "UPnP, nor the ping: nothing came back");
	r.ping.answer = SHIELDSUP_NOT_TESTED;
	snprintf(r.ping.note, sizeof(r.ping.note), "no CAP_NET_RAW");
	shieldsup_verdict_of(&r, &v);
	assert_string_equal(v.text, "TruStealth: UNKNOWN: none of the 26 ports answered, but the "
				    "ping could not be tested (no CAP_NET_RAW)");
}

static void test_ports_sorted_and_replaced(void **state)
{
	static struct shieldsup_result r;
	struct ps_addr t;

	(void)state;
	ps_addr_parse("2001:db8::2", &t);
	shieldsup_result_init(&r, &t, SHIELDSUP_SET_SERVICE);
	add_port(&r, 445, PORT_OPEN, REASON_SYN_ACK);
	add_port(&r, 0, PORT_CLOSED, REASON_RESET);
	add_port(&r, 80, PORT_FILTERED, REASON_NO_RESPONSE);
	add_port(&r, 80, PORT_CLOSED, REASON_RESET);
	assert_int_equal(r.nports, 3);
	assert_int_equal(r.ports[0].port, 0);
	assert_int_equal(r.ports[1].port, 80);
	assert_int_equal(r.ports[2].port, 445);
	assert_true(r.port0_tested);
	assert_int_equal(shieldsup_port_state(&r, 80), PORT_CLOSED);
	assert_int_equal(shieldsup_port_state(&r, 139), PORT_STATE_COUNT);
	shieldsup_result_init(&r, &t, SHIELDSUP_SET_SERVICE);
	for (unsigned p = 0; p < SHIELDSUP_PORTS_MAX; p++)
		add_port(&r, (uint16_t)(SHIELDSUP_PORTS_MAX - 1 - p), PORT_FILTERED,
			 REASON_NO_RESPONSE);
	assert_int_equal(r.nports, SHIELDSUP_PORTS_MAX);
	for (unsigned p = 0; p < SHIELDSUP_PORTS_MAX; p++)
		assert_int_equal(r.ports[p].port, p);
	{
		struct port_result extra = {.port = 2000, .state = PORT_OPEN};

		assert_int_equal(shieldsup_port_add(&r, &extra), PS_ERR_TOO_LARGE);
	}
}

static void test_port_sets(void **state)
{
	struct portset set;
	enum shieldsup_set s;

	(void)state;
	shieldsup_ports_of(SHIELDSUP_SET_COMMON, true, &set);
	assert_int_equal(set.count, 26);
	assert_true(portset_has(&set, 0));
	assert_true(portset_has(&set, 1030) && portset_has(&set, 5000) && portset_has(&set, 1720));
	assert_false(portset_has(&set, 1031));
	shieldsup_ports_of(SHIELDSUP_SET_COMMON, false, &set);
	assert_int_equal(set.count, 25);
	assert_false(portset_has(&set, 0));
	shieldsup_ports_of(SHIELDSUP_SET_SERVICE, true, &set);
	assert_int_equal(set.count, 1056);
	assert_true(portset_has(&set, 1055) && !portset_has(&set, 1056));
	assert_true(shieldsup_set_from_name("all", &s) && s == SHIELDSUP_SET_SERVICE);
	assert_true(shieldsup_set_from_name("common", &s) && s == SHIELDSUP_SET_COMMON);
	assert_false(shieldsup_set_from_name("most", &s));
}

static void test_ssdp_split(void **state)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nSERVER: Linux UPnP/1.1\r\n"
				    "LOCATION: http://198.51.100.7/\x1b[2Jx\r\n\r\nbody: no\r\n";
	static struct shieldsup_upnp u;
	char many[4096];
	size_t len = 0;
	int i;

	(void)state;
	assert_true(shieldsup_ssdp_split((const uint8_t *)reply, sizeof(reply) - 1, &u));
	assert_string_equal(u.status, "HTTP/1.1 200 OK");
	assert_int_equal(u.nheaders, 2);
	assert_string_equal(u.headers[0], "SERVER: Linux UPnP/1.1");
	assert_string_equal(u.headers[1], "LOCATION: http://198.51.100.7/?[2Jx"); /* ESC cleaned */
	assert_false(shieldsup_ssdp_split((const uint8_t *)"\x01\x02zz\n", 5, &u));
	assert_string_equal(u.status, "??zz");
	assert_int_equal(u.nheaders, 0);
	assert_false(shieldsup_ssdp_split((const uint8_t *)"", 0, &u));
	len = (size_t)snprintf(many, sizeof(many), "NOTIFY * HTTP/1.1\n");
	for (i = 0; i < 30; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "H%d: v\n", i);
	assert_true(shieldsup_ssdp_split((const uint8_t *)many, len, &u));
	assert_int_equal(u.nheaders, SHIELDSUP_HEADERS_MAX);
	assert_int_equal(u.headers_cut, 30 - SHIELDSUP_HEADERS_MAX);
	assert_string_equal(u.headers[0], "H0: v");
}

/* An IPv4 packet from 192.0.2.2 to 192.0.2.1 with body. */
static size_t ip4(uint8_t *b, uint8_t proto, const uint8_t *body, size_t n, const char *src)
{
	struct ps_addr a;

	memset(b, 0, 20);
	b[0] = 0x45;
	b[9] = proto;
	ps_addr_parse(src, &a);
	memcpy(b + 12, a.bytes, 4);
	ps_addr_parse("192.0.2.1", &a);
	memcpy(b + 16, a.bytes, 4);
	memcpy(b + 20, body, n);
	return 20 + n;
}

static void test_classify_packets(void **state)
{
	static struct shieldsup_pkt_ctx c;
	uint8_t b[256];
	char what[SHIELDSUP_NOTE_MAX];
	/* TCP: ports, seq, ack, offset, flags */
	const uint8_t syn_back[20] = {0x9c, 0x40, 0x11, 0x5c, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02};
	const uint8_t synack_445[20] = {0x01, 0xbd, 0x9c, 0x41, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x12};
	const uint8_t echo_req[8] = {8, 0, 0, 0, 0, 1, 0, 1}, echo_rep[8] = {0, 0, 0, 0, 0, 1, 0, 1};
	const uint8_t unreach[8] = {3, 3, 0, 0, 0, 0, 0, 0};
	const uint8_t nbns[8] = {0, 137, 0xc3, 0x50, 0, 8, 0, 0};
	const uint8_t mdns[8] = {0x14, 0xe9, 0xc3, 0x50, 0, 8, 0, 0};
	uint8_t ssdp[8 + 15] = {0xc0, 0x00, 0xc3, 0x50, 0, 23, 0, 0};
	size_t n;

	(void)state;
	memcpy(ssdp + 8, "HTTP/1.1 200 OK", 15);
	ps_addr_parse("192.0.2.2", &c.target);
	ps_addr_parse("192.0.2.1", &c.local);
	portset_add(&c.tcp_ports, 445);
	n = ip4(b, 6, syn_back, sizeof(syn_back), "192.0.2.2");
	assert_int_equal(shieldsup_classify_packet(&c, b, n, what, sizeof(what)),
			 SHIELDSUP_PKT_UNSOLICITED);
	assert_string_equal(what, "TCP SYN (a connection attempt back) from port 40000 to our "
				  "port 4444");
	n = ip4(b, 6, synack_445, sizeof(synack_445), "192.0.2.2");
	assert_int_equal(shieldsup_classify_packet(&c, b, n, what, sizeof(what)),
			 SHIELDSUP_PKT_SOLICITED);
	n = ip4(b, 1, echo_req, sizeof(echo_req), "192.0.2.2");
	assert_int_equal(shieldsup_classify_packet(&c, b, n, what, sizeof(what)),
			 SHIELDSUP_PKT_UNSOLICITED);
	assert_string_equal(what, "ICMP type 8 (an echo request: the host pinged us back)");
	n = ip4(b, 1, echo_rep, sizeof(echo_rep), "192.0.2.2");
	assert_int_equal(shieldsup_classify_packet(&c, b, n, what, sizeof(what)),
			 SHIELDSUP_PKT_SOLICITED);
	n = ip4(b, 1, unreach, sizeof(unreach), "192.0.2.2");
	assert_int_equal(shieldsup_classify_packet(&c, b, n, what, sizeof(what)),
			 SHIELDSUP_PKT_SOLICITED);
	n = ip4(b, 17, nbns, sizeof(nbns), "192.0.2.2");
	assert_int_equal(shieldsup_classify_packet(&c, b, n, what, sizeof(what)),
			 SHIELDSUP_PKT_SOLICITED);
	n = ip4(b, 17, ssdp, sizeof(ssdp), "192.0.2.2");
	assert_int_equal(shieldsup_classify_packet(&c, b, n, what, sizeof(what)),
			 SHIELDSUP_PKT_SOLICITED);
	n = ip4(b, 17, mdns, sizeof(mdns), "192.0.2.2");
	assert_int_equal(shieldsup_classify_packet(&c, b, n, what, sizeof(what)),
			 SHIELDSUP_PKT_UNSOLICITED);
	assert_string_equal(what, "UDP from port 5353 to our port 50000");
	/* Not from the host, or not to us: none of its business. */
	n = ip4(b, 1, echo_req, sizeof(echo_req), "192.0.2.3");
	assert_int_equal(shieldsup_classify_packet(&c, b, n, what, sizeof(what)),
			 SHIELDSUP_PKT_IGNORED);
	n = ip4(b, 1, echo_req, sizeof(echo_req), "192.0.2.2");
	b[19] = 255;
	assert_int_equal(shieldsup_classify_packet(&c, b, n, what, sizeof(what)),
			 SHIELDSUP_PKT_IGNORED);
	/* A later fragment, a truncated header. */
	n = ip4(b, 1, echo_req, sizeof(echo_req), "192.0.2.2");
	b[7] = 1;
	assert_int_equal(shieldsup_classify_packet(&c, b, n, what, sizeof(what)),
			 SHIELDSUP_PKT_IGNORED);
	assert_int_equal(shieldsup_classify_packet(&c, b, 19, what, sizeof(what)),
			 SHIELDSUP_PKT_IGNORED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_combination),
		cmocka_unit_test(test_ping_only_words),
		cmocka_unit_test(test_ports_sorted_and_replaced),
		cmocka_unit_test(test_port_sets),
		cmocka_unit_test(test_ssdp_split),
		cmocka_unit_test(test_classify_packets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
