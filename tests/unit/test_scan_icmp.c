/* SPDX-License-Identifier: MIT */
/*
 * One ICMP table for both engines (net/icmp.c): every ICMP and ICMPv6 type x code against a
 * table written out here independently; the connect engine's error-queue reading and the SYN
 * engine's whole path (a crafted ICMP error frame, net/packet.c's parser, the TCP SYN
 * module's cookie check and classification) give the same reason for every one of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <time.h> /* before linux/errqueue.h, which needs struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>

#include "net/icmp.h"
#include "net/packet.h"
#include "scan/connect.h"
#include "scan/module.h"

static const struct net_siphash_key key = {.k0 = 0x0706050403020100ull,
					   .k1 = 0x0f0e0d0c0b0a0908ull};
static const struct scan_probe_env env = {
	.key = {.k0 = 0x0706050403020100ull, .k1 = 0x0f0e0d0c0b0a0908ull},
	.sport_base = 40000,
	.sport_span = 1,
};

static struct ps_addr addr(const char *text)
{
	struct ps_addr a;

	assert_int_equal(ps_addr_parse(text, &a), PS_OK);
	return a;
}

/* The documented table, spelled out pair by pair. */
static enum port_reason expected(int family, unsigned type, unsigned code)
{
	if (family == AF_INET) {
		if (type == 11 || type == 12)
			return REASON_HOST_UNREACH;
		if (type != 3)
			return REASON_NONE;
		if (code == 0 || code == 6 || code == 11)
			return REASON_ICMP_NET_UNREACH;
		if (code == 2)
			return REASON_ICMP_PROTO_UNREACH;
		if (code == 3)
			return REASON_ICMP_PORT_UNREACH;
		if (code == 9)
			return REASON_ICMP_NET_PROHIBITED;
		if (code == 10)
			return REASON_ICMP_HOST_PROHIBITED;
		if (code == 13 || code == 14 || code == 15)
			return REASON_ICMP_ADMIN_PROHIBITED;
		return REASON_ICMP_HOST_UNREACH;
	}
	if (type == 2 || type >= 128)
		return REASON_NONE;
	if (type != 1)
		return REASON_HOST_UNREACH;
	if (code == 0 || code == 2)
		return REASON_ICMP_NET_UNREACH;
	if (code == 1 || code == 5)
		return REASON_ICMP_ADMIN_PROHIBITED;
	if (code == 4)
		return REASON_ICMP_PORT_UNREACH;
	if (code == 6)
		return REASON_ICMP_NET_PROHIBITED;
	return REASON_ICMP_HOST_UNREACH;
}

static void test_table(void **state)
{
	unsigned type, code, none4 = 0, none6 = 0;

	(void)state;
	for (type = 0; type < 256; type++) {
		for (code = 0; code < 256; code++) {
			enum port_reason r4 = port_reason_from_icmp(AF_INET, type, code);
			enum port_reason r6 = port_reason_from_icmp(AF_INET6, type, code);

			assert_int_equal(r4, expected(AF_INET, type, code));
			assert_int_equal(r6, expected(AF_INET6, type, code));
			/* Whatever is no error can never be an answer. */
			if (!net_icmp_is_error(AF_INET, type))
				assert_int_equal(r4, REASON_NONE);
			if (!net_icmp_is_error(AF_INET6, type))
				assert_int_equal(r6, REASON_NONE);
			none4 += r4 == REASON_NONE;
			none6 += r6 == REASON_NONE;
		}
	}
	/* Where -sS and -sT used to disagree. */
	assert_int_equal(port_reason_from_icmp(AF_INET, 3, 14), REASON_ICMP_ADMIN_PROHIBITED);
	assert_int_equal(port_reason_from_icmp(AF_INET, 3, 15), REASON_ICMP_ADMIN_PROHIBITED);
	assert_int_equal(port_reason_from_icmp(AF_INET6, 1, 6), REASON_ICMP_NET_PROHIBITED);
	assert_int_equal(port_reason_from_icmp(AF_INET6, 1, 2), REASON_ICMP_NET_UNREACH);
	/* Only 3, 11, 12 (ICMP) and 0-127 but 2 (ICMPv6) say something. */
	assert_int_equal(none4, (256 - 3) * 256);
	assert_int_equal(none6, (128 + 1) * 256);
	assert_int_equal(port_reason_from_icmp(AF_UNIX, 3, 3), REASON_NONE);
}

/* The connect engine reads the same table off the socket's error queue. */
static void test_connect_path(void **state)
{
	unsigned type, code;

	(void)state;
	for (type = 0; type < 256; type++) {
		for (code = 0; code < 256; code++) {
			assert_int_equal(
			    scan_connect_errqueue_reason(SO_EE_ORIGIN_ICMP, type, code),
			    port_reason_from_icmp(AF_INET, type, code));
			assert_int_equal(
			    scan_connect_errqueue_reason(SO_EE_ORIGIN_ICMP6, type, code),
			    port_reason_from_icmp(AF_INET6, type, code));
			assert_int_equal(
			    scan_connect_errqueue_reason(SO_EE_ORIGIN_LOCAL, type, code),
			    REASON_NONE);
		}
	}
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static struct scan_probe syn_probe(int family)
{
	struct scan_probe p = {
	    .src = addr(family == AF_INET ? "192.0.2.1" : "2001:db8::1"),
	    .dst = addr(family == AF_INET ? "198.18.0.9" : "2001:db8:1::9"),
	    .sport = 40001,
	    .dport = 443,
	    .ip_id = 7,
	};
	return p;
}

/*
 * An Ethernet frame carrying ICMP type/code from a router, quoting the probe the module
 * built (its IP header and the first 8 bytes of TCP, RFC 792's minimum).
 */
static size_t icmp_frame(uint8_t *buf, int family, uint8_t type, uint8_t code)
{
	struct scan_probe p = syn_probe(family);
	uint8_t syn[NET_FRAME_MAX], *ip = buf + 14;
	size_t synlen = scan_tcp_syn_module.make_packet(syn, sizeof(syn), &env, &p);
	size_t iphl = family == AF_INET ? 20 : 40, qlen = iphl + 8, total = iphl + 8 + qlen;

	assert_true(synlen > qlen);
	memset(buf, 0, 14 + total);
	if (family == AF_INET) {
		buf[12] = 0x08;
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)total);
		ip[8] = 63;
		ip[9] = IPPROTO_ICMP;
		memcpy(ip + 12, (uint8_t[]){192, 0, 2, 254}, 4);
		memcpy(ip + 16, p.src.bytes, 4);
	} else {
		buf[12] = 0x86;
		buf[13] = 0xdd;
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)(total - 40));
		ip[6] = IPPROTO_ICMPV6;
		ip[7] = 63;
		memcpy(ip + 8, p.dst.bytes, 16);
		memcpy(ip + 24, p.src.bytes, 16);
	}
	ip[iphl] = type;
	ip[iphl + 1] = code;
	memcpy(ip + iphl + 8, syn, qlen);
	return 14 + total;
}

/* The SYN engine's path: frame -> parser -> module validate -> module classify. */
static void check_syn_path(int family)
{
	struct scan_probe p = syn_probe(family);
	unsigned type, code, answers = 0;

	for (type = 0; type < 256; type++) {
		for (code = 0; code < 256; code++) {
			enum port_reason want = port_reason_from_icmp(family, type, code);
			enum port_state state = PORT_OPEN;
			enum port_reason reason = REASON_NONE;
			struct scan_probe_match m;
			struct net_reply r;
			uint8_t frame[256];
			size_t len = icmp_frame(frame, family, (uint8_t)type, (uint8_t)code);
			enum ps_err err = net_parse_frame(frame, len, &r);

			if (!net_icmp_is_error(family, type)) {
				/* Echo and timestamp replies parse (host discovery reads them);
				 * they answer no SYN probe. Every other type is of no interest. */
				if (err == PS_OK && r.kind == NET_REPLY_ICMP_QUERY)
					assert_false(scan_tcp_syn_module.validate(&env, &r, &m));
				else
					assert_int_equal(err, PS_ERR_UNSUPPORTED);
				continue;
			}
			assert_int_equal(err, PS_OK);
			assert_true(scan_tcp_syn_module.validate(&env, &r, &m));
			assert_int_equal(ps_addr_cmp(&m.src, &p.src), 0);
			assert_int_equal(ps_addr_cmp(&m.dst, &p.dst), 0);
			assert_int_equal(m.sport, p.sport);
			assert_int_equal(m.dport, p.dport);
			if (want == REASON_NONE) {
				assert_false(scan_tcp_syn_module.classify(&r, &state, &reason));
				continue;
			}
			assert_true(scan_tcp_syn_module.classify(&r, &state, &reason));
			assert_int_equal(state, PORT_FILTERED);
			assert_int_equal(reason, want);
			answers++;
		}
	}
	/* ICMP: types 3, 11, 12; ICMPv6: 0, 1, 3-127. */
	assert_int_equal(answers, (family == AF_INET ? 3 : 127) * 256);
}

static void test_syn_path_v4(void **state)
{
	(void)state;
	check_syn_path(AF_INET);
}

static void test_syn_path_v6(void **state)
{
	(void)state;
	check_syn_path(AF_INET6);
}

/* A quote whose sequence is not our cookie (another key, or a forged one) is no answer. */
static void test_syn_cookie_refused(void **state)
{
	const struct scan_probe_env other = {.key = {.k0 = 1, .k1 = 2}, .sport_span = 1};
	struct scan_probe_match m;
	struct net_reply r;
	uint8_t frame[256];
	size_t len = icmp_frame(frame, AF_INET, 3, 13);

	(void)state;
	assert_int_equal(net_parse_frame(frame, len, &r), PS_OK);
	assert_true(scan_tcp_syn_module.validate(&env, &r, &m));
	assert_false(scan_tcp_syn_module.validate(&other, &r, &m));
	frame[14 + 28 + 24] ^= 1; /* the quoted sequence number */
	assert_int_equal(net_parse_frame(frame, len, &r), PS_OK);
	assert_false(scan_tcp_syn_module.validate(&env, &r, &m));
}

/* TCP answers: SYN-ACK open (and torn down with an RST), RST closed, a bare SYN nothing. */
static void test_syn_tcp_replies(void **state)
{
	struct scan_probe p = syn_probe(AF_INET);
	uint32_t cookie = scan_syn_cookie(&key, &p.src, &p.dst, p.sport, p.dport);
	struct net_tcp_probe reply = {
	    .src = p.dst,
	    .dst = p.src,
	    .sport = p.dport,
	    .dport = p.sport,
	    .seq = 1000,
	    .ack = cookie + 1,
	    .flags = NET_TCP_SYN | NET_TCP_ACK,
	    .ttl = 64,
	};
	uint8_t frame[NET_FRAME_MAX], rst[NET_FRAME_MAX];
	struct scan_probe_match m;
	enum port_state st;
	enum port_reason reason;
	struct net_reply r, rr;
	size_t len;

	(void)state;
	len = net_build_tcp(frame, sizeof(frame), NULL, NULL, 0, &reply);
	assert_int_equal(net_parse_ip(frame, len, &r), PS_OK);
	assert_true(scan_tcp_syn_module.validate(&env, &r, &m));
	assert_true(scan_tcp_syn_module.classify(&r, &st, &reason));
	assert_int_equal(st, PORT_OPEN);
	assert_int_equal(reason, REASON_SYN_ACK);
	len = scan_tcp_syn_module.make_teardown(rst, sizeof(rst), &r, NULL, NULL, 9);
	assert_int_equal(net_parse_ip(rst, len, &rr), PS_OK);
	assert_int_equal(rr.flags, NET_TCP_RST);
	assert_int_equal(rr.seq, cookie + 1);
	assert_int_equal(rr.dport, p.dport);

	reply.flags = NET_TCP_RST | NET_TCP_ACK;
	len = net_build_tcp(frame, sizeof(frame), NULL, NULL, 0, &reply);
	assert_int_equal(net_parse_ip(frame, len, &r), PS_OK);
	assert_true(scan_tcp_syn_module.validate(&env, &r, &m));
	assert_true(scan_tcp_syn_module.classify(&r, &st, &reason));
	assert_int_equal(st, PORT_CLOSED);
	assert_int_equal(reason, REASON_RESET);
	assert_int_equal(scan_tcp_syn_module.make_teardown(rst, sizeof(rst), &r, NULL, NULL, 9),
			 0);

	reply.flags = NET_TCP_SYN;
	len = net_build_tcp(frame, sizeof(frame), NULL, NULL, 0, &reply);
	assert_int_equal(net_parse_ip(frame, len, &r), PS_OK);
	assert_false(scan_tcp_syn_module.validate(&env, &r, &m));

	reply.flags = NET_TCP_SYN | NET_TCP_ACK;
	reply.ack = cookie; /* not ack = seq + 1 */
	len = net_build_tcp(frame, sizeof(frame), NULL, NULL, 0, &reply);
	assert_int_equal(net_parse_ip(frame, len, &r), PS_OK);
	assert_false(scan_tcp_syn_module.validate(&env, &r, &m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_connect_path),
	    cmocka_unit_test(test_syn_path_v4),
	    cmocka_unit_test(test_syn_path_v6),
	    cmocka_unit_test(test_syn_cookie_refused),
	    cmocka_unit_test(test_syn_tcp_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
