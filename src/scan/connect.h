/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_CONNECT_H
#define PS_SCAN_CONNECT_H

#include <stdint.h>

#include "core/result.h"

/*
 * The connect engine's reading of one message on a socket's error queue (struct
 * sock_extended_err: ee_origin, ee_type, ee_code): net/icmp.h's port_reason_from_icmp() for
 * ICMP and ICMPv6 origins, REASON_NONE for any other (a local error).
 */
enum port_reason scan_connect_errqueue_reason(uint8_t origin, uint8_t type, uint8_t code);

#endif
