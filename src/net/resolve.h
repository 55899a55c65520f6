/* SPDX-License-Identifier: MIT */
#ifndef PS_NET_RESOLVE_H
#define PS_NET_RESOLVE_H

#include "core/addr.h"
#include "core/err.h"

/* Which family a hostname should resolve to. */
struct net_resolve_opts {
	int family; /* AF_INET, AF_INET6, or AF_UNSPEC: IPv4 when it has one, like nmap */
};

/* A target_resolve_fn (ctx is a struct net_resolve_opts *): one address per name. */
enum ps_err net_resolve(void *ctx, const char *name, struct ps_addr *out, struct ps_diag *diag);

#endif
