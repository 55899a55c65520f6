/* SPDX-License-Identifier: MIT */
#ifndef PS_PROBE_UDP_REPLY_H
#define PS_PROBE_UDP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/result.h"

/*
 * Readers of UDP replies: whether a datagram is a reply of a protocol, what it says about the
 * service (service_facts), and the id the protocol echoes from its request (DNS id, SNMP
 * request-id, NTP origin timestamp, IKE initiator cookie), which proves the reply answers our
 * probe. Every read is bounded by the datagram; a malformed reply is "not this protocol".
 */
enum udp_reply_kind {
	UDP_REPLY_NONE, /* no parser: any datagram is an answer */
	UDP_REPLY_DNS,	/* DNS and mDNS: version.bind TXT, else the first answer */
	UDP_REPLY_SNMP, /* v1/v2c GetResponse: sysDescr */
	UDP_REPLY_NBNS, /* NetBIOS node status: the name table */
	UDP_REPLY_SSDP, /* HTTP-over-UDP: SERVER, LOCATION, USN */
	UDP_REPLY_NTP,	/* server mode: version and stratum */
	UDP_REPLY_BO,	/* Back Orifice: "!PONG!" under the default key */
	UDP_REPLY_MEMCACHED,
	UDP_REPLY_SIP,
	UDP_REPLY_IKE,
	UDP_REPLY_TFTP,
	UDP_REPLY_COUNT
};

#define UDP_REPLY_ID_MAX 8

struct udp_reply_info {
	struct service_facts facts;
	uint8_t id[UDP_REPLY_ID_MAX]; /* the echoed request id, id_len bytes */
	size_t id_len;		      /* 0: the protocol echoes none */
};

/* Whether data is a reply of kind; out filled when it is. */
bool udp_reply_parse(enum udp_reply_kind kind, const uint8_t *data, size_t len,
		     struct udp_reply_info *out);

/* "dns"...; NULL for an unknown kind. And back: UDP_REPLY_COUNT for an unknown name. */
const char *udp_reply_kind_name(enum udp_reply_kind kind);
enum udp_reply_kind udp_reply_kind_from_name(const char *name, size_t len);

/*
 * Back Orifice's cipher: bytes XORed with the MSVC rand() stream seeded from the password
 * (31337 for the default, empty one). Encrypting and decrypting are the same.
 */
void udp_bo_crypt(uint8_t *buf, size_t len);

#endif
