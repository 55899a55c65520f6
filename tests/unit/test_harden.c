/* SPDX-License-Identifier: MIT */
/* harden: the --allow/--refuse lists, the planner's decisions and the table it renders. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "harden/harden.h"
#include "kb/kb.h"

static struct kb *kb;

static int setup(void **state)
{
	struct ps_diag diag;

	(void)state;
	return kb_load_builtin(&kb, &diag) == PS_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	kb_free(kb);
	return 0;
}

static void test_ports_parse(void **state)
{
	struct harden_ports p = {.n = 0};
	struct ps_diag diag = {{0}};
	const char *name;

	(void)state;
	assert_int_equal(harden_ports_parse("ssh,443/tcp,53/udp,8000-8100,http", kb, &p, &diag),
			 PS_OK);
	assert_true(harden_ports_match(&p, IPPROTO_TCP, 22, &name));
	assert_string_equal(name, "ssh");
	assert_true(harden_ports_match(&p, IPPROTO_TCP, 443, &name));
	assert_string_equal(name, "443/tcp");
	assert_false(harden_ports_match(&p, IPPROTO_UDP, 443, NULL));
	assert_true(harden_ports_match(&p, IPPROTO_UDP, 53, NULL));
	assert_false(harden_ports_match(&p, IPPROTO_TCP, 53, NULL));
	assert_true(harden_ports_match(&p, IPPROTO_TCP, 8000, NULL));
	assert_true(harden_ports_match(&p, IPPROTO_UDP, 8100, NULL));
	assert_false(harden_ports_match(&p, IPPROTO_TCP, 8101, NULL));
	assert_true(harden_ports_match(&p, IPPROTO_TCP, 80, &name));
	assert_string_equal(name, "http");
	assert_false(harden_ports_match(&p, IPPROTO_TCP, 7999, NULL));
}

static void expect_bad(const char *list, const char *needle)
{
	struct harden_ports p = {.n = 0};
	struct ps_diag diag = {{0}};

	assert_int_equal(harden_ports_parse(list, kb, &p, &diag), PS_ERR_INVALID);
	if (!strstr(diag.msg, needle))
		fail_msg("'%s': diag '%s' lacks '%s'", list, diag.msg, needle);
}

static void test_ports_refused(void **state)
{
	(void)state;
	expect_bad("", "empty");
	expect_bad("22,", "is not a port");
	expect_bad("0", "1-65535");
	expect_bad("65536", "1-65535");
	expect_bad("443/sctp", "tcp or udp");
	expect_bad("nosuchservice", "unknown service 'nosuchservice'");
	expect_bad("90-80", "not a port or range");
	expect_bad("80x", "not a port or range");
}

/* A report as the audit makes it: sockets with their exposure, verdict and first owner. */
struct fake {
	struct audit_report r;
	struct audit_socket socks[8];
	struct audit_proc procs[8];
	size_t idx[8];
};

static void add_sock(struct fake *f, uint8_t proto, uint16_t port, enum audit_exposure e,
		     enum audit_fw_verdict fw, const char *comm)
{
	size_t i = f->r.nsocks++;
	struct audit_socket *s = &f->socks[i];

	memset(s, 0, sizeof(*s));
	s->proto = proto;
	s->port = port;
	s->exposure = e;
	s->fw = e == AUDIT_EXPOSE_LOOPBACK ? AUDIT_FW_NA : fw;
	snprintf(f->procs[i].comm, sizeof(f->procs[i].comm), "%s", comm);
	f->procs[i].pid = (pid_t)(100 + i);
	f->idx[i] = i;
	s->procs = &f->idx[i];
	s->nprocs = 1;
	f->r.nprocs = f->r.nsocks;
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->r.socks = f->socks;
	f->r.procs = f->procs;
	add_sock(f, IPPROTO_TCP, 22, AUDIT_EXPOSE_ALL, AUDIT_FW_ACCEPT, "sshd");
	add_sock(f, IPPROTO_TCP, 2222, AUDIT_EXPOSE_ALL, AUDIT_FW_ACCEPT, "sshd");
	add_sock(f, IPPROTO_TCP, 443, AUDIT_EXPOSE_ALL, AUDIT_FW_ACCEPT, "nginx");
	add_sock(f, IPPROTO_TCP, 31337, AUDIT_EXPOSE_ALL, AUDIT_FW_ACCEPT, "nc");
	add_sock(f, IPPROTO_UDP, 5353, AUDIT_EXPOSE_SPECIFIC, AUDIT_FW_DROP, "avahi-daemon");
	add_sock(f, IPPROTO_TCP, 631, AUDIT_EXPOSE_LOOPBACK, AUDIT_FW_NA, "cupsd");
	/* the same port once more, v6, already rejected: the accepting socket speaks for it */
	add_sock(f, IPPROTO_TCP, 31337, AUDIT_EXPOSE_SPECIFIC, AUDIT_FW_REJECT, "nc");
}

static const struct harden_item *item(const struct harden_plan *p, uint8_t proto, uint16_t port)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->items[i].proto == proto && p->items[i].port == port)
			return &p->items[i];
	return NULL;
}

static void test_plan_defaults(void **state)
{
	struct harden_opts o;
	struct harden_plan p;
	struct ps_diag diag = {{0}};
	struct fake f;
	char *text;

	(void)state;
	fake_init(&f);
	harden_opts_init(&o);
	assert_int_equal(harden_ports_parse("https", kb, &o.allow, &diag), PS_OK);
	assert_int_equal(harden_plan_build(&f.r, &o, &p, &diag), PS_OK);
	assert_int_equal(p.n, 5); /* loopback 631 is nobody else's business; 31337 once */
	assert_null(item(&p, IPPROTO_TCP, 631));
	assert_false(item(&p, IPPROTO_TCP, 22)->close);
	assert_false(item(&p, IPPROTO_TCP, 2222)->close); /* held by sshd */
	assert_false(item(&p, IPPROTO_TCP, 443)->close);
	assert_string_equal(item(&p, IPPROTO_TCP, 443)->reason, "allowed (--allow https)");
	assert_true(item(&p, IPPROTO_TCP, 31337)->close);
	assert_int_equal(item(&p, IPPROTO_TCP, 31337)->before, AUDIT_OUTSIDE_OPEN);
	assert_int_equal(item(&p, IPPROTO_TCP, 31337)->after, AUDIT_OUTSIDE_STEALTH);
	assert_int_equal(item(&p, IPPROTO_TCP, 31337)->exposure, AUDIT_EXPOSE_ALL);
	assert_true(item(&p, IPPROTO_UDP, 5353)->close);
	assert_int_equal(item(&p, IPPROTO_UDP, 5353)->before, AUDIT_OUTSIDE_STEALTH);
	assert_int_equal(p.nclose, 2);
	assert_int_equal(p.nchange, 1); /* 5353 was already stealth */
	/* sorted: tcp ports ascending, then udp */
	assert_int_equal(p.items[0].port, 22);
	assert_int_equal(p.items[3].port, 31337);
	assert_int_equal(p.items[4].proto, IPPROTO_UDP);
	text = harden_render(&p);
	assert_non_null(text);
	assert_string_equal(text,
			    "table inet portsight {\n"
			    "\tchain input {\n"
			    "\t\ttype filter hook input priority filter - 10; policy accept;\n"
			    "\t\tiif \"lo\" accept\n"
			    "\t\tct state established,related accept\n"
			    "\t\ttcp dport { 31337 } drop\n"
			    "\t\tudp dport { 5353 } drop\n"
			    "\t}\n"
			    "}\n");
	free(text);
	harden_plan_release(&p);
}

static void test_plan_refuse_reject_session(void **state)
{
	struct harden_opts o;
	struct harden_plan p;
	struct ps_diag diag = {{0}};
	struct fake f;
	char *text;

	(void)state;
	fake_init(&f);
	harden_opts_init(&o);
	o.keep_ssh = false;
	o.mode = HARDEN_REJECT;
	o.stealth_ping = true;
	o.session_port = 2222;
	assert_int_equal(harden_ports_parse("ssh,2222", kb, &o.refuse, &diag), PS_OK);
	assert_int_equal(harden_ports_parse("22", kb, &o.allow, &diag), PS_OK);
	assert_int_equal(harden_plan_build(&f.r, &o, &p, &diag), PS_OK);
	/* refusing beats allowing; the session's own port beats refusing */
	assert_true(item(&p, IPPROTO_TCP, 22)->close);
	assert_false(item(&p, IPPROTO_TCP, 2222)->close);
	assert_non_null(strstr(item(&p, IPPROTO_TCP, 2222)->reason, "SSH session"));
	assert_true(item(&p, IPPROTO_TCP, 443)->close);
	assert_int_equal(item(&p, IPPROTO_TCP, 443)->after, AUDIT_OUTSIDE_CLOSED);
	text = harden_render(&p);
	assert_non_null(text);
	assert_non_null(strstr(text, "\t\ttcp dport { 22, 443, 31337 } reject with tcp reset\n"));
	assert_non_null(strstr(text, "\t\tudp dport { 5353 } reject with icmpx type "
				     "port-unreachable\n"));
	assert_non_null(strstr(text, "\t\ticmp type echo-request drop\n"
				     "\t\ticmpv6 type echo-request drop\n"));
	free(text);
	harden_plan_release(&p);
}

static void test_plan_nothing_exposed(void **state)
{
	struct harden_opts o;
	struct harden_plan p;
	struct ps_diag diag = {{0}};
	struct fake f;
	char *text;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.r.socks = f.socks;
	f.r.procs = f.procs;
	add_sock(&f, IPPROTO_TCP, 631, AUDIT_EXPOSE_LOOPBACK, AUDIT_FW_NA, "cupsd");
	harden_opts_init(&o);
	assert_int_equal(harden_plan_build(&f.r, &o, &p, &diag), PS_OK);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.nchange, 0);
	text = harden_render(&p);
	assert_null(strstr(text, "dport"));
	free(text);
	harden_plan_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ports_parse),
	    cmocka_unit_test(test_ports_refused),
	    cmocka_unit_test(test_plan_defaults),
	    cmocka_unit_test(test_plan_refuse_reject_session),
	    cmocka_unit_test(test_plan_nothing_exposed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
