/* SPDX-License-Identifier: MIT */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expect.h"
#include "firewall.h"
#include "procmap.h"
#include "sockdiag.h"

#ifdef PS_AUDIT_HAVE_KB
#include "kb/kb.h"
#endif

void audit_opts_init(struct audit_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->firewall = true;
	opts->tcp = true;
	opts->udp = true;
}

static bool v4_mapped(const struct ps_addr *a)
{
	static const uint8_t prefix[12] = {[10] = 0xff, [11] = 0xff};

	return a->family == AF_INET6 && !memcmp(a->bytes, prefix, sizeof(prefix));
}

static void unmap_v4(const struct ps_addr *a, struct ps_addr *v4)
{
	memset(v4, 0, sizeof(*v4));
	v4->family = AF_INET;
	memcpy(v4->bytes, a->bytes + 12, 4);
}

enum audit_exposure audit_classify(const struct ps_addr *addr)
{
	static const uint8_t zero[16];
	struct ps_addr v4;

	if (v4_mapped(addr)) {
		unmap_v4(addr, &v4);
		addr = &v4;
	}
	if (!memcmp(addr->bytes, zero, ps_addr_len(addr)))
		return AUDIT_EXPOSE_ALL;
	if (ps_addr_is_loopback(addr))
		return AUDIT_EXPOSE_LOOPBACK;
	return AUDIT_EXPOSE_SPECIFIC;
}

const char *audit_exposure_name(enum audit_exposure e)
{
	switch (e) {
	case AUDIT_EXPOSE_ALL:
		return "all";
	case AUDIT_EXPOSE_SPECIFIC:
		return "specific";
	case AUDIT_EXPOSE_LOOPBACK:
		return "loopback";
	}
	return "?";
}

const char *audit_fw_verdict_name(enum audit_fw_verdict v)
{
	switch (v) {
	case AUDIT_FW_NA:
		return "n/a";
	case AUDIT_FW_ACCEPT:
		return "accept";
	case AUDIT_FW_DROP:
		return "drop";
	case AUDIT_FW_REJECT:
		return "reject";
	case AUDIT_FW_UNKNOWN:
		return "unknown";
	}
	return "?";
}

const char *audit_proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

const char *audit_state_name(uint8_t state)
{
	switch (state) {
	case TCP_LISTEN:
		return "LISTEN";
	case TCP_CLOSE:
		return "UNCONN";
	case TCP_ESTABLISHED:
		return "ESTAB";
	default:
		return "OTHER";
	}
}

/* ---- namespace ---------------------------------------------------------------------------- */

static enum ps_err enter_netns(const char *name, int *saved, struct ps_diag *diag)
{
	char path[256];
	int fd;

	*saved = -1;
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strlen(name) > 200)
		return ps_fail(diag, PS_ERR_INVALID, "invalid network namespace name '%s'", name);
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ps_fail(diag, errno == ENOENT ? PS_ERR_NOT_FOUND : PS_ERR_PERMISSION,
			       "network namespace '%s': %s", name, strerror(errno));
	*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0) {
		close(fd);
		return ps_fail(diag, PS_ERR_SYSTEM, "cannot keep our own namespace: %s",
			       strerror(errno));
	}
	if (setns(fd, CLONE_NEWNET)) {
		enum ps_err err = errno == EPERM ? PS_ERR_PERMISSION : PS_ERR_SYSTEM;

		ps_fail(diag, err, "entering network namespace '%s': %s", name, strerror(errno));
		close(fd);
		close(*saved);
		*saved = -1;
		return err;
	}
	close(fd);
	return PS_OK;
}

/* ---- sockets ------------------------------------------------------------------------------ */

struct user_cache {
	uint32_t uid[32];
	char name[32][AUDIT_USER_MAX];
	size_t n;
};

static void user_name(struct user_cache *uc, uint32_t uid, char *out, size_t outlen)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	size_t i;

	for (i = 0; i < uc->n; i++) {
		if (uc->uid[i] == uid) {
			snprintf(out, outlen, "%s", uc->name[i]);
			return;
		}
	}
	out[0] = '\0';
	if (!getpwuid_r(uid, &pw, buf, sizeof(buf), &res) && res)
		snprintf(out, outlen, "%s", pw.pw_name);
	if (uc->n < sizeof(uc->uid) / sizeof(uc->uid[0])) {
		uc->uid[uc->n] = uid;
		snprintf(uc->name[uc->n], sizeof(uc->name[0]), "%s", out);
		uc->n++;
	}
}

static void fill_socket(struct audit_socket *s, const struct audit_diag_entry *e,
			struct user_cache *uc)
{
	static const uint8_t zero[16];

	memset(s, 0, sizeof(*s));
	s->proto = e->proto;
	s->state = e->state;
	s->addr = e->addr;
	s->port = e->port;
	s->ifindex = e->ifindex;
	/* We are inside the audited namespace here, so the index means what the socket means. */
	if (e->ifindex && !if_indextoname(e->ifindex, s->device))
		s->device[0] = '\0';
	s->uid = e->uid;
	s->inode = e->inode;
	s->v6only = e->addr.family == AF_INET6 ? e->v6only : -1;
	s->exposure = audit_classify(&e->addr);
	/* SO_BINDTODEVICE lo: whatever the address, only this host can reach it. */
	if (!strcmp(s->device, "lo"))
		s->exposure = AUDIT_EXPOSE_LOOPBACK;
	if (e->addr.family == AF_INET || v4_mapped(&e->addr)) {
		s->accepts_v4 = true;
	} else {
		s->accepts_v6 = true;
		/* Only the wildcard can take IPv4 too; a missing attribute counts as dual-stack,
		 * the more exposed reading. */
		s->accepts_v4 = !memcmp(e->addr.bytes, zero, 16) && s->v6only != 1;
	}
	s->fw = s->fw_v4 = s->fw_v6 = AUDIT_FW_NA;
	user_name(uc, e->uid, s->user, sizeof(s->user));
}

static enum ps_err collect(const struct audit_opts *opts, struct audit_diag_dump *d,
			   struct audit_report *r, struct ps_diag *diag)
{
	static const uint8_t families[2] = {AF_INET, AF_INET6};
	enum ps_err err;
	size_t i;

	for (i = 0; i < 2 && opts->tcp; i++) {
		err = audit_diag_collect(families[i], IPPROTO_TCP, 1u << TCP_LISTEN, d, diag);
		if (err)
			return err;
		if (d->error)
			return ps_fail(diag, PS_ERR_UNSUPPORTED, "sock_diag for TCP: %s",
				       strerror(d->error));
		r->dump_interrupted |= d->interrupted;
	}
	/* Unconnected UDP sockets (ss's UNCONN) take datagrams from anyone; connected ones are
	 * clients bound to one peer. udp_diag is a module that may be missing. */
	for (i = 0; i < 2 && opts->udp; i++) {
		err = audit_diag_collect(families[i], IPPROTO_UDP, 1u << TCP_CLOSE, d, diag);
		if (err)
			return err;
		if (d->error)
			r->udp_unavailable = true;
		r->dump_interrupted |= d->interrupted;
	}
	r->nmsgs_malformed = d->nmalformed;
	r->dump_cut_short = d->cut_short;
	snprintf(r->dump_note, sizeof(r->dump_note), "%s", d->cut_note);
	return PS_OK;
}

static enum ps_err build_sockets(const struct audit_diag_dump *d, struct audit_report *r)
{
	struct user_cache uc = {.n = 0};
	size_t i;

	r->socks = calloc(d->n ? d->n : 1, sizeof(*r->socks));
	if (!r->socks)
		return PS_ERR_NOMEM;
	for (i = 0; i < d->n; i++)
		fill_socket(&r->socks[i], &d->v[i], &uc);
	r->nsocks = d->n;
	return PS_OK;
}

static enum ps_err find_owners(const char *proc_dir, struct audit_report *r, struct ps_diag *diag)
{
	struct audit_inode_map map;
	enum ps_err err;
	size_t i;

	err = audit_inode_map_init(&map, r->nsocks);
	if (err)
		return err;
	for (i = 0; i < r->nsocks; i++) {
		if (!r->socks[i].inode)
			continue;
		err = audit_inode_map_put(&map, r->socks[i].inode, i);
		if (err)
			goto out;
	}
	err = audit_procmap_scan(proc_dir ? proc_dir : "/proc", &map, r, diag);
	for (i = 0; i < r->nsocks; i++)
		r->nsocks_unowned += r->socks[i].nprocs == 0;
out:
	audit_inode_map_release(&map);
	return err;
}

/* ---- firewall ----------------------------------------------------------------------------- */

/* iptables-legacy keeps its own tables, invisible to nft: if any exist we cannot judge. */
static bool legacy_iptables_in_use(void)
{
	static const char *const files[] = {"/proc/net/ip_tables_names",
					    "/proc/net/ip6_tables_names"};
	size_t i;

	for (i = 0; i < 2; i++) {
		char buf[16];
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		close(fd);
		if (n > 0)
			return true;
	}
	return false;
}

static enum audit_fw_verdict most_permissive(enum audit_fw_verdict a, enum audit_fw_verdict b)
{
	if (a == AUDIT_FW_NA)
		return b;
	if (b == AUDIT_FW_NA || a == b)
		return a;
	if (a == AUDIT_FW_ACCEPT || b == AUDIT_FW_ACCEPT)
		return AUDIT_FW_ACCEPT;
	if (a == AUDIT_FW_UNKNOWN || b == AUDIT_FW_UNKNOWN)
		return AUDIT_FW_UNKNOWN;
	return AUDIT_FW_REJECT; /* drop vs reject: the port answers on one family */
}

static void judge_socket(struct audit_fw *fw, struct audit_socket *s)
{
	struct audit_fw_query q = {.proto = s->proto, .port = s->port};
	bool specific = s->exposure == AUDIT_EXPOSE_SPECIFIC;
	struct ps_addr v4;
	char why4[96] = "", why6[96] = "";

	if (s->exposure == AUDIT_EXPOSE_LOOPBACK)
		return;
	if (s->accepts_v4) {
		q.family = AF_INET;
		if (s->addr.family == AF_INET)
			q.daddr = specific ? &s->addr : NULL;
		else if (v4_mapped(&s->addr))
			q.daddr = (unmap_v4(&s->addr, &v4), &v4);
		else
			q.daddr = NULL;
		s->fw_v4 = audit_fw_judge(fw, &q, why4, sizeof(why4));
	}
	if (s->accepts_v6) {
		q.family = AF_INET6;
		q.daddr = specific ? &s->addr : NULL;
		s->fw_v6 = audit_fw_judge(fw, &q, why6, sizeof(why6));
	}
	s->fw = most_permissive(s->fw_v4, s->fw_v6);
	snprintf(s->fw_why, sizeof(s->fw_why), "%s", s->fw == s->fw_v4 && why4[0] ? why4 : why6);
}

static void judge_firewall(const struct audit_opts *opts, struct audit_report *r)
{
	struct audit_fw *fw = NULL;
	struct ps_diag d = {{0}};
	enum ps_err err;
	size_t i;

	if (legacy_iptables_in_use()) {
		snprintf(r->fw_note, sizeof(r->fw_note),
			 "iptables-legacy tables are loaded; portsight reads only nftables");
		goto unknown;
	}
	err = audit_fw_load(opts->nft, &fw, &d);
	if (err) {
		snprintf(r->fw_note, sizeof(r->fw_note), "%s", ps_diag_text(&d, err));
		goto unknown;
	}
	r->fw_state = AUDIT_FW_ACCEPT;
	for (i = 0; i < r->nsocks; i++)
		judge_socket(fw, &r->socks[i]);
	audit_fw_free(fw);
	return;
unknown:
	r->fw_state = AUDIT_FW_UNKNOWN;
	for (i = 0; i < r->nsocks; i++) {
		struct audit_socket *s = &r->socks[i];

		if (s->exposure == AUDIT_EXPOSE_LOOPBACK)
			continue;
		s->fw = AUDIT_FW_UNKNOWN;
		s->fw_v4 = s->accepts_v4 ? AUDIT_FW_UNKNOWN : AUDIT_FW_NA;
		s->fw_v6 = s->accepts_v6 ? AUDIT_FW_UNKNOWN : AUDIT_FW_NA;
		snprintf(s->fw_why, sizeof(s->fw_why), "ruleset not readable");
	}
}

/* ---- knowledge base ----------------------------------------------------------------------- */

static void join_kb(const struct audit_opts *opts, struct audit_report *r)
{
	size_t i;
#ifdef PS_AUDIT_HAVE_KB
	const struct kb *kb = opts->kb;
	struct kb *loaded = NULL;
	struct ps_diag d = {{0}};
	enum ps_err err;

	if (!kb && opts->load_kb) {
		err = kb_load_builtin(&loaded, &d);
		if (err)
			snprintf(r->kb_note, sizeof(r->kb_note), "knowledge base: %s",
				 ps_diag_text(&d, err));
		kb = loaded;
	}
#else
	const struct kb *kb = NULL;

	if (opts->kb || opts->load_kb)
		snprintf(r->kb_note, sizeof(r->kb_note),
			 "knowledge base not in this build: no service names or trojan warnings");
#endif
	for (i = 0; i < r->nsocks; i++) {
		struct audit_socket *s = &r->socks[i];
		const char *const *trojans = NULL;
		size_t ntrojans = 0;

#ifdef PS_AUDIT_HAVE_KB
		const struct kb_entry *e = kb ? kb_lookup(kb, s->port, s->proto) : NULL;

		if (e) {
			snprintf(s->service, sizeof(s->service), "%s",
				 e->service ? e->service : "");
			trojans = e->trojans;
			ntrojans = e->ntrojans;
		}
#endif
		audit_judge_program(s, r->procs, s->service[0] ? s->service : NULL, trojans,
				    ntrojans);
	}
	r->kb_joined = kb != NULL;
#ifdef PS_AUDIT_HAVE_KB
	if (loaded)
		kb_free(loaded);
#endif
}

/* ---- the run ------------------------------------------------------------------------------ */

enum ps_err audit_run(const struct audit_opts *opts, struct audit_report *out, struct ps_diag *diag)
{
	struct audit_diag_dump dump;
	struct stat st;
	enum ps_err err;
	int saved_ns = -1;

	memset(out, 0, sizeof(*out));
	audit_diag_dump_init(&dump, AUDIT_DIAG_MAX_ENTRIES);
	if (opts->netns) {
		err = enter_netns(opts->netns, &saved_ns, diag);
		if (err)
			return err;
	}
	if (!stat("/proc/thread-self/ns/net", &st))
		out->netns_ino = st.st_ino;
	err = collect(opts, &dump, out, diag);
	if (err)
		goto out;
	err = build_sockets(&dump, out);
	if (err)
		goto out;
	audit_diag_dump_release(&dump);
	err = find_owners(opts->proc_dir, out, diag);
	if (err)
		goto out;
	if (opts->firewall)
		judge_firewall(opts, out); /* an unreadable ruleset is a note, not a failure */
	join_kb(opts, out);
out:
	audit_diag_dump_release(&dump);
	if (saved_ns >= 0) {
		/* Back to where we came from; failing that, later work would run in the wrong
		 * namespace, so it is an error. */
		if (setns(saved_ns, CLONE_NEWNET) && !err)
			err = ps_fail(diag, PS_ERR_SYSTEM, "returning to our network namespace: %s",
				      strerror(errno));
		close(saved_ns);
	}
	if (err)
		audit_report_release(out);
	return err;
}

void audit_report_release(struct audit_report *r)
{
	size_t i;

	for (i = 0; i < r->nsocks; i++)
		free(r->socks[i].procs);
	for (i = 0; i < r->nprocs; i++)
		audit_proc_release(&r->procs[i]);
	free(r->socks);
	free(r->procs);
	memset(r, 0, sizeof(*r));
}

static int cmp_socket(const void *a, const void *b)
{
	const struct audit_socket *x = a, *y = b;

	if (x->exposure != y->exposure)
		return x->exposure < y->exposure ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (ps_addr_cmp(&x->addr, &y->addr))
		return ps_addr_cmp(&x->addr, &y->addr);
	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

void audit_report_sort(struct audit_report *r)
{
	if (r->nsocks > 1)
		qsort(r->socks, r->nsocks, sizeof(*r->socks), cmp_socket);
}

const struct audit_socket *audit_report_find(const struct audit_report *r, uint8_t proto,
					     uint16_t port)
{
	const struct audit_socket *any = NULL;
	size_t i;

	for (i = 0; i < r->nsocks; i++) {
		const struct audit_socket *s = &r->socks[i];

		if (s->proto != proto || s->port != port)
			continue;
		if (s->exposure != AUDIT_EXPOSE_LOOPBACK)
			return s;
		if (!any)
			any = s;
	}
	return any;
}
