/* SPDX-License-Identifier: MIT */
#include "resolve.h"

#include <netdb.h>
#include <string.h>

enum ps_err net_resolve(void *ctx, const char *name, struct ps_addr *out, struct ps_diag *diag)
{
	const struct net_resolve_opts *opts = ctx;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *res = NULL, *ai, *pick = NULL;
	int rc;

	hints.ai_family = opts ? opts->family : AF_UNSPEC;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_NODATA) {
		/* AI_ADDRCONFIG hides ::1 inside a namespace with only loopback; ask again. */
		hints.ai_flags = 0;
		rc = getaddrinfo(name, NULL, &hints, &res);
	}
	if (rc)
		return ps_fail(diag, PS_ERR_RESOLVE, "cannot resolve \"%s\": %s", name,
			       gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (!pick || (pick->ai_family != AF_INET && ai->ai_family == AF_INET))
			pick = ai;
	}
	if (!pick) {
		freeaddrinfo(res);
		return ps_fail(diag, PS_ERR_RESOLVE, "\"%s\" has no IPv4 or IPv6 address", name);
	}
	ps_addr_from_sockaddr(pick->ai_addr, out, NULL);
	freeaddrinfo(res);
	return PS_OK;
}
