/* SPDX-License-Identifier: MIT */
/* Port specs: src/core/portset.c. Each expectation is checked against a set built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/portset.h"

/* The set "ground truth" for lo-hi, built without the parser. */
static void expect_range(struct portset *set, uint32_t lo, uint32_t hi)
{
	uint32_t p;

	for (p = lo; p <= hi; p++)
		portset_add(set, (uint16_t)p);
}

static void assert_same(const struct portset *got, const struct portset *want)
{
	uint32_t p = 0, n = 0;

	assert_int_equal(got->count, want->count);
	assert_memory_equal(got->bits, want->bits, sizeof(got->bits));
	/* count agrees with the bits */
	while ((p = portset_next(got, p)) != 0)
		n++;
	assert_int_equal(n, got->count);
}

static void parse_ok(const char *spec, const struct portset *want)
{
	struct portset got;
	struct ps_diag diag = {{0}};
	enum ps_err err = portset_parse(&got, spec, NULL, NULL, &diag);

	if (err)
		fail_msg("\"%s\": %s", spec, diag.msg);
	assert_same(&got, want);
}

static void test_lists_and_ranges(void **state)
{
	struct portset want;

	(void)state;
	portset_clear(&want);
	portset_add(&want, 22);
	portset_add(&want, 80);
	expect_range(&want, 8000, 8100);
	parse_ok("22,80,8000-8100", &want);
	assert_int_equal(want.count, 103);
	parse_ok("T:22,80,8000-8100", &want);
	parse_ok("8000-8100,80,22", &want);

	portset_clear(&want);
	expect_range(&want, 1, 65535);
	parse_ok("-", &want);
	parse_ok("all", &want);
	parse_ok("1-65535", &want);
	parse_ok("1-,-1", &want);
	assert_int_equal(want.count, 65535);

	portset_clear(&want);
	expect_range(&want, 1, 1024);
	parse_ok("-1024", &want);

	portset_clear(&want);
	expect_range(&want, 60000, 65535);
	parse_ok("60000-", &want);
	assert_int_equal(want.count, 5536);

	portset_clear(&want);
	portset_add(&want, 65535);
	parse_ok("65535", &want);
	parse_ok("65535-65535", &want);
}

static void test_overlaps_count_once(void **state)
{
	struct portset want;

	(void)state;
	portset_clear(&want);
	expect_range(&want, 70, 90);
	parse_ok("80,80,70-90,85,75-80,90", &want);
	assert_int_equal(want.count, 21);

	portset_clear(&want);
	expect_range(&want, 1, 100);
	parse_ok("1-50,40-100,-10", &want);
}

static void parse_bad(const char *spec, enum ps_err want_err, const char *want_msg)
{
	struct portset got;
	struct ps_diag diag = {{0}};
	enum ps_err err = portset_parse(&got, spec, NULL, NULL, &diag);

	if (err != want_err || !strstr(diag.msg, want_msg))
		fail_msg("\"%s\": got %d \"%s\", want %d \"%s\"", spec, err, diag.msg, want_err,
			 want_msg);
	assert_null(strchr(diag.msg, '\n'));
}

static void test_errors(void **state)
{
	char longspec[200];

	(void)state;
	parse_bad("0", PS_ERR_RANGE, "port 0 cannot be scanned");
	parse_bad("0-10", PS_ERR_RANGE, "port 0");
	parse_bad("65536", PS_ERR_RANGE, "above 65535");
	parse_bad("99999999999999999999", PS_ERR_RANGE, "above 65535");
	parse_bad("80-65536", PS_ERR_RANGE, "above 65535");
	parse_bad("70000-80000", PS_ERR_RANGE, "bad port spec: port 70000 is above 65535");
	parse_bad("123456789012345", PS_ERR_RANGE, "port 1234567890... is above 65535");
	parse_bad("5-3", PS_ERR_RANGE, "range 5-3 is reversed");
	parse_bad("", PS_ERR_INVALID, "empty");
	parse_bad(",", PS_ERR_INVALID, "empty item");
	parse_bad("80,", PS_ERR_INVALID, "empty item");
	parse_bad(",80", PS_ERR_INVALID, "empty item");
	parse_bad("80,,81", PS_ERR_INVALID, "empty item");
	parse_bad("T:", PS_ERR_INVALID, "empty");
	parse_bad("abc", PS_ERR_INVALID, "unknown preset \"abc\"");
	parse_bad("80,top100", PS_ERR_INVALID, "unknown preset \"top100\"");
	parse_bad("1-2-3", PS_ERR_INVALID, "unexpected \"-3\"");
	parse_bad("80x", PS_ERR_INVALID, "unexpected \"x\"");
	parse_bad(" 80", PS_ERR_INVALID, "expected a port number");
	parse_bad("--5", PS_ERR_INVALID, "expected a port number");
	parse_bad("T:T:80", PS_ERR_INVALID, "unknown preset");
	parse_bad("80\n81", PS_ERR_INVALID, "control or non-ASCII byte 0x0a at offset 2");
	parse_bad("\x1b[31m", PS_ERR_INVALID, "byte 0x1b at offset 0");
	parse_bad("80,caf\xc3\xa9", PS_ERR_INVALID, "byte 0xc3 at offset 6");
	memset(longspec, '1', sizeof(longspec) - 1);
	longspec[sizeof(longspec) - 1] = '\0';
	parse_bad(longspec, PS_ERR_INVALID, "item too long");
}

/* A preset hook with two names, to check the parser's side of the contract. */
static enum ps_err fake_preset(void *ctx, const char *name, struct portset *out,
			       struct ps_diag *diag)
{
	int *calls = ctx;

	(*calls)++;
	if (!strcmp(name, "pair")) {
		portset_add(out, 7);
		portset_add(out, 9);
		return PS_OK;
	}
	return ps_fail(diag, PS_ERR_INVALID, "no preset %s", name);
}

static void test_presets(void **state)
{
	struct portset got;
	struct ps_diag diag = {{0}};
	int calls = 0;

	(void)state;
	assert_int_equal(portset_parse(&got, "pair,8,9", fake_preset, &calls, &diag), PS_OK);
	assert_int_equal(calls, 1);
	assert_int_equal(got.count, 3);
	assert_true(portset_has(&got, 7));
	assert_true(portset_has(&got, 8));
	assert_true(portset_has(&got, 9));
	assert_int_equal(portset_parse(&got, "T:pair", fake_preset, &calls, &diag), PS_OK);
	assert_int_equal(got.count, 2);
	assert_int_equal(portset_parse(&got, "80,other", fake_preset, &calls, &diag),
			 PS_ERR_INVALID);
	assert_string_equal(diag.msg, "no preset other");
	/* "all" and "-" never reach the hook. */
	calls = 0;
	assert_int_equal(portset_parse(&got, "all", fake_preset, &calls, &diag), PS_OK);
	assert_int_equal(calls, 0);
}

/* nmap's mixed spec: a prefix holds until the next one; unprefixed items go to both. */
static void test_protos(void **state)
{
	struct portset tcp, udp;
	struct ps_diag diag = {{0}};

	(void)state;
	assert_int_equal(portset_parse_protos(&tcp, &udp, "22,U:53,161-162,T:80", NULL, NULL,
					      &diag),
			 PS_OK);
	assert_int_equal(tcp.count, 2);
	assert_true(portset_has(&tcp, 22) && portset_has(&tcp, 80));
	assert_int_equal(udp.count, 4);
	assert_true(portset_has(&udp, 22) && portset_has(&udp, 53) && portset_has(&udp, 162));
	assert_false(portset_has(&udp, 80));
	assert_int_equal(portset_parse_protos(&tcp, &udp, "U:53", NULL, NULL, &diag), PS_OK);
	assert_int_equal(tcp.count, 0);
	assert_int_equal(portset_parse_protos(&tcp, &udp, "S:53", NULL, NULL, &diag),
			 PS_ERR_INVALID);
	assert_int_equal(portset_parse_protos(&tcp, &udp, "U:", NULL, NULL, &diag),
			 PS_ERR_INVALID);
	assert_int_equal(portset_parse_protos(&tcp, &udp, "U:53,,T:1", NULL, NULL, &diag),
			 PS_ERR_INVALID);
	assert_int_equal(portset_parse_protos(&tcp, &udp, "", NULL, NULL, &diag), PS_ERR_INVALID);
}

static void test_set_operations(void **state)
{
	struct portset a, b;
	uint16_t out[8];

	(void)state;
	portset_clear(&a);
	portset_clear(&b);
	assert_int_equal(portset_next(&a, 0), 0);
	portset_add(&a, 1);
	portset_add(&a, 64);
	portset_add(&a, 65535);
	portset_add(&a, 64);
	assert_int_equal(a.count, 3);
	assert_int_equal(portset_next(&a, 0), 1);
	assert_int_equal(portset_next(&a, 1), 64);
	assert_int_equal(portset_next(&a, 64), 65535);
	assert_int_equal(portset_next(&a, 65535), 0);
	portset_add_range(&b, 63, 65);
	portset_merge(&a, &b);
	assert_int_equal(a.count, 5);
	assert_int_equal(portset_to_array(&a, out), 5);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 63);
	assert_int_equal(out[2], 64);
	assert_int_equal(out[3], 65);
	assert_int_equal(out[4], 65535);
	assert_false(portset_has(&a, 0));
	assert_false(portset_has(&a, 2));
}

/* The word-wise range fill against one port at a time, over edges and overlaps. */
static void test_range_matches_single_adds(void **state)
{
	static const uint16_t edges[] = {0, 1, 62, 63, 64, 65, 127, 128, 1000, 65472, 65534, 65535};
	static struct portset fast, slow;
	size_t i, j, k;
	uint32_t p;

	(void)state;
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		for (j = i; j < sizeof(edges) / sizeof(edges[0]); j++) {
			portset_clear(&fast);
			portset_clear(&slow);
			/* Ports already there must not count twice. */
			for (k = 0; k < sizeof(edges) / sizeof(edges[0]); k += 3) {
				portset_add(&fast, edges[k]);
				portset_add(&slow, edges[k]);
			}
			portset_add_range(&fast, edges[i], edges[j]);
			for (p = edges[i]; p <= edges[j]; p++)
				portset_add(&slow, (uint16_t)p);
			assert_int_equal(fast.count, slow.count);
			assert_memory_equal(fast.bits, slow.bits, sizeof(fast.bits));
		}
	portset_clear(&fast);
	portset_add_range(&fast, 9, 8); /* an empty range adds nothing */
	assert_int_equal(fast.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lists_and_ranges), cmocka_unit_test(test_overlaps_count_once),
	    cmocka_unit_test(test_errors),	     cmocka_unit_test(test_presets),
	    cmocka_unit_test(test_set_operations), cmocka_unit_test(test_protos),
	    cmocka_unit_test(test_range_matches_single_adds),
	};

	return cmocka_run_group_tests_name("portset", tests, NULL, NULL);
}
