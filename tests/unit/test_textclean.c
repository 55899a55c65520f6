/* SPDX-License-Identifier: MIT */
/* core/textclean: each mode on the bytes it exists for, written out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/textclean.h"

static const char *clean(const char *src, size_t len, enum text_mode mode)
{
	static char buf[256];

	text_clean_mem(buf, sizeof(buf), src, len, mode);
	return buf;
}

#define TERM(s)	 clean(s, sizeof(s) - 1, TEXT_TERMINAL)
#define UTF8(s)	 clean(s, sizeof(s) - 1, TEXT_UTF8)
#define ASCII(s) clean(s, sizeof(s) - 1, TEXT_ASCII)

static void test_terminal_c0_del(void **state)
{
	(void)state;
	assert_string_equal(TERM("x\x1b[31mx"), "x?[31mx");
	assert_string_equal(TERM("a\tb\r\nc\x7fz"), "a?b??c?z");
	assert_string_equal(TERM("nul\0inside"), "nul?inside");
	assert_string_equal(TERM("plain text, 100%"), "plain text, 100%");
}

/* 0x9b alone is CSI to terminals in 8-bit mode; U+009B is CSI to UTF-8 terminals. */
static void test_terminal_c1(void **state)
{
	(void)state;
	assert_string_equal(TERM("a\x9b[2Jb"), "a?[2Jb");
	assert_string_equal(TERM("a\xc2\x9b[2Jb"), "a?[2Jb");
	assert_string_equal(TERM("\xc2\x80\xc2\x85\xc2\x9f"), "???");
	/* U+00A0, the first character past C1, is text. */
	assert_string_equal(TERM("\xc2\xa0"), "\xc2\xa0");
}

static void test_terminal_bidi_nonchar(void **state)
{
	(void)state;
	/* NOLINTNEXTLINE(misc-misleading-bidirectional): the test is that it is misleading */
	assert_string_equal(TERM("ab\xe2\x80\xaexy"), "ab?xy");	       /* RLO */
	assert_string_equal(TERM("\xe2\x81\xa6x\xe2\x81\xa9"), "?x?"); /* LRI .. PDI */
	assert_string_equal(TERM("\xe2\x80\xa9"), "\xe2\x80\xa9");     /* U+2029 stays */
	assert_string_equal(TERM("\xef\xbf\xbe\xef\xbf\xbf"), "??");
}

static void test_terminal_utf8(void **state)
{
	(void)state;
	assert_string_equal(TERM("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80"),
			    "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
	assert_string_equal(TERM("odd\xff"), "odd?");
	assert_string_equal(TERM("\xc0\xaf"), "??");	       /* overlong '/' */
	assert_string_equal(TERM("\xed\xa0\x80"), "???");      /* surrogate U+D800 */
	assert_string_equal(TERM("\xf4\x90\x80\x80"), "????"); /* past U+10FFFF */
	assert_string_equal(TERM("\xe6\x97"), "??");	       /* cut short */
	assert_string_equal(TERM("\xe6\x97x"), "??x");
}

static void test_utf8_mode(void **state)
{
	(void)state;
	/* Controls stay: the JSON encoder escapes them, and the record keeps the real name. */
	assert_string_equal(UTF8("x\x1b[31mx\n"), "x\x1b[31mx\n");
	assert_string_equal(UTF8("\xc2\x9b"), "\xc2\x9b");
	assert_string_equal(UTF8("odd\xff\"\\"), "odd\xef\xbf\xbd\"\\");
	assert_string_equal(UTF8("a\0z"), "a\xef\xbf\xbdz");
	assert_string_equal(UTF8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_ascii_mode(void **state)
{
	(void)state;
	assert_string_equal(ASCII("caf\xc3\xa9~\x01\x7f\x9b ok"), "caf~ ok");
	assert_string_equal(ASCII("\r\n"), "");
}

static void test_bounds(void **state)
{
	char small[4], one[1] = {'x'};
	char *dup;

	(void)state;
	/* Never a cut character: "a" and the 3 bytes of U+65E5 do not fit in 4 with the NUL. */
	assert_int_equal(text_clean_mem(small, sizeof(small), "ab\xe6\x97\xa5", 5, TEXT_TERMINAL),
			 2);
	assert_string_equal(small, "ab");
	assert_int_equal(text_clean_mem(small, sizeof(small), "\xff\xff", 2, TEXT_UTF8), 3);
	assert_string_equal(small, "\xef\xbf\xbd");
	assert_int_equal(text_clean_mem(one, sizeof(one), "abc", 3, TEXT_TERMINAL), 0);
	assert_string_equal(one, "");
	assert_int_equal(text_clean_mem(one, 0, "abc", 3, TEXT_TERMINAL), 0);
	assert_int_equal(text_clean(small, sizeof(small), "\x1b[2J"), 3);
	assert_string_equal(small, "?[2");

	/* In place, as the text table of `portsight local` cleans its cells. */
	{
		char cell[] = "x\xc2\x9b[\x1bz";

		text_clean_mem(cell, sizeof(cell), cell, strlen(cell), TEXT_TERMINAL);
		assert_string_equal(cell, "x?[?z");
	}

	/* The allocating form never cuts: 100 stray bytes become 300 bytes of U+FFFD. */
	{
		char stray[101];

		memset(stray, 0xfe, 100);
		stray[100] = '\0';
		dup = text_clean_dup(stray, TEXT_UTF8);
		assert_non_null(dup);
		assert_int_equal(strlen(dup), 300);
		assert_memory_equal(dup + 297, "\xef\xbf\xbd", 3);
		free(dup);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_terminal_c0_del),
	    cmocka_unit_test(test_terminal_c1),
	    cmocka_unit_test(test_terminal_bidi_nonchar),
	    cmocka_unit_test(test_terminal_utf8),
	    cmocka_unit_test(test_utf8_mode),
	    cmocka_unit_test(test_ascii_mode),
	    cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
