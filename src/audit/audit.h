/* SPDX-License-Identifier: MIT */
#ifndef PS_AUDIT_AUDIT_H
#define PS_AUDIT_AUDIT_H

/*
 * The local audit: which programs listen on this machine (or in one network namespace) and who
 * can reach them. audit_run() lists every listening TCP socket and every unconnected UDP socket
 * through sock_diag netlink, finds the processes holding them by one pass over /proc, classifies
 * the exposure, asks the nftables ruleset in force what it would do with a new inbound
 * connection, and joins the knowledge base. It returns data only; src/cli renders it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/addr.h"
#include "core/err.h"

struct kb;

/* Ordered from most to least exposed: the CLI sorts by this. */
enum audit_exposure {
	AUDIT_EXPOSE_ALL,      /* 0.0.0.0 or :: — every interface */
	AUDIT_EXPOSE_SPECIFIC, /* one non-loopback address */
	AUDIT_EXPOSE_LOOPBACK, /* 127.0.0.0/8 or ::1, or bound to device lo — this host only */
};

/* What the firewall would do with a new inbound connection (TCP) or datagram (UDP). */
enum audit_fw_verdict {
	AUDIT_FW_NA, /* not judged: loopback-only socket, or the firewall check was off */
	AUDIT_FW_ACCEPT,
	AUDIT_FW_DROP,
	AUDIT_FW_REJECT,
	AUDIT_FW_UNKNOWN, /* ruleset unreadable or too complex to judge: never a guess */
};

/* Warnings from the knowledge-base join. */
#define AUDIT_WARN_TROJAN     0x1u /* the port is on the kb's trojan list */
#define AUDIT_WARN_UNEXPECTED 0x2u /* the program is not what normally serves the port */
#define AUDIT_WARN_ADHOC      0x4u /* nc/socat-style ad-hoc listener reachable from outside */

#define AUDIT_COMM_MAX 16 /* TASK_COMM_LEN */
#define AUDIT_USER_MAX 33

struct audit_proc {
	pid_t pid;
	char comm[AUDIT_COMM_MAX + 1];
	char *cmdline; /* arguments joined by spaces; NULL when unreadable */
	char *exe;     /* NULL when unreadable (another user's process, kernel thread) */
	char *unit;    /* systemd unit from /proc/PID/cgroup; NULL when none */
};

struct audit_socket {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t state; /* kernel TCP state number: 10 LISTEN, 7 CLOSE (unconnected UDP) */
	struct ps_addr addr;
	uint16_t port;
	uint32_t ifindex; /* bound device (SO_BINDTODEVICE), 0 when none */
	char device[16];  /* its name (IF_NAMESIZE), "" when none or gone */
	uint32_t uid;
	char user[AUDIT_USER_MAX]; /* empty when the uid has no name */
	uint64_t inode;
	int v6only; /* IPv6 sockets: 0 or 1 from INET_DIAG_SKV6ONLY; -1 for IPv4 or unknown */
	enum audit_exposure exposure;
	bool accepts_v4; /* IPv4 socket, or dual-stack IPv6 socket (:: or v4-mapped) */
	bool accepts_v6;
	size_t *procs; /* indices into audit_report.procs */
	size_t nprocs;
	enum audit_fw_verdict fw;    /* combined: the most permissive of fw_v4/fw_v6 */
	enum audit_fw_verdict fw_v4; /* AUDIT_FW_NA when the socket takes no IPv4 */
	enum audit_fw_verdict fw_v6;
	char fw_why[96];     /* the rule or reason behind fw */
	char service[48];    /* kb service name, or "" when the port is unknown */
	unsigned warn;	     /* AUDIT_WARN_* */
	char warn_text[256]; /* one line explaining warn */
	/*
	 * The kb has something to say about the port (a trojan list, a usual program) that only
	 * the owner could settle, and no owner is visible: no warning without that evidence,
	 * but the user is told the picture is incomplete.
	 */
	bool owner_unseen;
};

struct audit_opts {
	const char *netns;    /* name under /run/netns, or NULL for the current namespace */
	const char *proc_dir; /* NULL = "/proc"; tests point it at a fake tree */
	const char *nft;      /* nft program; NULL = "nft" from PATH */
	bool firewall;	      /* judge the nftables ruleset */
	bool tcp, udp;	      /* which protocols to list */
	const struct kb *kb;  /* knowledge base to join (borrowed), or NULL */
	bool load_kb;	      /* with kb NULL: load the built-in one for the run */
};

struct audit_report {
	struct audit_socket *socks;
	size_t nsocks;
	struct audit_proc *procs;
	size_t nprocs;
	uint64_t netns_ino; /* inode of the namespace audited */
	/* What could not be seen, so the user knows how complete the picture is. */
	size_t nsocks_unowned;	 /* no process found holding the socket */
	size_t nprocs_fd_denied; /* processes whose /proc/PID/fd we may not read */
	size_t nprocs_vanished;	 /* processes that exited during the scan */
	size_t nmsgs_malformed;	 /* sock_diag messages we could not parse */
	bool dump_interrupted;	 /* the kernel flagged a dump as inconsistent (even on retry) */
	bool dump_cut_short;	 /* a kernel message did not parse; see dump_note */
	char dump_note[PS_DIAG_MAX];
	bool udp_unavailable; /* udp_diag not available in this kernel */
	bool kb_joined;	      /* false: no service names or trojan warnings (see kb_note) */
	char kb_note[96];
	enum audit_fw_verdict fw_state; /* AUDIT_FW_UNKNOWN when the ruleset could not be judged */
	char fw_note[160];		/* why the firewall could not be read, or "" */
};

void audit_opts_init(struct audit_opts *opts);
/*
 * True when socket i's warning was already given by an earlier socket of the report: the same
 * protocol, port, program and text (a daemon's IPv4 and IPv6 sockets). A warning is said once
 * per (program, port); call after audit_report_sort() so the first of a pair is the one kept.
 */
bool audit_warning_repeats(const struct audit_report *r, size_t i);
/* Socket i's owner_unseen, said once per (protocol, port) like a warning. */
bool audit_unseen_repeats(const struct audit_report *r, size_t i);
/* Runs the audit. With opts->netns set, the calling thread enters that namespace for the
 * duration and returns to its own before audit_run returns. */
enum ps_err audit_run(const struct audit_opts *opts, struct audit_report *out,
		      struct ps_diag *diag);
void audit_report_release(struct audit_report *r);

/* Classifies a bound address: loopback, wildcard, or a specific address. */
enum audit_exposure audit_classify(const struct ps_addr *addr);
/* Sorts sockets by exposure (most exposed first), then port, protocol, address. */
void audit_report_sort(struct audit_report *r);
/* The first socket of proto listening on port that is reachable from outside (else any). */
const struct audit_socket *audit_report_find(const struct audit_report *r, uint8_t proto,
					     uint16_t port);

const char *audit_exposure_name(enum audit_exposure e);	    /* "all", "specific", "loopback" */
const char *audit_fw_verdict_name(enum audit_fw_verdict v); /* "accept", ..., "unknown", "n/a" */
const char *audit_proto_name(uint8_t proto);		    /* "tcp", "udp" */
const char *audit_state_name(uint8_t state);		    /* "LISTEN", "UNCONN", ... */

#endif
