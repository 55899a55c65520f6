/* SPDX-License-Identifier: MIT */
/* nftables verdicts: rulesets in nft's JSON form, and what a new inbound packet meets. */
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "audit/firewall.h"

/* Builders for the JSON `nft -j list ruleset` prints. */
#define HEAD  "{\"nftables\":[{\"metainfo\":{\"json_schema_version\":1}},"
#define TAIL  "]}"
#define TABLE(fam) "{\"table\":{\"family\":\"" fam "\",\"name\":\"t\",\"handle\":1}},"
#define BASE(fam, name, hook, prio, policy)                                                     \
	"{\"chain\":{\"family\":\"" fam "\",\"table\":\"t\",\"name\":\"" name                    \
	"\",\"handle\":1,\"type\":\"filter\",\"hook\":\"" hook "\",\"prio\":" #prio             \
	",\"policy\":\"" policy "\"}},"
#define CHAIN(fam, name) "{\"chain\":{\"family\":\"" fam "\",\"table\":\"t\",\"name\":\"" name "\"}},"
#define RULE(fam, chain, handle, ...)                                                           \
	"{\"rule\":{\"family\":\"" fam "\",\"table\":\"t\",\"chain\":\"" chain                   \
	"\",\"handle\":" #handle ",\"expr\":[" __VA_ARGS__ "]}},"
#define MATCH(op, left, right) "{\"match\":{\"op\":\"" op "\",\"left\":" left ",\"right\":" right "}},"
#define PAYLOAD(proto, field) "{\"payload\":{\"protocol\":\"" proto "\",\"field\":\"" field "\"}}"
#define META(key)	      "{\"meta\":{\"key\":\"" key "\"}}"
#define CT(key)		      "{\"ct\":{\"key\":\"" key "\"}}"
#define ACCEPT		      "{\"accept\":null}"
#define DROP		      "{\"drop\":null}"
#define REJECT		      "{\"reject\":null}"
#define COUNTER		      "{\"counter\":{\"packets\":0,\"bytes\":0}},"
#define LAST		      "{\"metainfo\":{}}" /* closes the list without a trailing comma */

static struct audit_fw *load(const char *json)
{
	struct audit_fw *fw = NULL;
	struct ps_diag diag = {{0}};

	if (audit_fw_parse(json, strlen(json), &fw, &diag))
		fail_msg("%s", diag.msg);
	assert_non_null(fw);
	return fw;
}

static enum audit_fw_verdict judge(struct audit_fw *fw, uint8_t family, uint8_t proto,
				   uint16_t port, const char *daddr, char *why)
{
	struct ps_addr a;
	struct audit_fw_query q = {.family = family, .proto = proto, .port = port};
	char buf[96];

	if (daddr) {
		assert_int_equal(ps_addr_parse(daddr, &a), PS_OK);
		q.daddr = &a;
	}
	return audit_fw_judge(fw, &q, why ? why : buf, 96);
}

#define V4 AF_INET
#define V6 AF_INET6
#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP

static void test_empty_ruleset(void **state)
{
	struct audit_fw *fw = load(HEAD LAST TAIL);
	char why[96];

	(void)state;
	assert_int_equal(audit_fw_base_chains(fw), 0);
	assert_int_equal(judge(fw, V4, TCP, 22, NULL, why), AUDIT_FW_ACCEPT);
	assert_string_equal(why, "no firewall rules");
	audit_fw_free(fw);
}

/* The shape of a typical host firewall: established first, lo, a few services, policy drop. */
static const char typical[] = HEAD TABLE("inet") BASE("inet", "input", "input", 0, "drop")
	"{\"set\":{\"family\":\"inet\",\"table\":\"t\",\"name\":\"blk\",\"type\":\"inet_service\","
	"\"elem\":[23,24]}},"
	RULE("inet", "input", 2,
	     "{\"vmap\":{\"key\":" CT("state") ",\"data\":{\"set\":[[\"established\"," ACCEPT
	     "],[\"related\"," ACCEPT "],[\"invalid\"," DROP "]]}}}")
	RULE("inet", "input", 3, MATCH("==", META("iif"), "\"lo\"") ACCEPT)
	RULE("inet", "input", 4, MATCH("==", PAYLOAD("tcp", "dport"), "\"@blk\"") DROP)
	RULE("inet", "input", 5,
	     MATCH("==", PAYLOAD("tcp", "dport"), "{\"set\":[22,{\"range\":[80,90]}]}") COUNTER
		     ACCEPT)
	RULE("inet", "input", 6,
	     MATCH("==", PAYLOAD("ip", "saddr"), "{\"prefix\":{\"addr\":\"192.0.2.0\",\"len\":24}}")
		     MATCH("==", PAYLOAD("tcp", "dport"), "8080") ACCEPT)
	RULE("inet", "input", 7, MATCH("==", PAYLOAD("tcp", "dport"), "9999") REJECT)
	RULE("inet", "input", 8, MATCH("==", META("nfproto"), "\"ipv6\"")
					 MATCH("==", PAYLOAD("tcp", "dport"), "7000") ACCEPT)
	RULE("inet", "input", 9, MATCH("==", META("l4proto"), "{\"set\":[\"tcp\",\"udp\"]}")
					 MATCH("==", PAYLOAD("th", "dport"), "53") ACCEPT)
	RULE("inet", "input", 10, MATCH("in", CT("state"), "\"new\"")
					  MATCH("==", PAYLOAD("udp", "dport"), "5353") ACCEPT)
	RULE("inet", "input", 11, MATCH("in", PAYLOAD("tcp", "flags"), "\"syn\"")
					  MATCH("==", PAYLOAD("tcp", "dport"), "7004") ACCEPT)
	LAST TAIL;

static void test_typical_host(void **state)
{
	struct audit_fw *fw = load(typical);
	char why[96];

	(void)state;
	assert_int_equal(audit_fw_base_chains(fw), 1);
	assert_int_equal(judge(fw, V4, TCP, 22, NULL, why), AUDIT_FW_ACCEPT);
	assert_string_equal(why, "rule 5 in inet t input");
	assert_int_equal(judge(fw, V6, TCP, 85, NULL, NULL), AUDIT_FW_ACCEPT);
	assert_int_equal(judge(fw, V4, TCP, 91, NULL, why), AUDIT_FW_DROP);
	assert_string_equal(why, "policy drop of inet t input");
	/* tcp dport implies tcp: a UDP datagram to 22 meets the policy. */
	assert_int_equal(judge(fw, V4, UDP, 22, NULL, NULL), AUDIT_FW_DROP);
	assert_int_equal(judge(fw, V4, TCP, 23, NULL, why), AUDIT_FW_DROP);
	assert_string_equal(why, "rule 4 in inet t input");
	/* Accepted from one source range, dropped from the rest: not one answer. */
	assert_int_equal(judge(fw, V4, TCP, 8080, NULL, why), AUDIT_FW_UNKNOWN);
	assert_non_null(strstr(why, "rule 6"));
	/* ...but an IPv6 packet never matches "ip saddr". */
	assert_int_equal(judge(fw, V6, TCP, 8080, NULL, NULL), AUDIT_FW_DROP);
	assert_int_equal(judge(fw, V4, TCP, 9999, NULL, NULL), AUDIT_FW_REJECT);
	assert_int_equal(judge(fw, V6, TCP, 7000, NULL, NULL), AUDIT_FW_ACCEPT);
	assert_int_equal(judge(fw, V4, TCP, 7000, NULL, NULL), AUDIT_FW_DROP);
	assert_int_equal(judge(fw, V4, UDP, 53, NULL, NULL), AUDIT_FW_ACCEPT);
	assert_int_equal(judge(fw, V6, TCP, 53, NULL, NULL), AUDIT_FW_ACCEPT);
	assert_int_equal(judge(fw, V4, UDP, 5353, NULL, NULL), AUDIT_FW_ACCEPT);
	assert_int_equal(judge(fw, V4, TCP, 7004, NULL, NULL), AUDIT_FW_ACCEPT);
	audit_fw_free(fw);
}

static void test_policy_accept_with_source_rule(void **state)
{
	/* Same source-dependent accept, but everything else is accepted too: one answer. */
	struct audit_fw *fw = load(
		HEAD TABLE("ip") BASE("ip", "in", "input", 0, "accept") RULE(
			"ip", "in", 2,
			MATCH("==", PAYLOAD("ip", "saddr"), "\"192.0.2.7\"") ACCEPT)
			RULE("ip", "in", 3, MATCH("!=", PAYLOAD("tcp", "dport"), "22") "{\"counter\":null}")
				LAST TAIL);

	(void)state;
	assert_int_equal(judge(fw, V4, TCP, 8080, NULL, NULL), AUDIT_FW_ACCEPT);
	/* An "ip" table does not see IPv6 at all. */
	assert_int_equal(judge(fw, V6, TCP, 8080, NULL, NULL), AUDIT_FW_ACCEPT);
	audit_fw_free(fw);
}

static void test_destination_address(void **state)
{
	struct audit_fw *fw = load(
		HEAD TABLE("inet") BASE("inet", "in", "input", 0, "accept")
			RULE("inet", "in", 2,
			     MATCH("==", PAYLOAD("ip", "daddr"), "\"192.0.2.2\"")
				     MATCH("==", PAYLOAD("tcp", "dport"), "9000") DROP)
				LAST TAIL);

	(void)state;
	assert_int_equal(judge(fw, V4, TCP, 9000, "192.0.2.2", NULL), AUDIT_FW_DROP);
	assert_int_equal(judge(fw, V4, TCP, 9000, "192.0.2.3", NULL), AUDIT_FW_ACCEPT);
	/* A wildcard socket is reachable through 192.0.2.2 and through other addresses. */
	assert_int_equal(judge(fw, V4, TCP, 9000, NULL, NULL), AUDIT_FW_UNKNOWN);
	audit_fw_free(fw);
}

static void test_jump_goto_return(void **state)
{
	struct audit_fw *fw = load(
		HEAD TABLE("inet") BASE("inet", "in", "input", 0, "drop") CHAIN("inet", "svc")
			CHAIN("inet", "deny")
			RULE("inet", "in", 2, MATCH("==", PAYLOAD("udp", "dport"), "5000")
						      "{\"jump\":{\"target\":\"deny\"}}")
			RULE("inet", "in", 3, "{\"jump\":{\"target\":\"svc\"}}")
			RULE("inet", "in", 4, MATCH("==", PAYLOAD("tcp", "dport"), "81") ACCEPT)
			RULE("inet", "svc", 5, MATCH("==", PAYLOAD("tcp", "dport"), "80") ACCEPT)
			RULE("inet", "svc", 6, MATCH("==", PAYLOAD("tcp", "dport"), "81")
						       "{\"return\":null}")
			RULE("inet", "svc", 7, MATCH("==", PAYLOAD("tcp", "dport"), "82")
						       "{\"goto\":{\"target\":\"deny\"}}")
			RULE("inet", "deny", 8, REJECT) LAST TAIL);

	(void)state;
	assert_int_equal(judge(fw, V4, UDP, 5000, NULL, NULL), AUDIT_FW_REJECT);
	assert_int_equal(judge(fw, V4, TCP, 80, NULL, NULL), AUDIT_FW_ACCEPT);
	assert_int_equal(judge(fw, V4, TCP, 81, NULL, NULL), AUDIT_FW_ACCEPT); /* back in "in" */
	assert_int_equal(judge(fw, V4, TCP, 82, NULL, NULL), AUDIT_FW_REJECT);
	assert_int_equal(judge(fw, V4, TCP, 83, NULL, NULL), AUDIT_FW_DROP);
	audit_fw_free(fw);
}

static void test_several_base_chains(void **state)
{
	/* Accept in one base chain does not stop the next; a drop anywhere is final. */
	struct audit_fw *fw = load(
		HEAD TABLE("inet") BASE("inet", "a", "input", 0, "accept")
			BASE("inet", "b", "input", 10, "accept")
			BASE("inet", "pre", "prerouting", -100, "accept")
			RULE("inet", "a", 2, MATCH("==", PAYLOAD("tcp", "dport"), "22") ACCEPT)
			RULE("inet", "b", 3, MATCH("==", PAYLOAD("tcp", "dport"), "22") DROP)
			RULE("inet", "pre", 4, MATCH("==", PAYLOAD("tcp", "dport"), "23") REJECT)
			RULE("inet", "b", 5, MATCH("==", PAYLOAD("tcp", "dport"), "23") ACCEPT)
				LAST TAIL);
	char why[96];

	(void)state;
	assert_int_equal(audit_fw_base_chains(fw), 3);
	assert_int_equal(judge(fw, V4, TCP, 22, NULL, why), AUDIT_FW_DROP);
	assert_string_equal(why, "rule 3 in inet t b");
	assert_int_equal(judge(fw, V4, TCP, 23, NULL, NULL), AUDIT_FW_REJECT);
	assert_int_equal(judge(fw, V4, TCP, 24, NULL, NULL), AUDIT_FW_ACCEPT);
	audit_fw_free(fw);
}

static void test_unknowns(void **state)
{
	/* iptables-nft rules (xt), rate limits and named maps are outside what we model. */
	struct audit_fw *fw = load(
		HEAD TABLE("inet") BASE("inet", "in", "input", 0, "accept")
			RULE("inet", "in", 2, MATCH("==", PAYLOAD("tcp", "dport"), "1")
						      "{\"xt\":{\"type\":\"match\",\"name\":\"recent\"}},"
							      DROP)
			RULE("inet", "in", 3, MATCH("==", PAYLOAD("tcp", "dport"), "2")
						      "{\"limit\":{\"rate\":5,\"per\":\"second\"}},"
							      DROP)
			RULE("inet", "in", 4,
			     "{\"vmap\":{\"key\":" PAYLOAD("tcp", "dport") ",\"data\":\"@ports\"}}")
				LAST TAIL);
	char why[96];

	(void)state;
	assert_int_equal(judge(fw, V4, TCP, 1, NULL, why), AUDIT_FW_UNKNOWN);
	assert_non_null(strstr(why, "rule 2"));
	assert_int_equal(judge(fw, V4, TCP, 2, NULL, why), AUDIT_FW_UNKNOWN);
	assert_non_null(strstr(why, "rate limit"));
	assert_int_equal(judge(fw, V4, TCP, 3, NULL, NULL), AUDIT_FW_UNKNOWN);
	audit_fw_free(fw);
}

static void test_netdev_and_lo(void **state)
{
	struct audit_fw *on_lo = load(
		HEAD TABLE("netdev")
		"{\"chain\":{\"family\":\"netdev\",\"table\":\"t\",\"name\":\"ing\",\"type\":"
		"\"filter\",\"hook\":\"ingress\",\"prio\":0,\"dev\":\"lo\",\"policy\":\"accept\"}},"
			RULE("netdev", "ing", 2, DROP) LAST TAIL);
	struct audit_fw *on_eth = load(
		HEAD TABLE("netdev")
		"{\"chain\":{\"family\":\"netdev\",\"table\":\"t\",\"name\":\"ing\",\"type\":"
		"\"filter\",\"hook\":\"ingress\",\"prio\":0,\"dev\":\"eth0\",\"policy\":\"accept\"}},"
			RULE("netdev", "ing", 2, DROP) LAST TAIL);
	struct audit_fw *iif = load(
		HEAD TABLE("inet") BASE("inet", "in", "input", 0, "accept")
			RULE("inet", "in", 2, MATCH("!=", META("iifname"), "\"lo\"")
						      MATCH("==", PAYLOAD("tcp", "dport"), "25") DROP)
			RULE("inet", "in", 3, MATCH("==", META("iifname"), "\"eth0\"")
						      MATCH("==", PAYLOAD("tcp", "dport"), "26") DROP)
				LAST TAIL);

	(void)state;
	/* Packets from other hosts never cross lo; a drop on eth0 depends on the way in. */
	assert_int_equal(judge(on_lo, V4, TCP, 80, NULL, NULL), AUDIT_FW_ACCEPT);
	assert_int_equal(judge(on_eth, V4, TCP, 80, NULL, NULL), AUDIT_FW_UNKNOWN);
	assert_int_equal(judge(iif, V4, TCP, 25, NULL, NULL), AUDIT_FW_DROP);
	assert_int_equal(judge(iif, V4, TCP, 26, NULL, NULL), AUDIT_FW_UNKNOWN);
	audit_fw_free(on_lo);
	audit_fw_free(on_eth);
	audit_fw_free(iif);
}

/* Verdicts are cached per port interval: every boundary of every comparison must still show. */
static void test_port_intervals(void **state)
{
	struct audit_fw *fw = load(
		HEAD TABLE("inet") BASE("inet", "in", "input", 0, "accept")
			RULE("inet", "in", 2, MATCH("<", PAYLOAD("tcp", "dport"), "1024") DROP)
			RULE("inet", "in", 3, MATCH("==", PAYLOAD("tcp", "dport"),
						    "{\"range\":[8000,8080]}") REJECT)
			RULE("inet", "in", 4, MATCH(">=", PAYLOAD("udp", "dport"), "60000") DROP)
				LAST TAIL);
	static const struct {
		uint8_t family, proto;
		uint16_t port;
		enum audit_fw_verdict v;
	} cases[] = {
		{V4, TCP, 1023, AUDIT_FW_DROP},	    {V4, TCP, 1024, AUDIT_FW_ACCEPT},
		{V4, TCP, 0, AUDIT_FW_DROP},	    {V4, TCP, 65535, AUDIT_FW_ACCEPT},
		{V4, TCP, 8000, AUDIT_FW_REJECT},   {V4, TCP, 7999, AUDIT_FW_ACCEPT},
		{V4, TCP, 8080, AUDIT_FW_REJECT},   {V4, TCP, 8081, AUDIT_FW_ACCEPT},
		{V4, TCP, 8040, AUDIT_FW_REJECT},   {V4, TCP, 1023, AUDIT_FW_DROP},
		{V4, UDP, 1023, AUDIT_FW_ACCEPT},   {V6, TCP, 1000, AUDIT_FW_DROP},
		{V6, UDP, 59999, AUDIT_FW_ACCEPT},  {V6, UDP, 60000, AUDIT_FW_DROP},
		{V4, UDP, 65535, AUDIT_FW_DROP},    {V4, TCP, 65535, AUDIT_FW_ACCEPT},
	};
	char why[96];
	size_t i, round;

	(void)state;
	/* Twice over: the second round answers from the cache. */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			assert_int_equal(judge(fw, cases[i].family, cases[i].proto, cases[i].port,
					       NULL, why),
					 cases[i].v);
			if (cases[i].v == AUDIT_FW_REJECT)
				assert_string_equal(why, "rule 3 in inet t in");
		}
	}
	audit_fw_free(fw);
}

/* A set of 200 even ports: 400 intervals, enough to make the cache grow several times. */
static void test_many_intervals(void **state)
{
	char json[8192];
	struct audit_fw *fw;
	size_t len, i;

	(void)state;
	len = (size_t)snprintf(json, sizeof(json),
			       HEAD TABLE("inet") BASE("inet", "in", "input", 0, "accept")
				       "{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":"
				       "\"in\",\"handle\":2,\"expr\":[{\"match\":{\"op\":\"==\","
				       "\"left\":" PAYLOAD("tcp", "dport") ",\"right\":{\"set\":[");
	for (i = 0; i < 200; i++)
		len += (size_t)snprintf(json + len, sizeof(json) - len, "%s%zu", i ? "," : "",
					20000 + 2 * i);
	snprintf(json + len, sizeof(json) - len, "]}}}," DROP "]}}," LAST TAIL);
	fw = load(json);
	for (i = 0; i < 2; i++) {
		for (uint16_t port = 19990; port < 20410; port++)
			assert_int_equal(judge(fw, V4, TCP, port, NULL, NULL),
					 port >= 20000 && port < 20400 && port % 2 == 0 ?
						 AUDIT_FW_DROP :
						 AUDIT_FW_ACCEPT);
	}
	audit_fw_free(fw);
}

static void test_bad_rulesets(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"nftables\":{}}",
		"{\"nftables\":[{\"chain\":{\"family\":\"inet\"}}]}",
		/* A rule in a chain that does not exist. */
		("{\"nftables\":[{\"rule\":{\"family\":\"inet\",\"table\":\"t\",\"chain\":\"x\","
		 "\"expr\":[]}}]}"),
		"{\"nftables\":[",
	};
	struct audit_fw *fw = NULL;
	struct ps_diag diag = {{0}};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		diag.msg[0] = '\0';
		assert_int_equal(audit_fw_parse(bad[i], strlen(bad[i]), &fw, &diag),
				 PS_ERR_INVALID);
		assert_null(fw);
		assert_true(diag.msg[0] != '\0');
	}
}

static void test_missing_nft(void **state)
{
	struct audit_fw *fw = NULL;
	struct ps_diag diag = {{0}};

	(void)state;
	assert_int_equal(audit_fw_load("/nonexistent/nft", &fw, &diag), PS_ERR_UNSUPPORTED);
	assert_null(fw);
	/* A program that fails: its first line of stderr becomes the message. */
	assert_int_equal(audit_fw_load("false", &fw, &diag), PS_ERR_SYSTEM);
	assert_null(fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_ruleset),
		cmocka_unit_test(test_typical_host),
		cmocka_unit_test(test_policy_accept_with_source_rule),
		cmocka_unit_test(test_destination_address),
		cmocka_unit_test(test_jump_goto_return),
		cmocka_unit_test(test_several_base_chains),
		cmocka_unit_test(test_unknowns),
		cmocka_unit_test(test_netdev_and_lo),
		cmocka_unit_test(test_port_intervals),
		cmocka_unit_test(test_many_intervals),
		cmocka_unit_test(test_bad_rulesets),
		cmocka_unit_test(test_missing_nft),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
