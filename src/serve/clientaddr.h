/* SPDX-License-Identifier: MIT */
#ifndef PS_SERVE_CLIENTADDR_H
#define PS_SERVE_CLIENTADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"

/*
 * Who the visitor is: the one address portsight serve may scan. The socket's peer, unless the
 * peer is a trusted proxy: then the rightmost hop of X-Forwarded-For / Forwarded that is not a
 * trusted proxy itself (every hop left of it could have been written by the visitor).
 */
struct serve_cidr {
	struct ps_addr net; /* host bits cleared */
	uint8_t prefix;	    /* 0-32 or 0-128 */
};

/* The most hops read from one header (a longer chain is refused, not truncated). */
#define SERVE_HOPS_MAX 32

/* "192.0.2.0/24", "2001:db8::/32", or a bare address (one host). */
enum ps_err serve_cidr_parse(const char *text, struct serve_cidr *out, struct ps_diag *diag);
bool serve_cidr_contains(const struct serve_cidr *cidr, const struct ps_addr *addr);

/* An IPv4-mapped IPv6 address (::ffff:192.0.2.7, from a dual-stack socket) as IPv4. */
void serve_addr_unmap(struct ps_addr *addr);

/*
 * The hops of one header value, left (farthest) to right (nearest): X-Forwarded-For
 * ("192.0.2.7, 2001:db8::1") when forwarded is false, RFC 7239 Forwarded
 * ("for=192.0.2.7;proto=https, for=\"[2001:db8::1]:4711\"") when true. A hop that names no
 * address ("unknown", an obfuscated identifier, garbage) is stored with family 0.
 * Returns the count; PS_ERR_INVALID for a malformed value, PS_ERR_TOO_LARGE past max hops.
 */
enum ps_err serve_hops_parse(const char *value, size_t len, bool forwarded, struct ps_addr *hops,
			     size_t max, size_t *nhops, struct ps_diag *diag);

/*
 * The visitor's address. forwarded / xff are the header values (all lines of a header joined
 * with ", "; NULL when absent); Forwarded wins when both are there. A trusted peer whose
 * header names a hop without an address gets PS_ERR_INVALID: guessing would scan the proxy.
 */
enum ps_err serve_client_addr(const struct ps_addr *peer, const struct serve_cidr *trusted,
			      size_t ntrusted, const char *forwarded, const char *xff,
			      struct ps_addr *out, struct ps_diag *diag);

#endif
