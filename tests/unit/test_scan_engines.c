/* SPDX-License-Identifier: MIT */
/*
 * The engine table (scan/engines.c): every descriptor complete, found by name, and the
 * automatic choice made through each engine's usable().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scan/engine.h"

static void test_descriptors(void **state)
{
	static const char *const names[] = {"connect", "syn"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct scan_engine *e = scan_engine_find(names[i]);

		assert_non_null(e);
		assert_string_equal(e->name, names[i]);
		assert_non_null(e->run);
		assert_non_null(e->usable);
	}
	assert_null(scan_engine_find("sctp"));
	/* UDP is found by name only: the automatic choice is between the TCP engines. */
	assert_ptr_equal(scan_engine_find("udp"), &scan_udp_engine);
	assert_true(scan_udp_engine.needs_raw);
	assert_false(scan_connect_engine.needs_raw);
	assert_true(scan_syn_engine.needs_raw);
}

/* Connect needs nothing: always usable, so auto always finds an engine. */
static void test_connect_usable(void **state)
{
	struct ps_diag diag = {{0}};
	struct scan_opts opts = {0};

	(void)state;
	assert_int_equal(scan_connect_engine.usable(&opts, &diag), PS_OK);
	assert_string_equal(diag.msg, "");
}

/* An empty target list routes nowhere: SYN is usable exactly when auto picks it. */
static void test_auto_follows_usable(void **state)
{
	struct target_list targets = {0};
	struct scan_opts opts = {.targets = &targets};
	struct ps_diag why = {{0}}, diag = {{0}};
	const struct scan_engine *e = scan_engine_auto(&opts, &why);
	enum ps_err syn = scan_syn_engine.usable(&opts, &diag);

	(void)state;
	assert_non_null(e);
	if (syn == PS_OK) {
		assert_ptr_equal(e, &scan_syn_engine);
		assert_string_equal(why.msg, "");
	} else {
		assert_ptr_equal(e, &scan_connect_engine);
		if (syn == PS_ERR_PERMISSION)
			assert_string_equal(why.msg, "");
		else
			assert_string_equal(why.msg, diag.msg);
	}
	assert_int_equal(scan_syn_usable(&opts, &diag), syn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_descriptors),
	    cmocka_unit_test(test_connect_usable),
	    cmocka_unit_test(test_auto_follows_usable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
