/* SPDX-License-Identifier: MIT */
/* The UDP probe module (module.h): one datagram per (address, port), answered statelessly. */
#include <netinet/in.h>
#include <string.h>

#include "module.h"
#include "net/icmp.h"
#include "probe/udp_payloads.h"

#define PROBE_TTL 64
/*
 * Source ports a run spreads its datagrams over: the cookie's part a reply must echo (UDP
 * has no sequence number). 4096 ports: a forged reply has one chance in 4096 on top of
 * guessing our addresses, and the payload's own id field adds up to 64 bits more.
 */
#define UDP_SPORT_SPAN 4096u

/* A keyed hash of the probe's addresses and destination port; tag tells its uses apart. */
static uint64_t udp_hash(const struct net_siphash_key *key, uint8_t tag, const struct ps_addr *src,
			 const struct ps_addr *dst, uint16_t dport)
{
	uint8_t buf[2 + 16 + 16 + 2];

	buf[0] = tag;
	buf[1] = src->family;
	memcpy(buf + 2, src->bytes, 16);
	memcpy(buf + 18, dst->bytes, 16);
	buf[34] = (uint8_t)(dport >> 8);
	buf[35] = (uint8_t)dport;
	return net_siphash24(key, buf, sizeof(buf));
}

static uint16_t udp_sport(const struct scan_probe_env *env, const struct ps_addr *src,
			  const struct ps_addr *dst, uint16_t dport)
{
	unsigned span = env->sport_span ? env->sport_span : 1;

	return (uint16_t)(env->sport_base + udp_hash(&env->key, 'S', src, dst, dport) % span);
}

/* The id a payload's cookie field carries; the top bit clear (SNMP's request-id is signed). */
static void udp_id(const struct scan_probe_env *env, const struct ps_addr *src,
		   const struct ps_addr *dst, uint16_t dport, uint8_t id[UDP_REPLY_ID_MAX])
{
	uint64_t h = udp_hash(&env->key, 'I', src, dst, dport);
	unsigned i;

	for (i = 0; i < UDP_REPLY_ID_MAX; i++)
		id[i] = (uint8_t)(h >> (56 - 8 * i));
	id[0] &= 0x7f;
}

static size_t udp_make_packet(uint8_t *buf, size_t cap, const struct scan_probe_env *env,
			      const struct scan_probe *probe)
{
	const struct udp_payload *list[UDP_PAYLOADS_PER_PORT];
	size_t n = udp_payloads_for_port(env->payloads, probe->dport, list, UDP_PAYLOADS_PER_PORT);
	uint8_t data[NET_UDP_PAYLOAD_MAX];
	struct net_udp_probe p = {
	    .src = probe->src,
	    .dst = probe->dst,
	    .dport = probe->dport,
	    .ttl = PROBE_TTL,
	    .ip_id = probe->ip_id,
	};

	p.sport = udp_sport(env, &p.src, &p.dst, p.dport);
	if (n) {
		/* Each try sends the port's next payload: a service deaf to one may answer another.
		 */
		const struct udp_payload *pl = list[probe->try % n];

		memcpy(data, pl->data, pl->len);
		if (pl->cookie_off >= 0) {
			uint8_t id[UDP_REPLY_ID_MAX];

			udp_id(env, &p.src, &p.dst, p.dport, id);
			memcpy(data + pl->cookie_off, id, pl->cookie_len);
		}
		p.payload = data;
		p.payload_len = pl->len;
	}
	return net_build_udp(buf, cap, probe->link_dst, probe->link_src, probe->link_dst != NULL,
			     &p);
}

/*
 * A reply the port's payloads have a reader for must echo our id where that protocol echoes
 * one; a datagram no reader recognises is still an answer (any service may reply), proven by
 * the source port alone.
 */
static bool udp_id_ok(const struct scan_probe_env *env, const struct net_reply *r,
		      const struct scan_probe_match *m)
{
	const struct udp_payload *list[UDP_PAYLOADS_PER_PORT];
	size_t n = udp_payloads_for_port(env->payloads, m->dport, list, UDP_PAYLOADS_PER_PORT), i;
	uint8_t id[UDP_REPLY_ID_MAX];
	bool recognised = false;

	udp_id(env, &m->src, &m->dst, m->dport, id);
	for (i = 0; i < n; i++) {
		struct udp_reply_info info;
		size_t len;

		if (list[i]->cookie_off < 0 ||
		    !udp_reply_parse(list[i]->reply, r->payload, r->payload_len, &info) ||
		    !info.id_len)
			continue;
		recognised = true;
		len = info.id_len < list[i]->cookie_len ? info.id_len : list[i]->cookie_len;
		if (!memcmp(info.id, id, len))
			return true;
	}
	return !recognised;
}

static bool udp_validate(const struct scan_probe_env *env, const struct net_reply *r,
			 struct scan_probe_match *m)
{
	if (r->kind == NET_REPLY_UDP) {
		m->src = r->dst;
		m->dst = r->src;
		m->sport = r->dport;
		m->dport = r->sport;
		/*
		 * Scanning this machine, the receive ring sees our own datagrams come in on lo:
		 * one that is exactly a probe of ours, read the other way round, is not a reply.
		 */
		if (!ps_addr_cmp(&r->src, &r->dst) &&
		    r->sport == udp_sport(env, &r->src, &r->dst, r->dport))
			return false;
	} else if (r->kind == NET_REPLY_ICMP && r->q_proto == IPPROTO_UDP) {
		m->src = r->q_src;
		m->dst = r->q_dst;
		m->sport = r->q_sport;
		m->dport = r->q_dport;
	} else {
		return false;
	}
	if (m->src.family != m->dst.family ||
	    m->sport != udp_sport(env, &m->src, &m->dst, m->dport))
		return false;
	return r->kind != NET_REPLY_UDP || udp_id_ok(env, r, m);
}

static bool udp_classify(const struct net_reply *r, enum port_state *state,
			 enum port_reason *reason)
{
	if (r->kind == NET_REPLY_UDP) {
		*state = PORT_OPEN;
		*reason = REASON_UDP_RESPONSE;
		return true;
	}
	*reason = port_reason_from_icmp(r->q_dst.family, r->icmp_type, r->icmp_code);
	/* nmap's rule: port unreachable is the closed port itself; any other is a filter. */
	*state = *reason == REASON_ICMP_PORT_UNREACH ? PORT_CLOSED : PORT_FILTERED;
	return *reason != REASON_NONE;
}

static bool udp_facts(const struct scan_probe_env *env, const struct net_reply *r,
		      struct service_facts *out)
{
	const struct udp_payload *list[UDP_PAYLOADS_PER_PORT];
	size_t n, i;

	if (r->kind != NET_REPLY_UDP)
		return false;
	n = udp_payloads_for_port(env->payloads, r->sport, list, UDP_PAYLOADS_PER_PORT);
	for (i = 0; i < n; i++) {
		struct udp_reply_info info;

		if (udp_reply_parse(list[i]->reply, r->payload, r->payload_len, &info) &&
		    info.facts.name[0]) {
			*out = info.facts;
			return true;
		}
	}
	return false;
}

const struct scan_probe_module scan_udp_module = {
    .name = "udp",
    .proto = IPPROTO_UDP,
    .sport_span = UDP_SPORT_SPAN,
    .silent_state = PORT_OPEN_FILTERED,
    .icmp_paced = true,
    .make_packet = udp_make_packet,
    .validate = udp_validate,
    .classify = udp_classify,
    .facts = udp_facts,
};
