/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_MODULE_H
#define PS_SCAN_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/result.h"
#include "net/packet.h"
#include "net/siphash.h"

struct udp_payloads;

/* Host discovery's probes (nmap's -PE, -PP, -PS, -PA, -PU). */
enum scan_host_probe_kind {
	SCAN_HOST_ECHO = 1, /* ICMP / ICMPv6 echo request */
	SCAN_HOST_TIMESTAMP, /* ICMP timestamp request (IPv4 only) */
	SCAN_HOST_SYN,	     /* TCP SYN to port */
	SCAN_HOST_ACK,	     /* TCP ACK to port */
	SCAN_HOST_UDP,	     /* an empty UDP datagram to port */
};

struct scan_host_probe {
	uint8_t kind; /* enum scan_host_probe_kind */
	uint16_t port; /* SYN, ACK, UDP */
};

/*
 * What a module's hooks get of the run: the cookie key, the run's source ports (a module
 * that spreads its probes over them makes the source port part of its cookie) and the UDP
 * payloads (NULL: none).
 */
struct scan_probe_env {
	struct net_siphash_key key;
	uint16_t sport_base;
	uint16_t sport_span; /* the module's sport_span, or 1 */
	const struct udp_payloads *payloads;
	/* The host module: probe number k (1-based) of a host is host_probes[k - 1]. */
	const struct scan_host_probe *host_probes;
	unsigned nhost_probes;
};

/*
 * A probe module: what one probe of a stateless raw scan looks like and what its replies
 * mean (zmap's probe_module_t). The raw transport (stateless.c) owns everything else: the
 * permutation, pacing, sending and receiving, the answered bits, the pass plan and the
 * privilege separation; it hands the module a buffer to fill and every parsed reply. A
 * module keeps no state: what a run needs (the cookie key) is passed in.
 *
 * The UDP module fills the same hooks: make_packet writes a UDP datagram (a payload per
 * port), validate matches a UDP reply or an ICMP error quoting the datagram, classify says
 * open (a reply), closed (ICMP port unreachable) or filtered, and facts reads the reply.
 */

/* One probe to build. link_dst/link_src NULL: a bare IP packet (the transport's IP mode). */
struct scan_probe {
	struct ps_addr src, dst; /* same family */
	uint16_t sport, dport; /* sport: env->sport_base; the module may choose another */
	uint16_t ip_id;
	uint8_t try; /* 0 for the first probe of the pair, 1 for its first retransmission... */
	const uint8_t *link_dst, *link_src;
};

/*
 * What a sender keeps between probes for make_packet_cached: a frame template for the
 * current source, source port and link addresses, and the cookie hash's state after the
 * source. Rebuilt whenever one of them changes; valid false: empty.
 */
struct scan_probe_cache {
	bool valid;
	struct net_siphash_key key;
	struct ps_addr src;
	uint16_t sport;
	bool with_link;
	uint8_t link_dst[NET_ETH_ALEN], link_src[NET_ETH_ALEN];
	const uint8_t *last_link_dst, *last_link_src; /* compared first: the same arrays, mostly */
	struct net_tcp_template tpl;
	struct net_siphash_state cookie;
};

/* The probe a reply answers, as it was sent: src is ours, dst the target. */
struct scan_probe_match {
	struct ps_addr src, dst;
	uint16_t sport, dport;
};

struct scan_probe_module {
	const char *name;
	uint8_t proto; /* IPPROTO_TCP...: the protocol of the probes */
	/* Source ports the probes use, from env->sport_base on; 0 or 1: that one port. */
	uint16_t sport_span;
	/* What a pair that never answered is: PORT_FILTERED (TCP), PORT_OPEN_FILTERED (UDP). */
	enum port_state silent_state;
	/*
	 * Closed ports answer with ICMP errors, which the target may rate limit (UDP; Linux: 6,
	 * then 1 per second per peer): the transport measures the rate and paces the
	 * retransmissions to it, so a closed port is never mistaken for a silent one.
	 */
	bool icmp_paced;
	/*
	 * Host discovery: the "ports" are the probes of env->host_probes (1..n), and one reply
	 * classified PORT_OPEN (the host answered) answers every probe of its address.
	 */
	bool per_host;
	/* Writes the probe into buf (cap bytes, NET_FRAME_MAX); its length, 0 when it fails. */
	size_t (*make_packet)(uint8_t *buf, size_t cap, const struct scan_probe_env *env,
			      const struct scan_probe *probe);
	/*
	 * Optional: the same frame as make_packet, faster, through a cache the caller keeps
	 * (one per sending thread, zeroed at first).
	 */
	size_t (*make_packet_cached)(struct scan_probe_cache *cache, uint8_t *buf, size_t cap,
				     const struct scan_probe_env *env,
				     const struct scan_probe *probe);
	/*
	 * Optional: make_packet_cached for n probes into bufs[0..n) (NET_FRAME_MAX each),
	 * lens[k] as it would return; probes that share a source go faster together.
	 */
	void (*make_packets_cached)(struct scan_probe_cache *cache, uint8_t (*bufs)[NET_FRAME_MAX],
				    size_t *lens, const struct scan_probe_env *env,
				    const struct scan_probe *probes, size_t n);
	/*
	 * Whether reply answers a probe of this module built with env, and which (m). The
	 * transport still checks that m names our address, one of our ports and a target.
	 */
	bool (*validate)(const struct scan_probe_env *env, const struct net_reply *reply,
			 struct scan_probe_match *m);
	/* What a validated reply says; false when it says nothing (keep waiting). */
	bool (*classify)(const struct net_reply *reply, enum port_state *state,
			 enum port_reason *reason);
	/*
	 * Optional: a packet that ends what the reply started (TCP: the RST that tears down
	 * the half-open connection of a SYN-ACK); its length, 0 for none.
	 */
	size_t (*make_teardown)(uint8_t *buf, size_t cap, const struct net_reply *reply,
				const uint8_t *link_dst, const uint8_t *link_src, uint16_t ip_id);
	/* Optional: what a validated reply says about the service; false for nothing. */
	bool (*facts)(const struct scan_probe_env *env, const struct net_reply *reply,
		      struct service_facts *out);
};

/* SYN to each port; SYN-ACK open, RST closed, ICMP errors filtered (net/icmp.c). */
extern const struct scan_probe_module scan_tcp_syn_module;
/*
 * A datagram to each port (the payloads of env->payloads for it, one per try in turn, else
 * empty); a reply open, ICMP port unreachable closed, other unreachables filtered, silence
 * open|filtered. The cookie is the source port (a keyed hash over sport_span ports) and,
 * where the payload has one, the protocol's own id field.
 */
extern const struct scan_probe_module scan_udp_module;

/*
 * Host discovery (per_host): probe k of each address is env->host_probes[k - 1]. A reply
 * from the host itself is PORT_OPEN with its reason (echo-reply, timestamp-reply, syn-ack,
 * reset, udp-response, port-unreach, or an ICMP error the host sent about its own port); an
 * ICMP error from a router on the way is PORT_FILTERED with the ICMP reason. Cookies: the
 * ICMP id and sequence are a keyed hash of the addresses and the query type, the TCP
 * sequence (SYN) or the acknowledgment a RST echoes (ACK) one of the addresses and ports,
 * the UDP source port one of the addresses and port.
 */
extern const struct scan_probe_module scan_host_module;
/* Source ports the host module uses from sport_base: SYN, ACK, then the UDP ones. */
#define SCAN_HOST_SPORT_SPAN 1026u

/*
 * The SYN module's stateless match: a probe's sequence number is a keyed hash of its
 * addresses and ports, so a reply proves which probe it answers (ack - 1 of a SYN-ACK or
 * RST, the quoted sequence of an ICMP error) without a table of probes in flight.
 */
uint32_t scan_syn_cookie(const struct net_siphash_key *key, const struct ps_addr *src,
			 const struct ps_addr *dst, uint16_t sport, uint16_t dport);

#endif
