/* SPDX-License-Identifier: MIT */
#include "packet.h"
#include "icmp.h"

#include <netinet/in.h>
#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define IPV4_MIN_HLEN 20
#define IPV6_HLEN 40
#define TCP_MIN_HLEN 20
#define UDP_HLEN 8
#define ICMP_HLEN 8
#define QUOTE_L4_MIN 8 /* RFC 792: the first 64 bits of the datagram: ports and sequence */
#define IPV6_MAX_EXT 8 /* more extension headers than this is not a reply to a SYN */

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

static void wr16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, sizeof(v));
}

static void wr32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
}

uint32_t net_csum_add(uint32_t sum, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(buf[i] << 8 | buf[i + 1]);
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	/* Fold now and then so a long buffer cannot overflow 32 bits. */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t net_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t build_tcp_header(uint8_t *tcp, const struct net_tcp_probe *p)
{
	size_t hlen = p->mss ? TCP_MIN_HLEN + 4 : TCP_MIN_HLEN;

	memset(tcp, 0, hlen);
	wr16(tcp, p->sport);
	wr16(tcp + 2, p->dport);
	wr32(tcp + 4, p->seq);
	wr32(tcp + 8, p->ack);
	tcp[12] = (uint8_t)((hlen / 4) << 4);
	tcp[13] = p->flags;
	wr16(tcp + 14, p->window);
	if (p->mss) {
		tcp[20] = 2; /* kind MSS */
		tcp[21] = 4;
		wr16(tcp + 22, p->mss);
	}
	return hlen;
}

static uint32_t pseudo_sum(const struct ps_addr *src, const struct ps_addr *dst, uint8_t proto,
			   size_t l4len)
{
	size_t alen = src->family == AF_INET ? 4 : 16;
	uint32_t sum = 0;

	sum = net_csum_add(sum, src->bytes, alen);
	sum = net_csum_add(sum, dst->bytes, alen);
	return sum + proto + (uint32_t)l4len;
}

/* The link and IP headers in front of an l4len-byte segment of proto; where the segment goes. */
static uint8_t *build_ip(uint8_t *buf, const uint8_t link_dst[NET_ETH_ALEN],
			 const uint8_t link_src[NET_ETH_ALEN], int with_link,
			 const struct ps_addr *src, const struct ps_addr *dst, uint8_t proto,
			 uint8_t ttl, uint16_t ip_id, size_t l4len)
{
	uint8_t *ip = buf + (with_link ? NET_ETH_HLEN : 0);

	if (with_link) {
		memcpy(buf, link_dst, NET_ETH_ALEN);
		memcpy(buf + NET_ETH_ALEN, link_src, NET_ETH_ALEN);
		wr16(buf + 12, src->family == AF_INET ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6);
	}
	if (src->family == AF_INET) {
		memset(ip, 0, IPV4_MIN_HLEN);
		ip[0] = 0x45;
		wr16(ip + 2, (uint16_t)(IPV4_MIN_HLEN + l4len));
		wr16(ip + 4, ip_id);
		ip[8] = ttl;
		ip[9] = proto;
		memcpy(ip + 12, src->bytes, 4);
		memcpy(ip + 16, dst->bytes, 4);
		wr16(ip + 10, net_csum_fold(net_csum_add(0, ip, IPV4_MIN_HLEN)));
		return ip + IPV4_MIN_HLEN;
	}
	memset(ip, 0, IPV6_HLEN);
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)l4len);
	ip[6] = proto;
	ip[7] = ttl;
	memcpy(ip + 8, src->bytes, 16);
	memcpy(ip + 24, dst->bytes, 16);
	return ip + IPV6_HLEN;
}

size_t net_build_udp(uint8_t *buf, size_t cap, const uint8_t link_dst[NET_ETH_ALEN],
		     const uint8_t link_src[NET_ETH_ALEN], int with_link,
		     const struct net_udp_probe *p)
{
	size_t off = with_link ? NET_ETH_HLEN : 0, iphl, udplen = UDP_HLEN + p->payload_len;
	uint16_t csum;
	uint8_t *udp;

	if (p->src.family != p->dst.family ||
	    (p->src.family != AF_INET && p->src.family != AF_INET6) ||
	    p->payload_len > NET_UDP_PAYLOAD_MAX)
		return 0;
	iphl = p->src.family == AF_INET ? IPV4_MIN_HLEN : IPV6_HLEN;
	if (cap < off + iphl + udplen)
		return 0;
	udp = build_ip(buf, link_dst, link_src, with_link, &p->src, &p->dst, IPPROTO_UDP, p->ttl,
		       p->ip_id, udplen);
	wr16(udp, p->sport);
	wr16(udp + 2, p->dport);
	wr16(udp + 4, (uint16_t)udplen);
	wr16(udp + 6, 0);
	if (p->payload_len)
		memcpy(udp + UDP_HLEN, p->payload, p->payload_len);
	csum = net_csum_fold(
		net_csum_add(pseudo_sum(&p->src, &p->dst, IPPROTO_UDP, udplen), udp, udplen));
	/* RFC 768: a computed 0 is sent as all ones (0 means "no checksum", and IPv6 needs one). */
	wr16(udp + 6, csum ? csum : 0xffff);
	return off + iphl + udplen;
}

size_t net_build_tcp(uint8_t *buf, size_t cap, const uint8_t link_dst[NET_ETH_ALEN],
		     const uint8_t link_src[NET_ETH_ALEN], int with_link,
		     const struct net_tcp_probe *p)
{
	size_t off = with_link ? NET_ETH_HLEN : 0;
	size_t iphl, tcplen = p->mss ? TCP_MIN_HLEN + 4 : TCP_MIN_HLEN;
	uint8_t *tcp;

	if (p->src.family != p->dst.family ||
	    (p->src.family != AF_INET && p->src.family != AF_INET6))
		return 0;
	iphl = p->src.family == AF_INET ? IPV4_MIN_HLEN : IPV6_HLEN;
	if (cap < off + iphl + tcplen)
		return 0;
	tcp = build_ip(buf, link_dst, link_src, with_link, &p->src, &p->dst, IPPROTO_TCP, p->ttl,
		       p->ip_id, tcplen);
	build_tcp_header(tcp, p);
	wr16(tcp + 16, net_csum_fold(net_csum_add(
			       pseudo_sum(&p->src, &p->dst, IPPROTO_TCP, tcplen), tcp, tcplen)));
	return off + iphl + tcplen;
}

/* The out buffer is NET_FRAME_MAX long: copying a little past the frame is harmless. */
#define NET_TCP_TEMPLATE_COPY 80u

size_t net_tcp_template_init(struct net_tcp_template *t, const uint8_t link_dst[NET_ETH_ALEN],
			     const uint8_t link_src[NET_ETH_ALEN], int with_link,
			     const struct net_tcp_probe *p)
{
	struct net_tcp_probe z = *p;
	uint8_t *ip, *tcp;

	memset(t, 0, sizeof(*t));
	memset(z.dst.bytes, 0, sizeof(z.dst.bytes));
	z.dport = 0;
	z.seq = 0;
	z.ip_id = 0;
	t->len = net_build_tcp(t->frame, sizeof(t->frame), link_dst, link_src, with_link, &z);
	if (!t->len)
		return 0;
	t->family = p->dst.family;
	t->ip_off = with_link ? NET_ETH_HLEN : 0;
	t->tcp_off = t->ip_off + (t->family == AF_INET ? IPV4_MIN_HLEN : IPV6_HLEN);
	ip = t->frame + t->ip_off;
	tcp = t->frame + t->tcp_off;
	if (t->family == AF_INET) {
		memset(ip + 10, 0, 2);
		t->ip_sum = net_csum_add(0, ip, IPV4_MIN_HLEN);
	}
	memset(tcp + 16, 0, 2);
	t->tcp_sum = net_csum_add(pseudo_sum(&z.src, &z.dst, IPPROTO_TCP, t->len - t->tcp_off),
				  tcp, t->len - t->tcp_off);
	return t->len;
}

static uint32_t sum_words(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	return sum;
}

size_t net_tcp_template_fill(const struct net_tcp_template *t, uint8_t *out,
			     const struct ps_addr *dst, uint16_t dport, uint32_t seq,
			     uint16_t ip_id)
{
	uint8_t *ip = out + t->ip_off, *tcp = out + t->tcp_off;
	size_t alen = t->family == AF_INET ? 4 : 16;
	uint32_t dsum = sum_words(dst->bytes, alen);

	/* A constant size the compiler copies inline (a SYN frame is 58 or 78 bytes). */
	if (t->len <= NET_TCP_TEMPLATE_COPY)
		memcpy(out, t->frame, NET_TCP_TEMPLATE_COPY);
	else
		memcpy(out, t->frame, t->len);
	if (t->family == AF_INET) {
		memcpy(ip + 16, dst->bytes, 4);
		wr16(ip + 4, ip_id);
		wr16(ip + 10, net_csum_fold(t->ip_sum + dsum + ip_id));
	} else {
		memcpy(ip + 24, dst->bytes, 16);
	}
	wr16(tcp + 2, dport);
	wr32(tcp + 4, seq);
	wr16(tcp + 16, net_csum_fold(t->tcp_sum + dsum + dport + (seq >> 16) + (seq & 0xffff)));
	return t->len;
}

#define ICMP_TIMESTAMP_LEN 20 /* header, originate, receive, transmit */

size_t net_build_icmp(uint8_t *buf, size_t cap, const uint8_t link_dst[NET_ETH_ALEN],
		      const uint8_t link_src[NET_ETH_ALEN], int with_link,
		      const struct net_icmp_probe *p)
{
	size_t off = with_link ? NET_ETH_HLEN : 0, iphl, len;
	int v6 = p->src.family == AF_INET6;
	uint32_t sum;
	uint8_t *ic;

	if (p->src.family != p->dst.family || (p->src.family != AF_INET && !v6) ||
	    p->payload_len > NET_ICMP_PAYLOAD_MAX)
		return 0;
	if (v6 ? p->type != NET_ICMP6_ECHO_REQUEST
	       : p->type != NET_ICMP_ECHO_REQUEST && p->type != NET_ICMP_TIMESTAMP)
		return 0;
	len = p->type == NET_ICMP_TIMESTAMP ? ICMP_TIMESTAMP_LEN : ICMP_HLEN + p->payload_len;
	iphl = v6 ? IPV6_HLEN : IPV4_MIN_HLEN;
	if (cap < off + iphl + len)
		return 0;
	ic = build_ip(buf, link_dst, link_src, with_link, &p->src, &p->dst,
		      v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, p->ttl, p->ip_id, len);
	memset(ic, 0, len);
	ic[0] = p->type;
	wr16(ic + 4, p->id);
	wr16(ic + 6, p->seq);
	if (p->type == NET_ICMP_TIMESTAMP)
		wr32(ic + 8, p->originate);
	else if (p->payload_len)
		memcpy(ic + ICMP_HLEN, p->payload, p->payload_len);
	/* ICMPv6's checksum covers a pseudo-header (RFC 8200 8.1); ICMP's only the message. */
	sum = v6 ? pseudo_sum(&p->src, &p->dst, IPPROTO_ICMPV6, len) : 0;
	wr16(ic + 2, net_csum_fold(net_csum_add(sum, ic, len)));
	return off + iphl + len;
}

/* Where an IP header's payload starts and what it is. */
struct ip_info {
	struct ps_addr src, dst;
	uint8_t proto;
	uint8_t ttl;
	size_t l4off; /* from the start of the IP header */
	size_t end;   /* end of the packet as the header declares it, capped at the buffer */
};

/*
 * quoted: the header sits inside an ICMP error, so the datagram it announces is usually
 * longer than what was quoted and its length field cannot be checked against the buffer.
 */
static enum ps_err parse_ipv4(const uint8_t *p, size_t len, int quoted, struct ip_info *ii)
{
	size_t hl, total;

	if (len < IPV4_MIN_HLEN)
		return PS_ERR_TRUNCATED;
	if ((p[0] >> 4) != 4)
		return PS_ERR_INVALID;
	hl = (size_t)(p[0] & 0x0f) * 4;
	total = rd16(p + 2);
	if (hl < IPV4_MIN_HLEN)
		return PS_ERR_INVALID;
	if (len < hl)
		return PS_ERR_TRUNCATED;
	if (total < hl)
		return PS_ERR_INVALID;
	/* A later fragment carries no transport header to read. */
	if (rd16(p + 6) & 0x1fff)
		return PS_ERR_UNSUPPORTED;
	memset(ii, 0, sizeof(*ii));
	ii->src.family = AF_INET;
	ii->dst.family = AF_INET;
	memcpy(ii->src.bytes, p + 12, 4);
	memcpy(ii->dst.bytes, p + 16, 4);
	ii->proto = p[9];
	ii->ttl = p[8];
	ii->l4off = hl;
	if (quoted)
		ii->end = len;
	else if (total > len)
		return PS_ERR_TRUNCATED;
	else
		ii->end = total; /* drop Ethernet padding */
	return PS_OK;
}

static enum ps_err parse_ipv6(const uint8_t *p, size_t len, int quoted, struct ip_info *ii)
{
	size_t off = IPV6_HLEN, payload;
	uint8_t next;
	int n;

	if (len < IPV6_HLEN)
		return PS_ERR_TRUNCATED;
	if ((p[0] >> 4) != 6)
		return PS_ERR_INVALID;
	payload = rd16(p + 4);
	memset(ii, 0, sizeof(*ii));
	ii->src.family = AF_INET6;
	ii->dst.family = AF_INET6;
	memcpy(ii->src.bytes, p + 8, 16);
	memcpy(ii->dst.bytes, p + 24, 16);
	ii->ttl = p[7];
	if (quoted) {
		ii->end = len;
	} else {
		/* A jumbogram (payload 0) cannot answer a SYN. */
		if (payload == 0)
			return PS_ERR_UNSUPPORTED;
		if (IPV6_HLEN + payload > len)
			return PS_ERR_TRUNCATED;
		ii->end = IPV6_HLEN + payload;
	}
	next = p[6];
	for (n = 0; n <= IPV6_MAX_EXT; n++) {
		size_t elen;

		switch (next) {
		case 0:	 /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
			if (ii->end - off < 2)
				return PS_ERR_TRUNCATED;
			elen = ((size_t)p[off + 1] + 1) * 8;
			break;
		case 51: /* AH: length in 4-octet units, minus 2 */
			if (ii->end - off < 2)
				return PS_ERR_TRUNCATED;
			elen = ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (ii->end - off < 8)
				return PS_ERR_TRUNCATED;
			if (rd16(p + off + 2) & 0xfff8)
				return PS_ERR_UNSUPPORTED;
			elen = 8;
			break;
		default:
			ii->proto = next;
			ii->l4off = off;
			return PS_OK;
		}
		if (ii->end - off < elen)
			return PS_ERR_TRUNCATED;
		next = p[off];
		off += elen;
	}
	return PS_ERR_INVALID;
}

static enum ps_err parse_ip_any(const uint8_t *p, size_t len, int quoted, struct ip_info *ii)
{
	if (len < 1)
		return PS_ERR_TRUNCATED;
	switch (p[0] >> 4) {
	case 4:
		return parse_ipv4(p, len, quoted, ii);
	case 6:
		return parse_ipv6(p, len, quoted, ii);
	default:
		return PS_ERR_INVALID;
	}
}

static enum ps_err parse_tcp(const uint8_t *t, size_t len, struct net_reply *out)
{
	size_t doff;

	if (len < TCP_MIN_HLEN)
		return PS_ERR_TRUNCATED;
	doff = (size_t)(t[12] >> 4) * 4;
	if (doff < TCP_MIN_HLEN)
		return PS_ERR_INVALID;
	if (doff > len)
		return PS_ERR_TRUNCATED;
	out->kind = NET_REPLY_TCP;
	out->sport = rd16(t);
	out->dport = rd16(t + 2);
	out->seq = rd32(t + 4);
	out->ack = rd32(t + 8);
	out->flags = t[13];
	return PS_OK;
}

static enum ps_err parse_udp(const uint8_t *u, size_t len, struct net_reply *out)
{
	size_t ulen;

	if (len < UDP_HLEN)
		return PS_ERR_TRUNCATED;
	ulen = rd16(u + 4);
	if (ulen < UDP_HLEN)
		return PS_ERR_INVALID;
	if (ulen > len)
		return PS_ERR_TRUNCATED;
	out->kind = NET_REPLY_UDP;
	out->sport = rd16(u);
	out->dport = rd16(u + 2);
	out->payload = u + UDP_HLEN;
	out->payload_len = ulen - UDP_HLEN;
	return PS_OK;
}

/* The quoted probe inside an ICMP error: its IP header and the first 8 bytes of TCP/UDP. */
static enum ps_err parse_quote(const uint8_t *q, size_t len, int family, struct net_reply *out)
{
	struct ip_info qi;
	enum ps_err err = parse_ip_any(q, len, 1, &qi);

	if (err)
		return err;
	if (qi.src.family != family)
		return PS_ERR_INVALID;
	if (qi.proto != IPPROTO_TCP && qi.proto != IPPROTO_UDP)
		return PS_ERR_UNSUPPORTED;
	if (qi.end - qi.l4off < QUOTE_L4_MIN)
		return PS_ERR_TRUNCATED;
	out->q_src = qi.src;
	out->q_dst = qi.dst;
	out->q_sport = rd16(q + qi.l4off);
	out->q_dport = rd16(q + qi.l4off + 2);
	out->q_proto = qi.proto;
	if (qi.proto == IPPROTO_TCP)
		out->q_seq = rd32(q + qi.l4off + 4);
	return PS_OK;
}

static enum ps_err parse_icmp(const uint8_t *ic, size_t len, int family, struct net_reply *out)
{
	enum ps_err err;

	if (len < ICMP_HLEN)
		return PS_ERR_TRUNCATED;
	if ((family == AF_INET && (ic[0] == NET_ICMP_ECHO_REPLY ||
				   ic[0] == NET_ICMP_TIMESTAMP_REPLY)) ||
	    (family == AF_INET6 && ic[0] == NET_ICMP6_ECHO_REPLY)) {
		if (ic[0] == NET_ICMP_TIMESTAMP_REPLY && len < ICMP_TIMESTAMP_LEN)
			return PS_ERR_TRUNCATED;
		out->kind = NET_REPLY_ICMP_QUERY;
		out->icmp_type = ic[0];
		out->icmp_code = ic[1];
		out->icmp_id = rd16(ic + 4);
		out->icmp_seq = rd16(ic + 6);
		return PS_OK;
	}
	/* Every error quotes the datagram it is about; what it means is net/icmp.c's to say. */
	if (!net_icmp_is_error(family, ic[0]))
		return PS_ERR_UNSUPPORTED;
	err = parse_quote(ic + ICMP_HLEN, len - ICMP_HLEN, family, out);
	if (err)
		return err;
	out->kind = NET_REPLY_ICMP;
	out->icmp_type = ic[0];
	out->icmp_code = ic[1];
	return PS_OK;
}

enum ps_err net_parse_ip(const uint8_t *pkt, size_t len, struct net_reply *out)
{
	struct ip_info ii;
	enum ps_err err;

	memset(out, 0, sizeof(*out));
	err = parse_ip_any(pkt, len, 0, &ii);
	if (err)
		return err;
	out->src = ii.src;
	out->dst = ii.dst;
	out->ttl = ii.ttl;
	if (ii.proto == IPPROTO_TCP)
		return parse_tcp(pkt + ii.l4off, ii.end - ii.l4off, out);
	if (ii.proto == IPPROTO_UDP)
		return parse_udp(pkt + ii.l4off, ii.end - ii.l4off, out);
	if ((ii.proto == IPPROTO_ICMP && ii.src.family == AF_INET) ||
	    (ii.proto == IPPROTO_ICMPV6 && ii.src.family == AF_INET6))
		return parse_icmp(pkt + ii.l4off, ii.end - ii.l4off, ii.src.family, out);
	return PS_ERR_UNSUPPORTED;
}

enum ps_err net_parse_frame(const uint8_t *frame, size_t len, struct net_reply *out)
{
	size_t off = 12;
	uint16_t type;

	memset(out, 0, sizeof(*out));
	if (len < NET_ETH_HLEN)
		return PS_ERR_TRUNCATED;
	type = rd16(frame + off);
	/* One 802.1Q tag at most: the ring normally strips it into metadata anyway. */
	if (type == ETHERTYPE_VLAN) {
		if (len < NET_ETH_HLEN + 4)
			return PS_ERR_TRUNCATED;
		off += 4;
		type = rd16(frame + off);
	}
	off += 2;
	if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6)
		return PS_ERR_UNSUPPORTED;
	return net_parse_ip(frame + off, len - off, out);
}
