/* SPDX-License-Identifier: MIT */
/*
 * The --resume checkpoint: what is written reads back the same (arguments with spaces and
 * '%', IPv4 and IPv6 results, the pass plan); every single damaged byte and every truncation
 * is refused; the file is replaced atomically, with no temporary file left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cmocka.h>

#include "scan/checkpoint.h"

static void fill(struct scan_ckpt *ck)
{
	static const char *const args[] = {"--syn", "-p", "22,80", "--db", "my 100% history.db",
					   "198.18.8.0/30", "2001:db8::1"};
	struct scan_ckpt_result r = {.port = 22, .proto = IPPROTO_TCP, .state = PORT_OPEN,
				     .reason = REASON_SYN_ACK, .ttl = 64, .tries = 1, .rtt_us = 120};
	size_t i;

	scan_ckpt_init(ck);
	memset(ck->scan, 'a', 32);
	memset(ck->job, '7', 64);
	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++)
		assert_int_equal(scan_ckpt_add_arg(ck, args[i]), PS_OK);
	ck->seed = 91;
	ck->shard = 1;
	ck->nshards = 4;
	ck->npairs = 10;
	pass_plan_init(&ck->progress.plan, 10, 0);
	ck->progress.plan.pass = 1;
	ck->progress.plan.passes_sent = 1;
	ck->progress.pass = 1;
	ck->progress.position = 7;
	ck->progress.sent = 3;
	assert_int_equal(ps_addr_parse("198.18.8.1", &r.addr), 0);
	assert_int_equal(scan_ckpt_add_result(ck, &r), PS_OK);
	r.state = PORT_FILTERED;
	r.reason = REASON_ICMP_ADMIN_PROHIBITED;
	r.tries = 2;
	assert_int_equal(ps_addr_parse("2001:db8::1", &r.addr), 0);
	assert_int_equal(scan_ckpt_add_result(ck, &r), PS_OK);
}

static void round_trip(void **state)
{
	struct scan_ckpt ck, back;
	struct ps_diag diag = {{0}};
	struct dynbuf text;
	size_t i;

	(void)state;
	fill(&ck);
	dynbuf_init(&text, 1 << 20);
	assert_int_equal(scan_ckpt_format(&ck, &text), PS_OK);
	assert_non_null(strstr(text.data, "arg my%20100%25%20history.db\n"));
	assert_int_equal(scan_ckpt_parse(text.data, text.len, "t", &back, &diag), PS_OK);
	assert_int_equal(back.nargs, ck.nargs);
	for (i = 0; i < ck.nargs; i++)
		assert_string_equal(back.args[i], ck.args[i]);
	assert_string_equal(back.scan, ck.scan);
	assert_string_equal(back.job, ck.job);
	assert_int_equal(back.seed, 91);
	assert_int_equal(back.shard, 1);
	assert_int_equal(back.nshards, 4);
	assert_int_equal(back.progress.pass, 1);
	assert_int_equal(back.progress.position, 7);
	assert_int_equal(back.progress.sent, 3);
	assert_int_equal(back.progress.plan.max_passes, ck.progress.plan.max_passes);
	assert_int_equal(back.progress.plan.dark_pass, ck.progress.plan.dark_pass);
	assert_int_equal(back.nresults, 2);
	assert_int_equal(ps_addr_cmp(&back.results[1].addr, &ck.results[1].addr), 0);
	assert_int_equal(back.results[1].reason, REASON_ICMP_ADMIN_PROHIBITED);
	assert_int_equal(back.results[1].tries, 2);
	assert_false(back.complete);
	scan_ckpt_release(&back);
	dynbuf_release(&text);
	scan_ckpt_release(&ck);
}

/* Any one byte changed, anywhere, and any prefix: refused, never half-read. */
static void damage_refused(void **state)
{
	struct scan_ckpt ck, back;
	struct ps_diag diag = {{0}};
	struct dynbuf text;
	size_t i;

	(void)state;
	fill(&ck);
	dynbuf_init(&text, 1 << 20);
	assert_int_equal(scan_ckpt_format(&ck, &text), PS_OK);
	for (i = 0; i < text.len; i++) {
		char saved = text.data[i];

		text.data[i] = (char)(saved ^ 0x04);
		assert_int_not_equal(scan_ckpt_parse(text.data, text.len, "t", &back, &diag),
				     PS_OK);
		assert_int_equal(back.nargs, 0);
		assert_int_equal(back.nresults, 0);
		text.data[i] = saved;
	}
	for (i = 0; i < text.len; i++)
		assert_int_not_equal(scan_ckpt_parse(text.data, i, "t", &back, &diag), PS_OK);
	assert_int_equal(scan_ckpt_parse(text.data, text.len, "t", &back, &diag), PS_OK);
	scan_ckpt_release(&back);
	text.data[strlen("portsight-checkpoint ")] = '2';
	assert_int_equal(scan_ckpt_parse(text.data, text.len, "t", &back, &diag), PS_ERR_INVALID);
	assert_non_null(strstr(diag.msg, "format version 2"));
	dynbuf_release(&text);
	scan_ckpt_release(&ck);
}

static void write_read(void **state)
{
	char dir[] = "/tmp/ps-ckpt-XXXXXX", path[64];
	struct scan_ckpt ck, back;
	struct ps_diag diag = {{0}};
	struct dirent *e;
	unsigned files = 0;
	DIR *d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ck", dir);
	assert_int_equal(scan_ckpt_read(path, &back, &diag), PS_ERR_NOT_FOUND);
	fill(&ck);
	assert_int_equal(scan_ckpt_write(path, &ck, &diag), PS_OK);
	ck.complete = true;
	assert_int_equal(scan_ckpt_write(path, &ck, &diag), PS_OK);
	assert_int_equal(scan_ckpt_read(path, &back, &diag), PS_OK);
	assert_true(back.complete);
	assert_int_equal(back.nresults, 2);
	scan_ckpt_release(&back);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)))
		files += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(files, 1); /* the checkpoint, no temporary file */
	unlink(path);
	rmdir(dir);
	scan_ckpt_release(&ck);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trip),
	    cmocka_unit_test(damage_refused),
	    cmocka_unit_test(write_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
