/* SPDX-License-Identifier: MIT */
#ifndef PS_CORE_ADDR_H
#define PS_CORE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

/* Long enough for any IPv6 text form plus NUL (INET6_ADDRSTRLEN). */
#define PS_ADDR_STRLEN 46

/* An IPv4 or IPv6 address. IPv4 lives in bytes[0..3]; the rest is zero. */
struct ps_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

/* Parses a literal address (no names, no prefix). */
enum ps_err ps_addr_parse(const char *text, struct ps_addr *out);
/* Writes the canonical text form; buf needs PS_ADDR_STRLEN bytes. Returns buf. */
char *ps_addr_format(const struct ps_addr *addr, char *buf, size_t len);
int ps_addr_cmp(const struct ps_addr *a, const struct ps_addr *b);
bool ps_addr_is_loopback(const struct ps_addr *addr);
size_t ps_addr_len(const struct ps_addr *addr);
uint32_t ps_addr_hash(const struct ps_addr *addr);

/* Converts to a sockaddr_in/sockaddr_in6 with the port; returns its length. */
socklen_t ps_addr_to_sockaddr(const struct ps_addr *addr, uint16_t port,
			      struct sockaddr_storage *ss);
enum ps_err ps_addr_from_sockaddr(const struct sockaddr *sa, struct ps_addr *out, uint16_t *port);

/* Addresses as 128-bit integers, for range arithmetic. IPv4 uses the low 32 bits. */
__extension__ typedef unsigned __int128 ps_u128;
ps_u128 ps_addr_to_u128(const struct ps_addr *addr);
void ps_addr_from_u128(ps_u128 v, int family, struct ps_addr *out);

#endif
