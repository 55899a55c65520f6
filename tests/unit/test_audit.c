/* SPDX-License-Identifier: MIT */
/* The audit's pieces around the parsers: /proc owners, exposure, program warnings, advice. */
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit/advice.h"
#include "audit/audit.h"
#include "audit/expect.h"
#include "audit/procmap.h"

static void test_link_inode(void **state)
{
	(void)state;
	assert_int_equal(audit_socket_link_inode("socket:[12345]", 14), 12345);
	assert_int_equal(audit_socket_link_inode("socket:[]", 9), 0);
	assert_int_equal(audit_socket_link_inode("pipe:[12345]", 12), 0);
	assert_int_equal(audit_socket_link_inode("socket:[12a45]", 14), 0);
	assert_int_equal(audit_socket_link_inode("socket:[12345", 13), 0);
	assert_int_equal(audit_socket_link_inode("socket:[99999999999999999999999]", 32), 0);
	assert_int_equal(audit_socket_link_inode("/dev/null", 9), 0);
}

static void test_cgroup_unit(void **state)
{
	static const char v2[] = "0::/system.slice/ssh.service\n";
	static const char user[] =
	    "0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n";
	static const char v1[] = "12:cpu:/\n1:name=systemd:/system.slice/nginx.service\n";
	static const char none[] = "0::/\n";
	static const char hostile[] =
	    "0::/user.slice/user-1000.slice/user@1000.service/app.slice/$(id).service\n";
	static const char spaced[] = "0::/system.slice/a b;c.service\n";
	static const char escaped[] = "0::/system.slice/system-systemd\\x2dfsck.slice/"
				      "systemd-fsck@dev-disk-by\\x2duuid-1.service\n";
	char unit[64];

	(void)state;
	assert_true(audit_cgroup_unit(v2, sizeof(v2) - 1, unit, sizeof(unit)));
	assert_string_equal(unit, "ssh.service");
	assert_true(audit_cgroup_unit(user, sizeof(user) - 1, unit, sizeof(unit)));
	assert_string_equal(unit, "foo.service");
	assert_true(audit_cgroup_unit(v1, sizeof(v1) - 1, unit, sizeof(unit)));
	assert_string_equal(unit, "nginx.service");
	assert_false(audit_cgroup_unit(none, sizeof(none) - 1, unit, sizeof(unit)));
	assert_false(audit_cgroup_unit(".service", 8, unit, sizeof(unit)));
	assert_false(audit_cgroup_unit(v2, sizeof(v2) - 1, unit, 4)); /* does not fit */
	/* A user's own cgroup directories are named anything: not units, so no shell text. */
	assert_true(audit_cgroup_unit(hostile, sizeof(hostile) - 1, unit, sizeof(unit)));
	assert_string_equal(unit, "user@1000.service");
	assert_false(audit_cgroup_unit(spaced, sizeof(spaced) - 1, unit, sizeof(unit)));
	assert_true(audit_cgroup_unit(escaped, sizeof(escaped) - 1, unit, sizeof(unit)));
	assert_string_equal(unit, "systemd-fsck@dev-disk-by\\x2duuid-1.service");
}

static void test_inode_map(void **state)
{
	struct audit_inode_map m;
	size_t i, idx;

	(void)state;
	assert_int_equal(audit_inode_map_init(&m, 10000), PS_OK);
	for (i = 0; i < 10000; i++)
		assert_int_equal(audit_inode_map_put(&m, 4000000 + i * 3, i), PS_OK);
	for (i = 0; i < 10000; i++) {
		assert_true(audit_inode_map_get(&m, 4000000 + i * 3, &idx));
		assert_int_equal(idx, i);
		assert_false(audit_inode_map_get(&m, 4000000 + i * 3 + 1, &idx));
	}
	assert_false(audit_inode_map_get(&m, 0, &idx));
	assert_int_equal(audit_inode_map_put(&m, 0, 1), PS_ERR_INVALID);
	audit_inode_map_release(&m);
}

/* A fake /proc: pid 100 (sshd) and pid 200 (a forked worker) share socket 555, pid 300 holds
 * only a pipe, pid 400 has no fd directory (it exited), "self" is not a pid. */
static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void make_proc(const char *root, int pid, const char *comm, const char *const *fds)
{
	char path[512], buf[64];
	int i;

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/comm", root, pid);
	snprintf(buf, sizeof(buf), "%s\n", comm);
	write_file(path, buf, strlen(buf));
	snprintf(path, sizeof(path), "%s/%d/cmdline", root, pid);
	write_file(path, "/usr/sbin/sshd\0-D\0", 18);
	snprintf(path, sizeof(path), "%s/%d/cgroup", root, pid);
	write_file(path, "0::/system.slice/ssh.service\n", 29);
	snprintf(path, sizeof(path), "%s/%d/exe", root, pid);
	assert_int_equal(symlink("/usr/sbin/sshd", path), 0);
	snprintf(path, sizeof(path), "%s/%d/fd", root, pid);
	assert_int_equal(mkdir(path, 0755), 0);
	for (i = 0; fds[i]; i++) {
		snprintf(path, sizeof(path), "%s/%d/fd/%d", root, pid, i + 3);
		assert_int_equal(symlink(fds[i], path), 0);
	}
}

static void test_procmap_scan(void **state)
{
	static const char *const fds100[] = {"socket:[555]", "socket:[555]", "/dev/null", NULL};
	static const char *const fds200[] = {"socket:[555]", "socket:[9]", NULL};
	static const char *const fds300[] = {"pipe:[555]", NULL};
	char root[] = "/tmp/audit-proc-XXXXXX", path[600];
	struct audit_report r;
	struct audit_inode_map m;
	struct ps_diag diag = {{0}};

	(void)state;
	assert_non_null(mkdtemp(root));
	make_proc(root, 100, "sshd", fds100);
	make_proc(root, 200, "sshd", fds200);
	make_proc(root, 300, "cat", fds300);
	snprintf(path, sizeof(path), "%s/400", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/self", root);
	assert_int_equal(mkdir(path, 0755), 0);

	memset(&r, 0, sizeof(r));
	r.nsocks = 2;
	r.socks = calloc(2, sizeof(*r.socks));
	assert_non_null(r.socks);
	r.socks[0].inode = 555;
	r.socks[1].inode = 556;
	assert_int_equal(audit_inode_map_init(&m, 2), PS_OK);
	assert_int_equal(audit_inode_map_put(&m, 555, 0), PS_OK);
	assert_int_equal(audit_inode_map_put(&m, 556, 1), PS_OK);
	assert_int_equal(audit_procmap_scan(root, &m, &r, &diag), PS_OK);

	/* Only the two holders are read; the same fd twice counts once. */
	assert_int_equal(r.nprocs, 2);
	assert_int_equal(r.socks[0].nprocs, 2);
	assert_int_equal(r.socks[1].nprocs, 0);
	assert_int_equal(r.nprocs_vanished, 1);
	for (size_t i = 0; i < r.nprocs; i++) {
		const struct audit_proc *p = &r.procs[i];

		assert_true(p->pid == 100 || p->pid == 200);
		assert_string_equal(p->comm, "sshd");
		assert_string_equal(p->cmdline, "/usr/sbin/sshd -D");
		assert_string_equal(p->exe, "/usr/sbin/sshd");
		assert_string_equal(p->unit, "ssh.service");
	}
	assert_int_not_equal(r.procs[r.socks[0].procs[0]].pid, r.procs[r.socks[0].procs[1]].pid);
	audit_inode_map_release(&m);
	audit_report_release(&r);

	/* A missing proc directory is an error with a message, not a crash. */
	assert_int_equal(audit_inode_map_init(&m, 1), PS_OK);
	memset(&r, 0, sizeof(r));
	assert_int_equal(audit_procmap_scan("/nonexistent-proc", &m, &r, &diag), PS_ERR_IO);
	assert_non_null(strstr(diag.msg, "/nonexistent-proc"));
	audit_inode_map_release(&m);

	/* Depth first, links not followed: the fake fd links point at /dev/null. */
	assert_int_equal(nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void test_classify(void **state)
{
	static const struct {
		const char *addr;
		enum audit_exposure e;
	} cases[] = {
	    {"0.0.0.0", AUDIT_EXPOSE_ALL},	    {"::", AUDIT_EXPOSE_ALL},
	    {"127.0.0.1", AUDIT_EXPOSE_LOOPBACK},   {"127.8.9.10", AUDIT_EXPOSE_LOOPBACK},
	    {"::1", AUDIT_EXPOSE_LOOPBACK},	    {"::ffff:127.0.0.1", AUDIT_EXPOSE_LOOPBACK},
	    {"::ffff:0.0.0.0", AUDIT_EXPOSE_ALL},   {"192.0.2.2", AUDIT_EXPOSE_SPECIFIC},
	    {"2001:db8::2", AUDIT_EXPOSE_SPECIFIC}, {"::ffff:192.0.2.2", AUDIT_EXPOSE_SPECIFIC},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ps_addr a;

		assert_int_equal(ps_addr_parse(cases[i].addr, &a), PS_OK);
		assert_int_equal(audit_classify(&a), cases[i].e);
	}
}

static void test_sort_and_find(void **state)
{
	struct audit_socket socks[3];
	struct audit_report r = {.socks = socks, .nsocks = 3};

	(void)state;
	memset(socks, 0, sizeof(socks));
	socks[0] = (struct audit_socket){
	    .proto = IPPROTO_TCP, .port = 22, .exposure = AUDIT_EXPOSE_LOOPBACK};
	socks[1] =
	    (struct audit_socket){.proto = IPPROTO_TCP, .port = 80, .exposure = AUDIT_EXPOSE_ALL};
	socks[2] = (struct audit_socket){
	    .proto = IPPROTO_TCP, .port = 22, .exposure = AUDIT_EXPOSE_SPECIFIC};
	audit_report_sort(&r);
	assert_int_equal(socks[0].port, 80);
	assert_int_equal(socks[1].exposure, AUDIT_EXPOSE_SPECIFIC);
	assert_int_equal(socks[2].exposure, AUDIT_EXPOSE_LOOPBACK);
	/* find prefers the socket others can reach. */
	assert_ptr_equal(audit_report_find(&r, IPPROTO_TCP, 22), &socks[1]);
	assert_null(audit_report_find(&r, IPPROTO_UDP, 22));
}

static void test_program_fits(void **state)
{
	(void)state;
	assert_true(audit_program_fits("ssh", "sshd"));
	assert_true(audit_program_fits("SSH", "sshd"));
	assert_false(audit_program_fits("ssh", "nc"));
	assert_false(audit_program_fits("ssh", "ssh")); /* the client is not the daemon */
	assert_false(audit_program_fits("no-such-service", "sshd"));
	assert_false(audit_program_fits(NULL, "sshd"));
	assert_true(audit_program_fits("http", "nginx"));
	assert_true(audit_program_adhoc("nc"));
	assert_true(audit_program_adhoc("socat"));
	assert_false(audit_program_adhoc("ncat-not"));
}

static void test_judge_program(void **state)
{
	struct audit_proc procs[2] = {{.pid = 10, .comm = "nc"}, {.pid = 11, .comm = "sshd"}};
	size_t nc_owner = 0, sshd_owner = 1;
	static const char *const bo[] = {"Back Orifice"};
	struct audit_socket s = {
	    .port = 31337, .exposure = AUDIT_EXPOSE_ALL, .procs = &nc_owner, .nprocs = 1};

	(void)state;
	audit_judge_program(&s, procs, NULL, bo, 1);
	assert_int_equal(s.warn, AUDIT_WARN_TROJAN | AUDIT_WARN_ADHOC);
	assert_non_null(strstr(s.warn_text, "Back Orifice"));
	assert_non_null(strstr(s.warn_text, "nc is an ad-hoc listener"));

	/* nc on the ssh port: unexpected; sshd there: nothing to say even with a trojan list. */
	s.port = 22;
	audit_judge_program(&s, procs, "ssh", NULL, 0);
	assert_int_equal(s.warn, AUDIT_WARN_UNEXPECTED | AUDIT_WARN_ADHOC);
	assert_non_null(strstr(s.warn_text, "ssh usually runs sshd"));
	s.procs = &sshd_owner;
	audit_judge_program(&s, procs, "ssh", bo, 1);
	assert_int_equal(s.warn, 0);
	assert_string_equal(s.warn_text, "");

	/* nc on loopback is somebody's experiment, not an exposure. */
	s.procs = &nc_owner;
	s.exposure = AUDIT_EXPOSE_LOOPBACK;
	audit_judge_program(&s, procs, NULL, NULL, 0);
	assert_int_equal(s.warn, 0);

	/* No owner visible: no evidence, so no warning, only the note that it is unseen. */
	s.exposure = AUDIT_EXPOSE_ALL;
	s.nprocs = 0;
	audit_judge_program(&s, procs, "ssh", bo, 1);
	assert_int_equal(s.warn, 0);
	assert_true(s.owner_unseen);
	audit_judge_program(&s, procs, NULL, NULL, 0);
	assert_false(s.owner_unseen);

	/* A long list of usual programs is cut between names, never inside one. */
	s.nprocs = 1;
	s.port = 25;
	audit_judge_program(&s, procs, "smtp", NULL, 0);
	assert_non_null(strstr(s.warn_text, "smtp usually runs master, exim4, "));
	assert_non_null(strstr(s.warn_text, ", \u2026, not nc"));
	assert_null(strstr(s.warn_text, "opensmt,"));
}

static void test_advice(void **state)
{
	struct audit_proc procs[1] = {{.pid = 42, .comm = "redis-server", .unit = "redis.service"}};
	size_t owner = 0;
	struct audit_socket s = {.proto = IPPROTO_TCP,
				 .port = 6379,
				 .exposure = AUDIT_EXPOSE_ALL,
				 .procs = &owner,
				 .nprocs = 1,
				 .fw = AUDIT_FW_ACCEPT};
	struct audit_report r = {.socks = &s, .nsocks = 1, .procs = procs, .nprocs = 1};
	struct audit_advice adv[AUDIT_ADVICE_MAX];
	size_t n;

	(void)state;
	n = audit_advise(&r, &s, adv);
	assert_int_equal(n, 3);
	assert_int_equal(adv[0].kind, AUDIT_ADVICE_STOP);
	assert_string_equal(adv[0].command, "systemctl disable --now redis.service");
	assert_int_equal(adv[1].kind, AUDIT_ADVICE_BIND_LOOPBACK);
	assert_non_null(strstr(adv[1].text, "bind 127.0.0.1"));
	assert_int_equal(adv[2].kind, AUDIT_ADVICE_FIREWALL);
	assert_non_null(strstr(adv[2].command, "iifname != \"lo\" tcp dport 6379 drop"));

	/* An escaped unit name is quoted, or the shell would eat its backslash. */
	procs[0].unit = "redis-server@a\\x2db.service";
	assert_int_equal(audit_advise(&r, &s, adv), 3);
	assert_string_equal(adv[0].command,
			    "systemctl disable --now 'redis-server@a\\x2db.service'");

	/* Without a unit: kill the pid. (s reaches procs, which cppcheck does not see.) */
	/* cppcheck-suppress redundantAssignment */
	procs[0].unit = NULL;
	n = audit_advise(&r, &s, adv);
	assert_int_equal(n, 3);
	assert_int_equal(adv[0].kind, AUDIT_ADVICE_STOP);
	assert_string_equal(adv[0].command, "kill 42");

	s.fw = AUDIT_FW_DROP;
	n = audit_advise(&r, &s, adv);
	assert_int_equal(n, 1);
	assert_int_equal(adv[0].kind, AUDIT_ADVICE_NOTE);

	s.fw = AUDIT_FW_NA;
	s.exposure = AUDIT_EXPOSE_LOOPBACK;
	n = audit_advise(&r, &s, adv);
	assert_int_equal(n, 1);
	assert_int_equal(adv[0].kind, AUDIT_ADVICE_NOTE);
	assert_string_equal(audit_advice_kind_name(AUDIT_ADVICE_FIREWALL), "firewall");
}

/* The whole run against this machine, firewall off: whatever is there, the report must be
 * self-consistent (every owner index valid, unowned count right). */
static void test_run_current_namespace(void **state)
{
	struct audit_opts opts;
	struct audit_report r;
	struct ps_diag diag = {{0}};
	size_t i, k, unowned = 0;
	enum ps_err err;

	(void)state;
	audit_opts_init(&opts);
	opts.firewall = false;
	err = audit_run(&opts, &r, &diag);
	if (err == PS_ERR_PERMISSION)
		skip();
	assert_int_equal(err, PS_OK);
	for (i = 0; i < r.nsocks; i++) {
		unowned += r.socks[i].nprocs == 0;
		assert_int_equal(r.socks[i].fw, AUDIT_FW_NA);
		for (k = 0; k < r.socks[i].nprocs; k++)
			assert_true(r.socks[i].procs[k] < r.nprocs);
	}
	assert_int_equal(unowned, r.nsocks_unowned);
	audit_report_release(&r);

	opts.netns = "../etc";
	assert_int_equal(audit_run(&opts, &r, &diag), PS_ERR_INVALID);
	assert_int_equal(r.nsocks, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_link_inode),	 cmocka_unit_test(test_cgroup_unit),
	    cmocka_unit_test(test_inode_map),	 cmocka_unit_test(test_procmap_scan),
	    cmocka_unit_test(test_classify),	 cmocka_unit_test(test_sort_and_find),
	    cmocka_unit_test(test_program_fits), cmocka_unit_test(test_judge_program),
	    cmocka_unit_test(test_advice),	 cmocka_unit_test(test_run_current_namespace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
