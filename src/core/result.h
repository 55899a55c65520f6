/* SPDX-License-Identifier: MIT */
#ifndef PS_CORE_RESULT_H
#define PS_CORE_RESULT_H

#include <stdint.h>

#include "addr.h"

/*
 * What a scan learned about one (address, port). Engines produce these, reports and the
 * history store consume them; the type lives here so neither side reaches into the other.
 */
enum port_state {
	PORT_OPEN,
	PORT_CLOSED,
	PORT_FILTERED,
	PORT_OPEN_FILTERED, /* UDP: no answer; open and silent or dropped look the same */
	PORT_STATE_COUNT
};

/* Why a port got its state, with nmap's reason words where nmap has one. */
enum port_reason {
	REASON_NONE,
	REASON_SYN_ACK,		   /* open: handshake answered */
	REASON_CONN_REFUSED,	   /* closed: connect() got ECONNREFUSED (an RST) */
	REASON_RESET,		   /* closed: raw scan saw an RST */
	REASON_NO_RESPONSE,	   /* filtered: nothing came back after every retry */
	REASON_HOST_UNREACH,	   /* filtered: connect() got EHOSTUNREACH, ICMP type unknown */
	REASON_NET_UNREACH,	   /* filtered: connect() got ENETUNREACH */
	REASON_ICMP_NET_UNREACH,   /* ICMP 3/0 */
	REASON_ICMP_HOST_UNREACH,  /* ICMP 3/1, ICMPv6 1/3 */
	REASON_ICMP_PROTO_UNREACH, /* ICMP 3/2 */
	REASON_ICMP_PORT_UNREACH,  /* ICMP 3/3, ICMPv6 1/4 */
	REASON_ICMP_NET_PROHIBITED,   /* ICMP 3/9 */
	REASON_ICMP_HOST_PROHIBITED,  /* ICMP 3/10 */
	REASON_ICMP_ADMIN_PROHIBITED, /* ICMP 3/13, ICMPv6 1/1 */
	REASON_LOCAL_PROHIBITED,      /* connect() got EPERM/EACCES from a local firewall */
	REASON_UDP_RESPONSE,	      /* open: a UDP datagram came back */
	/* Host discovery (a host's reason, not a port's; nmap's words) */
	REASON_ECHO_REPLY,	   /* up: ICMP/ICMPv6 echo reply */
	REASON_TIMESTAMP_REPLY,	   /* up: ICMP timestamp reply */
	REASON_ARP_RESPONSE,	   /* up: answered ARP (on-link IPv4) */
	REASON_ND_RESPONSE,	   /* up: answered neighbour solicitation (on-link IPv6) */
	REASON_USER_SET,	   /* up: no discovery (-Pn, or a single host) */
	REASON_LOCALHOST_RESPONSE, /* up: an address of this machine */
	REASON_NO_ROUTE,	   /* down: the kernel has no route to it */
	REASON_PORT_UNREACH,	   /* up: ICMP port unreachable from the host itself (UDP ping) */
	REASON_COUNT
};

/* Service identification (filled by src/probe when --service is on). */
enum service_confidence {
	SERVICE_GUESSED, /* from the port number only */
	SERVICE_MATCHED, /* a banner or probe reply matched */
};

#define SERVICE_FLAG_UNEXPECTED 0x1u /* not what the port number promises */
#define SERVICE_FLAG_BACKDOOR	0x2u /* matches a known trojan/backdoor */
#define SERVICE_FLAG_TLS	0x4u /* spoke TLS */
#define SERVICE_FLAG_SELF_SIGNED 0x8u  /* TLS certificate issued by itself */
#define SERVICE_FLAG_EXPIRED	 0x10u /* TLS certificate past notAfter (or not yet valid) */
#define SERVICE_FLAG_HTTP	 0x20u /* service_info.http is filled */

/* What a TLS handshake showed (SERVICE_FLAG_TLS). Times are Unix seconds, 0 when unknown. */
struct service_tls {
	char version[16];     /* "TLSv1.3" */
	char cipher[64];      /* OpenSSL's name */
	char subject_cn[128];
	char issuer[128];     /* issuer CN, or the one-line issuer name without a CN */
	char sans[256];	      /* DNS/IP subject alternative names, comma separated */
	int64_t not_before;
	int64_t not_after;
};

/* What an HTTP response showed (SERVICE_FLAG_HTTP). */
struct service_http {
	uint16_t status;
	char server[96];
	char title[128];
};

struct service_info {
	char name[32];
	char product[64];
	char version[32];
	char info[128];
	uint8_t confidence; /* enum service_confidence */
	uint32_t flags;
	struct service_tls tls;
	struct service_http http;
};

/*
 * What one reply said about the service, as a probe module's parser read it in the scanning
 * process (UDP: the DNS version, an SNMP sysDescr...); the run turns it into a service_info.
 */
struct service_facts {
	char name[32];
	char product[64];
	char version[32];
	char info[128];
	uint32_t flags; /* SERVICE_FLAG_* */
};

struct port_result {
	struct ps_addr addr;
	const char *hostname; /* the name the target was given as, or NULL */
	uint16_t port;
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t state; /* enum port_state */
	uint8_t reason; /* enum port_reason */
	uint8_t ttl;   /* reply TTL/hop limit, 0 when unknown */
	uint8_t tries; /* probes sent for this port */
	uint32_t rtt_us; /* 0 when unknown */
	const struct service_info *service; /* NULL unless identified */
};

/*
 * What host discovery found for one address: up or down, and why (a REASON_*: echo-reply,
 * syn-ack, reset, port-unreach... for up; no-response, an ICMP unreachable... for down).
 */
struct host_status {
	uint8_t up;
	uint8_t reason; /* enum port_reason */
	uint8_t ttl;	/* of the reply that decided, 0 when none (ARP, silence) */
	uint32_t rtt_us;
};

/*
 * Every target's status after discovery, by the target's number in targets (target.h):
 * what a run hands its sinks before the first port result.
 */
struct target_list;
struct host_table {
	const struct target_list *targets;
	struct host_status *status; /* targets->total entries */
	uint64_t up, down;
	int discovery_only; /* -sn: no port scan follows; reports list the hosts themselves */
	int verbose;	    /* list the down hosts too (nmap -v) */
};

/* The status of addr in table, or NULL when it is not one of table's targets. */
const struct host_status *host_table_find(const struct host_table *table,
					  const struct ps_addr *addr);

const char *port_state_name(enum port_state state);
const char *port_reason_name(enum port_reason reason);
/* ShieldsUP's view: a port "answered" unless nothing at all came back (filtered or
 * open|filtered with no response). */
int port_result_answered(const struct port_result *res);

#endif
