/* SPDX-License-Identifier: MIT */
#ifndef PS_NET_ICMP_H
#define PS_NET_ICMP_H

#include <stdint.h>

#include "core/result.h"

/*
 * What an ICMP or ICMPv6 message that quotes one of our probes says about the probed port.
 * The one mapping every engine uses: the SYN engine feeds it the type and code of a parsed
 * frame (net/packet.c), the connect engine those the kernel queued on the socket's error
 * queue (IP_RECVERR), so -sS and -sT give the same reason for the same message.
 *
 * family is AF_INET (ICMP) or AF_INET6 (ICMPv6). REASON_NONE means "no answer about the
 * port" (an informational message, a redirect, a path-MTU report): ignore it and keep
 * waiting. Every other result is a filtered port's reason; icmp.c documents the table.
 */
enum port_reason port_reason_from_icmp(int family, uint8_t type, uint8_t code);

/* Whether type is an error message that quotes the datagram it is about (what a parser of
 * replies to probes accepts). */
int net_icmp_is_error(int family, uint8_t type);

#endif
