/* SPDX-License-Identifier: MIT */
/*
 * The UDP payload files and reply readers (src/probe/udp_*.c), and the UDP probe module that
 * uses them (src/scan/module_udp.c), on replayed replies: the datagrams tests/net/udp_lab.py
 * sends (typed from each protocol's RFC), recorded here byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "net/packet.h"
#include "probe/udp_payloads.h"
#include "probe/udp_reply.h"
#include "scan/module.h"

static const uint8_t dns_reply[] = {
    0xab, 0xcd, 0x84, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07, 0x76,
    0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x04, 0x62, 0x69, 0x6e, 0x64, 0x00, 0x00, 0x10,
    0x00, 0x03, 0xc0, 0x0c, 0x00, 0x10, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
    0x0b, 0x39, 0x2e, 0x31, 0x38, 0x2e, 0x32, 0x34, 0x2d, 0x6c, 0x61, 0x62,
};
static const uint8_t snmp_reply[] = {
    0x30, 0x46, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70, 0x75, 0x62, 0x6c, 0x69, 0x63, 0xa2, 0x39,
    0x02, 0x04, 0x12, 0x34, 0x56, 0x78, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x2b, 0x30,
    0x29, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x04, 0x1d, 0x4c, 0x69,
    0x6e, 0x75, 0x78, 0x20, 0x6c, 0x61, 0x62, 0x20, 0x36, 0x2e, 0x31, 0x2e, 0x30, 0x20, 0x23,
    0x31, 0x20, 0x53, 0x4d, 0x50, 0x20, 0x78, 0x38, 0x36, 0x5f, 0x36, 0x34,
};
static const uint8_t nbns_reply[] = {
    0xbe, 0xef, 0x84, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x20, 0x43, 0x4b, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
    0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x00, 0x00, 0x21,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x65, 0x03, 0x4c, 0x41, 0x42, 0x48, 0x4f, 0x53, 0x54,
    0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x00, 0x04, 0x00, 0x57, 0x4f, 0x52, 0x4b, 0x47,
    0x52, 0x4f, 0x55, 0x50, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x00, 0x84, 0x00, 0x4c, 0x41, 0x42,
    0x48, 0x4f, 0x53, 0x54, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x04, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t ssdp_reply[] = {
    0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x20, 0x32, 0x30, 0x30, 0x20, 0x4f, 0x4b, 0x0d,
    0x0a, 0x43, 0x41, 0x43, 0x48, 0x45, 0x2d, 0x43, 0x4f, 0x4e, 0x54, 0x52, 0x4f, 0x4c, 0x3a, 0x20,
    0x6d, 0x61, 0x78, 0x2d, 0x61, 0x67, 0x65, 0x3d, 0x31, 0x38, 0x30, 0x30, 0x0d, 0x0a, 0x45, 0x58,
    0x54, 0x3a, 0x0d, 0x0a, 0x4c, 0x4f, 0x43, 0x41, 0x54, 0x49, 0x4f, 0x4e, 0x3a, 0x20, 0x68, 0x74,
    0x74, 0x70, 0x3a, 0x2f, 0x2f, 0x31, 0x39, 0x38, 0x2e, 0x35, 0x31, 0x2e, 0x31, 0x30, 0x30, 0x2e,
    0x37, 0x3a, 0x34, 0x39, 0x31, 0x35, 0x32, 0x2f, 0x72, 0x6f, 0x6f, 0x74, 0x44, 0x65, 0x73, 0x63,
    0x2e, 0x78, 0x6d, 0x6c, 0x0d, 0x0a, 0x53, 0x45, 0x52, 0x56, 0x45, 0x52, 0x3a, 0x20, 0x4c, 0x69,
    0x6e, 0x75, 0x78, 0x2f, 0x36, 0x2e, 0x31, 0x20, 0x55, 0x50, 0x6e, 0x50, 0x2f, 0x31, 0x2e, 0x31,
    0x20, 0x4d, 0x69, 0x6e, 0x69, 0x55, 0x50, 0x6e, 0x50, 0x64, 0x2f, 0x32, 0x2e, 0x33, 0x2e, 0x33,
    0x0d, 0x0a, 0x53, 0x54, 0x3a, 0x20, 0x75, 0x70, 0x6e, 0x70, 0x3a, 0x72, 0x6f, 0x6f, 0x74, 0x64,
    0x65, 0x76, 0x69, 0x63, 0x65, 0x0d, 0x0a, 0x55, 0x53, 0x4e, 0x3a, 0x20, 0x75, 0x75, 0x69, 0x64,
    0x3a, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x2d, 0x30, 0x30, 0x30, 0x30, 0x2d, 0x30,
    0x30, 0x30, 0x30, 0x2d, 0x30, 0x30, 0x30, 0x30, 0x2d, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
    0x30, 0x63, 0x61, 0x66, 0x65, 0x3a, 0x3a, 0x75, 0x70, 0x6e, 0x70, 0x3a, 0x72, 0x6f, 0x6f, 0x74,
    0x64, 0x65, 0x76, 0x69, 0x63, 0x65, 0x0d, 0x0a, 0x0d, 0x0a,
};
static const uint8_t ntp_reply[] = {
    0x24, 0x02, 0x06, 0xe9, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4c, 0x41, 0x42, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t memcached_reply[] = {
    0x42, 0x42, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x56, 0x45, 0x52, 0x53,
    0x49, 0x4f, 0x4e, 0x20, 0x31, 0x2e, 0x36, 0x2e, 0x32, 0x31, 0x0d, 0x0a,
};
static const uint8_t bo_reply[] = {
    0xce, 0x63, 0xd1, 0xd2, 0x16, 0xe7, 0x13, 0xcf, 0x03, 0xa5, 0xa5, 0x86, 0xb3, 0x75,
    0x4b, 0x99, 0xaa, 0x12, 0x78, 0xc4, 0xe3, 0xd6, 0xa6, 0x65, 0x51, 0x75, 0x51, 0xeb,
    0x2a, 0x3f, 0xe5, 0x34, 0x78, 0x52, 0x92, 0xce, 0xe6, 0x04, 0xa7, 0xc1,
};

static const char sip_reply[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP portsight.invalid\r\n"
				"Server: Asterisk PBX 18.10.0\r\nContent-Length: 0\r\n\r\n";
static const uint8_t tftp_reply[] = "\x00\x05\x00\x01File not found\x00";

static void assert_parses(enum udp_reply_kind kind, const void *data, size_t len,
			  struct udp_reply_info *info)
{
	size_t cut;

	assert_true(udp_reply_parse(kind, data, len, info));
	/* Every shorter datagram is read within its bounds (ASan watches) and is either not
	 * this protocol or this protocol with fewer facts. */
	for (cut = 0; cut < len; cut++) {
		struct udp_reply_info part;

		(void)udp_reply_parse(kind, data, cut, &part);
	}
}

static void test_replies(void **state)
{
	static const uint8_t ntp_id[] = {1, 2, 3, 4}, snmp_id[] = {0x12, 0x34, 0x56, 0x78};
	struct udp_reply_info i;

	(void)state;
	assert_parses(UDP_REPLY_DNS, dns_reply, sizeof(dns_reply), &i);
	assert_string_equal(i.facts.name, "domain");
	assert_string_equal(i.facts.version, "9.18.24-lab");
	assert_int_equal(i.id_len, 2);
	assert_int_equal(i.id[0], 0xab);
	assert_int_equal(i.id[1], 0xcd);

	assert_parses(UDP_REPLY_SNMP, snmp_reply, sizeof(snmp_reply), &i);
	assert_string_equal(i.facts.name, "snmp");
	assert_string_equal(i.facts.version, "v2c");
	assert_string_equal(i.facts.info, "Linux lab 6.1.0 #1 SMP x86_64");
	assert_int_equal(i.id_len, 4);
	assert_memory_equal(i.id, snmp_id, 4);

	assert_parses(UDP_REPLY_NBNS, nbns_reply, sizeof(nbns_reply), &i);
	assert_string_equal(i.facts.name, "netbios-ns");
	assert_string_equal(i.facts.info, "LABHOST<00>,WORKGROUP<00>,LABHOST<20>");
	assert_int_equal(i.id[0], 0xbe);

	assert_parses(UDP_REPLY_SSDP, ssdp_reply, sizeof(ssdp_reply), &i);
	assert_string_equal(i.facts.name, "upnp");
	assert_string_equal(i.facts.product, "Linux/6.1 UPnP/1.1 MiniUPnPd/2.3.3");
	assert_non_null(strstr(i.facts.info, "location=http://198.51.100.7:49152/rootDesc.xml"));
	assert_non_null(strstr(i.facts.info, "usn=uuid:00000000-0000-0000-0000-00000000cafe"));

	assert_parses(UDP_REPLY_NTP, ntp_reply, sizeof(ntp_reply), &i);
	assert_string_equal(i.facts.info, "stratum 2");
	assert_string_equal(i.facts.version, "v4");
	assert_memory_equal(i.id, ntp_id, 4);

	assert_parses(UDP_REPLY_MEMCACHED, memcached_reply, sizeof(memcached_reply), &i);
	assert_string_equal(i.facts.version, "1.6.21");
	assert_int_equal(i.id[0], 0x42);

	assert_parses(UDP_REPLY_BO, bo_reply, sizeof(bo_reply), &i);
	assert_string_equal(i.facts.name, "backorifice");
	assert_string_equal(i.facts.version, "1.20");
	assert_string_equal(i.facts.info, "LABHOST");
	assert_true(i.facts.flags & SERVICE_FLAG_BACKDOOR);

	assert_parses(UDP_REPLY_SIP, sip_reply, sizeof(sip_reply) - 1, &i);
	assert_string_equal(i.facts.product, "Asterisk PBX 18.10.0");
	assert_parses(UDP_REPLY_TFTP, tftp_reply, sizeof(tftp_reply) - 1, &i);
	assert_string_equal(i.facts.name, "tftp");

	/* Each reader refuses the others' replies. */
	assert_false(udp_reply_parse(UDP_REPLY_SNMP, dns_reply, sizeof(dns_reply), &i));
	assert_false(udp_reply_parse(UDP_REPLY_BO, dns_reply, sizeof(dns_reply), &i));
	assert_false(udp_reply_parse(UDP_REPLY_NTP, ssdp_reply, 20, &i));
	assert_false(udp_reply_parse(UDP_REPLY_SSDP, snmp_reply, sizeof(snmp_reply), &i));
	assert_false(udp_reply_parse(UDP_REPLY_NONE, dns_reply, sizeof(dns_reply), &i));
}

/* A DNS answer whose compression pointer loops, or whose TXT runs past its record. */
static void test_dns_malformed(void **state)
{
	uint8_t d[sizeof(dns_reply)];
	struct udp_reply_info i;

	(void)state;
	memcpy(d, dns_reply, sizeof(d));
	d[12] = 0x3f; /* the question's first label now runs past the datagram */
	assert_false(udp_reply_parse(UDP_REPLY_DNS, d, sizeof(d), &i));
	memcpy(d, dns_reply, sizeof(d));
	d[sizeof(d) - 12] = 0xff; /* TXT string longer than its rdata */
	assert_true(udp_reply_parse(UDP_REPLY_DNS, d, sizeof(d), &i));
	assert_string_equal(i.facts.version, "");
}

static void test_builtin_payloads(void **state)
{
	static const uint16_t ports[] = {53,   69,   123,  137,	  161,	500,
					 1900, 5060, 5353, 11211, 31337};
	const struct udp_payload *list[UDP_PAYLOADS_PER_PORT];
	struct ps_diag diag = {{0}};
	struct udp_payloads p;
	uint8_t bo[32];
	size_t i;

	(void)state;
	assert_int_equal(udp_payloads_builtin(&p, &diag), PS_OK);
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		assert_true(udp_payloads_for_port(&p, ports[i], list, UDP_PAYLOADS_PER_PORT) >= 1);
	/* Several payloads where the protocol's versions or servers differ. */
	assert_int_equal(udp_payloads_for_port(&p, 53, list, UDP_PAYLOADS_PER_PORT), 2);
	assert_string_equal(list[0]->name, "dns-version-bind");
	assert_int_equal(list[0]->reply, UDP_REPLY_DNS);
	assert_int_equal(list[0]->cookie_off, 0);
	assert_int_equal(udp_payloads_for_port(&p, 161, list, UDP_PAYLOADS_PER_PORT), 2);
	assert_int_equal(list[0]->cookie_off, 17);
	assert_int_equal(udp_payloads_for_port(&p, 1900, list, UDP_PAYLOADS_PER_PORT), 2);
	assert_non_null(memmem(list[1]->data, list[1]->len, "upnp:rootdevice", 15));
	assert_int_equal(udp_payloads_for_port(&p, 9, list, UDP_PAYLOADS_PER_PORT), 0);
	/* Back Orifice's ping decrypts to its magic under the default key. */
	assert_int_equal(udp_payloads_for_port(&p, 31337, list, UDP_PAYLOADS_PER_PORT), 1);
	assert_int_equal(list[0]->len, 19);
	memcpy(bo, list[0]->data, 19);
	udp_bo_crypt(bo, 19);
	assert_memory_equal(bo, "*!*QWTY?", 8);
	assert_int_equal(bo[16], 1);
	udp_payloads_release(&p);
}

static void assert_refused(const char *text, enum udp_payloads_format fmt, const char *msg)
{
	struct ps_diag diag = {{0}};
	struct udp_payloads p;

	assert_int_not_equal(udp_payloads_parse(&p, text, strlen(text), fmt, &diag), PS_OK);
	if (!strstr(diag.msg, msg))
		fail_msg("\"%s\": got \"%s\", want \"%s\"", text, diag.msg, msg);
	assert_null(p.items);
}

static void test_payload_files(void **state)
{
	static const char nmap[] = "# nmap-payloads style\n"
				   "udp 7,9 \"\\x00\\x01\"\n  \"ab\\r\\n\"\n  source 53\n"
				   "udp 161 \"x\"\n";
	const struct udp_payload *list[UDP_PAYLOADS_PER_PORT];
	struct ps_diag diag = {{0}};
	struct udp_payloads p;

	(void)state;
	assert_int_equal(udp_payloads_parse(&p, nmap, sizeof(nmap) - 1, UDP_PAYLOADS_NMAP, &diag),
			 PS_OK);
	assert_int_equal(p.count, 2);
	assert_int_equal(udp_payloads_for_port(&p, 9, list, UDP_PAYLOADS_PER_PORT), 1);
	assert_int_equal(list[0]->len, 6);
	assert_memory_equal(list[0]->data,
			    "\x00\x01"
			    "ab\r\n",
			    6);
	assert_int_equal(list[0]->reply, UDP_REPLY_NONE);
	udp_payloads_release(&p);

	assert_refused("ports 53\n", UDP_PAYLOADS_OWN, "line 1: \"ports\" before any payload");
	assert_refused("payload a\nports 53-\n", UDP_PAYLOADS_OWN, "line 2: bad port list");
	assert_refused("payload a\nports 9-7\n", UDP_PAYLOADS_OWN, "reversed");
	assert_refused("payload a\ndata \"abc\n", UDP_PAYLOADS_OWN, "line 2: string not closed");
	assert_refused("payload a\ndata \"\\q\"\n", UDP_PAYLOADS_OWN, "unknown escape \\q");
	assert_refused("payload a\nreply gopher\n", UDP_PAYLOADS_OWN, "unknown reply reader");
	assert_refused("payload a\ndata \"ab\"\ncookie 1 2\n", UDP_PAYLOADS_OWN,
		       "cookie past its end");
	assert_refused("payload a\ncookie 0 9\n", UDP_PAYLOADS_OWN, "cookie needs");
	assert_refused("payload a\nports 53 54\n", UDP_PAYLOADS_OWN, "unexpected text");
	assert_refused("udp 53 \"a\"\nfrob\n", UDP_PAYLOADS_NMAP, "line 2: unknown directive");
	assert_refused("\"a\"\n", UDP_PAYLOADS_NMAP, "a string outside a payload");
}

/* The UDP module on the wire: cookie in the source port and the DNS id; replies judged. */
static void test_udp_module(void **state)
{
	struct ps_diag diag = {{0}};
	struct udp_payloads p;
	struct scan_probe_env env = {
	    .key = {.k0 = 11, .k1 = 22},
	    .sport_base = 50000,
	    .sport_span = 4096,
	};
	struct scan_probe probe = {.dport = 53};
	uint8_t frame[NET_FRAME_MAX], reply_buf[NET_FRAME_MAX], dns[64];
	struct net_udp_probe reply = {.ttl = 64};
	struct scan_probe_match m;
	struct service_facts facts;
	enum port_state st;
	enum port_reason reason;
	struct net_reply r, rr;
	size_t len;

	(void)state;
	assert_int_equal(udp_payloads_builtin(&p, &diag), PS_OK);
	env.payloads = &p;
	assert_int_equal(ps_addr_parse("192.0.2.1", &probe.src), 0);
	assert_int_equal(ps_addr_parse("192.0.2.2", &probe.dst), 0);
	probe.sport = env.sport_base;
	len = scan_udp_module.make_packet(frame, sizeof(frame), &env, &probe);
	assert_true(len > 0);
	assert_int_equal(net_parse_ip(frame, len, &r), PS_OK);
	assert_int_equal(r.kind, NET_REPLY_UDP);
	assert_true(r.sport >= 50000 && r.sport < 50000 + 4096);
	assert_true(r.payload_len > 12);
	/* The second try sends the port's second payload, with the same cookie. */
	probe.try = 1;
	len = scan_udp_module.make_packet(frame, sizeof(frame), &env, &probe);
	assert_int_equal(net_parse_ip(frame, len, &rr), PS_OK);
	assert_int_equal(rr.sport, r.sport);
	assert_int_not_equal(rr.payload_len, r.payload_len);
	assert_memory_equal(rr.payload, r.payload, 2);

	/* The server's answer: its id echoes ours. */
	memcpy(dns, dns_reply, sizeof(dns_reply));
	memcpy(dns, r.payload, 2);
	reply.src = probe.dst;
	reply.dst = probe.src;
	reply.sport = 53;
	reply.dport = r.sport;
	reply.payload = dns;
	reply.payload_len = sizeof(dns_reply);
	len = net_build_udp(reply_buf, sizeof(reply_buf), NULL, NULL, 0, &reply);
	assert_int_equal(net_parse_ip(reply_buf, len, &rr), PS_OK);
	assert_true(scan_udp_module.validate(&env, &rr, &m));
	assert_int_equal(m.dport, 53);
	assert_true(scan_udp_module.classify(&rr, &st, &reason));
	assert_int_equal(st, PORT_OPEN);
	assert_int_equal(reason, REASON_UDP_RESPONSE);
	assert_true(scan_udp_module.facts(&env, &rr, &facts));
	assert_string_equal(facts.version, "9.18.24-lab");
	/* A DNS reply with another id is forged (or for someone else). */
	dns[1] ^= 1;
	len = net_build_udp(reply_buf, sizeof(reply_buf), NULL, NULL, 0, &reply);
	assert_int_equal(net_parse_ip(reply_buf, len, &rr), PS_OK);
	assert_false(scan_udp_module.validate(&env, &rr, &m));
	/* A datagram that is not DNS at all is still the port answering: sport alone. */
	reply.payload = (const uint8_t *)"hi";
	reply.payload_len = 2;
	len = net_build_udp(reply_buf, sizeof(reply_buf), NULL, NULL, 0, &reply);
	assert_int_equal(net_parse_ip(reply_buf, len, &rr), PS_OK);
	assert_true(scan_udp_module.validate(&env, &rr, &m));
	assert_false(scan_udp_module.facts(&env, &rr, &facts));
	/* To a source port we did not use for this probe: no answer of ours. */
	reply.dport = (uint16_t)(r.sport + 1);
	len = net_build_udp(reply_buf, sizeof(reply_buf), NULL, NULL, 0, &reply);
	assert_int_equal(net_parse_ip(reply_buf, len, &rr), PS_OK);
	assert_false(scan_udp_module.validate(&env, &rr, &m));
	/* Our own probe, seen coming in when we scan ourselves, is not a reply. */
	probe.dst = probe.src;
	len = scan_udp_module.make_packet(frame, sizeof(frame), &env, &probe);
	assert_int_equal(net_parse_ip(frame, len, &rr), PS_OK);
	assert_false(scan_udp_module.validate(&env, &rr, &m));
	udp_payloads_release(&p);
}

/* ICMP: port unreachable is closed, the other unreachables filtered (nmap's table). */
static void test_udp_icmp(void **state)
{
	struct net_reply r = {
	    .kind = NET_REPLY_ICMP, .icmp_type = 3, .icmp_code = 3, .q_proto = IPPROTO_UDP};
	enum port_state st;
	enum port_reason reason;

	(void)state;
	r.q_dst.family = AF_INET;
	assert_true(scan_udp_module.classify(&r, &st, &reason));
	assert_int_equal(st, PORT_CLOSED);
	assert_int_equal(reason, REASON_ICMP_PORT_UNREACH);
	r.icmp_code = 13;
	assert_true(scan_udp_module.classify(&r, &st, &reason));
	assert_int_equal(st, PORT_FILTERED);
	assert_int_equal(reason, REASON_ICMP_ADMIN_PROHIBITED);
	r.q_dst.family = AF_INET6;
	r.icmp_type = 1;
	r.icmp_code = 4;
	assert_true(scan_udp_module.classify(&r, &st, &reason));
	assert_int_equal(st, PORT_CLOSED);
	assert_int_equal(scan_udp_module.silent_state, PORT_OPEN_FILTERED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replies),	     cmocka_unit_test(test_dns_malformed),
	    cmocka_unit_test(test_builtin_payloads), cmocka_unit_test(test_payload_files),
	    cmocka_unit_test(test_udp_module),	     cmocka_unit_test(test_udp_icmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
