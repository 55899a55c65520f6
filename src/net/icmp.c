/* SPDX-License-Identifier: MIT */
/*
 * The ICMP table, with nmap's reason words where nmap has one and our nearest reason where
 * it does not (result.h has no "time-exceeded" or "reject-route").
 *
 * ICMP (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1), type 3 destination unreachable:
 *   0 net, 6 net unknown, 11 net for TOS            icmp-net-unreachable
 *   1 host, 5 source route failed, 7 host unknown,
 *   8 source host isolated, 12 host for TOS, 4 fragmentation needed (a SYN never is; the
 *   path refused it as sent), 16-255 unassigned     icmp-host-unreachable
 *   2 protocol                                      icmp-proto-unreachable
 *   3 port                                          icmp-port-unreachable
 *   9 net administratively prohibited               icmp-net-prohibited
 *   10 host administratively prohibited             icmp-host-prohibited
 *   13 communication administratively prohibited,
 *   14 host precedence violation, 15 precedence cutoff in effect   icmp-admin-prohibited
 *      (14 and 15 are a router's policy on the packet's precedence field, RFC 1812 5.2.7.1:
 *      a filter speaking, like 13, not a missing host)
 * Other errors: 11 time exceeded, 12 parameter problem: the probe was discarded on the way
 *   with no word on the port: host-unreach ("an ICMP error of no port meaning", what the
 *   kernel's EHOSTUNREACH says too). 4 source quench (deprecated, RFC 6633: ignore) and
 *   5 redirect (the probe was forwarded) are no answer. Every other type is informational
 *   (echo, timestamp, router advertisement...): no answer.
 *
 * ICMPv6 (RFC 4443 3.1, RFC 8554, RFC 8883), type 1 destination unreachable:
 *   0 no route, 2 beyond scope of source address     icmp-net-unreachable
 *   1 administratively prohibited,
 *   5 source address failed ingress/egress policy    icmp-admin-prohibited
 *      (a filter on our address: policy, not routing)
 *   6 reject route to destination                    icmp-net-prohibited
 *      (a route whose purpose is to refuse a destination prefix: a network-wide policy,
 *      ICMP 3/9's meaning; Linux sends 1/1 or 1/0 for its own prohibit/unreachable routes)
 *   3 address unreachable, 7 error in source routing header, 8 headers too long,
 *   9-255 unassigned                                 icmp-host-unreachable
 *   4 port unreachable                               icmp-port-unreachable
 * Other errors: 3 time exceeded, 4 parameter problem, and unassigned error types (0-127,
 *   RFC 4443 2.1): host-unreach. 2 packet too big is no answer (the path's MTU, never below
 *   the 1280 a SYN fits in). 128-255 are informational: no answer.
 */
#include <netinet/in.h>

#include "icmp.h"

static enum port_reason icmp4_unreach(uint8_t code)
{
	switch (code) {
	case 0:
	case 6:
	case 11:
		return REASON_ICMP_NET_UNREACH;
	case 2:
		return REASON_ICMP_PROTO_UNREACH;
	case 3:
		return REASON_ICMP_PORT_UNREACH;
	case 9:
		return REASON_ICMP_NET_PROHIBITED;
	case 10:
		return REASON_ICMP_HOST_PROHIBITED;
	case 13:
	case 14:
	case 15:
		return REASON_ICMP_ADMIN_PROHIBITED;
	default: /* 1, 4, 5, 7, 8, 12, unassigned */
		return REASON_ICMP_HOST_UNREACH;
	}
}

static enum port_reason icmp6_unreach(uint8_t code)
{
	switch (code) {
	case 0:
	case 2:
		return REASON_ICMP_NET_UNREACH;
	case 1:
	case 5:
		return REASON_ICMP_ADMIN_PROHIBITED;
	case 4:
		return REASON_ICMP_PORT_UNREACH;
	case 6:
		return REASON_ICMP_NET_PROHIBITED;
	default: /* 3, 7, 8, unassigned */
		return REASON_ICMP_HOST_UNREACH;
	}
}

enum port_reason port_reason_from_icmp(int family, uint8_t type, uint8_t code)
{
	if (family == AF_INET) {
		switch (type) {
		case 3:
			return icmp4_unreach(code);
		case 11:
		case 12:
			return REASON_HOST_UNREACH;
		default:
			return REASON_NONE;
		}
	}
	if (family != AF_INET6)
		return REASON_NONE;
	if (type == 1)
		return icmp6_unreach(code);
	if (type == 2 || type >= 128)
		return REASON_NONE;
	return REASON_HOST_UNREACH;
}

int net_icmp_is_error(int family, uint8_t type)
{
	if (family == AF_INET)
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	return family == AF_INET6 && type < 128;
}
