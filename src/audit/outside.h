/* SPDX-License-Identifier: MIT */
#ifndef PS_AUDIT_OUTSIDE_H
#define PS_AUDIT_OUTSIDE_H

/*
 * The ShieldsUP verdict another host would get on a port, judged from the inside: from the
 * socket's binding and the firewall's verdict for it, without sending anything. For a port
 * with several sockets, ask about the most exposed one (audit_report_find()).
 */
#include "audit.h"

enum audit_outside {
	AUDIT_OUTSIDE_NONE,    /* no socket, or a loopback-only one: not theirs to see ("-") */
	AUDIT_OUTSIDE_OPEN,    /* reachable and the firewall accepts (or none was judged) */
	AUDIT_OUTSIDE_CLOSED,  /* the firewall rejects: an answer, so the host is visible */
	AUDIT_OUTSIDE_STEALTH, /* the firewall drops: no answer at all */
	AUDIT_OUTSIDE_UNKNOWN, /* the firewall could not be judged: never a guess */
};

/* s may be NULL (nothing listens). */
enum audit_outside audit_outside_view(const struct audit_socket *s);
/* "-", "Open", "Closed", "Stealth", "unknown" */
const char *audit_outside_name(enum audit_outside v);

/*
 * The ShieldsUP sections of the check, judged from the inside the same way: UPnP (a UDP
 * socket on 1900), file sharing (TCP 139 and 445, UDP 137) and whether the kernel answers a
 * ping. tcp and udp are audits of each protocol (either may be NULL: not read).
 */
struct audit_shieldsup_view {
	enum audit_outside upnp;       /* UDP 1900 */
	enum audit_outside netbios_ns; /* UDP 137 */
	enum audit_outside smb_139, smb_445; /* TCP */
	bool tcp_read, udp_read;
	/* 1: the kernel answers echo requests (net.ipv4.icmp_echo_ignore_all = 0), 0: it ignores
	 * them, -1: unreadable. The firewall's ICMP rules are not judged (its model is TCP and
	 * UDP), so 1 means "answers unless a firewall rule drops it". */
	int echo_answered;
	bool upnp_exposed; /* 1900 Open to other hosts */
	bool file_sharing; /* 139, 445 or 137 Open to other hosts */
};

/* proc_dir NULL: "/proc" (the sysctl is read from PROC/sys/net/ipv4). */
void audit_outside_shieldsup(const struct audit_report *tcp, const struct audit_report *udp,
			     const char *proc_dir, struct audit_shieldsup_view *v);

#endif
