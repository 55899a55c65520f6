/* SPDX-License-Identifier: MIT */
/* The TCP SYN probe module (module.h): one SYN per (address, port), answered statelessly. */
#include <netinet/in.h>
#include <string.h>

#include "module.h"
#include "net/icmp.h"

#define PROBE_TTL    64
#define PROBE_WINDOW 1024
#define PROBE_MSS    1460

uint32_t scan_syn_cookie(const struct net_siphash_key *key, const struct ps_addr *src,
			 const struct ps_addr *dst, uint16_t sport, uint16_t dport)
{
	uint8_t buf[1 + 16 + 16 + 4];

	buf[0] = src->family;
	memcpy(buf + 1, src->bytes, 16);
	memcpy(buf + 17, dst->bytes, 16);
	buf[33] = (uint8_t)(sport >> 8);
	buf[34] = (uint8_t)sport;
	buf[35] = (uint8_t)(dport >> 8);
	buf[36] = (uint8_t)dport;
	return (uint32_t)net_siphash24(key, buf, sizeof(buf));
}

static size_t syn_make_packet(uint8_t *buf, size_t cap, const struct scan_probe_env *env,
			      const struct scan_probe *probe)
{
	struct net_tcp_probe p = {
	    .src = probe->src,
	    .dst = probe->dst,
	    .sport = probe->sport,
	    .dport = probe->dport,
	    .flags = NET_TCP_SYN,
	    .ttl = PROBE_TTL,
	    .window = PROBE_WINDOW,
	    .mss = PROBE_MSS,
	    .ip_id = probe->ip_id,
	};

	p.seq = scan_syn_cookie(&env->key, &p.src, &p.dst, p.sport, p.dport);
	return net_build_tcp(buf, cap, probe->link_dst, probe->link_src, probe->link_dst != NULL,
			     &p);
}

/* scan_syn_cookie's input is family | src | dst | ports: its first 16 bytes are the source's. */
#define COOKIE_PREFIX 16u
#define COOKIE_LEN 37u

static bool links_fit(struct scan_probe_cache *c, const struct scan_probe *probe)
{
	if (!probe->link_dst)
		return !c->with_link;
	if (!c->with_link)
		return false;
	if (probe->link_dst == c->last_link_dst && probe->link_src == c->last_link_src)
		return true;
	if (memcmp(c->link_dst, probe->link_dst, NET_ETH_ALEN) ||
	    memcmp(c->link_src, probe->link_src, NET_ETH_ALEN))
		return false;
	c->last_link_dst = probe->link_dst;
	c->last_link_src = probe->link_src;
	return true;
}

static bool cache_fits(struct scan_probe_cache *c, const struct scan_probe_env *env,
		       const struct scan_probe *probe)
{
	return c->valid && c->key.k0 == env->key.k0 && c->key.k1 == env->key.k1 &&
	       c->sport == probe->sport && c->src.family == probe->src.family &&
	       !memcmp(c->src.bytes, probe->src.bytes, sizeof(c->src.bytes)) &&
	       links_fit(c, probe);
}

static bool cache_fill(struct scan_probe_cache *c, const struct scan_probe_env *env,
		       const struct scan_probe *probe)
{
	struct net_tcp_probe p = {
	    .src = probe->src,
	    .dst = probe->dst,
	    .sport = probe->sport,
	    .flags = NET_TCP_SYN,
	    .ttl = PROBE_TTL,
	    .window = PROBE_WINDOW,
	    .mss = PROBE_MSS,
	};
	uint8_t prefix[COOKIE_PREFIX];

	c->valid = false;
	if (!net_tcp_template_init(&c->tpl, probe->link_dst, probe->link_src,
				   probe->link_dst != NULL, &p))
		return false;
	prefix[0] = probe->src.family;
	memcpy(prefix + 1, probe->src.bytes, COOKIE_PREFIX - 1);
	c->cookie = net_siphash24_prefix(&env->key, prefix, sizeof(prefix));
	c->key = env->key;
	c->src = probe->src;
	c->sport = probe->sport;
	c->with_link = probe->link_dst != NULL;
	c->last_link_dst = probe->link_dst;
	c->last_link_src = probe->link_src;
	if (c->with_link) {
		memcpy(c->link_dst, probe->link_dst, NET_ETH_ALEN);
		memcpy(c->link_src, probe->link_src, NET_ETH_ALEN);
	}
	c->valid = true;
	return true;
}

/* What scan_syn_cookie hashes after the source's first 16 bytes: 21 bytes. */
static void cookie_rest(uint8_t *rest, const struct scan_probe *probe)
{
	rest[0] = probe->src.bytes[15];
	memcpy(rest + 1, probe->dst.bytes, 16);
	rest[17] = (uint8_t)(probe->sport >> 8);
	rest[18] = (uint8_t)probe->sport;
	rest[19] = (uint8_t)(probe->dport >> 8);
	rest[20] = (uint8_t)probe->dport;
}

/*
 * syn_make_packet's frame from the template: the cookie hashes only what follows the source
 * (the rest of scan_syn_cookie's input), the checksums are updated, not recomputed.
 */
static size_t syn_make_packet_cached(struct scan_probe_cache *c, uint8_t *buf, size_t cap,
				     const struct scan_probe_env *env,
				     const struct scan_probe *probe)
{
	uint8_t rest[COOKIE_LEN - COOKIE_PREFIX];
	uint32_t seq;

	if (probe->src.family != probe->dst.family)
		return 0;
	/* The template is copied whole-word into a frame buffer (net_tcp_template_fill). */
	if (cap < NET_FRAME_MAX)
		return syn_make_packet(buf, cap, env, probe);
	if (!cache_fits(c, env, probe) && !cache_fill(c, env, probe))
		return 0;
	if (c->tpl.family != probe->dst.family)
		return 0;
	cookie_rest(rest, probe);
	seq = (uint32_t)net_siphash24_rest(c->cookie, rest, sizeof(rest), COOKIE_LEN);
	return net_tcp_template_fill(&c->tpl, buf, &probe->dst, probe->dport, seq, probe->ip_id);
}

/* Four probes of one source at a time: their cookies hashed side by side. */
static void syn_make_packets_cached(struct scan_probe_cache *c, uint8_t (*bufs)[NET_FRAME_MAX],
				    size_t *lens, const struct scan_probe_env *env,
				    const struct scan_probe *probes, size_t n)
{
	uint8_t rest[NET_SIPHASH_LANES][NET_SIPHASH_REST_MAX];
	uint64_t seq[NET_SIPHASH_LANES];
	size_t i = 0, k;

	while (i + NET_SIPHASH_LANES <= n) {
		bool together = true;

		for (k = 0; k < NET_SIPHASH_LANES && together; k++) {
			const struct scan_probe *p = &probes[i + k];

			together = p->src.family == p->dst.family &&
				   (cache_fits(c, env, p) || (k == 0 && cache_fill(c, env, p))) &&
				   c->tpl.family == p->dst.family;
		}
		if (!together) {
			lens[i] = syn_make_packet_cached(c, bufs[i], NET_FRAME_MAX, env, &probes[i]);
			i++;
			continue;
		}
		for (k = 0; k < NET_SIPHASH_LANES; k++)
			cookie_rest(rest[k], &probes[i + k]);
		net_siphash24_rest_lanes(c->cookie, (const uint8_t(*)[NET_SIPHASH_REST_MAX])rest,
					 COOKIE_LEN - COOKIE_PREFIX, COOKIE_LEN, seq);
		for (k = 0; k < NET_SIPHASH_LANES; k++, i++)
			lens[i] = net_tcp_template_fill(&c->tpl, bufs[i], &probes[i].dst,
							probes[i].dport, (uint32_t)seq[k],
							probes[i].ip_id);
	}
	for (; i < n; i++)
		lens[i] = syn_make_packet_cached(c, bufs[i], NET_FRAME_MAX, env, &probes[i]);
}

static bool syn_validate(const struct scan_probe_env *env, const struct net_reply *r,
			 struct scan_probe_match *m)
{
	uint32_t seq;

	if (r->kind == NET_REPLY_TCP) {
		/* Only a SYN-ACK or an RST with an ACK answers a SYN (RFC 9293 3.10.7.3). */
		if (!(r->flags & NET_TCP_ACK) || !(r->flags & (NET_TCP_SYN | NET_TCP_RST)))
			return false;
		m->src = r->dst;
		m->dst = r->src;
		m->sport = r->dport;
		m->dport = r->sport;
		seq = r->ack - 1;
	} else if (r->kind == NET_REPLY_ICMP && r->q_proto == IPPROTO_TCP) {
		m->src = r->q_src;
		m->dst = r->q_dst;
		m->sport = r->q_sport;
		m->dport = r->q_dport;
		seq = r->q_seq;
	} else {
		return false;
	}
	if (m->src.family != m->dst.family)
		return false;
	return seq == scan_syn_cookie(&env->key, &m->src, &m->dst, m->sport, m->dport);
}

static bool syn_classify(const struct net_reply *r, enum port_state *state,
			 enum port_reason *reason)
{
	if (r->kind == NET_REPLY_TCP) {
		if (r->flags & NET_TCP_RST) {
			*state = PORT_CLOSED;
			*reason = REASON_RESET;
		} else {
			*state = PORT_OPEN;
			*reason = REASON_SYN_ACK;
		}
		return true;
	}
	*state = PORT_FILTERED;
	*reason = port_reason_from_icmp(r->q_dst.family, r->icmp_type, r->icmp_code);
	return *reason != REASON_NONE;
}

static size_t syn_make_teardown(uint8_t *buf, size_t cap, const struct net_reply *r,
				const uint8_t *link_dst, const uint8_t *link_src, uint16_t ip_id)
{
	struct net_tcp_probe p = {
	    .src = r->dst,
	    .dst = r->src,
	    .sport = r->dport,
	    .dport = r->sport,
	    .seq = r->ack,
	    .flags = NET_TCP_RST,
	    .ttl = PROBE_TTL,
	    .ip_id = ip_id,
	};

	if (r->kind != NET_REPLY_TCP || !(r->flags & NET_TCP_SYN) || (r->flags & NET_TCP_RST))
		return 0;
	return net_build_tcp(buf, cap, link_dst, link_src, link_dst != NULL, &p);
}

const struct scan_probe_module scan_tcp_syn_module = {
    .name = "tcp_syn",
    .proto = IPPROTO_TCP,
    .sport_span = 1,
    .silent_state = PORT_FILTERED,
    .make_packet = syn_make_packet,
    .make_packet_cached = syn_make_packet_cached,
    .make_packets_cached = syn_make_packets_cached,
    .validate = syn_validate,
    .classify = syn_classify,
    .make_teardown = syn_make_teardown,
};
