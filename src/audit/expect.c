/* SPDX-License-Identifier: MIT */
#include "expect.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct service_programs {
	const char *service;  /* kb service name; aliases get their own row */
	const char *programs; /* comma-separated comm or exe basenames */
};

/* Our own short list of the daemons that normally serve a well-known port. comm is cut at 15
 * characters, so a few names appear truncated as the kernel reports them. */
static const struct service_programs table[] = {
    {"ssh", "sshd,sshd-session,dropbear,systemd"},
    {"http", "nginx,apache2,httpd,lighttpd,caddy,haproxy,varnishd,traefik,envoy,h2o"},
    {"https", "nginx,apache2,httpd,lighttpd,caddy,haproxy,traefik,envoy,h2o"},
    {"http-alt", "nginx,apache2,httpd,lighttpd,caddy,haproxy,traefik,envoy,tomcat,java"},
    {"domain", "named,unbound,dnsmasq,systemd-resolve,systemd-resolved,pdns_server,"
	       "pdns_recursor,coredns,knotd"},
    {"dns", "named,unbound,dnsmasq,systemd-resolve,systemd-resolved,pdns_server,"
	    "pdns_recursor,coredns,knotd"},
    {"smtp", "master,exim4,exim,sendmail,smtpd,opensmtpd,postfix"},
    {"submission", "master,exim4,exim,sendmail,smtpd,opensmtpd,postfix"},
    {"imap", "dovecot,imap-login,cyrus-master"},
    {"imaps", "dovecot,imap-login,cyrus-master"},
    {"pop3", "dovecot,pop3-login"},
    {"ftp", "vsftpd,proftpd,pure-ftpd"},
    {"telnet", "telnetd,in.telnetd,inetd"},
    {"mysql", "mysqld,mariadbd"},
    {"postgresql", "postgres,postmaster"},
    {"redis", "redis-server"},
    {"mongodb", "mongod,mongos"},
    {"memcache", "memcached"},
    {"memcached", "memcached"},
    {"ntp", "ntpd,chronyd,systemd-timesyn,openntpd"},
    {"snmp", "snmpd"},
    {"ldap", "slapd"},
    {"rsync", "rsync"},
    {"cups", "cupsd"},
    {"ipp", "cupsd"},
    {"x11", "Xorg,Xwayland"},
    {"microsoft-ds", "smbd"},
    {"netbios-ssn", "smbd"},
    {"sunrpc", "rpcbind,systemd"},
    {"rpcbind", "rpcbind,systemd"},
    {"mdns", "avahi-daemon,systemd-resolve"},
    {"bootps", "dhcpd,dnsmasq,kea-dhcp4"},
    {"bootpc", "dhclient,systemd-network,NetworkManager,dhcpcd"},
    {"syslog", "rsyslogd,syslog-ng"},
    {"vnc", "Xvnc,x11vnc,vncserver"},
};

static const char *const adhoc[] = {"nc",    "ncat",   "netcat",  "nc.openbsd", "nc.traditional",
				    "socat", "pwncat", "cryptcat"};

static const struct service_programs *lookup(const char *service)
{
	size_t i;

	if (!service)
		return NULL;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcasecmp(table[i].service, service))
			return &table[i];
	return NULL;
}

bool audit_expected_programs(const char *service, const char **expected)
{
	const struct service_programs *sp = lookup(service);

	if (!sp)
		return false;
	*expected = sp->programs;
	return true;
}

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (*list) {
		const char *comma = strchr(list, ',');
		size_t len = comma ? (size_t)(comma - list) : strlen(list);

		if (len == n && !strncmp(list, name, n))
			return true;
		if (!comma)
			break;
		list = comma + 1;
	}
	return false;
}

bool audit_program_fits(const char *service, const char *prog)
{
	const struct service_programs *sp = lookup(service);

	return sp && prog && *prog && in_list(sp->programs, prog);
}

bool audit_program_adhoc(const char *prog)
{
	size_t i;

	for (i = 0; prog && i < sizeof(adhoc) / sizeof(adhoc[0]); i++)
		if (!strcmp(adhoc[i], prog))
			return true;
	return false;
}

static const char *basename_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* A process fits when its comm or its executable's name is a usual program. */
static bool proc_fits(const char *service, const struct audit_proc *p)
{
	return audit_program_fits(service, p->comm) ||
	       audit_program_fits(service, basename_of(p->exe));
}

static bool proc_adhoc(const struct audit_proc *p)
{
	return audit_program_adhoc(p->comm) || audit_program_adhoc(basename_of(p->exe));
}

/*
 * Appends "; text" to buf when the whole piece fits: a warning cut mid-word ("opensmt") reads
 * as a program that does not exist.
 */
static void append(char *buf, size_t len, const char *text)
{
	size_t used = strlen(buf), need = strlen(text) + (used ? 2 : 0);

	if (used + need < len)
		snprintf(buf + used, len - used, "%s%s", used ? "; " : "", text);
}

/* "a,b,c" as "a, b, c", cut between names with an ellipsis when longer than max bytes. */
static void list_text(char *buf, size_t len, const char *list, size_t max)
{
	static const char more[] = ", \u2026";
	size_t used = 0;

	if (max >= len)
		max = len - 1;
	buf[0] = '\0';
	while (*list) {
		const char *comma = strchr(list, ',');
		size_t n = comma ? (size_t)(comma - list) : strlen(list);
		size_t sep = used ? 2 : 0;
		/* Room for this name, and for the ellipsis after it unless it is the last. */
		size_t need = sep + n + (comma ? sizeof(more) - 1 : 0);

		if (used + need > max) {
			snprintf(buf + used, len - used, "%s", used ? more : "\u2026");
			return;
		}
		used += (size_t)snprintf(buf + used, len - used, "%s%.*s", sep ? ", " : "", (int)n,
					 list);
		if (!comma)
			break;
		list = comma + 1;
	}
}

void audit_judge_program(struct audit_socket *s, const struct audit_proc *procs,
			 const char *service, const char *const *trojans, size_t ntrojans)
{
	const struct audit_proc *owner = s->nprocs ? &procs[s->procs[0]] : NULL;
	const char *expected = NULL;
	bool fits = false, outside = s->exposure != AUDIT_EXPOSE_LOOPBACK;
	bool usual = audit_expected_programs(service, &expected);
	char text[200], list[80];
	size_t i;

	s->warn = 0;
	s->warn_text[0] = '\0';
	s->owner_unseen = false;
	/*
	 * A warning needs evidence: the program is known and is not what the port usually runs.
	 * Without an owner (another user's process, seen without root) the port number alone
	 * would call every sshd on 22 a backdoor.
	 */
	if (!owner) {
		s->owner_unseen = ntrojans || usual;
		return;
	}
	for (i = 0; i < s->nprocs; i++)
		fits = fits || proc_fits(service, &procs[s->procs[i]]);
	if (ntrojans && !fits) {
		s->warn |= AUDIT_WARN_TROJAN;
		snprintf(text, sizeof(text), "port %u is known from the backdoor %s%s", s->port,
			 trojans[0] ? trojans[0] : "?", ntrojans > 1 ? " and others" : "");
		append(s->warn_text, sizeof(s->warn_text), text);
	}
	if (!fits && usual) {
		s->warn |= AUDIT_WARN_UNEXPECTED;
		list_text(list, sizeof(list), expected, 48);
		snprintf(text, sizeof(text), "%s usually runs %s, not %s", service, list,
			 owner->comm);
		append(s->warn_text, sizeof(s->warn_text), text);
	}
	for (i = 0; outside && i < s->nprocs; i++) {
		if (proc_adhoc(&procs[s->procs[i]])) {
			s->warn |= AUDIT_WARN_ADHOC;
			snprintf(text, sizeof(text),
				 "%s is an ad-hoc listener reachable from outside",
				 procs[s->procs[i]].comm);
			append(s->warn_text, sizeof(s->warn_text), text);
			break;
		}
	}
}

static const char *owner_comm(const struct audit_report *r, const struct audit_socket *s)
{
	return s->nprocs ? r->procs[s->procs[0]].comm : "";
}

bool audit_warning_repeats(const struct audit_report *r, size_t i)
{
	const struct audit_socket *s = &r->socks[i];
	size_t k;

	for (k = 0; s->warn && k < i; k++) {
		const struct audit_socket *o = &r->socks[k];

		if (o->warn == s->warn && o->proto == s->proto && o->port == s->port &&
		    !strcmp(owner_comm(r, o), owner_comm(r, s)) && !strcmp(o->warn_text, s->warn_text))
			return true;
	}
	return false;
}

bool audit_unseen_repeats(const struct audit_report *r, size_t i)
{
	const struct audit_socket *s = &r->socks[i];
	size_t k;

	for (k = 0; s->owner_unseen && k < i; k++)
		if (r->socks[k].owner_unseen && r->socks[k].proto == s->proto &&
		    r->socks[k].port == s->port)
			return true;
	return false;
}
