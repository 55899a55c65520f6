/* SPDX-License-Identifier: MIT */
/*
 * The host discovery probe module (src/scan/module_host.c): each probe it builds, the reply a
 * host would send to it (built from the probe's own bytes, as the kernel does), and that the
 * cookie proves the reply, a changed cookie or address does not, and the reply says why the
 * host is up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "net/packet.h"
#include "scan/module.h"

static const struct scan_host_probe probes[] = {
    {.kind = SCAN_HOST_ECHO},
    {.kind = SCAN_HOST_SYN, .port = 443},
    {.kind = SCAN_HOST_ACK, .port = 80},
    {.kind = SCAN_HOST_TIMESTAMP},
    {.kind = SCAN_HOST_UDP, .port = 40125},
};

static struct scan_probe_env env = {
    .key = {0x0123456789abcdefULL, 0xfedcba9876543210ULL},
    .sport_base = 50000,
    .sport_span = SCAN_HOST_SPORT_SPAN,
    .host_probes = probes,
    .nhost_probes = sizeof(probes) / sizeof(probes[0]),
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Our probe number k from us to target, as bare IP. */
static size_t probe_of(uint8_t *buf, const char *us, const char *target, uint16_t k)
{
	struct scan_probe p = {.sport = env.sport_base, .dport = k, .ip_id = 7};

	assert_int_equal(ps_addr_parse(us, &p.src), 0);
	assert_int_equal(ps_addr_parse(target, &p.dst), 0);
	return scan_host_module.make_packet(buf, NET_FRAME_MAX, &env, &p);
}

/* The ICMP query reply a host sends back to the query in probe (id and seq echoed). */
static void query_reply(const uint8_t *probe, size_t len, uint8_t reply_type, struct net_reply *r)
{
	int v6 = (probe[0] >> 4) == 6;
	size_t hl = v6 ? 40 : 20;
	struct net_icmp_probe q = {.type = v6 ? NET_ICMP6_ECHO_REQUEST : NET_ICMP_ECHO_REQUEST,
				   .ttl = 61};
	uint8_t buf[NET_FRAME_MAX];
	size_t n;

	assert_true(len >= hl + 8);
	q.src.family = q.dst.family = v6 ? AF_INET6 : AF_INET;
	memcpy(q.src.bytes, probe + (v6 ? 24 : 16), v6 ? 16 : 4);
	memcpy(q.dst.bytes, probe + (v6 ? 8 : 12), v6 ? 16 : 4);
	q.id = rd16(probe + hl + 4);
	q.seq = rd16(probe + hl + 6);
	n = net_build_icmp(buf, sizeof(buf), NULL, NULL, 0, &q);
	assert_true(n > 0);
	buf[hl] = reply_type; /* the checksum is not what the parser reads */
	if (reply_type == NET_ICMP_TIMESTAMP_REPLY) {
		/* a timestamp reply is 20 bytes of ICMP: grow the packet */
		memset(buf + n, 0, 12);
		buf[3] = (uint8_t)(20 + 20);
		n += 12;
	}
	assert_int_equal(net_parse_ip(buf, n, r), PS_OK);
}

static void assert_up(const struct net_reply *r, uint16_t k, enum port_reason want)
{
	struct scan_probe_match m;
	enum port_state st;
	enum port_reason reason;

	assert_true(scan_host_module.validate(&env, r, &m));
	assert_int_equal(m.dport, k);
	assert_true((uint16_t)(m.sport - env.sport_base) < env.sport_span);
	assert_true(scan_host_module.classify(r, &st, &reason));
	assert_int_equal(st, PORT_OPEN);
	assert_int_equal(reason, want);
}

static void test_echo(void **state)
{
	static const char *const pairs[][2] = {{"198.18.0.1", "198.18.1.7"},
					       {"2001:db8::1", "2001:db8:1::7"}};
	uint8_t buf[NET_FRAME_MAX];
	struct net_reply r;
	struct scan_probe_match m;
	size_t len, i;

	(void)state;
	for (i = 0; i < 2; i++) {
		int v6 = i == 1;
		size_t hl = v6 ? 40 : 20;

		len = probe_of(buf, pairs[i][0], pairs[i][1], 1);
		assert_true(len == hl + 8);
		assert_int_equal(buf[v6 ? 6 : 9], v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
		assert_int_equal(buf[hl], v6 ? NET_ICMP6_ECHO_REQUEST : NET_ICMP_ECHO_REQUEST);
		/* Our own request seen coming in is not a reply. */
		assert_int_equal(net_parse_ip(buf, len, &r), PS_ERR_UNSUPPORTED);
		query_reply(buf, len, v6 ? NET_ICMP6_ECHO_REPLY : NET_ICMP_ECHO_REPLY, &r);
		assert_int_equal(r.kind, NET_REPLY_ICMP_QUERY);
		assert_int_equal(r.ttl, 61);
		assert_up(&r, 1, REASON_ECHO_REPLY);
		/* Another sequence number: not our cookie. */
		r.icmp_seq ^= 1;
		assert_false(scan_host_module.validate(&env, &r, &m));
		r.icmp_seq ^= 1;
		/* The same cookie from another address: not the host we asked. */
		r.src.bytes[v6 ? 15 : 3] ^= 1;
		assert_false(scan_host_module.validate(&env, &r, &m));
	}
}

/* The ICMPv4 echo checksum is the RFC 1071 sum of the message: it folds to zero. */
static void test_echo_checksum(void **state)
{
	uint8_t buf[NET_FRAME_MAX];
	size_t len;

	(void)state;
	len = probe_of(buf, "198.18.0.1", "198.18.1.7", 1);
	assert_int_equal(net_csum_fold(net_csum_add(0, buf + 20, len - 20)), 0);
	assert_int_equal(net_csum_fold(net_csum_add(0, buf, 20)), 0);
}

static void test_timestamp(void **state)
{
	uint8_t buf[NET_FRAME_MAX];
	struct net_reply r;
	size_t len;

	(void)state;
	len = probe_of(buf, "198.18.0.1", "198.18.1.7", 4);
	assert_int_equal(len, 20 + 20);
	assert_int_equal(buf[20], NET_ICMP_TIMESTAMP);
	query_reply(buf, len, NET_ICMP_TIMESTAMP_REPLY, &r);
	assert_up(&r, 4, REASON_TIMESTAMP_REPLY);
	/* An echo reply with the timestamp's cookie is not the echo's answer. */
	query_reply(buf, len, NET_ICMP_ECHO_REPLY, &r);
	{
		struct scan_probe_match m;

		assert_false(scan_host_module.validate(&env, &r, &m));
	}
	/* ICMPv6 has no timestamp query: nothing is sent. */
	assert_int_equal(probe_of(buf, "2001:db8::1", "2001:db8:1::7", 4), 0);
}

/* A TCP reply from target to our probe's source port. */
static void tcp_reply(const uint8_t *probe, uint8_t flags, uint32_t seq, uint32_t ack,
		      struct net_reply *r)
{
	struct net_tcp_probe t = {.flags = flags, .seq = seq, .ack = ack, .ttl = 60};
	uint8_t buf[NET_FRAME_MAX];
	size_t n;

	t.src.family = t.dst.family = AF_INET;
	memcpy(t.src.bytes, probe + 16, 4);
	memcpy(t.dst.bytes, probe + 12, 4);
	t.sport = rd16(probe + 22);
	t.dport = rd16(probe + 20);
	n = net_build_tcp(buf, sizeof(buf), NULL, NULL, 0, &t);
	assert_int_equal(net_parse_ip(buf, n, r), PS_OK);
}

static void test_syn_ack_probes(void **state)
{
	uint8_t syn[NET_FRAME_MAX], ack[NET_FRAME_MAX], out[NET_FRAME_MAX];
	struct net_reply r;
	struct scan_probe_match m;
	uint32_t syn_seq, ack_ack;

	(void)state;
	assert_true(probe_of(syn, "198.18.0.1", "198.18.1.7", 2) > 0);
	assert_int_equal(syn[33], NET_TCP_SYN);
	assert_int_equal(rd16(syn + 22), 443);
	syn_seq = rd32(syn + 24);
	/* SYN-ACK: up, and the RST that closes the half-open connection goes back. */
	tcp_reply(syn, NET_TCP_SYN | NET_TCP_ACK, 99, syn_seq + 1, &r);
	assert_up(&r, 2, REASON_SYN_ACK);
	assert_true(scan_host_module.make_teardown(out, sizeof(out), &r, NULL, NULL, 1) > 0);
	/* RST-ACK from a closed 443: up too. */
	tcp_reply(syn, NET_TCP_RST | NET_TCP_ACK, 0, syn_seq + 1, &r);
	assert_up(&r, 2, REASON_RESET);
	/* The wrong acknowledgment is not ours. */
	tcp_reply(syn, NET_TCP_SYN | NET_TCP_ACK, 99, syn_seq + 2, &r);
	assert_false(scan_host_module.validate(&env, &r, &m));

	assert_true(probe_of(ack, "198.18.0.1", "198.18.1.7", 3) > 0);
	assert_int_equal(ack[33], NET_TCP_ACK);
	assert_int_equal(rd16(ack + 22), 80);
	assert_int_equal(rd16(ack + 20), env.sport_base + 1);
	ack_ack = rd32(ack + 28);
	/* The RST answering an unexpected ACK takes its sequence from our ACK field. */
	tcp_reply(ack, NET_TCP_RST, ack_ack, 0, &r);
	assert_up(&r, 3, REASON_RESET);
	tcp_reply(ack, NET_TCP_RST, ack_ack + 1, 0, &r);
	assert_false(scan_host_module.validate(&env, &r, &m));
	/* A SYN-ACK to the ACK probe's port is nothing we asked for. */
	tcp_reply(ack, NET_TCP_SYN | NET_TCP_ACK, 0, ack_ack + 1, &r);
	assert_false(scan_host_module.validate(&env, &r, &m));
}

static void test_udp_probe(void **state)
{
	uint8_t udp[NET_FRAME_MAX];
	struct net_reply r = {0};
	struct scan_probe_match m;
	enum port_state st;
	enum port_reason reason;
	size_t len;

	(void)state;
	len = probe_of(udp, "198.18.0.1", "198.18.1.7", 5);
	assert_int_equal(len, 20 + 8);
	assert_int_equal(rd16(udp + 22), 40125);
	/* Port unreachable from the host itself, quoting our datagram: up. */
	r.kind = NET_REPLY_ICMP;
	r.icmp_type = 3;
	r.icmp_code = 3;
	r.q_proto = IPPROTO_UDP;
	r.q_src.family = r.q_dst.family = r.src.family = AF_INET;
	memcpy(r.q_src.bytes, udp + 12, 4);
	memcpy(r.q_dst.bytes, udp + 16, 4);
	r.src = r.q_dst;
	r.q_sport = rd16(udp + 20);
	r.q_dport = 40125;
	assert_up(&r, 5, REASON_PORT_UNREACH);
	/* The same from a router: the host is not reachable, not up. */
	r.src.bytes[3] ^= 0x80;
	assert_true(scan_host_module.validate(&env, &r, &m));
	assert_true(scan_host_module.classify(&r, &st, &reason));
	assert_int_equal(st, PORT_FILTERED);
	assert_int_equal(reason, REASON_ICMP_PORT_UNREACH);
	/* Another source port: not our datagram. */
	r.q_sport ^= 1;
	assert_false(scan_host_module.validate(&env, &r, &m));
}

/* A probe number outside the list builds nothing. */
static void test_bad_probe_number(void **state)
{
	uint8_t buf[NET_FRAME_MAX];

	(void)state;
	assert_int_equal(probe_of(buf, "198.18.0.1", "198.18.1.7", 0), 0);
	assert_int_equal(probe_of(buf, "198.18.0.1", "198.18.1.7", 6), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_echo),
	    cmocka_unit_test(test_echo_checksum),
	    cmocka_unit_test(test_timestamp),
	    cmocka_unit_test(test_syn_ack_probes),
	    cmocka_unit_test(test_udp_probe),
	    cmocka_unit_test(test_bad_probe_number),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
