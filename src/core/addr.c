/* SPDX-License-Identifier: MIT */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

enum ps_err ps_addr_parse(const char *text, struct ps_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = AF_INET;
		return PS_OK;
	}
	if (inet_pton(AF_INET6, text, out->bytes) == 1) {
		out->family = AF_INET6;
		return PS_OK;
	}
	return PS_ERR_INVALID;
}

char *ps_addr_format(const struct ps_addr *addr, char *buf, size_t len)
{
	if (!inet_ntop(addr->family, addr->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

size_t ps_addr_len(const struct ps_addr *addr)
{
	return addr->family == AF_INET ? 4 : 16;
}

int ps_addr_cmp(const struct ps_addr *a, const struct ps_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, ps_addr_len(a));
}

bool ps_addr_is_loopback(const struct ps_addr *addr)
{
	static const uint8_t v6_loopback[16] = {[15] = 1};

	if (addr->family == AF_INET)
		return addr->bytes[0] == 127;
	return memcmp(addr->bytes, v6_loopback, 16) == 0;
}

uint32_t ps_addr_hash(const struct ps_addr *addr)
{
	/* FNV-1a: tables keyed by address are small and not adversarial. */
	uint32_t h = 2166136261u ^ addr->family;
	size_t i, n = ps_addr_len(addr);

	for (i = 0; i < n; i++) {
		h ^= addr->bytes[i];
		h *= 16777619u;
	}
	return h;
}

socklen_t ps_addr_to_sockaddr(const struct ps_addr *addr, uint16_t port,
			      struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (addr->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr->bytes, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, addr->bytes, 16);
	return sizeof(*sin6);
}

enum ps_err ps_addr_from_sockaddr(const struct sockaddr *sa, struct ps_addr *out, uint16_t *port)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		out->family = AF_INET;
		memcpy(out->bytes, &sin->sin_addr, 4);
		if (port)
			*port = ntohs(sin->sin_port);
		return PS_OK;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		out->family = AF_INET6;
		memcpy(out->bytes, &sin6->sin6_addr, 16);
		if (port)
			*port = ntohs(sin6->sin6_port);
		return PS_OK;
	}
	return PS_ERR_UNSUPPORTED;
}

ps_u128 ps_addr_to_u128(const struct ps_addr *addr)
{
	ps_u128 v = 0;
	size_t i, n = ps_addr_len(addr);

	for (i = 0; i < n; i++)
		v = (v << 8) | addr->bytes[i];
	return v;
}

void ps_addr_from_u128(ps_u128 v, int family, struct ps_addr *out)
{
	size_t i, n = family == AF_INET ? 4 : 16;

	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)family;
	for (i = n; i-- > 0;) {
		out->bytes[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}
