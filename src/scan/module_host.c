/* SPDX-License-Identifier: MIT */
/*
 * The host discovery probe module (module.h): for each address, the probes of
 * env->host_probes (ICMP echo, ICMP timestamp, TCP SYN, TCP ACK, UDP), each answered
 * statelessly through a cookie; one answer from the host says it is up.
 */
#include <netinet/in.h>
#include <string.h>

#include "module.h"
#include "net/icmp.h"

#define PROBE_TTL    64
#define PROBE_WINDOW 1024
#define PROBE_MSS    1460
#define SPORT_SYN 0u /* offsets from env->sport_base */
#define SPORT_ACK 1u
#define SPORT_UDP 2u

/* A keyed hash of the probe's addresses, its kind and port. */
static uint64_t host_hash(const struct net_siphash_key *key, uint8_t kind, const struct ps_addr *src,
			  const struct ps_addr *dst, uint16_t port)
{
	uint8_t buf[2 + 16 + 16 + 2];

	buf[0] = kind;
	buf[1] = src->family;
	memcpy(buf + 2, src->bytes, 16);
	memcpy(buf + 18, dst->bytes, 16);
	buf[34] = (uint8_t)(port >> 8);
	buf[35] = (uint8_t)port;
	return net_siphash24(key, buf, sizeof(buf));
}

static uint16_t udp_sport(const struct scan_probe_env *env, const struct ps_addr *src,
			  const struct ps_addr *dst, uint16_t port)
{
	unsigned span = env->sport_span > SPORT_UDP ? env->sport_span - SPORT_UDP : 1;

	return (uint16_t)(env->sport_base + SPORT_UDP +
			  host_hash(&env->key, SCAN_HOST_UDP, src, dst, port) % span);
}

/* The probe number (1-based) of kind and port in env's list, 0 when it is not one of them. */
static uint16_t probe_number(const struct scan_probe_env *env, uint8_t kind, uint16_t port)
{
	unsigned k;

	for (k = 0; k < env->nhost_probes; k++) {
		const struct scan_host_probe *p = &env->host_probes[k];

		if (p->kind == kind && (kind == SCAN_HOST_ECHO || kind == SCAN_HOST_TIMESTAMP ||
					p->port == port))
			return (uint16_t)(k + 1);
	}
	return 0;
}

static size_t make_icmp(uint8_t *buf, size_t cap, const struct scan_probe_env *env,
			const struct scan_probe *probe, uint8_t kind)
{
	uint64_t h = host_hash(&env->key, kind, &probe->src, &probe->dst, 0);
	int v6 = probe->dst.family == AF_INET6;
	struct net_icmp_probe p = {
	    .src = probe->src,
	    .dst = probe->dst,
	    .id = (uint16_t)(h >> 16),
	    .seq = (uint16_t)h,
	    .ttl = PROBE_TTL,
	    .ip_id = probe->ip_id,
	};

	if (kind == SCAN_HOST_TIMESTAMP) {
		if (v6)
			return 0; /* ICMPv6 has no timestamp query */
		p.type = NET_ICMP_TIMESTAMP;
	} else {
		p.type = v6 ? NET_ICMP6_ECHO_REQUEST : NET_ICMP_ECHO_REQUEST;
	}
	return net_build_icmp(buf, cap, probe->link_dst, probe->link_src, probe->link_dst != NULL,
			      &p);
}

static size_t make_tcp(uint8_t *buf, size_t cap, const struct scan_probe_env *env,
		       const struct scan_probe *probe, const struct scan_host_probe *hp)
{
	struct net_tcp_probe p = {
	    .src = probe->src,
	    .dst = probe->dst,
	    .dport = hp->port,
	    .ttl = PROBE_TTL,
	    .window = PROBE_WINDOW,
	    .ip_id = probe->ip_id,
	};

	if (hp->kind == SCAN_HOST_SYN) {
		p.sport = (uint16_t)(env->sport_base + SPORT_SYN);
		p.flags = NET_TCP_SYN;
		p.mss = PROBE_MSS;
		p.seq = scan_syn_cookie(&env->key, &p.src, &p.dst, p.sport, p.dport);
	} else {
		/* A RST answering an ACK takes its sequence from our ACK field (RFC 9293 3.10.7.1);
		 * an ICMP error quotes our sequence: both carry the cookie. */
		p.sport = (uint16_t)(env->sport_base + SPORT_ACK);
		p.flags = NET_TCP_ACK;
		p.seq = p.ack = (uint32_t)host_hash(&env->key, SCAN_HOST_ACK, &p.src, &p.dst, p.dport);
	}
	return net_build_tcp(buf, cap, probe->link_dst, probe->link_src, probe->link_dst != NULL,
			     &p);
}

static size_t host_make_packet(uint8_t *buf, size_t cap, const struct scan_probe_env *env,
			       const struct scan_probe *probe)
{
	const struct scan_host_probe *hp;
	struct net_udp_probe u;

	if (!probe->dport || probe->dport > env->nhost_probes)
		return 0;
	hp = &env->host_probes[probe->dport - 1];
	switch (hp->kind) {
	case SCAN_HOST_ECHO:
	case SCAN_HOST_TIMESTAMP:
		return make_icmp(buf, cap, env, probe, hp->kind);
	case SCAN_HOST_SYN:
	case SCAN_HOST_ACK:
		return make_tcp(buf, cap, env, probe, hp);
	case SCAN_HOST_UDP:
		memset(&u, 0, sizeof(u));
		u.src = probe->src;
		u.dst = probe->dst;
		u.dport = hp->port;
		u.sport = udp_sport(env, &u.src, &u.dst, u.dport);
		u.ttl = PROBE_TTL;
		u.ip_id = probe->ip_id;
		return net_build_udp(buf, cap, probe->link_dst, probe->link_src,
				     probe->link_dst != NULL, &u);
	default:
		return 0;
	}
}

static bool validate_query(const struct scan_probe_env *env, const struct net_reply *r,
			   struct scan_probe_match *m)
{
	uint8_t kind = r->icmp_type == NET_ICMP_TIMESTAMP_REPLY ? SCAN_HOST_TIMESTAMP
								 : SCAN_HOST_ECHO;
	uint64_t h;

	m->src = r->dst;
	m->dst = r->src;
	m->sport = env->sport_base;
	m->dport = probe_number(env, kind, 0);
	h = host_hash(&env->key, kind, &m->src, &m->dst, 0);
	return m->dport && r->icmp_id == (uint16_t)(h >> 16) && r->icmp_seq == (uint16_t)h;
}

/*
 * Whether value (a SYN-ACK's ack - 1, a RST's seq, a quoted probe's seq) is the cookie of the
 * probe m names; kind gets which probe (SYN or ACK: their source ports tell them apart).
 */
static bool tcp_cookie_ok(const struct scan_probe_env *env, const struct scan_probe_match *m,
			  uint32_t value, uint8_t *kind)
{
	if (m->sport == env->sport_base + SPORT_SYN) {
		*kind = SCAN_HOST_SYN;
		return value == scan_syn_cookie(&env->key, &m->src, &m->dst, m->sport, m->dport);
	}
	if (m->sport == env->sport_base + SPORT_ACK) {
		*kind = SCAN_HOST_ACK;
		return value == (uint32_t)host_hash(&env->key, SCAN_HOST_ACK, &m->src, &m->dst,
						    m->dport);
	}
	return false;
}

static bool validate_tcp(const struct scan_probe_env *env, const struct net_reply *r,
			 struct scan_probe_match *m)
{
	uint8_t kind = 0;
	uint32_t value;

	m->src = r->dst;
	m->dst = r->src;
	m->sport = r->dport;
	m->dport = r->sport;
	if (m->sport == env->sport_base + SPORT_SYN) {
		/* A SYN-ACK or an RST with an ACK answers a SYN (RFC 9293 3.10.7.3). */
		if (!(r->flags & NET_TCP_ACK) || !(r->flags & (NET_TCP_SYN | NET_TCP_RST)))
			return false;
		value = r->ack - 1;
	} else {
		if (!(r->flags & NET_TCP_RST))
			return false;
		value = r->seq;
	}
	if (!tcp_cookie_ok(env, m, value, &kind))
		return false;
	m->dport = probe_number(env, kind, r->sport);
	return m->dport != 0;
}

static bool validate_udp(const struct scan_probe_env *env, const struct ps_addr *src,
			 const struct ps_addr *dst, uint16_t sport, uint16_t dport,
			 struct scan_probe_match *m)
{
	m->src = *src;
	m->dst = *dst;
	m->sport = env->sport_base;
	if (sport != udp_sport(env, src, dst, dport))
		return false;
	m->dport = probe_number(env, SCAN_HOST_UDP, dport);
	return m->dport != 0;
}

static bool host_validate(const struct scan_probe_env *env, const struct net_reply *r,
			  struct scan_probe_match *m)
{
	uint8_t kind = 0;
	uint16_t port;

	switch (r->kind) {
	case NET_REPLY_ICMP_QUERY:
		return validate_query(env, r, m);
	case NET_REPLY_TCP:
		return validate_tcp(env, r, m);
	case NET_REPLY_UDP:
		return validate_udp(env, &r->dst, &r->src, r->dport, r->sport, m);
	case NET_REPLY_ICMP:
		if (r->q_src.family != r->q_dst.family)
			return false;
		if (r->q_proto == IPPROTO_UDP)
			return validate_udp(env, &r->q_src, &r->q_dst, r->q_sport, r->q_dport, m);
		m->src = r->q_src;
		m->dst = r->q_dst;
		m->sport = r->q_sport;
		m->dport = r->q_dport;
		port = r->q_dport;
		if (!tcp_cookie_ok(env, m, r->q_seq, &kind))
			return false;
		m->sport = env->sport_base;
		m->dport = probe_number(env, kind, port);
		return m->dport != 0;
	default:
		return false;
	}
}

static bool host_classify(const struct net_reply *r, enum port_state *state,
			  enum port_reason *reason)
{
	*state = PORT_OPEN;
	switch (r->kind) {
	case NET_REPLY_ICMP_QUERY:
		*reason = r->icmp_type == NET_ICMP_TIMESTAMP_REPLY ? REASON_TIMESTAMP_REPLY
								    : REASON_ECHO_REPLY;
		return true;
	case NET_REPLY_TCP:
		*reason = (r->flags & NET_TCP_RST) ? REASON_RESET : REASON_SYN_ACK;
		return true;
	case NET_REPLY_UDP:
		*reason = REASON_UDP_RESPONSE;
		return true;
	case NET_REPLY_ICMP:
		*reason = port_reason_from_icmp(r->q_dst.family, r->icmp_type, r->icmp_code);
		if (*reason == REASON_NONE)
			return false;
		/* The host speaking of its own port is alive; a router speaking of it is not
		 * the host. */
		if (ps_addr_cmp(&r->src, &r->q_dst)) {
			*state = PORT_FILTERED;
			return true;
		}
		if (*reason == REASON_ICMP_PORT_UNREACH)
			*reason = REASON_PORT_UNREACH;
		return true;
	default:
		return false;
	}
}

/* A SYN-ACK opened half a connection: the SYN module's RST closes it. */
static size_t host_make_teardown(uint8_t *buf, size_t cap, const struct net_reply *r,
				 const uint8_t *link_dst, const uint8_t *link_src, uint16_t ip_id)
{
	return scan_tcp_syn_module.make_teardown(buf, cap, r, link_dst, link_src, ip_id);
}

const struct scan_probe_module scan_host_module = {
    .name = "host",
    .proto = IPPROTO_ICMP,
    .sport_span = SCAN_HOST_SPORT_SPAN,
    .silent_state = PORT_FILTERED,
    .per_host = true,
    .make_packet = host_make_packet,
    .validate = host_validate,
    .classify = host_classify,
    .make_teardown = host_make_teardown,
};
