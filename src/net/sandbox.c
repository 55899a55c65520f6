/* SPDX-License-Identifier: MIT */
#include "sandbox.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * What the SYN/UDP receive and send loops, their threads, stdio on the result pipe and the
 * allocator (and ASan's, in test builds) call. A name libseccomp does not know on this
 * architecture is skipped, not an error.
 */
static const char *const allowed[] = {
	/* descriptors it holds: the packet sockets, the result and stop pipes */
	"read", "readv", "write", "writev", "close", "lseek", "fstat", "newfstatat", "fcntl",
	"recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg", "getsockopt",
	"setsockopt", "getsockname", "ioctl",
	/* waiting */
	"poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait", "epoll_ctl",
	"nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
	"sched_yield",
	/* memory */
	"mmap", "munmap", "mremap", "mprotect", "madvise", "brk",
	/* threads (the senders, the stop watcher) and signals */
	"clone", "clone3", "futex", "set_robust_list", "rseq", "exit", "exit_group",
	"rt_sigreturn", "rt_sigprocmask", "sigaltstack", "getpid", "gettid", "tgkill", "getrandom",
	"prctl", "sched_getaffinity",
};

/*
 * What a stream client (-sV) adds: TCP sockets of its own (no other kind: a raw or packet
 * socket traps), connecting them, epoll for many at once, reading its descriptor limit.
 */
static const char *const stream_client[] = {
	"connect", "shutdown", "getpeername", "epoll_create", "epoll_create1", "getrlimit",
	"rt_sigtimedwait", "rt_sigpending", /* a SIGPIPE of a closed peer, taken back */
};

static int allow_stream_calls(scmp_filter_ctx ctx)
{
	static const int families[] = {AF_INET, AF_INET6};
	int nr = seccomp_syscall_resolve_name("socket"), rc = 0;
	size_t i;

	/* How many descriptors it may hold: prlimit64 to read, never to set (no new limit). */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name("prlimit64"), 2,
			      SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0));
	for (i = 0; !rc && i < sizeof(families) / sizeof(families[0]); i++)
		rc = seccomp_rule_add(
		    ctx, SCMP_ACT_ALLOW, nr, 2, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]),
		    SCMP_A1(SCMP_CMP_MASKED_EQ, (scmp_datum_t) ~(SOCK_NONBLOCK | SOCK_CLOEXEC),
			    SOCK_STREAM));
	return rc;
}

static int allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);

		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	return rc;
}

enum ps_err net_sandbox_enter(struct ps_diag *diag)
{
	return net_sandbox_enter_as(NET_SANDBOX_PACKETS, diag);
}

enum ps_err net_sandbox_enter_as(enum net_sandbox_profile profile, struct ps_diag *diag)
{
	/* A trap, not a kill: the caller's SIGSYS handler may still hand over what it found. A
	 * second forbidden call from the handler itself kills (the kernel forces SIGSYS). */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	enum ps_err err = PS_OK;
	int rc;

	if (!ctx)
		return ps_fail(diag, PS_ERR_UNSUPPORTED, "seccomp: no filter support");
	/* One filter for every thread of the process, not only the caller. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!rc)
		rc = allow_names(ctx, allowed, sizeof(allowed) / sizeof(allowed[0]));
	if (!rc && profile == NET_SANDBOX_STREAMS)
		rc = allow_names(ctx, stream_client, sizeof(stream_client) / sizeof(stream_client[0]));
	if (!rc && profile == NET_SANDBOX_STREAMS)
		rc = allow_stream_calls(ctx);
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc)
		err = ps_fail(diag, PS_ERR_SYSTEM, "seccomp sandbox: %s", strerror(-rc));
	seccomp_release(ctx);
	return err;
}

/* What a taken-over server would call to go further than its own sockets and files. */
static const char *const escapes[] = {
	"execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev", "mount",
	"umount2", "pivot_root", "chroot", "unshare", "setns", "init_module", "finit_module",
	"delete_module", "kexec_load", "kexec_file_load", "bpf", "perf_event_open", "keyctl",
	"add_key", "request_key", "userfaultfd", "personality", "open_by_handle_at", "reboot",
	"swapon", "swapoff", "acct", "settimeofday", "clock_settime", "adjtimex",
	"clock_adjtime",
};

enum ps_err net_sandbox_deny_escapes(struct ps_diag *diag)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	enum ps_err err = PS_OK;
	size_t i;
	int rc;

	if (!ctx)
		return ps_fail(diag, PS_ERR_UNSUPPORTED, "seccomp: no filter support");
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (i = 0; !rc && i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		int nr = seccomp_syscall_resolve_name(escapes[i]);

		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc)
		err = ps_fail(diag, PS_ERR_SYSTEM, "seccomp filter: %s", strerror(-rc));
	seccomp_release(ctx);
	return err;
}

/*
 * What libmicrohttpd's pool threads, the request handlers, the allocator (and ASan's or
 * TSan's, in test builds) call once the listening socket exists.
 */
static const char *const http_server[] = {
	/* the connections it accepts, the log it writes */
	"read", "readv", "write", "writev", "close", "fstat", "lseek", "fcntl", "accept",
	"accept4", "recvfrom", "recvmsg", "sendto", "sendmsg", "sendfile", "shutdown",
	"getsockopt", "setsockopt", "getsockname", "getpeername",
	/* waiting, and waking a pool thread */
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "eventfd2", "poll", "ppoll",
	"select", "pselect6", "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres",
	"gettimeofday", "time", "sched_yield", "restart_syscall",
	/* memory (mmap and mprotect below) */
	"munmap", "mremap", "madvise", "brk",
	/* threads and signals of its own */
	"futex", "set_robust_list", "rseq", "exit", "exit_group", "rt_sigreturn",
	"rt_sigprocmask", "sigaltstack", "getpid", "gettid", "getrandom", "sched_getaffinity",
	"getrlimit",
};

static int allow_http_calls(scmp_filter_ctx ctx)
{
	int rc;

	/* Memory, never executable: no code can be brought in. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* Threads, not processes: clone with CLONE_THREAD; clone3's flags sit behind a pointer
	 * the filter cannot read, so it answers ENOSYS and the C library falls back to clone. */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (!rc && seccomp_syscall_resolve_name("clone3") != __NR_SCMP_ERROR)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				      seccomp_syscall_resolve_name("clone3"), 0);
	/* Signals to its own threads only (abort, sanitizers). */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	/* A thread's own name, nothing else prctl can do. */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				      SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				      SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME));
	/* Its descriptor limit, read only. */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
				      SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0));
	return rc;
}

enum ps_err net_sandbox_enter_http_thread(struct ps_diag *diag)
{
	/* EPERM, not a kill: the server and its scans go on; the taken-over call fails. */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	enum ps_err err = PS_OK;
	int rc;

	if (!ctx)
		return ps_fail(diag, PS_ERR_UNSUPPORTED, "seccomp: no filter support");
	rc = allow_names(ctx, http_server, sizeof(http_server) / sizeof(http_server[0]));
	if (!rc)
		rc = allow_http_calls(ctx);
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc)
		err = ps_fail(diag, PS_ERR_SYSTEM, "seccomp filter for the HTTP threads: %s",
			      strerror(-rc));
	seccomp_release(ctx);
	return err;
}
