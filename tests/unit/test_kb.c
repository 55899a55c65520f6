/* SPDX-License-Identifier: MIT */
/* The knowledge base: its parser on good and bad text, lookups, presets, and the real data. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "kb/kb.h"

static const char good_text[] = "# a comment\n"
				"\n"
				"port 22/tcp ssh\n"
				"\tdesc Secure shell.\n"
				"\trisk Brute force.\n"
				"\n"
				"port 31337/udp back-orifice\r\n"
				"  desc Back Orifice.  \r\n"
				"  trojans Back Orifice, Deep BO\n"
				"  trojans  Extra One \n"
				"port 7/tcp echo\n"
				"desc Echo.\n"
				"rank 22 7\n"
				"rank 31337\n";

static void test_parse_good(void **state)
{
	struct ps_diag diag = {{0}};
	struct kb *kb = NULL;
	const struct kb_entry *e;
	const uint16_t *rank;

	(void)state;
	assert_int_equal(kb_parse(good_text, strlen(good_text), &kb, &diag), PS_OK);
	assert_non_null(kb);
	assert_int_equal(kb_count(kb), 3);
	/* Sorted by port whatever the file order. */
	assert_int_equal(kb_entry_at(kb, 0)->port, 7);
	assert_int_equal(kb_entry_at(kb, 1)->port, 22);
	assert_int_equal(kb_entry_at(kb, 2)->port, 31337);
	assert_null(kb_entry_at(kb, 3));

	e = kb_lookup(kb, 22, IPPROTO_TCP);
	assert_non_null(e);
	assert_string_equal(e->service, "ssh");
	assert_string_equal(e->description, "Secure shell.");
	assert_string_equal(e->risk, "Brute force.");
	assert_int_equal(e->ntrojans, 0);
	assert_null(kb_lookup(kb, 22, IPPROTO_UDP));

	e = kb_lookup(kb, 31337, IPPROTO_UDP);
	assert_non_null(e);
	assert_string_equal(e->description, "Back Orifice.");
	assert_null(e->risk);
	assert_int_equal(e->ntrojans, 3);
	assert_string_equal(e->trojans[0], "Back Orifice");
	assert_string_equal(e->trojans[1], "Deep BO");
	assert_string_equal(e->trojans[2], "Extra One");
	assert_int_equal(kb_trojan_count(kb), 3);

	assert_int_equal(kb_ranked(kb, &rank), 3);
	assert_int_equal(rank[0], 22);
	assert_int_equal(rank[1], 7);
	assert_int_equal(rank[2], 31337);
	kb_free(kb);
}

static void test_parse_empty(void **state)
{
	struct kb *kb = NULL;

	(void)state;
	assert_int_equal(kb_parse("", 0, &kb, NULL), PS_OK);
	assert_int_equal(kb_count(kb), 0);
	assert_null(kb_lookup(kb, 80, IPPROTO_TCP));
	kb_free(kb);
	assert_int_equal(kb_parse(NULL, 0, &kb, NULL), PS_OK);
	assert_int_equal(kb_count(kb), 0);
	kb_free(kb);
	kb_free(NULL);
}

struct bad_case {
	const char *text;
	const char *expect; /* a substring of the error, with the line number */
};

static const struct bad_case bad_cases[] = {
    {"port 0/tcp zero\ndesc d\n", "kb line 1: expected \"port N/tcp|udp name\""},
    {"# c\nport 70000/tcp big\ndesc d\n", "kb line 2: expected"},
    {"port 22/sctp ssh\n", "kb line 1: port 22 needs /tcp or /udp"},
    {"port 22/tcp\n", "kb line 1: expected a service name"},
    {"port 22/tcp bad!name\n", "kb line 1: service name must be"},
    {"port 22/tcp two words\n", "kb line 1: service name must be"},
    {"port 22/tcpx ssh\n", "kb line 1: expected a service name"},
    {"desc orphan\n", "kb line 1: \"desc\" before any \"port\" line"},
    {"trojans X\n", "kb line 1: \"trojans\" before any \"port\" line"},
    {"\n\nport 22/tcp ssh\nrisk r\n", "kb line 3: entry 22/tcp has no desc line"},
    {"port 22/tcp ssh\nrisk r\nport 23/tcp telnet\ndesc d\n", "kb line 1: entry 22/tcp"},
    {"port 22/tcp ssh\ndesc a\ndesc b\n", "kb line 3: second \"desc\" for 22/tcp"},
    {"port 22/tcp ssh\ndesc a\nrisk\n", "kb line 3: empty \"risk\""},
    {"port 22/tcp ssh\ndesc a\n\nport 22/tcp ssh2\ndesc b\n",
     "kb line 4: duplicate entry 22/tcp (first at line 1)"},
    {"port 53/udp dns\ndesc a\nport 53/tcp dns\ndesc b\nport 53/udp dns\ndesc c\n",
     "kb line 5: duplicate entry 53/udp (first at line 1)"},
    {"port 22/tcp ssh\nbogus x\n", "kb line 2: unknown keyword \"bogus\""},
    {"port 22/tcp ssh\ndesc a\ntrojans A,,B\n", "kb line 3: empty trojan name"},
    {"port 22/tcp ssh\ndesc a\ntrojans A,\n", "kb line 3: empty trojan name"},
    {"rank 1 2 1\n", "kb line 1: port 1 ranked twice"},
    {"rank 1\nrank 3 2 1\n", "kb line 2: port 1 ranked twice"},
    {"rank 1 x\n", "kb line 1: rank takes port numbers"},
    {"rank 0\n", "kb line 1: rank takes port numbers"},
    {"rank 65536\n", "kb line 1: rank takes port numbers"},
    {"rank 80,443\n", "kb line 1: rank takes port numbers"},
    {"port 1/tcp a\ndesc caf\xc3\xa9\n", "kb line 2: control or non-ASCII character"},
    {"port 1/tcp a\ndesc \x01\n", "kb line 2: control or non-ASCII character"},
};

static void test_parse_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct ps_diag diag = {{0}};
		struct kb *kb = (struct kb *)&diag; /* must be reset to NULL */
		enum ps_err err =
		    kb_parse(bad_cases[i].text, strlen(bad_cases[i].text), &kb, &diag);

		if (err == PS_OK || !strstr(diag.msg, bad_cases[i].expect))
			fail_msg("case %zu: got %d \"%s\", want \"%s\"", i, err, diag.msg,
				 bad_cases[i].expect);
		assert_null(kb);
		assert_null(strchr(diag.msg, '\n'));
	}
}

static void test_parse_nul_and_long_lines(void **state)
{
	static const char with_nul[] = "port 1/tcp a\ndesc x\0y\n";
	struct ps_diag diag = {{0}};
	struct kb *kb = NULL;
	char *text;
	size_t n;

	(void)state;
	assert_int_equal(kb_parse(with_nul, sizeof(with_nul) - 1, &kb, &diag), PS_ERR_INVALID);
	assert_string_equal(diag.msg, "kb line 2: NUL byte");

	/* A line of exactly KB_LINE_MAX characters is fine, one more is refused. */
	text = malloc(KB_LINE_MAX + 64);
	assert_non_null(text);
	n = (size_t)sprintf(text, "port 1/tcp a\ndesc ");
	memset(text + n, 'x', KB_LINE_MAX - 5);
	n += KB_LINE_MAX - 5;
	text[n++] = '\n';
	assert_int_equal(kb_parse(text, n, &kb, &diag), PS_OK);
	assert_int_equal(strlen(kb_lookup(kb, 1, IPPROTO_TCP)->description), KB_LINE_MAX - 5);
	kb_free(kb);
	text[n - 1] = 'x';
	text[n++] = '\n';
	assert_int_equal(kb_parse(text, n, &kb, &diag), PS_ERR_INVALID);
	assert_string_equal(diag.msg, "kb line 2: line longer than 1024 characters");
	assert_null(kb);
	free(text);
}

static void test_parse_caps(void **state)
{
	struct ps_diag diag = {{0}};
	struct kb *kb = NULL;
	char *text;
	size_t n = 0, i, cap = (KB_ENTRIES_MAX + 1) * 40 + 4096;

	(void)state;
	text = malloc(KB_TEXT_MAX + 1);
	assert_non_null(text);
	memset(text, '\n', KB_TEXT_MAX + 1);
	assert_int_equal(kb_parse(text, KB_TEXT_MAX + 1, &kb, &diag), PS_ERR_TOO_LARGE);
	assert_null(kb);
	assert_int_equal(kb_parse(text, KB_TEXT_MAX, &kb, &diag), PS_OK);
	kb_free(kb);
	free(text);

	/* One entry too many: KB_ENTRIES_MAX fit (tcp and udp of each port). */
	text = malloc(cap);
	assert_non_null(text);
	for (i = 0; i <= KB_ENTRIES_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, "port %zu/%s s\ndesc d\n", i / 2 + 1,
				      i % 2 ? "udp" : "tcp");
	assert_int_equal(kb_parse(text, n, &kb, &diag), PS_ERR_TOO_LARGE);
	assert_non_null(strstr(diag.msg, "more than 16384 entries"));
	assert_null(kb);

	/* Too many trojans on one port. */
	n = (size_t)snprintf(text, cap, "port 1/tcp a\ndesc d\ntrojans T0");
	for (i = 1; i <= KB_TROJANS_PER_ENTRY_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, ", T%zu", i);
	assert_int_equal(kb_parse(text, n, &kb, &diag), PS_ERR_TOO_LARGE);
	assert_string_equal(diag.msg, "kb line 3: more than 64 trojans for one port");
	free(text);
}

static void test_ranges(void **state)
{
	(void)state;
	assert_int_equal(kb_port_range(1), KB_RANGE_SYSTEM);
	assert_int_equal(kb_port_range(1023), KB_RANGE_SYSTEM);
	assert_int_equal(kb_port_range(1024), KB_RANGE_REGISTERED);
	assert_int_equal(kb_port_range(49151), KB_RANGE_REGISTERED);
	assert_int_equal(kb_port_range(49152), KB_RANGE_DYNAMIC);
	assert_int_equal(kb_port_range(65535), KB_RANGE_DYNAMIC);
	assert_string_equal(kb_range_name(KB_RANGE_SYSTEM), "system");
	assert_string_equal(kb_range_name(KB_RANGE_REGISTERED), "registered");
	assert_string_equal(kb_range_name(KB_RANGE_DYNAMIC), "dynamic");
}

static int load_builtin(void **state)
{
	struct ps_diag diag = {{0}};
	struct kb *kb = NULL;

	if (kb_load_builtin(&kb, &diag) != PS_OK) {
		print_error("builtin kb: %s\n", diag.msg);
		return -1;
	}
	*state = kb;
	return 0;
}

static int free_builtin(void **state)
{
	kb_free(*state);
	return 0;
}

static void test_lookups(void **state)
{
	const struct kb *kb = *state;
	const struct kb_entry *found[8];
	size_t n, i;

	assert_string_equal(kb_service_name(kb, 22, IPPROTO_TCP), "ssh");
	assert_string_equal(kb_service_name(kb, 80, IPPROTO_TCP), "http");
	assert_string_equal(kb_service_name(kb, 53, IPPROTO_UDP), "domain");
	assert_string_equal(kb_service_name(kb, 12345, IPPROTO_TCP), "netbus");
	assert_null(kb_service_name(kb, 12399, IPPROTO_TCP));
	assert_null(kb_lookup(kb, 22, IPPROTO_UDP));
	assert_null(kb_lookup(kb, 80, 0));

	n = kb_find_service(kb, "SSH", found, 8);
	assert_int_equal(n, 1);
	assert_int_equal(found[0]->port, 22);
	n = kb_find_service(kb, "domain", found, 8);
	assert_int_equal(n, 2);
	assert_int_equal(found[0]->port, 53);
	assert_int_equal(found[1]->port, 53);
	assert_int_not_equal(found[0]->proto, found[1]->proto);
	/* The count is the full count even when out is too small. */
	n = kb_find_service(kb, "ms-rpc-dyn", found, 2);
	assert_int_equal(n, 7);
	assert_int_equal(kb_find_service(kb, "ms-rpc-dyn", NULL, 0), 7);
	assert_int_equal(kb_find_service(kb, "no-such-service", found, 8), 0);

	n = kb_find_trojan(kb, "netbus", found, 8);
	assert_int_equal(n, 2);
	assert_int_equal(found[0]->port, 12345);
	assert_int_equal(found[1]->port, 12346);
	n = kb_find_trojan(kb, "Back Orifice", found, 8);
	for (i = 0; i < n && i < 8; i++)
		if (found[i]->port == 31337 && found[i]->proto == IPPROTO_UDP)
			break;
	assert_true(i < n);
}

static size_t set_count_check(const struct portset *set)
{
	size_t n = 0;
	uint32_t p = 0;

	while ((p = portset_next(set, p)) != 0)
		n++;
	return n;
}

static void test_preset_common_service(void **state)
{
	static const uint16_t common[] = {21,	22,   23,   25,	  79,	80,   110,  113,  119,
					  135,	139,  143,  389,  443,	445,  1002, 1024, 1025,
					  1026, 1027, 1028, 1029, 1030, 1720, 5000};
	struct portset set;
	struct ps_diag diag = {{0}};
	size_t i;

	assert_int_equal(kb_preset(*state, "common", &set, &diag), PS_OK);
	assert_int_equal(set.count, sizeof(common) / sizeof(common[0]));
	assert_int_equal(set_count_check(&set), set.count);
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		assert_true(portset_has(&set, common[i]));

	assert_int_equal(kb_preset(*state, "service", &set, &diag), PS_OK);
	assert_int_equal(set.count, 1055);
	assert_true(portset_has(&set, 1));
	assert_true(portset_has(&set, 1055));
	assert_false(portset_has(&set, 1056));
	/* Neither needs the data. */
	assert_int_equal(kb_preset(NULL, "service", &set, &diag), PS_OK);
	assert_int_equal(set.count, 1055);
}

static void test_preset_top(void **state)
{
	const struct kb *kb = *state;
	struct portset top100, top1000;
	struct ps_diag diag = {{0}};
	const uint16_t *rank;
	size_t n, i;

	assert_int_equal(kb_preset(*state, "top100", &top100, &diag), PS_OK);
	assert_int_equal(kb_preset(*state, "TOP1000", &top1000, &diag), PS_OK);
	assert_int_equal(top100.count, 100);
	assert_int_equal(top1000.count, 1000);
	assert_int_equal(set_count_check(&top1000), 1000);
	n = kb_ranked(kb, &rank);
	assert_true(n >= 1000);
	for (i = 0; i < n; i++) {
		assert_int_equal(portset_has(&top100, rank[i]), i < 100);
		assert_int_equal(portset_has(&top1000, rank[i]), i < 1000);
	}
	/* The obvious ones lead. */
	assert_true(portset_has(&top100, 80));
	assert_true(portset_has(&top100, 443));
	assert_true(portset_has(&top100, 22));
	assert_true(portset_has(&top100, 3389));
}

static void test_preset_top_needs_ranks(void **state)
{
	static const char text[] = "port 1/tcp a\ndesc d\nrank 1 2 3\n";
	struct ps_diag diag = {{0}};
	struct portset set;
	struct kb *kb = NULL;

	(void)state;
	assert_int_equal(kb_parse(text, strlen(text), &kb, &diag), PS_OK);
	assert_int_equal(kb_preset(kb, "top100", &set, &diag), PS_ERR_NOT_FOUND);
	assert_non_null(strstr(diag.msg, "ranks only 3 ports"));
	assert_int_equal(kb_preset(NULL, "top100", &set, &diag), PS_ERR_INVALID);
	kb_free(kb);
}

static void test_preset_trojans(void **state)
{
	static const uint16_t must[] = {31337, 12345, 12346, 20034, 27374, 1243,  6711,
					6712,  6713,  54320, 21544, 31785, 40421, 30100};
	const struct kb *kb = *state;
	struct portset set, expect;
	struct ps_diag diag = {{0}};
	size_t i;

	assert_int_equal(kb_preset(*state, "trojans", &set, &diag), PS_OK);
	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		assert_true(portset_has(&set, must[i]));
	assert_false(portset_has(&set, 443));
	assert_false(portset_has(&set, 31789)); /* Hack'a'Tack's UDP-only port */

	/* Ground truth from the entries themselves. */
	portset_clear(&expect);
	for (i = 0; i < kb_count(kb); i++) {
		const struct kb_entry *e = kb_entry_at(kb, i);

		if (e->proto == IPPROTO_TCP && e->ntrojans)
			portset_add(&expect, e->port);
	}
	assert_int_equal(set.count, expect.count);
	assert_memory_equal(set.bits, expect.bits, sizeof(set.bits));
}

static void test_preset_unknown_and_via_portset(void **state)
{
	struct portset set;
	struct ps_diag diag = {{0}};

	assert_int_equal(kb_preset(*state, "top7", &set, &diag), PS_ERR_INVALID);
	assert_string_equal(diag.msg, "unknown port preset \"top7\" (valid: common, "
				      "shieldsup-common, service, top100, top1000, trojans, upnp, "
				      "filesharing)");
	assert_int_equal(kb_preset(*state, "upnp", &set, &diag), PS_OK);
	assert_true(portset_has(&set, 1900));
	assert_int_equal(kb_preset(*state, "filesharing", &set, &diag), PS_OK);
	assert_int_equal(set.count, 4);
	assert_int_equal(kb_preset(*state, "shieldsup-common", &set, &diag), PS_OK);
	assert_int_equal(set.count, 25); /* ShieldsUP's 26 less port 0, which -p cannot name */
	assert_int_equal(portset_parse(&set, "top100,12345,60000-60009", kb_preset, *state, &diag),
			 PS_OK);
	assert_int_equal(set.count, 100 + 1 + 10);
	assert_int_equal(portset_parse(&set, "common,trojans", kb_preset, *state, &diag), PS_OK);
	assert_true(portset_has(&set, 1002));
	assert_true(portset_has(&set, 65000));
	assert_int_equal(portset_parse(&set, "22,nope", kb_preset, *state, &diag), PS_ERR_INVALID);
	assert_non_null(strstr(diag.msg, "valid: common"));
}

static int ends_with_period(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '.';
}

/* Checks over the shipped data: the things a typo in ports.kb would break. */
static void test_data_sanity(void **state)
{
	const struct kb *kb = *state;
	size_t i, j, trojan_entries = 0;

	assert_true(kb_count(kb) >= 300);
	assert_true(kb_trojan_count(kb) >= 45);
	for (i = 0; i < kb_count(kb); i++) {
		const struct kb_entry *e = kb_entry_at(kb, i);

		assert_true(e->port >= 1);
		assert_true(e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP);
		if (i) {
			const struct kb_entry *prev = kb_entry_at(kb, i - 1);

			/* Strictly increasing: no duplicate port/proto. */
			assert_true(prev->port < e->port ||
				    (prev->port == e->port && prev->proto < e->proto));
		}
		assert_true(strlen(e->service) > 0);
		if (!ends_with_period(e->description) || (e->risk && !ends_with_period(e->risk)))
			fail_msg("%u: description and risk are sentences", e->port);
		/* One sentence: no full stop followed by a capital in the middle. */
		for (j = 0; e->description[j + 2]; j++)
			if (e->description[j] == '.' && e->description[j + 1] == ' ' &&
			    e->description[j + 2] >= 'A' && e->description[j + 2] <= 'Z')
				fail_msg("%u: description is more than one sentence", e->port);
		for (j = 0; j < e->ntrojans; j++)
			assert_true(strlen(e->trojans[j]) > 0);
		/* Every trojan port is an entry, found by its port. */
		if (e->ntrojans) {
			trojan_entries++;
			assert_ptr_equal(kb_lookup(kb, e->port, e->proto), e);
		}
	}
	assert_true(trojan_entries >= 100);
}

static void test_data_required_ports(void **state)
{
	static const struct {
		uint16_t port;
		uint8_t proto;
		const char *service;
	} want[] = {
	    {21, IPPROTO_TCP, "ftp"},	       {22, IPPROTO_TCP, "ssh"},
	    {23, IPPROTO_TCP, "telnet"},       {25, IPPROTO_TCP, "smtp"},
	    {53, IPPROTO_UDP, "domain"},       {80, IPPROTO_TCP, "http"},
	    {110, IPPROTO_TCP, "pop3"},	       {111, IPPROTO_TCP, "sunrpc"},
	    {135, IPPROTO_TCP, "msrpc"},       {137, IPPROTO_UDP, "netbios-ns"},
	    {138, IPPROTO_UDP, "netbios-dgm"}, {139, IPPROTO_TCP, "netbios-ssn"},
	    {143, IPPROTO_TCP, "imap"},	       {389, IPPROTO_TCP, "ldap"},
	    {443, IPPROTO_TCP, "https"},       {445, IPPROTO_TCP, "microsoft-ds"},
	    {993, IPPROTO_TCP, "imaps"},       {995, IPPROTO_TCP, "pop3s"},
	    {1433, IPPROTO_TCP, "ms-sql-s"},   {1723, IPPROTO_TCP, "pptp"},
	    {3306, IPPROTO_TCP, "mysql"},      {3389, IPPROTO_TCP, "ms-wbt-server"},
	    {5432, IPPROTO_TCP, "postgresql"}, {5900, IPPROTO_TCP, "vnc"},
	    {6379, IPPROTO_TCP, "redis"},      {8080, IPPROTO_TCP, "http-proxy"},
	    {27017, IPPROTO_TCP, "mongodb"},
	};
	const struct kb *kb = *state;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *name = kb_service_name(kb, want[i].port, want[i].proto);

		if (!name || strcmp(name, want[i].service))
			fail_msg("%u: want %s, have %s", want[i].port, want[i].service,
				 name ? name : "nothing");
	}
}

static void test_data_required_trojans(void **state)
{
	static const struct {
		const char *trojan;
		uint16_t port;
		uint8_t proto;
	} want[] = {
	    {"Back Orifice", 31337, IPPROTO_UDP},
	    {"Back Orifice 2000", 54320, IPPROTO_TCP},
	    {"Back Orifice 2000", 54321, IPPROTO_TCP},
	    {"NetBus", 12345, IPPROTO_TCP},
	    {"NetBus", 12346, IPPROTO_TCP},
	    {"NetBus 2.0 Pro", 20034, IPPROTO_TCP},
	    {"SubSeven", 1243, IPPROTO_TCP},
	    {"SubSeven", 6711, IPPROTO_TCP},
	    {"SubSeven", 6712, IPPROTO_TCP},
	    {"SubSeven", 6713, IPPROTO_TCP},
	    {"SubSeven", 27374, IPPROTO_TCP},
	    {"Deep Throat", 6670, IPPROTO_TCP},
	    {"Deep Throat", 2140, IPPROTO_UDP},
	    {"GirlFriend", 21544, IPPROTO_TCP},
	    {"Hack'a'Tack", 31787, IPPROTO_TCP},
	    {"Executor", 80, IPPROTO_TCP},
	    {"Doly Trojan", 1011, IPPROTO_TCP},
	    {"Masters Paradise", 40421, IPPROTO_TCP},
	    {"NetSphere", 30100, IPPROTO_TCP},
	    {"Phineas Phucker", 2801, IPPROTO_TCP},
	    {"Schwindler", 50766, IPPROTO_TCP},
	    {"Millennium", 20001, IPPROTO_TCP},
	    {"Ini-Killer", 9989, IPPROTO_TCP},
	    {"WinCrash", 4092, IPPROTO_TCP},
	    {"Blade Runner", 5400, IPPROTO_TCP},
	    {"Kuang2", 17300, IPPROTO_TCP},
	    {"Prosiak", 22222, IPPROTO_TCP},
	    {"Evil FTP", 23456, IPPROTO_TCP},
	    {"Portal of Doom", 3700, IPPROTO_TCP},
	    {"Stealth Spy", 555, IPPROTO_TCP},
	    {"Priority", 16969, IPPROTO_TCP},
	};
	const struct kb *kb = *state;
	size_t i, j;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct kb_entry *e = kb_lookup(kb, want[i].port, want[i].proto);

		for (j = 0; e && j < e->ntrojans; j++)
			if (!strcmp(e->trojans[j], want[i].trojan))
				break;
		if (!e || j == e->ntrojans)
			fail_msg("%s not listed on port %u", want[i].trojan, want[i].port);
	}
}

int main(void)
{
	const struct CMUnitTest parser[] = {
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_empty),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_parse_nul_and_long_lines),
	    cmocka_unit_test(test_parse_caps),
	    cmocka_unit_test(test_ranges),
	    cmocka_unit_test(test_preset_top_needs_ranks),
	};
	const struct CMUnitTest builtin[] = {
	    cmocka_unit_test(test_lookups),
	    cmocka_unit_test(test_preset_common_service),
	    cmocka_unit_test(test_preset_top),
	    cmocka_unit_test(test_preset_trojans),
	    cmocka_unit_test(test_preset_unknown_and_via_portset),
	    cmocka_unit_test(test_data_sanity),
	    cmocka_unit_test(test_data_required_ports),
	    cmocka_unit_test(test_data_required_trojans),
	};
	int failed = cmocka_run_group_tests_name("kb parser", parser, NULL, NULL);

	failed +=
	    cmocka_run_group_tests_name("kb builtin data", builtin, load_builtin, free_builtin);
	return failed;
}
