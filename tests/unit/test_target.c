/* SPDX-License-Identifier: MIT */
/*
 * Target specs: src/core/target.c. Nothing here touches the network: names go through a fake
 * resolver with a fixed table, and only documentation ranges are used.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/target.h"

#define NO_LIMIT UINT64_MAX

struct fake_dns {
	int calls;
};

static enum ps_err fake_resolve(void *ctx, const char *name, struct ps_addr *out,
				struct ps_diag *diag)
{
	static const struct {
		const char *name;
		const char *addr;
	} table[] = {
	    {"host-a.test", "192.0.2.50"},
	    {"host-b.test", "2001:db8::7"},
	    {"alias-a.test", "192.0.2.50"},
	    {"lonely.test", "198.18.100.9"},
	};
	struct fake_dns *dns = ctx;
	size_t i;

	dns->calls++;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(name, table[i].name))
			return ps_addr_parse(table[i].addr, out);
	return ps_fail(diag, PS_ERR_RESOLVE, "cannot resolve %s", name);
}

/* Adds text, finishes with no exclusions, and checks the address count. */
static void build(struct target_list *list, const char *text, uint64_t want_total)
{
	struct ps_diag diag = {{0}};
	struct fake_dns dns = {0};
	enum ps_err err;

	target_list_init(list);
	err = target_list_add_text(list, text, strlen(text), fake_resolve, &dns, &diag);
	if (!err)
		err = target_list_finish(list, NULL, NO_LIMIT, &diag);
	if (err)
		fail_msg("\"%s\": %s", text, diag.msg);
	if (list->total != want_total)
		fail_msg("\"%s\": %llu addresses, want %llu", text, (unsigned long long)list->total,
			 (unsigned long long)want_total);
}

static void assert_addr(const struct target_list *list, uint64_t index, const char *want,
			const char *want_name)
{
	struct ps_addr addr, expect;
	const char *name = NULL;
	char text[PS_ADDR_STRLEN];

	assert_true(index < list->total);
	target_list_get(list, index, &addr, &name);
	assert_int_equal(ps_addr_parse(want, &expect), PS_OK);
	if (ps_addr_cmp(&addr, &expect))
		fail_msg("index %llu: %s, want %s", (unsigned long long)index,
			 ps_addr_format(&addr, text, sizeof(text)), want);
	if (want_name)
		assert_string_equal(name, want_name);
	else
		assert_null(name);
}

/* Every index maps to a distinct address, in ascending order within a family. */
static void assert_walk_distinct(const struct target_list *list)
{
	struct ps_addr prev, cur;
	uint64_t i;

	for (i = 0; i < list->total; i++) {
		target_list_get(list, i, &cur, NULL);
		if (i)
			assert_true(ps_addr_cmp(&prev, &cur) < 0);
		prev = cur;
	}
}

static void test_single_and_cidr_v4(void **state)
{
	struct target_list list;

	(void)state;
	build(&list, "192.0.2.7", 1);
	assert_addr(&list, 0, "192.0.2.7", NULL);
	target_list_release(&list);

	build(&list, "192.0.2.0/24", 256);
	assert_addr(&list, 0, "192.0.2.0", NULL);
	assert_addr(&list, 255, "192.0.2.255", NULL);
	target_list_release(&list);

	/* Host bits are masked off: .77/24 is the whole /24. */
	build(&list, "192.0.2.77/24", 256);
	assert_addr(&list, 0, "192.0.2.0", NULL);
	target_list_release(&list);

	build(&list, "192.0.2.77/32", 1);
	assert_addr(&list, 0, "192.0.2.77", NULL);
	target_list_release(&list);

	build(&list, "198.18.0.0/15", 131072);
	assert_addr(&list, 131071, "198.19.255.255", NULL);
	target_list_release(&list);

	build(&list, "192.0.2.130/25", 128);
	assert_addr(&list, 0, "192.0.2.128", NULL);
	target_list_release(&list);
}

static void test_cidr_v6(void **state)
{
	struct target_list list;

	(void)state;
	build(&list, "2001:db8::/120", 256);
	assert_addr(&list, 0, "2001:db8::", NULL);
	assert_addr(&list, 255, "2001:db8::ff", NULL);
	target_list_release(&list);

	build(&list, "2001:db8::1234/120", 256);
	assert_addr(&list, 0, "2001:db8::1200", NULL);
	assert_addr(&list, 255, "2001:db8::12ff", NULL);
	target_list_release(&list);

	build(&list, "2001:db8:0:1::5/128", 1);
	assert_addr(&list, 0, "2001:db8:0:1::5", NULL);
	target_list_release(&list);

	build(&list, "2001:db8::ffff:0/112", 65536);
	assert_addr(&list, 65535, "2001:db8::ffff:ffff", NULL);
	target_list_release(&list);
}

static void test_ranges(void **state)
{
	struct target_list list;

	(void)state;
	build(&list, "192.0.2.10-20", 11);
	assert_addr(&list, 0, "192.0.2.10", NULL);
	assert_addr(&list, 10, "192.0.2.20", NULL);
	target_list_release(&list);

	build(&list, "192.0.2.10-192.0.2.30", 21);
	assert_addr(&list, 20, "192.0.2.30", NULL);
	target_list_release(&list);

	/* The full form may cross octet boundaries. */
	build(&list, "192.0.2.250-192.0.3.4", 11);
	assert_addr(&list, 6, "192.0.3.0", NULL);
	target_list_release(&list);

	build(&list, "2001:db8::1-ff", 255);
	assert_addr(&list, 0, "2001:db8::1", NULL);
	assert_addr(&list, 254, "2001:db8::ff", NULL);
	target_list_release(&list);

	build(&list, "2001:db8::a:1-2001:db8::a:10", 16);
	assert_addr(&list, 15, "2001:db8::a:10", NULL);
	target_list_release(&list);

	build(&list, "192.0.2.5-5", 1);
	target_list_release(&list);
}

static void test_merge_overlaps(void **state)
{
	struct target_list list;

	(void)state;
	/* Overlapping: .0-.127 and .64-.200 are .0-.200. */
	build(&list, "192.0.2.0/25 192.0.2.64-192.0.2.200", 201);
	assert_int_equal(list.nranges, 1);
	assert_walk_distinct(&list);
	target_list_release(&list);

	/* Touching blocks merge into one range. */
	build(&list, "192.0.2.128/25,192.0.2.0/25", 256);
	assert_int_equal(list.nranges, 1);
	target_list_release(&list);

	/* Repeats and contained blocks count once; families stay apart. */
	build(&list, "192.0.2.9 192.0.2.9 192.0.2.0/24 192.0.2.10-20 2001:db8::/126 2001:db8::2",
	      256 + 4);
	assert_int_equal(list.nranges, 2);
	assert_walk_distinct(&list);
	target_list_release(&list);

	/* Comments and mixed separators. */
	build(&list, "# targets\n192.0.2.1 # first\n192.0.2.2,192.0.2.3\t\n\n#192.0.2.4\n", 3);
	target_list_release(&list);
}

static void finish_with_exclude(struct target_list *list, const char *targets, const char *excluded,
				uint64_t want_total)
{
	struct target_list exclude;
	struct ps_diag diag = {{0}};
	struct fake_dns dns = {0};

	target_list_init(list);
	target_list_init(&exclude);
	assert_int_equal(
	    target_list_add_text(list, targets, strlen(targets), fake_resolve, &dns, &diag), PS_OK);
	assert_int_equal(
	    target_list_add_text(&exclude, excluded, strlen(excluded), NULL, NULL, &diag), PS_OK);
	if (target_list_finish(list, &exclude, NO_LIMIT, &diag))
		fail_msg("%s minus %s: %s", targets, excluded, diag.msg);
	assert_int_equal(list->total, want_total);
	target_list_release(&exclude);
}

static void test_exclusions(void **state)
{
	struct target_list list;

	(void)state;
	/* Two holes split the /24 into three ranges. */
	finish_with_exclude(&list, "192.0.2.0/24", "192.0.2.10-20 192.0.2.100", 256 - 11 - 1);
	assert_int_equal(list.nranges, 3);
	assert_addr(&list, 9, "192.0.2.9", NULL);
	assert_addr(&list, 10, "192.0.2.21", NULL);
	assert_addr(&list, 88, "192.0.2.99", NULL);
	assert_addr(&list, 89, "192.0.2.101", NULL);
	assert_addr(&list, 243, "192.0.2.255", NULL);
	assert_walk_distinct(&list);
	target_list_release(&list);

	/* Exclusions at both edges, overlapping each other, and one outside. */
	finish_with_exclude(&list, "192.0.2.0/24",
			    "192.0.2.0-3 192.0.2.2-5 192.0.2.250-255 198.18.0.1 2001:db8::1",
			    256 - 6 - 6);
	assert_addr(&list, 0, "192.0.2.6", NULL);
	target_list_release(&list);

	/* One exclusion spanning two target blocks. */
	finish_with_exclude(&list, "192.0.2.0-10 192.0.2.20-30", "192.0.2.5-25", 5 + 5);
	assert_addr(&list, 4, "192.0.2.4", NULL);
	assert_addr(&list, 5, "192.0.2.26", NULL);
	target_list_release(&list);

	finish_with_exclude(&list, "2001:db8::/120", "2001:db8::80/121", 128);
	assert_addr(&list, 127, "2001:db8::7f", NULL);
	target_list_release(&list);
}

static void test_exclude_everything(void **state)
{
	struct target_list list, exclude;
	struct ps_diag diag = {{0}};

	(void)state;
	target_list_init(&list);
	target_list_init(&exclude);
	assert_int_equal(target_list_add_spec(&list, "192.0.2.0/28", NULL, NULL, &diag), PS_OK);
	assert_int_equal(target_list_add_spec(&exclude, "192.0.2.0/24", NULL, NULL, &diag), PS_OK);
	assert_int_equal(target_list_finish(&list, &exclude, NO_LIMIT, &diag), PS_ERR_INVALID);
	assert_string_equal(diag.msg, "no target addresses left to scan");
	target_list_release(&list);
	target_list_release(&exclude);

	target_list_init(&list);
	assert_int_equal(target_list_finish(&list, NULL, NO_LIMIT, &diag), PS_ERR_INVALID);
	target_list_release(&list);
}

static void test_named_hosts(void **state)
{
	struct target_list list, exclude;
	struct ps_diag diag = {{0}};
	struct fake_dns dns = {0};
	const char *name = NULL;
	struct ps_addr addr;

	(void)state;
	build(&list, "host-a.test host-b.test", 2);
	assert_addr(&list, 0, "192.0.2.50", "host-a.test");
	assert_addr(&list, 1, "2001:db8::7", "host-b.test");
	target_list_release(&list);

	/* A named address inside a block keeps its label and is counted once. */
	build(&list, "192.0.2.0/24 host-a.test", 256);
	assert_addr(&list, 49, "192.0.2.49", NULL);
	assert_addr(&list, 50, "192.0.2.50", "host-a.test");
	assert_addr(&list, 51, "192.0.2.51", NULL);
	assert_walk_distinct(&list);
	target_list_release(&list);

	/* Two names for one address: scanned once. */
	build(&list, "host-a.test alias-a.test", 1);
	target_list_get(&list, 0, &addr, &name);
	assert_non_null(name);
	target_list_release(&list);

	/* An excluded name disappears. */
	target_list_init(&list);
	target_list_init(&exclude);
	assert_int_equal(
	    target_list_add_text(&list, "host-a.test lonely.test", 23, fake_resolve, &dns, &diag),
	    PS_OK);
	assert_int_equal(dns.calls, 2);
	assert_int_equal(target_list_add_spec(&exclude, "192.0.2.50", NULL, NULL, &diag), PS_OK);
	assert_int_equal(target_list_finish(&list, &exclude, NO_LIMIT, &diag), PS_OK);
	assert_int_equal(list.total, 1);
	assert_addr(&list, 0, "198.18.100.9", "lonely.test");
	target_list_release(&list);
	target_list_release(&exclude);

	/* Resolver errors come back as they are; no resolver means no names. */
	target_list_init(&list);
	assert_int_equal(target_list_add_spec(&list, "missing.test", fake_resolve, &dns, &diag),
			 PS_ERR_RESOLVE);
	assert_string_equal(diag.msg, "cannot resolve missing.test");
	assert_int_equal(target_list_add_spec(&list, "host-a.test", NULL, NULL, &diag),
			 PS_ERR_INVALID);
	assert_string_equal(diag.msg, "bad target \"host-a.test\": names are not allowed here");
	target_list_release(&list);
}

static void test_max_total(void **state)
{
	struct target_list list;
	struct ps_diag diag = {{0}};

	(void)state;
	target_list_init(&list);
	assert_int_equal(target_list_add_spec(&list, "198.18.0.0/15", NULL, NULL, &diag), PS_OK);
	assert_int_equal(target_list_finish(&list, NULL, 131071, &diag), PS_ERR_TOO_LARGE);
	assert_string_equal(diag.msg, "too many target addresses (more than 131071)");
	target_list_release(&list);

	target_list_init(&list);
	assert_int_equal(target_list_add_spec(&list, "198.18.0.0/15", NULL, NULL, &diag), PS_OK);
	assert_int_equal(target_list_finish(&list, NULL, 131072, &diag), PS_OK);
	assert_int_equal(list.total, 131072);
	target_list_release(&list);

	/* The sum over several blocks counts, not each block alone. */
	target_list_init(&list);
	assert_int_equal(
	    target_list_add_text(&list, "192.0.2.0/25 198.18.0.0/25", 26, NULL, NULL, &diag),
	    PS_OK);
	assert_int_equal(target_list_finish(&list, NULL, 255, &diag), PS_ERR_TOO_LARGE);
	target_list_release(&list);

	/* A v6 /64 is 2^64 addresses: more than any 64-bit limit. */
	target_list_init(&list);
	assert_int_equal(target_list_add_spec(&list, "2001:db8::/64", NULL, NULL, &diag), PS_OK);
	assert_int_equal(target_list_finish(&list, NULL, NO_LIMIT, &diag), PS_ERR_TOO_LARGE);
	target_list_release(&list);

	/* ::/0 is 2^128 addresses, whose size does not even fit the arithmetic. */
	target_list_init(&list);
	assert_int_equal(target_list_add_spec(&list, "::/0", NULL, NULL, &diag), PS_OK);
	assert_int_equal(target_list_finish(&list, NULL, NO_LIMIT, &diag), PS_ERR_TOO_LARGE);
	target_list_release(&list);

	target_list_init(&list);
	assert_int_equal(target_list_add_spec(&list, "2001:db8::/65", NULL, NULL, &diag), PS_OK);
	assert_int_equal(target_list_finish(&list, NULL, NO_LIMIT, &diag), PS_OK);
	assert_int_equal(list.total, (uint64_t)1 << 63);
	assert_addr(&list, ((uint64_t)1 << 63) - 1, "2001:db8::7fff:ffff:ffff:ffff", NULL);
	target_list_release(&list);
}

static void add_bad(const char *spec, const char *want_msg)
{
	struct target_list list;
	struct ps_diag diag = {{0}};
	struct fake_dns dns = {0};
	enum ps_err err;

	target_list_init(&list);
	err = target_list_add_text(&list, spec, strlen(spec), fake_resolve, &dns, &diag);
	if (err == PS_OK || !strstr(diag.msg, want_msg))
		fail_msg("\"%s\": got %d \"%s\", want \"%s\"", spec, err, diag.msg, want_msg);
	assert_null(strchr(diag.msg, '\n'));
	target_list_release(&list);
}

static void test_garbage(void **state)
{
	char longname[400];
	struct target_list list;
	struct ps_diag diag = {{0}};

	(void)state;
	add_bad("192.0.2.1/33", "prefix must be 0-32");
	add_bad("2001:db8::/129", "prefix must be 0-128");
	add_bad("192.0.2.1/", "prefix must be 0-32");
	add_bad("192.0.2.1/-1", "prefix must be 0-32");
	add_bad("192.0.2.1/24x", "prefix must be 0-32");
	add_bad("banana/24", "not an address");
	add_bad("192.0.2.20-10", "end before start");
	add_bad("192.0.2.10-256", "bad target range");
	add_bad("192.0.2.10-", "bad target range");
	add_bad("192.0.2.10-0x14", "bad target range");
	add_bad("192.0.2.10-+20", "bad target range");
	add_bad("2001:db8::1-fffff", "bad target range");
	add_bad("2001:db8::1-zz", "bad target range");
	/* strtoul alone took these as 0xff and 20 */
	add_bad("2001:db8::1-0xff", "bad target range");
	add_bad("192.0.2.1-0020", "bad target range");
	add_bad("2001:db8::1-000ff", "bad target range");
	add_bad("192.0.2.1-2001:db8::1", "mixes IPv4 and IPv6");
	add_bad("2001:db8::10-2001:db8::1", "end before start");
	add_bad("!!!", "not an address, network or hostname");
	add_bad("-host", "not an address, network or hostname");
	add_bad("host!name", "not an address, network or hostname");
	add_bad("fe80::1%eth0", "not an address, network or hostname");

	/* Nothing unprintable is echoed back: the message stays one harmless line. */
	target_list_init(&list);
	assert_int_equal(target_list_add_spec(&list, "192.0.2.1\nhost", NULL, NULL, &diag),
			 PS_ERR_INVALID);
	assert_string_equal(diag.msg, "bad target: space, control or non-ASCII byte 0x0a at "
				      "offset 9");
	assert_int_equal(target_list_add_spec(&list, "host\x1b[2J", NULL, NULL, &diag),
			 PS_ERR_INVALID);
	assert_null(strchr(diag.msg, '\x1b'));
	assert_int_equal(target_list_add_text(&list, "192.0.2.1 h\x01st", 15, NULL, NULL, &diag),
			 PS_ERR_INVALID);
	assert_non_null(strstr(diag.msg, "byte 0x01"));
	target_list_release(&list);

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	add_bad(longname, "too long");
	target_list_init(&list);
	assert_int_equal(target_list_add_spec(&list, longname, NULL, NULL, &diag), PS_ERR_INVALID);
	assert_non_null(strstr(diag.msg, "too long"));
	assert_int_equal(target_list_add_spec(&list, "", NULL, NULL, &diag), PS_ERR_INVALID);
	assert_string_equal(diag.msg, "bad target: empty");
	assert_int_equal(target_list_add_text(&list,
					      "192.0.2.1\0"
					      "192.0.2.2",
					      19, NULL, NULL, &diag),
			 PS_ERR_INVALID);
	if (!strstr(diag.msg, "NUL byte at offset 9"))
		fail_msg("%s", diag.msg);
	target_list_release(&list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_and_cidr_v4),
	    cmocka_unit_test(test_cidr_v6),
	    cmocka_unit_test(test_ranges),
	    cmocka_unit_test(test_merge_overlaps),
	    cmocka_unit_test(test_exclusions),
	    cmocka_unit_test(test_exclude_everything),
	    cmocka_unit_test(test_named_hosts),
	    cmocka_unit_test(test_max_total),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests_name("target", tests, NULL, NULL);
}
