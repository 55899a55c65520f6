/* SPDX-License-Identifier: MIT */
#include "outside.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

enum audit_outside audit_outside_view(const struct audit_socket *s)
{
	if (!s || s->exposure == AUDIT_EXPOSE_LOOPBACK)
		return AUDIT_OUTSIDE_NONE;
	switch (s->fw) {
	case AUDIT_FW_DROP:
		return AUDIT_OUTSIDE_STEALTH;
	case AUDIT_FW_REJECT:
		return AUDIT_OUTSIDE_CLOSED;
	case AUDIT_FW_ACCEPT:
	case AUDIT_FW_NA: /* no firewall judged: nothing stands in the way */
		return AUDIT_OUTSIDE_OPEN;
	case AUDIT_FW_UNKNOWN:
		break;
	}
	return AUDIT_OUTSIDE_UNKNOWN;
}

const char *audit_outside_name(enum audit_outside v)
{
	switch (v) {
	case AUDIT_OUTSIDE_NONE:
		return "-";
	case AUDIT_OUTSIDE_OPEN:
		return "Open";
	case AUDIT_OUTSIDE_CLOSED:
		return "Closed";
	case AUDIT_OUTSIDE_STEALTH:
		return "Stealth";
	case AUDIT_OUTSIDE_UNKNOWN:
		break;
	}
	return "unknown";
}

static enum audit_outside view_of(const struct audit_report *r, uint8_t proto, uint16_t port)
{
	return r ? audit_outside_view(audit_report_find(r, proto, port)) : AUDIT_OUTSIDE_UNKNOWN;
}

/* net.ipv4.icmp_echo_ignore_all: 1 when the kernel answers echo requests, 0, -1 unreadable. */
static int echo_answered(const char *proc_dir)
{
	char path[256];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "%s/sys/net/ipv4/icmp_echo_ignore_all",
		 proc_dir ? proc_dir : "/proc");
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v < 0 ? -1 : v == 0;
}

void audit_outside_shieldsup(const struct audit_report *tcp, const struct audit_report *udp,
			     const char *proc_dir, struct audit_shieldsup_view *v)
{
	memset(v, 0, sizeof(*v));
	v->tcp_read = tcp != NULL;
	v->udp_read = udp != NULL && !udp->udp_unavailable;
	v->upnp = v->udp_read ? view_of(udp, IPPROTO_UDP, 1900) : AUDIT_OUTSIDE_UNKNOWN;
	v->netbios_ns = v->udp_read ? view_of(udp, IPPROTO_UDP, 137) : AUDIT_OUTSIDE_UNKNOWN;
	v->smb_139 = view_of(tcp, IPPROTO_TCP, 139);
	v->smb_445 = view_of(tcp, IPPROTO_TCP, 445);
	v->echo_answered = echo_answered(proc_dir);
	v->upnp_exposed = v->upnp == AUDIT_OUTSIDE_OPEN;
	v->file_sharing = v->netbios_ns == AUDIT_OUTSIDE_OPEN || v->smb_139 == AUDIT_OUTSIDE_OPEN ||
			  v->smb_445 == AUDIT_OUTSIDE_OPEN;
}
