/* SPDX-License-Identifier: MIT */
#ifndef PS_NET_PRIV_H
#define PS_NET_PRIV_H

#include "core/err.h"

/*
 * Gives up every capability (effective, permitted, inheritable) and forbids regaining any
 * through exec. Called once the raw sockets are open and before the first packet from the
 * wire is parsed, so a parser bug cannot be turned into CAP_NET_RAW/CAP_NET_ADMIN.
 */
enum ps_err net_priv_drop(struct ps_diag *diag);

#endif
