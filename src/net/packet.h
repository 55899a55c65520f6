/* SPDX-License-Identifier: MIT */
#ifndef PS_NET_PACKET_H
#define PS_NET_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"

/*
 * Building TCP probes and parsing what comes back: Ethernet, IPv4, IPv6 (with extension
 * headers), TCP, and ICMP/ICMPv6 errors with the header they quote. Every read checks the
 * length first and copies wire bytes out with memcpy; nothing is cast onto the buffer.
 */

#define NET_ETH_HLEN 14
#define NET_ETH_ALEN 6
/* Room for any probe: a UDP payload fits in one unfragmented datagram on any path (RFC 8200's
 * 1280-byte IPv6 minimum MTU, less the headers). */
#define NET_FRAME_MAX 1280
#define NET_UDP_PAYLOAD_MAX (NET_FRAME_MAX - NET_ETH_HLEN - 40 - 8)

#define NET_TCP_FIN 0x01
#define NET_TCP_SYN 0x02
#define NET_TCP_RST 0x04
#define NET_TCP_PSH 0x08
#define NET_TCP_ACK 0x10

struct net_tcp_probe {
	struct ps_addr src, dst; /* same family */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint8_t ttl;
	uint16_t window;
	uint16_t ip_id;
	uint16_t mss; /* 0: no MSS option */
};

/*
 * Writes an Ethernet frame (when link is non-NULL: dst MAC, src MAC) or a bare IP packet
 * carrying the TCP segment p describes, with both checksums. Returns its length, or 0 when
 * cap is too small or the family is unknown.
 */
size_t net_build_tcp(uint8_t *buf, size_t cap, const uint8_t link_dst[NET_ETH_ALEN],
		     const uint8_t link_src[NET_ETH_ALEN], int with_link,
		     const struct net_tcp_probe *p);

/*
 * A TCP frame built once and re-addressed for each probe: what differs from one SYN to the
 * next (destination address, destination port, sequence number, IP id) is written into a
 * copy, and both checksums are updated from sums taken with those fields zero (RFC 1624,
 * eqn. 3, from m = 0), instead of summing the whole headers again. The frame is the one
 * net_build_tcp() builds for the same probe, byte for byte.
 */
struct net_tcp_template {
	uint8_t frame[NET_FRAME_MAX];
	size_t len;
	size_t ip_off, tcp_off;
	int family;
	uint32_t ip_sum;  /* IPv4 header, checksum, id and destination zero */
	uint32_t tcp_sum; /* pseudo-header and TCP header, destination, port, seq, sum zero */
};

/* p's source, ports, flags, window, MSS, TTL into t (p->dst only for its family); 0: bad p. */
size_t net_tcp_template_init(struct net_tcp_template *t, const uint8_t link_dst[NET_ETH_ALEN],
			     const uint8_t link_src[NET_ETH_ALEN], int with_link,
			     const struct net_tcp_probe *p);
/* t's frame to dst:dport with seq and ip_id into out (NET_FRAME_MAX bytes: a little more than
 * the frame may be written); its length. */
size_t net_tcp_template_fill(const struct net_tcp_template *t, uint8_t *out,
			     const struct ps_addr *dst, uint16_t dport, uint32_t seq,
			     uint16_t ip_id);

struct net_udp_probe {
	struct ps_addr src, dst; /* same family */
	uint16_t sport, dport;
	uint8_t ttl;
	uint16_t ip_id;
	const uint8_t *payload;
	size_t payload_len; /* at most NET_UDP_PAYLOAD_MAX */
};

/* The same for a UDP datagram carrying p->payload. */
size_t net_build_udp(uint8_t *buf, size_t cap, const uint8_t link_dst[NET_ETH_ALEN],
		     const uint8_t link_src[NET_ETH_ALEN], int with_link,
		     const struct net_udp_probe *p);

/*
 * An ICMP query (RFC 792): echo request (IPv4 type 8, ICMPv6 128) or timestamp request
 * (IPv4 type 13, with its three timestamps), identified by id and seq, which the reply
 * echoes.
 */
struct net_icmp_probe {
	struct ps_addr src, dst; /* same family */
	uint8_t type;		 /* NET_ICMP_ECHO_REQUEST..., of the family */
	uint16_t id, seq;
	uint8_t ttl;
	uint16_t ip_id;
	uint32_t originate; /* timestamp requests: ms since midnight UT */
	const uint8_t *payload; /* echo requests: the data the reply carries back */
	size_t payload_len;
};

#define NET_ICMP_ECHO_REPLY	 0
#define NET_ICMP_ECHO_REQUEST	 8
#define NET_ICMP_TIMESTAMP	 13
#define NET_ICMP_TIMESTAMP_REPLY 14
#define NET_ICMP6_ECHO_REQUEST	 128
#define NET_ICMP6_ECHO_REPLY	 129
#define NET_ICMP_PAYLOAD_MAX 64

/* The same for an ICMP query; 0 for a type the family has not (timestamp over IPv6). */
size_t net_build_icmp(uint8_t *buf, size_t cap, const uint8_t link_dst[NET_ETH_ALEN],
		      const uint8_t link_src[NET_ETH_ALEN], int with_link,
		      const struct net_icmp_probe *p);

enum net_reply_kind {
	NET_REPLY_TCP = 1,
	NET_REPLY_ICMP, /* an ICMP/ICMPv6 error (net_icmp_is_error) quoting a TCP or UDP header */
	NET_REPLY_UDP,
	NET_REPLY_ICMP_QUERY, /* an echo reply or timestamp reply: icmp_type, icmp_id, icmp_seq */
};

/* What a received packet says, with the fields the scan engines need. */
struct net_reply {
	uint8_t kind;	/* enum net_reply_kind */
	struct ps_addr src, dst; /* outer IP header */
	uint8_t ttl;	/* TTL / hop limit */
	/* NET_REPLY_TCP and NET_REPLY_UDP */
	uint16_t sport, dport;
	/* NET_REPLY_UDP: the datagram's payload, inside the parsed buffer (valid as long as it) */
	const uint8_t *payload;
	size_t payload_len;
	uint32_t seq, ack;
	uint8_t flags;
	/* NET_REPLY_ICMP: type/code, and the quoted probe (src = us, dst = target) */
	uint8_t icmp_type, icmp_code;
	struct ps_addr q_src, q_dst;
	uint16_t q_sport, q_dport;
	uint8_t q_proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint32_t q_seq;	 /* TCP only */
	/* NET_REPLY_ICMP_QUERY (icmp_type too) */
	uint16_t icmp_id, icmp_seq;
};

/*
 * Parses one Ethernet frame / one bare IP packet. PS_OK fills out; PS_ERR_TRUNCATED for a
 * packet cut short, PS_ERR_INVALID for a malformed one, PS_ERR_UNSUPPORTED for a
 * well-formed packet of no interest (ARP, an echo request, a later fragment...).
 */
enum ps_err net_parse_frame(const uint8_t *frame, size_t len, struct net_reply *out);
enum ps_err net_parse_ip(const uint8_t *pkt, size_t len, struct net_reply *out);

/* The Internet checksum (RFC 1071) of buf, folded onto the running sum. */
uint32_t net_csum_add(uint32_t sum, const uint8_t *buf, size_t len);
uint16_t net_csum_fold(uint32_t sum);

#endif
