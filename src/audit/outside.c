/* SPDX-License-Identifier: MIT */
#include "outside.h"

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
