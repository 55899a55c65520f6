/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/tally.h"
#include "report/verdict.h"

static struct port_result result(const char *ip, uint16_t port, enum port_state state,
				 enum port_reason reason)
{
	struct port_result r = {0};

	assert_int_equal(ps_addr_parse(ip, &r.addr), PS_OK);
	r.port = port;
	r.proto = IPPROTO_TCP;
	r.state = (uint8_t)state;
	r.reason = (uint8_t)reason;
	return r;
}

/* Where open_memstream() writes; on the heap, so no pointer into the text aliases a local. */
struct membuf {
	char *data;
	size_t len;
};

/* Runs results through a format into a string the caller frees. */
static char *render(const char *format, unsigned show, const struct port_result *res, size_t n,
		    struct report_summary *sum_out)
{
	struct report r;
	struct report_tally tally;
	struct membuf *mem = calloc(1, sizeof(*mem));
	const struct report_format *fmt = report_format_find(format);
	FILE *out;
	char *text;
	size_t i;

	assert_non_null(mem);
	out = open_memstream(&mem->data, &mem->len);
	assert_non_null(out);
	assert_non_null(fmt);
	report_tally_init(&tally, 2);
	assert_int_equal(report_begin(&r, fmt, out, NULL, show, NULL), PS_OK);
	for (i = 0; i < n; i++) {
		assert_int_equal(report_tally_add(&tally, &res[i]), PS_OK);
		assert_int_equal(report_port(&r, &res[i]), PS_OK);
	}
	assert_int_equal(report_end(&r, &tally.sum), PS_OK);
	report_release(&r);
	if (sum_out)
		*sum_out = tally.sum;
	report_tally_release(&tally);
	fclose(out);
	text = mem->data;
	free(mem);
	return text;
}

static void test_tally_counts_states_and_hosts(void **state)
{
	struct port_result res[] = {
		result("192.0.2.2", 22, PORT_OPEN, REASON_SYN_ACK),
		result("192.0.2.2", 23, PORT_CLOSED, REASON_CONN_REFUSED),
		result("192.0.2.3", 24, PORT_FILTERED, REASON_NO_RESPONSE),
		result("192.0.2.3", 25, PORT_FILTERED, REASON_NO_RESPONSE),
		result("2001:db8::2", 80, PORT_FILTERED, REASON_ICMP_ADMIN_PROHIBITED),
	};
	struct report_summary sum;
	char *text;

	(void)state;
	text = render("jsonl", REPORT_SHOW_OPEN, res, 5, &sum);
	free(text);
	assert_int_equal(sum.ports_scanned, 5);
	assert_int_equal(sum.open, 1);
	assert_int_equal(sum.closed, 1);
	assert_int_equal(sum.filtered, 3);
	assert_int_equal(sum.stealth, 2);
	/* 192.0.2.3 never answered; the ICMP error makes 2001:db8::2 "up". */
	assert_int_equal(sum.hosts_up, 2);
}

static void test_jsonl_lines_parse_back(void **state)
{
	struct port_result res[] = {
		result("192.0.2.2", 22, PORT_OPEN, REASON_SYN_ACK),
		result("192.0.2.2", 23, PORT_CLOSED, REASON_CONN_REFUSED),
		result("2001:db8::2", 443, PORT_FILTERED, REASON_NO_RESPONSE),
	};
	char *text, *line, *save = NULL;
	int lines = 0;

	(void)state;
	res[0].hostname = "lab \"host\"";
	text = render("jsonl", REPORT_SHOW_ALL, res, 3, NULL);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);

		assert_non_null(o);
		if (lines < 3) {
			assert_int_equal(json_integer_value(json_object_get(o, "port")),
					 res[lines].port);
			assert_string_equal(json_string_value(json_object_get(o, "state")),
					    port_state_name(res[lines].state));
			assert_string_equal(json_string_value(json_object_get(o, "reason")),
					    port_reason_name(res[lines].reason));
			assert_string_equal(json_string_value(json_object_get(o, "proto")), "tcp");
		} else {
			json_t *s = json_object_get(o, "summary");

			assert_non_null(s);
			assert_int_equal(json_integer_value(json_object_get(s, "open")), 1);
			assert_int_equal(json_integer_value(json_object_get(s, "filtered")), 1);
			assert_int_equal(json_integer_value(json_object_get(s, "ports_scanned")), 3);
		}
		json_decref(o);
		lines++;
	}
	assert_int_equal(lines, 4);
	free(text);
}

static void test_jsonl_respects_show(void **state)
{
	struct port_result res[] = {
		result("192.0.2.2", 22, PORT_OPEN, REASON_SYN_ACK),
		result("192.0.2.2", 23, PORT_CLOSED, REASON_CONN_REFUSED),
	};
	char *text;

	(void)state;
	text = render("jsonl", REPORT_SHOW_CLOSED, res, 2, NULL);
	assert_null(strstr(text, "\"port\":22"));
	assert_non_null(strstr(text, "\"port\":23"));
	free(text);
}

static void test_text_profile_and_verdicts(void **state)
{
	struct port_result res[] = {
		result("192.0.2.9", 80, PORT_OPEN, REASON_SYN_ACK),
		result("192.0.2.9", 81, PORT_CLOSED, REASON_CONN_REFUSED),
		result("192.0.2.9", 82, PORT_FILTERED, REASON_NO_RESPONSE),
		result("192.0.2.3", 80, PORT_FILTERED, REASON_NO_RESPONSE),
		result("192.0.2.3", 81, PORT_FILTERED, REASON_NO_RESPONSE),
		result("192.0.2.4", 80, PORT_FILTERED, REASON_ICMP_ADMIN_PROHIBITED),
		result("192.0.2.4", 81, PORT_FILTERED, REASON_NO_RESPONSE),
	};
	char *text, *a, *b, *c;

	(void)state;
	text = render("text", REPORT_SHOW_OPEN, res, 7, NULL);
	a = strstr(text, "192.0.2.3\n");
	b = strstr(text, "192.0.2.4\n");
	c = strstr(text, "192.0.2.9\n");
	/* Hosts come out sorted by address, whatever order results arrived in. */
	assert_non_null(a);
	assert_true(a < b && b < c);
	assert_non_null(strstr(a, "Profile: 0 open, 0 closed, 2 stealth -> STEALTH"));
	assert_non_null(strstr(b, "Profile: 0 open, 1 closed, 1 stealth -> CLOSED"));
	assert_non_null(strstr(c, "80/tcp"));
	assert_non_null(strstr(c, "Profile: 1 open, 1 closed, 1 stealth -> EXPOSED: 1 open port"));
	assert_null(strstr(text, "81/tcp"));
	free(text);
}

static void test_verdict_stealth_only_without_answers(void **state)
{
	struct verdict v;

	(void)state;
	verdict_of(0, 0, 100, &v);
	assert_int_equal(v.kind, VERDICT_STEALTH);
	verdict_of(0, 1, 99, &v);
	assert_int_equal(v.kind, VERDICT_CLOSED);
	verdict_of(2, 0, 0, &v);
	assert_int_equal(v.kind, VERDICT_EXPOSED);
	assert_non_null(strstr(v.text, "2 open ports"));
}

static void test_parse_show(void **state)
{
	unsigned show;
	struct ps_diag d = {{0}};

	(void)state;
	assert_int_equal(report_parse_show("all", &show, &d), PS_OK);
	assert_int_equal(show, REPORT_SHOW_ALL);
	assert_int_equal(report_parse_show("closed,filtered", &show, &d), PS_OK);
	assert_int_equal(show, REPORT_SHOW_CLOSED | REPORT_SHOW_FILTERED);
	assert_int_equal(report_parse_show("opne", &show, &d), PS_ERR_INVALID);
	assert_non_null(strstr(d.msg, "opne"));
	assert_int_equal(report_parse_show("", &show, &d), PS_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tally_counts_states_and_hosts),
		cmocka_unit_test(test_jsonl_lines_parse_back),
		cmocka_unit_test(test_jsonl_respects_show),
		cmocka_unit_test(test_text_profile_and_verdicts),
		cmocka_unit_test(test_verdict_stealth_only_without_answers),
		cmocka_unit_test(test_parse_show),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
