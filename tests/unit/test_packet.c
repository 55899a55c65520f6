/* SPDX-License-Identifier: MIT */
/*
 * Packet build/parse (src/net/packet.c) and SipHash-2-4: probes round-trip through the
 * parser, replies and ICMP errors crafted byte by byte parse to the right fields, and every
 * truncation or malformation is refused instead of read past.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "net/packet.h"
#include "net/siphash.h"

static const uint8_t mac_a[NET_ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_b[NET_ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x02};

static struct ps_addr addr(const char *text)
{
	struct ps_addr a;

	assert_int_equal(ps_addr_parse(text, &a), PS_OK);
	return a;
}

static struct net_tcp_probe probe(const char *src, const char *dst)
{
	struct net_tcp_probe p = {
		.src = addr(src),
		.dst = addr(dst),
		.sport = 40001,
		.dport = 443,
		.seq = 0xdeadbeef,
		.ack = 0,
		.flags = NET_TCP_SYN,
		.ttl = 64,
		.window = 1024,
		.ip_id = 7,
		.mss = 1460,
	};
	return p;
}

/* The checksum of a correct header (or pseudo header + segment) folds to zero. */
static void assert_checksums(const uint8_t *ip, size_t len)
{
	uint32_t sum;
	size_t hl, alen;
	const uint8_t *src, *dst;

	if ((ip[0] >> 4) == 4) {
		hl = (size_t)(ip[0] & 0xf) * 4;
		assert_int_equal(net_csum_fold(net_csum_add(0, ip, hl)), 0);
		src = ip + 12;
		dst = ip + 16;
		alen = 4;
	} else {
		hl = 40;
		src = ip + 8;
		dst = ip + 24;
		alen = 16;
	}
	sum = net_csum_add(0, src, alen);
	sum = net_csum_add(sum, dst, alen);
	sum += IPPROTO_TCP + (uint32_t)(len - hl);
	assert_int_equal(net_csum_fold(net_csum_add(sum, ip + hl, len - hl)), 0);
}

static void test_syn_roundtrip_v4(void **state)
{
	struct net_tcp_probe p = probe("192.0.2.1", "192.0.2.2");
	uint8_t frame[NET_FRAME_MAX];
	struct net_reply r;
	size_t len = net_build_tcp(frame, sizeof(frame), mac_b, mac_a, 1, &p);

	(void)state;
	assert_int_equal(len, 14 + 20 + 24);
	assert_memory_equal(frame, mac_b, 6);
	assert_memory_equal(frame + 6, mac_a, 6);
	assert_checksums(frame + 14, len - 14);
	assert_int_equal(net_parse_frame(frame, len, &r), PS_OK);
	assert_int_equal(r.kind, NET_REPLY_TCP);
	assert_int_equal(ps_addr_cmp(&r.src, &p.src), 0);
	assert_int_equal(ps_addr_cmp(&r.dst, &p.dst), 0);
	assert_int_equal(r.sport, 40001);
	assert_int_equal(r.dport, 443);
	assert_int_equal(r.seq, 0xdeadbeef);
	assert_int_equal(r.flags, NET_TCP_SYN);
	assert_int_equal(r.ttl, 64);
	/* Too small a buffer builds nothing. */
	assert_int_equal(net_build_tcp(frame, len - 1, mac_b, mac_a, 1, &p), 0);
}

static void test_udp_roundtrip(void **state)
{
	static const uint8_t payload[] = "\x12\x34hello";
	struct net_udp_probe u = {.sport = 40001, .dport = 53, .ttl = 64, .ip_id = 7,
				  .payload = payload, .payload_len = sizeof(payload) - 1};
	uint8_t frame[NET_FRAME_MAX];
	struct net_reply r;
	uint32_t sum;
	size_t len;
	int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		assert_int_equal(ps_addr_parse(v6 ? "2001:db8::1" : "192.0.2.1", &u.src), 0);
		assert_int_equal(ps_addr_parse(v6 ? "2001:db8::2" : "192.0.2.2", &u.dst), 0);
		len = net_build_udp(frame, sizeof(frame), mac_b, mac_a, 1, &u);
		assert_int_equal(len, 14 + (v6 ? 40 : 20) + 8 + 7);
		/* The UDP checksum over the pseudo-header comes out as 0 (RFC 768). */
		sum = net_csum_add(0, u.src.bytes, v6 ? 16 : 4);
		sum = net_csum_add(sum, u.dst.bytes, v6 ? 16 : 4);
		sum += IPPROTO_UDP + 15;
		assert_int_equal(net_csum_fold(net_csum_add(sum, frame + len - 15, 15)), 0);
		assert_int_equal(net_parse_frame(frame, len, &r), PS_OK);
		assert_int_equal(r.kind, NET_REPLY_UDP);
		assert_int_equal(r.sport, 40001);
		assert_int_equal(r.dport, 53);
		assert_int_equal(r.payload_len, 7);
		assert_memory_equal(r.payload, payload, 7);
		/* A length field longer than the datagram is a cut datagram; shorter than 8 bad. */
		frame[len - 15 + 5] = 200;
		assert_int_equal(net_parse_frame(frame, len, &r), PS_ERR_TRUNCATED);
		frame[len - 15 + 5] = 4;
		assert_int_equal(net_parse_frame(frame, len, &r), PS_ERR_INVALID);
	}
	u.payload_len = NET_UDP_PAYLOAD_MAX + 1;
	assert_int_equal(net_build_udp(frame, sizeof(frame), mac_b, mac_a, 1, &u), 0);
}

static void test_syn_roundtrip_v6(void **state)
{
	struct net_tcp_probe p = probe("2001:db8::1", "2001:db8::2");
	uint8_t frame[NET_FRAME_MAX];
	struct net_reply r;
	size_t len = net_build_tcp(frame, sizeof(frame), mac_b, mac_a, 0, &p);

	(void)state;
	assert_int_equal(len, 40 + 24);
	assert_checksums(frame, len);
	assert_int_equal(net_parse_ip(frame, len, &r), PS_OK);
	assert_int_equal(r.kind, NET_REPLY_TCP);
	assert_int_equal(ps_addr_cmp(&r.dst, &p.dst), 0);
	assert_int_equal(r.seq, 0xdeadbeef);
	/* Mixed families are refused. */
	p.dst = addr("192.0.2.2");
	assert_int_equal(net_build_tcp(frame, sizeof(frame), mac_b, mac_a, 0, &p), 0);
}

static void test_rst_and_synack(void **state)
{
	struct net_tcp_probe p = probe("192.0.2.2", "192.0.2.1");
	uint8_t frame[NET_FRAME_MAX];
	struct net_reply r;
	size_t len;

	(void)state;
	p.sport = 443;
	p.dport = 40001;
	p.flags = NET_TCP_SYN | NET_TCP_ACK;
	p.ack = 0xdeadbef0;
	len = net_build_tcp(frame, sizeof(frame), mac_a, mac_b, 1, &p);
	assert_int_equal(net_parse_frame(frame, len, &r), PS_OK);
	assert_int_equal(r.flags, NET_TCP_SYN | NET_TCP_ACK);
	assert_int_equal(r.ack, 0xdeadbef0);
	p.flags = NET_TCP_RST | NET_TCP_ACK;
	p.mss = 0;
	len = net_build_tcp(frame, sizeof(frame), mac_a, mac_b, 1, &p);
	assert_int_equal(len, 14 + 40);
	assert_int_equal(net_parse_frame(frame, len, &r), PS_OK);
	assert_int_equal(r.flags, NET_TCP_RST | NET_TCP_ACK);
}

/* Every prefix of a valid packet is refused (the declared length no longer fits). */
static void assert_prefixes_refused(const uint8_t *pkt, size_t len, int is_frame)
{
	struct net_reply r;
	size_t n;

	for (n = 0; n < len; n++) {
		enum ps_err err = is_frame ? net_parse_frame(pkt, n, &r) : net_parse_ip(pkt, n, &r);

		assert_int_not_equal(err, PS_OK);
	}
}

static void test_truncated(void **state)
{
	struct net_tcp_probe p4 = probe("192.0.2.1", "192.0.2.2");
	struct net_tcp_probe p6 = probe("2001:db8::1", "2001:db8::2");
	uint8_t frame[NET_FRAME_MAX];
	size_t len;

	(void)state;
	len = net_build_tcp(frame, sizeof(frame), mac_b, mac_a, 1, &p4);
	assert_prefixes_refused(frame, len, 1);
	len = net_build_tcp(frame, sizeof(frame), mac_b, mac_a, 1, &p6);
	assert_prefixes_refused(frame, len, 1);
}

static void test_padding_and_junk(void **state)
{
	struct net_tcp_probe p = probe("192.0.2.1", "192.0.2.2");
	uint8_t frame[NET_FRAME_MAX];
	struct net_reply r;
	size_t len;

	(void)state;
	p.mss = 0;
	memset(frame, 0xee, sizeof(frame));
	len = net_build_tcp(frame, sizeof(frame), mac_b, mac_a, 1, &p);
	/* Ethernet pads to 60 bytes: the IP total length decides where the packet ends. */
	assert_int_equal(net_parse_frame(frame, 60, &r), PS_OK);
	assert_int_equal(r.dport, 443);
	/* IHL below 5 */
	frame[14] = 0x44;
	assert_int_equal(net_parse_frame(frame, len, &r), PS_ERR_INVALID);
	frame[14] = 0x45;
	/* TCP data offset below 5 */
	frame[14 + 20 + 12] = 0x40;
	assert_int_equal(net_parse_frame(frame, len, &r), PS_ERR_INVALID);
	frame[14 + 20 + 12] = 0x50;
	/* A later fragment carries no TCP header. */
	frame[14 + 6] = 0x00;
	frame[14 + 7] = 0x10;
	assert_int_equal(net_parse_frame(frame, len, &r), PS_ERR_UNSUPPORTED);
	frame[14 + 7] = 0;
	/* Total length shorter than the header. */
	frame[14 + 2] = 0;
	frame[14 + 3] = 10;
	assert_int_equal(net_parse_frame(frame, len, &r), PS_ERR_INVALID);
	/* ARP is not ours. */
	frame[12] = 0x08;
	frame[13] = 0x06;
	assert_int_equal(net_parse_frame(frame, len, &r), PS_ERR_UNSUPPORTED);
	/* SCTP is not ours either. */
	len = net_build_tcp(frame, sizeof(frame), mac_b, mac_a, 1, &p);
	frame[14 + 9] = IPPROTO_SCTP;
	assert_int_equal(net_parse_frame(frame, len, &r), PS_ERR_UNSUPPORTED);
	/* Version 5 */
	frame[14] = 0x55;
	assert_int_equal(net_parse_frame(frame, len, &r), PS_ERR_INVALID);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ICMP 3/13 from a router, quoting our SYN (IP header + the whole TCP header). */
static size_t icmp4_error(uint8_t *buf, uint8_t code, size_t quote_tcp)
{
	struct net_tcp_probe p = probe("192.0.2.1", "198.18.0.9");
	uint8_t syn[NET_FRAME_MAX];
	size_t synlen = net_build_tcp(syn, sizeof(syn), NULL, NULL, 0, &p);
	size_t qlen = 20 + quote_tcp, total = 20 + 8 + qlen;

	assert_true(quote_tcp <= synlen - 20);
	memset(buf, 0, 14 + total);
	buf[12] = 0x08;
	buf[14] = 0x45;
	put16(buf + 14 + 2, (unsigned)total);
	buf[14 + 8] = 63;
	buf[14 + 9] = IPPROTO_ICMP;
	memcpy(buf + 14 + 12, (uint8_t[]){192, 0, 2, 2}, 4);
	memcpy(buf + 14 + 16, (uint8_t[]){192, 0, 2, 1}, 4);
	buf[14 + 20] = 3;
	buf[14 + 21] = code;
	memcpy(buf + 14 + 28, syn, qlen);
	return 14 + total;
}

static void test_icmp4_quote(void **state)
{
	uint8_t buf[256];
	struct net_reply r;
	size_t len = icmp4_error(buf, 13, 8);
	struct ps_addr want_dst = addr("198.18.0.9"), want_src = addr("192.0.2.1");

	(void)state;
	assert_int_equal(net_parse_frame(buf, len, &r), PS_OK);
	assert_int_equal(r.kind, NET_REPLY_ICMP);
	assert_int_equal(r.icmp_type, 3);
	assert_int_equal(r.icmp_code, 13);
	assert_int_equal(ps_addr_cmp(&r.q_dst, &want_dst), 0);
	assert_int_equal(ps_addr_cmp(&r.q_src, &want_src), 0);
	assert_int_equal(r.q_sport, 40001);
	assert_int_equal(r.q_dport, 443);
	assert_int_equal(r.q_seq, 0xdeadbeef);
	assert_int_equal(r.ttl, 63);
	assert_prefixes_refused(buf, len, 1);
	/* A quote with less than 8 bytes of TCP cannot be matched. */
	len = icmp4_error(buf, 13, 6);
	assert_int_equal(net_parse_frame(buf, len, &r), PS_ERR_TRUNCATED);
	/* The full quote parses the same way. */
	len = icmp4_error(buf, 1, 24);
	assert_int_equal(net_parse_frame(buf, len, &r), PS_OK);
	assert_int_equal(r.q_seq, 0xdeadbeef);
	/* An echo request is not an error. */
	buf[14 + 20] = 8;
	assert_int_equal(net_parse_frame(buf, len, &r), PS_ERR_UNSUPPORTED);
	/* A quote that is neither TCP nor UDP is not ours. */
	len = icmp4_error(buf, 1, 24);
	buf[14 + 28 + 9] = IPPROTO_SCTP;
	assert_int_equal(net_parse_frame(buf, len, &r), PS_ERR_UNSUPPORTED);
	/* An IPv6 quote inside ICMPv4 is malformed. */
	len = icmp4_error(buf, 1, 24);
	buf[14 + 28] = 0x60;
	assert_int_not_equal(net_parse_frame(buf, len, &r), PS_OK);
}

/*
 * ICMPv6 1/1 with the outer packet carrying a destination-options header, and the quoted
 * probe a hop-by-hop and a fragment header before TCP.
 */
static size_t icmp6_error(uint8_t *buf)
{
	struct net_tcp_probe p = probe("2001:db8::1", "2001:db8:1::9");
	uint8_t syn[NET_FRAME_MAX], *ip = buf + 14, *q;
	size_t synlen = net_build_tcp(syn, sizeof(syn), NULL, NULL, 0, &p);
	size_t ext_outer = 8, ext_q = 8 + 8, qlen = synlen + ext_q;
	size_t payload = ext_outer + 8 + qlen;

	memset(buf, 0, 14 + 40 + payload);
	buf[12] = 0x86;
	buf[13] = 0xdd;
	ip[0] = 0x60;
	put16(ip + 4, (unsigned)payload);
	ip[6] = 60; /* destination options */
	ip[7] = 62;
	memcpy(ip + 8, syn + 24, 16); /* from the target network's router: reuse dst */
	memcpy(ip + 24, syn + 8, 16);
	ip[40] = IPPROTO_ICMPV6; /* dest opts: next header, length 0 (8 bytes), PadN */
	ip[41] = 0;
	ip[42] = 1;
	ip[43] = 4;
	ip[48] = 1; /* destination unreachable */
	ip[49] = 1; /* administratively prohibited */
	q = ip + 56;
	memcpy(q, syn, 40);
	q[6] = 0; /* hop-by-hop */
	put16(q + 4, (unsigned)(synlen - 40 + ext_q));
	q[40] = 44; /* next: fragment */
	q[41] = 0;
	q[42] = 1;
	q[43] = 4;
	q[48] = IPPROTO_TCP; /* fragment header, offset 0 */
	memcpy(q + 56, syn + 40, synlen - 40);
	return 14 + 40 + payload;
}

static void test_icmp6_quote(void **state)
{
	uint8_t buf[512];
	struct net_reply r;
	size_t len = icmp6_error(buf);
	struct ps_addr want = addr("2001:db8:1::9");

	(void)state;
	assert_int_equal(net_parse_frame(buf, len, &r), PS_OK);
	assert_int_equal(r.kind, NET_REPLY_ICMP);
	assert_int_equal(r.icmp_type, 1);
	assert_int_equal(r.icmp_code, 1);
	assert_int_equal(ps_addr_cmp(&r.q_dst, &want), 0);
	assert_int_equal(r.q_sport, 40001);
	assert_int_equal(r.q_dport, 443);
	assert_int_equal(r.q_seq, 0xdeadbeef);
	assert_prefixes_refused(buf, len, 1);
	/* A quoted later fragment has no TCP header to match. */
	buf[14 + 56 + 48 + 3] = 0x08;
	assert_int_equal(net_parse_frame(buf, len, &r), PS_ERR_UNSUPPORTED);
}

static void test_ipv6_ext_loop(void **state)
{
	uint8_t pkt[40 + 8 * 12];
	struct net_reply r;
	int i;

	(void)state;
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	put16(pkt + 4, sizeof(pkt) - 40);
	pkt[6] = 60;
	/* Twelve destination-options headers in a row: more than any reply carries. */
	for (i = 0; i < 12; i++)
		pkt[40 + 8 * i] = 60;
	assert_int_equal(net_parse_ip(pkt, sizeof(pkt), &r), PS_ERR_INVALID);
	/* An extension header claiming more than the packet holds. */
	pkt[41] = 200;
	assert_int_equal(net_parse_ip(pkt, sizeof(pkt), &r), PS_ERR_TRUNCATED);
	/* A jumbogram (payload length 0) */
	put16(pkt + 4, 0);
	assert_int_equal(net_parse_ip(pkt, sizeof(pkt), &r), PS_ERR_UNSUPPORTED);
}

static void test_vlan(void **state)
{
	struct net_tcp_probe p = probe("192.0.2.1", "192.0.2.2");
	uint8_t frame[NET_FRAME_MAX + 4], tagged[NET_FRAME_MAX + 4];
	struct net_reply r;
	size_t len = net_build_tcp(frame, sizeof(frame), mac_b, mac_a, 1, &p);

	(void)state;
	memcpy(tagged, frame, 12);
	tagged[12] = 0x81;
	tagged[13] = 0x00;
	tagged[14] = 0;
	tagged[15] = 5;
	memcpy(tagged + 16, frame + 12, len - 12);
	assert_int_equal(net_parse_frame(tagged, len + 4, &r), PS_OK);
	assert_int_equal(r.dport, 443);
	assert_int_equal(net_parse_frame(tagged, 16, &r), PS_ERR_TRUNCATED);
}

/* Reference vectors of the SipHash paper (appendix A): key 00..0f, messages 00, 01, 02... */
/* A tiny deterministic generator for the comparisons below. */
static uint64_t next_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 17;
}

/* The template's frame is net_build_tcp's, byte for byte, for every field it re-addresses. */
static void test_tcp_template(void **state)
{
	static const uint8_t mac_d[6] = {2, 0, 0, 0, 0, 2}, mac_s[6] = {2, 0, 0, 0, 0, 1};
	struct net_tcp_template t;
	uint8_t want[NET_FRAME_MAX], got[NET_FRAME_MAX];
	uint64_t r = 7;
	int fam, link, i;

	(void)state;
	for (fam = 0; fam < 2; fam++)
		for (link = 0; link < 2; link++) {
			struct net_tcp_probe p = {.sport = 40000, .flags = NET_TCP_SYN, .ttl = 64,
						  .window = 1024, .mss = 1460};

			assert_int_equal(ps_addr_parse(fam ? "2001:db8::1" : "198.18.0.1", &p.src), 0);
			p.dst = p.src;
			assert_true(net_tcp_template_init(&t, mac_d, mac_s, link, &p) > 0);
			for (i = 0; i < 2000; i++) {
				size_t n, k;

				for (k = 0; k < (fam ? 16u : 4u); k++)
					p.dst.bytes[k] = (uint8_t)next_rand(&r);
				/* the extremes of the checksum's carries too */
				if (i == 0)
					memset(p.dst.bytes, 0xff, fam ? 16 : 4);
				p.dport = (uint16_t)(i == 1 ? 0xffff : next_rand(&r));
				p.seq = (uint32_t)(i == 1 ? 0xffffffffu : next_rand(&r));
				p.ip_id = (uint16_t)(i == 1 ? 0xffff : next_rand(&r));
				n = net_build_tcp(want, sizeof(want), mac_d, mac_s, link, &p);
				assert_int_equal(net_tcp_template_fill(&t, got, &p.dst, p.dport, p.seq,
								       p.ip_id),
						 n);
				assert_memory_equal(got, want, n);
			}
		}
}

/* Hashing a prefix once and the rest per input is the whole hash. */
static void test_siphash_prefix(void **state)
{
	struct net_siphash_key key = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
	uint8_t in[64];
	size_t pre, len;

	(void)state;
	for (len = 0; len < sizeof(in); len++)
		in[len] = (uint8_t)(len * 37 + 5);
	for (len = 0; len <= sizeof(in); len++)
		for (pre = 0; pre <= len; pre += 8)
			assert_true(net_siphash24_rest(net_siphash24_prefix(&key, in, pre), in + pre,
						       len - pre, len) ==
				    net_siphash24(&key, in, len));
}

static void test_siphash_vectors(void **state)
{
	struct net_siphash_key key = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
	uint8_t msg[64];
	int i;

	(void)state;
	for (i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	assert_true(net_siphash24(&key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(net_siphash24(&key, msg, 1) == 0x74f839c593dc67fdULL);
	assert_true(net_siphash24(&key, msg, 8) == 0x93f5f5799a932462ULL);
	assert_true(net_siphash24(&key, msg, 15) == 0xa129ca6149be45e5ULL);
	assert_true(net_siphash24(&key, msg, 63) == 0x958a324ceb064572ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_roundtrip_v4),
		cmocka_unit_test(test_syn_roundtrip_v6),
		cmocka_unit_test(test_udp_roundtrip),
		cmocka_unit_test(test_rst_and_synack),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_padding_and_junk),
		cmocka_unit_test(test_icmp4_quote),
		cmocka_unit_test(test_icmp6_quote),
		cmocka_unit_test(test_ipv6_ext_loop),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_siphash_prefix),
		cmocka_unit_test(test_tcp_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
