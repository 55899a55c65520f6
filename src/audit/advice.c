/* SPDX-License-Identifier: MIT */
#include "advice.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Where the common daemons keep their listen address: the second way out. */
static const struct {
	const char *program;
	const char *how;
} bind_hints[] = {
    {"sshd", "set ListenAddress 127.0.0.1 in /etc/ssh/sshd_config"},
    {"mysqld", "set bind-address = 127.0.0.1 in the [mysqld] section of my.cnf"},
    {"mariadbd", "set bind-address = 127.0.0.1 in the [mysqld] section of my.cnf"},
    {"postgres", "set listen_addresses = 'localhost' in postgresql.conf"},
    {"redis-server", "set bind 127.0.0.1 ::1 in redis.conf"},
    {"memcached", "start it with -l 127.0.0.1"},
    {"mongod", "set net.bindIp: 127.0.0.1 in mongod.conf"},
    {"nginx", "use listen 127.0.0.1:PORT in the server block"},
    {"apache2", "use Listen 127.0.0.1:PORT in ports.conf"},
    {"cupsd", "use Listen localhost:631 in cupsd.conf"},
    {"named", "set listen-on { 127.0.0.1; }; in named.conf.options"},
    {"dnsmasq", "set listen-address=127.0.0.1 and bind-interfaces"},
    {"python3", "pass 127.0.0.1 as the bind address"},
    {"node", "pass 127.0.0.1 as the host to listen()"},
};

const char *audit_advice_kind_name(enum audit_advice_kind kind)
{
	switch (kind) {
	case AUDIT_ADVICE_STOP:
		return "stop";
	case AUDIT_ADVICE_BIND_LOOPBACK:
		return "bind";
	case AUDIT_ADVICE_FIREWALL:
		return "firewall";
	case AUDIT_ADVICE_NOTE:
		return "note";
	}
	return "?";
}

void audit_advice_nft_rule(uint8_t proto, uint16_t port, char *buf, size_t len)
{
	const char *p = audit_proto_name(proto);

	/* A table of our own: a drop in any base chain is final, whatever else is loaded, and
	 * `nft delete table inet portsight_block` undoes it in one step. */
	snprintf(buf, len,
		 "nft add table inet portsight_block && "
		 "nft add chain inet portsight_block input "
		 "'{ type filter hook input priority -10; policy accept; }' && "
		 "nft add rule inet portsight_block input iifname != \"lo\" %s dport %u drop",
		 p, port);
}

static const char *bind_hint(const struct audit_proc *p)
{
	size_t i;

	for (i = 0; p && i < sizeof(bind_hints) / sizeof(bind_hints[0]); i++)
		if (!strcmp(bind_hints[i].program, p->comm))
			return bind_hints[i].how;
	return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void advise_stop(const struct audit_socket *s, const struct audit_proc *owner,
			struct audit_advice *a)
{
	a->kind = AUDIT_ADVICE_STOP;
	a->command[0] = '\0';
	/* A .scope is a login session or a transient group: stopping it is not the fix. */
	if (owner && owner->unit && !ends_with(owner->unit, ".scope")) {
		/* Units are in systemd's character set (procmap.c); of it only the backslash of
		 * an escaped name means something to a shell. */
		const char *quote = strchr(owner->unit, '\\') ? "'" : "";

		snprintf(a->text, sizeof(a->text), "if you do not need %s, stop and disable %s",
			 owner->comm, owner->unit);
		snprintf(a->command, sizeof(a->command), "systemctl disable --now %s%s%s", quote,
			 owner->unit, quote);
	} else if (owner) {
		snprintf(a->text, sizeof(a->text), "if you do not need it, stop %s (pid %d)",
			 owner->comm, (int)owner->pid);
		snprintf(a->command, sizeof(a->command), "kill %d", (int)owner->pid);
	} else {
		snprintf(
		    a->text, sizeof(a->text),
		    "find and stop the program holding %s port %u (its owner could not be seen)",
		    audit_proto_name(s->proto), s->port);
	}
}

static void advise_bind(const struct audit_socket *s, const struct audit_proc *owner,
			struct audit_advice *a)
{
	const char *hint = bind_hint(owner);

	a->kind = AUDIT_ADVICE_BIND_LOOPBACK;
	a->command[0] = '\0';
	if (hint)
		snprintf(a->text, sizeof(a->text), "if only this host needs it, %s", hint);
	else
		snprintf(a->text, sizeof(a->text),
			 "if only this host needs it, make %s listen on 127.0.0.1%s instead of %s",
			 owner ? owner->comm : "the program", s->accepts_v6 ? " and ::1" : "",
			 s->exposure == AUDIT_EXPOSE_ALL ? "all addresses" : "a public address");
}

size_t audit_advise(const struct audit_report *r, const struct audit_socket *s,
		    struct audit_advice out[AUDIT_ADVICE_MAX])
{
	const struct audit_proc *owner = s->nprocs ? &r->procs[s->procs[0]] : NULL;
	size_t n = 0;

	if (s->exposure == AUDIT_EXPOSE_LOOPBACK) {
		out[0].kind = AUDIT_ADVICE_NOTE;
		snprintf(out[0].text, sizeof(out[0].text),
			 "reachable from this host only (bound to loopback): nothing to close");
		out[0].command[0] = '\0';
		return 1;
	}
	if (s->fw == AUDIT_FW_DROP || s->fw == AUDIT_FW_REJECT) {
		out[0].kind = AUDIT_ADVICE_NOTE;
		snprintf(out[0].text, sizeof(out[0].text),
			 "the firewall already %s new connections (%s); binding it to loopback "
			 "would close it for good",
			 s->fw == AUDIT_FW_DROP ? "drops" : "rejects", s->fw_why);
		out[0].command[0] = '\0';
		return 1;
	}
	advise_stop(s, owner, &out[n++]);
	advise_bind(s, owner, &out[n++]);
	out[n].kind = AUDIT_ADVICE_FIREWALL;
	snprintf(out[n].text, sizeof(out[n].text),
		 "to keep it running but unreachable from other hosts, drop new %s connections "
		 "to port %u in nftables",
		 audit_proto_name(s->proto), s->port);
	audit_advice_nft_rule(s->proto, s->port, out[n].command, sizeof(out[n].command));
	n++;
	return n;
}
