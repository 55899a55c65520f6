/* SPDX-License-Identifier: MIT */
#ifndef PS_NET_SANDBOX_H
#define PS_NET_SANDBOX_H

#include "core/err.h"

/*
 * Confines the calling process (every thread of it) to what a packet reader needs: reading
 * and writing descriptors it already holds, sending and receiving on its sockets, waiting,
 * memory, threads, time. Anything else (opening files, new sockets, exec, ptrace...) raises
 * SIGSYS (a trap the caller may handle to hand over its results, then exit). Called after net_priv_drop(), before the first byte from the wire is
 * parsed: a parser bug can then neither gain a capability nor make a system call the reader
 * never needed. PS_ERR_UNSUPPORTED when the kernel has no seccomp filters.
 */
enum ps_err net_sandbox_enter(struct ps_diag *diag);

/*
 * The same with a profile: NET_SANDBOX_PACKETS is net_sandbox_enter's; NET_SANDBOX_STREAMS
 * (the service identification, -sV) adds TCP sockets of its own over IPv4 and IPv6 (socket()
 * of any other family or type traps), connect, shutdown and epoll.
 */
enum net_sandbox_profile {
	NET_SANDBOX_PACKETS,
	NET_SANDBOX_STREAMS,
};
enum ps_err net_sandbox_enter_as(enum net_sandbox_profile profile, struct ps_diag *diag);

/*
 * For a long-lived process that must keep opening sockets and files (serve): every system
 * call stays allowed but the ones that would take a compromised process further (exec,
 * ptrace and reading or writing another process, mounts and namespaces, kernel modules,
 * bpf, keyrings, the clock), which fail with EPERM, in every thread. Not a substitute for
 * the allowlists above: what it keeps out is escalation, not the process's own reach.
 */
enum ps_err net_sandbox_deny_escapes(struct ps_diag *diag);

/*
 * For the threads of an HTTP server, the ones that parse requests (serve): the calling
 * thread, and every thread it starts afterwards, may use the descriptors they are handed
 * (accept, read, write, epoll, eventfd), memory that never becomes executable, threads of
 * the same process, time and randomness. Nothing else: no new socket, no file opened, no
 * connect, no process started or signalled; those fail with EPERM, so a request that took a
 * thread over gains no reach, and the rest of the process (the scans, in threads started
 * before) keeps its own. Only the caller, not the whole process: call it in a thread that
 * then starts the server's threads.
 */
enum ps_err net_sandbox_enter_http_thread(struct ps_diag *diag);

#endif
