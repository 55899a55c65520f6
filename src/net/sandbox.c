/* SPDX-License-Identifier: MIT */
#include "sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>

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

enum ps_err net_sandbox_enter(struct ps_diag *diag)
{
	/* A trap, not a kill: the caller's SIGSYS handler may still hand over what it found. A
	 * second forbidden call from the handler itself kills (the kernel forces SIGSYS). */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	enum ps_err err = PS_OK;
	size_t i;
	int rc;

	if (!ctx)
		return ps_fail(diag, PS_ERR_UNSUPPORTED, "seccomp: no filter support");
	/* One filter for every thread of the process, not only the caller. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (i = 0; !rc && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc)
		err = ps_fail(diag, PS_ERR_SYSTEM, "seccomp sandbox: %s", strerror(-rc));
	seccomp_release(ctx);
	return err;
}
