/* SPDX-License-Identifier: MIT */
/*
 * portsight serve's pure parts: who the visitor is (peer, trusted proxies, X-Forwarded-For and
 * Forwarded), the scan form (no field can name a target), and the scan limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "serve/clientaddr.h"
#include "serve/form.h"
#include "serve/limits.h"

static struct ps_addr A(const char *text) {
	struct ps_addr a;

	assert_int_equal(ps_addr_parse(text, &a), PS_OK);
	return a;
}

static const char *
who(const char *peer, const char *trusted, const char *fwd, const char *xff, enum ps_err *err)
{
	static char buf[PS_ADDR_STRLEN];
	struct serve_cidr cidr[2];
	size_t n = 0;
	struct ps_addr p = A(peer), out;

	if (trusted) {
		assert_int_equal(serve_cidr_parse(trusted, &cidr[n++], NULL), PS_OK);
	}
	*err = serve_client_addr(&p, cidr, n, fwd, xff, &out, NULL);
	if (*err)
		return "error";
	return ps_addr_format(&out, buf, sizeof(buf));
}

static void test_cidr(void **state)
{
	struct serve_cidr c;

	(void)state;
	assert_int_equal(serve_cidr_parse("192.0.2.0/24", &c, NULL), PS_OK);
	struct ps_addr in = A("192.0.2.200"), out = A("192.0.3.1");
	assert_true(serve_cidr_contains(&c, &in));
	assert_false(serve_cidr_contains(&c, &out));
	assert_int_equal(serve_cidr_parse("192.0.2.77/25", &c, NULL), PS_OK);
	in = A("192.0.2.1");
	assert_true(serve_cidr_contains(&c, &in));
	in = A("192.0.2.128");
	assert_false(serve_cidr_contains(&c, &in));
	assert_int_equal(serve_cidr_parse("2001:db8::/32", &c, NULL), PS_OK);
	in = A("2001:db8:ffff::1");
	assert_true(serve_cidr_contains(&c, &in));
	in = A("192.0.2.1");
	assert_false(serve_cidr_contains(&c, &in)); /* other family */
	assert_int_equal(serve_cidr_parse("0.0.0.0/0", &c, NULL), PS_OK);
	assert_true(serve_cidr_contains(&c, &in));
	assert_int_equal(serve_cidr_parse("192.0.2.1", &c, NULL), PS_OK);
	assert_int_equal(c.prefix, 32);
	assert_int_not_equal(serve_cidr_parse("192.0.2.0/33", &c, NULL), PS_OK);
	assert_int_not_equal(serve_cidr_parse("192.0.2.0/", &c, NULL), PS_OK);
	assert_int_not_equal(serve_cidr_parse("192.0.2.0/-1", &c, NULL), PS_OK);
	assert_int_not_equal(serve_cidr_parse("host.example/24", &c, NULL), PS_OK);
	assert_int_not_equal(serve_cidr_parse("", &c, NULL), PS_OK);
}

static void test_client_untrusted(void **state)
{
	enum ps_err err;

	(void)state;
	/* No proxy configured, or not this one: the headers are the visitor's words. */
	assert_string_equal(who("192.0.2.2", NULL, NULL, "198.18.0.9", &err), "192.0.2.2");
	assert_string_equal(who("192.0.2.2", "192.0.2.14", "for=198.18.0.9", "198.18.0.9", &err),
			    "192.0.2.2");
	assert_string_equal(who("::ffff:192.0.2.2", NULL, NULL, NULL, &err), "192.0.2.2");
}

static void test_client_trusted(void **state)
{
	enum ps_err err;

	(void)state;
	assert_string_equal(who("192.0.2.14", "192.0.2.14", NULL, "198.18.0.9", &err),
			    "198.18.0.9");
	/* Rightmost untrusted: what the visitor wrote on the left does not count. */
	assert_string_equal(
	    who("192.0.2.14", "192.0.2.0/24", NULL, "203.0.113.66, 198.18.0.9, 192.0.2.20", &err),
	    "198.18.0.9");
	assert_string_equal(who("192.0.2.14", "192.0.2.14", NULL, " 198.18.0.9:4711 ", &err),
			    "198.18.0.9");
	assert_string_equal(who("192.0.2.14", "192.0.2.14", NULL, "[2001:db8::7]:80", &err),
			    "2001:db8::7");
	assert_string_equal(who("192.0.2.14", "192.0.2.14", NULL, "2001:db8::7", &err),
			    "2001:db8::7");
	/* Forwarded wins over X-Forwarded-For. */
	assert_string_equal(who("192.0.2.14", "192.0.2.14",
				"for=203.0.113.1, for=\"[2001:db8::9]:4711\";proto=https",
				"198.18.0.1", &err),
			    "2001:db8::9");
	assert_string_equal(
	    who("192.0.2.14", "192.0.2.14", "For=198.18.0.5;by=192.0.2.14", NULL, &err),
	    "198.18.0.5");
	/* A trusted proxy with no header: the peer itself. All hops trusted: the farthest. */
	assert_string_equal(who("192.0.2.14", "192.0.2.14", NULL, NULL, &err), "192.0.2.14");
	assert_string_equal(who("192.0.2.14", "192.0.2.0/24", NULL, "192.0.2.9", &err),
			    "192.0.2.9");
	/* Nothing usable from a proxy we trust: refuse rather than scan the proxy. */
	who("192.0.2.14", "192.0.2.14", NULL, "garbage", &err);
	assert_int_equal(err, PS_ERR_INVALID);
	who("192.0.2.14", "192.0.2.14", "for=unknown", NULL, &err);
	assert_int_equal(err, PS_ERR_INVALID);
	who("192.0.2.14", "192.0.2.14", "for=_hidden", NULL, &err);
	assert_int_equal(err, PS_ERR_INVALID);
	who("192.0.2.14", "192.0.2.14", "for=\"192.0.2.1", NULL, &err);
	assert_int_equal(err, PS_ERR_INVALID);
	who("192.0.2.14", "192.0.2.14", "for=198.18.0.1;for=198.18.0.2", NULL, &err);
	assert_int_equal(err, PS_ERR_INVALID);
	/* The right side of a garbage left is still read. */
	assert_string_equal(who("192.0.2.14", "192.0.2.14", NULL, "garbage, 198.18.0.3", &err),
			    "198.18.0.3");
}

static void test_hops_limits(void **state)
{
	struct ps_addr hops[SERVE_HOPS_MAX];
	char big[SERVE_HOPS_MAX * 12 + 32] = "";
	size_t n, i;

	(void)state;
	for (i = 0; i <= SERVE_HOPS_MAX; i++)
		strcat(big, "198.18.0.1,");
	assert_int_equal(serve_hops_parse(big, strlen(big), false, hops, SERVE_HOPS_MAX, &n, NULL),
			 PS_ERR_TOO_LARGE);
	assert_int_equal(serve_hops_parse(",, ,", 4, false, hops, SERVE_HOPS_MAX, &n, NULL), PS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(serve_hops_parse("192.0.2.1:", 10, false, hops, SERVE_HOPS_MAX, &n, NULL),
			 PS_OK);
	assert_int_equal(hops[0].family, 0);
	assert_int_equal(serve_hops_parse("[2001:db8::1]:", 14, false, hops, 4, &n, NULL), PS_OK);
	assert_int_equal(hops[0].family, 0);
	assert_int_equal(serve_hops_parse("[::1]x", 6, false, hops, 4, &n, NULL), PS_OK);
	assert_int_equal(hops[0].family, 0);
}

static void test_form(void **state)
{
	struct serve_form f;

	(void)state;
	assert_int_equal(serve_form_parse("token=ab12&test=common&port=", 28, &f, NULL), PS_OK);
	assert_int_equal(f.test, SERVE_TEST_COMMON);
	assert_string_equal(f.token, "ab12");
	assert_false(f.live);
	const char *b = "test=port&port=31337&token=x%41+y&live=1";
	assert_int_equal(serve_form_parse(b, strlen(b), &f, NULL), PS_OK);
	assert_int_equal(f.test, SERVE_TEST_PORT);
	assert_int_equal(f.port, 31337);
	assert_string_equal(f.token, "xA y");
	assert_true(f.live);
	/* Any field naming a target, or any other unknown one: refused. */
	static const char *const bad[] = {
	    "token=a&test=common&target=192.0.2.9",
	    "token=a&test=common&ip=192.0.2.9",
	    "token=a&test=common&host=example.org",
	    "token=a&test=common&%74arget=192.0.2.9", /* "target", encoded */
	    "token=a&test=common&test=all",
	    "token=a&test=nmap",
	    "token=a&test=port",
	    "token=a&test=port&port=0",
	    "token=a&test=port&port=65536",
	    "token=a&test=port&port=08",
	    "token=a&test=port&port=+80",
	    "test=common",
	    "token=&test=common",
	    "token=a",
	    "token=a%0a&test=common",
	    "token=a%00&test=common",
	    "token=a%4&test=common",
	    "token=a%zz&test=common",
	    "token=a&test=common&live=2",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(serve_form_parse(bad[i], strlen(bad[i]), &f, NULL), PS_OK);
	char huge[SERVE_BODY_MAX + 2];
	memset(huge, 'a', sizeof(huge));
	assert_int_equal(serve_form_parse(huge, sizeof(huge), &f, NULL), PS_ERR_TOO_LARGE);
	/* Empty pairs are harmless. */
	assert_int_equal(serve_form_parse("&&token=a&&test=all&", 20, &f, NULL), PS_OK);
	assert_int_equal(f.test, SERVE_TEST_ALL);
}

static void test_tests(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(serve_test_parse("service"), SERVE_TEST_SERVICE);
	assert_int_equal(serve_test_parse("none"), SERVE_TEST_NONE);
	assert_int_equal(serve_test_parse("shieldsup"), SERVE_TEST_SHIELDSUP);
	assert_string_equal(serve_test_name(SERVE_TEST_SHIELDSUP), "shieldsup");
	assert_string_equal(serve_test_spec(SERVE_TEST_SHIELDSUP, 0, buf, sizeof(buf)),
			    "shieldsup-common");
	assert_string_equal(serve_test_spec(SERVE_TEST_PORT, 443, buf, sizeof(buf)), "443");
	assert_string_equal(serve_test_spec(SERVE_TEST_ALL, 0, buf, sizeof(buf)), "1-65535");
}

static void test_limits(void **state)
{
	struct serve_limits l;
	struct ps_addr a = A("192.0.2.2"), b = A("192.0.2.6"), c = A("2001:db8::2");

	(void)state;
	assert_int_equal(serve_limits_init(&l, 2, 3, 8), PS_OK);
	assert_int_equal(serve_limits_acquire(&l, &a, 1000), SERVE_OK);
	assert_int_equal(serve_limits_acquire(&l, &a, 1000), SERVE_REFUSE_ACTIVE);
	assert_int_equal(serve_limits_acquire(&l, &b, 1000), SERVE_OK);
	assert_int_equal(serve_limits_acquire(&l, &c, 1000), SERVE_REFUSE_BUSY);
	serve_limits_done(&l, &b);
	assert_int_equal(serve_limits_acquire(&l, &c, 1000), SERVE_OK);
	serve_limits_done(&l, &c);
	serve_limits_done(&l, &a);
	assert_int_equal(serve_limits_acquire(&l, &a, 1001), SERVE_OK);
	serve_limits_done(&l, &a);
	assert_int_equal(serve_limits_acquire(&l, &a, 1002), SERVE_OK);
	serve_limits_done(&l, &a);
	assert_int_equal(serve_limits_acquire(&l, &a, 1003), SERVE_REFUSE_QUOTA);
	/* An hour after the first, one scan is allowed again; then the quota holds again. */
	assert_int_equal(serve_limits_acquire(&l, &a, 1000 + SERVE_QUOTA_WINDOW_S), SERVE_OK);
	serve_limits_done(&l, &a);
	assert_int_equal(serve_limits_acquire(&l, &a, 1000 + SERVE_QUOTA_WINDOW_S),
			 SERVE_REFUSE_QUOTA);
	serve_limits_release(&l);
}

static void test_limits_table_full(void **state)
{
	struct serve_limits l;
	struct ps_addr a;
	char text[32];
	int i;

	(void)state;
	assert_int_equal(serve_limits_init(&l, 100, 1, 4), PS_OK);
	for (i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "198.18.0.%d", i + 1);
		a = A(text);
		assert_int_equal(serve_limits_acquire(&l, &a, 0), SERVE_OK);
		serve_limits_done(&l, &a);
	}
	/* Four addresses remembered for their hour: a fifth cannot be tracked, so no scan. */
	a = A("198.18.0.99");
	assert_int_equal(serve_limits_acquire(&l, &a, 10), SERVE_REFUSE_BUSY);
	/* After the hour the old entries make room. */
	assert_int_equal(serve_limits_acquire(&l, &a, SERVE_QUOTA_WINDOW_S + 1), SERVE_OK);
	a = A("198.18.0.1");
	assert_int_equal(serve_limits_acquire(&l, &a, SERVE_QUOTA_WINDOW_S + 1), SERVE_OK);
	serve_limits_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cidr),	   cmocka_unit_test(test_client_untrusted),
	    cmocka_unit_test(test_client_trusted), cmocka_unit_test(test_hops_limits),
	    cmocka_unit_test(test_form),	   cmocka_unit_test(test_tests),
	    cmocka_unit_test(test_limits),	   cmocka_unit_test(test_limits_table_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
