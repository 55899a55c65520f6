/* SPDX-License-Identifier: MIT */
/*
 * Service identification: the database parsers, matching against recorded replies, the
 * HTTP/TLS reply parsers and the classification flags. The engine itself is exercised in
 * test_probe_engine.c against live loopback servers.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "probe/probe.h"

static struct probe_db *builtin(void)
{
	struct probe_db *db;
	struct ps_diag diag = {{0}};

	assert_int_equal(probe_db_new(&db), PS_OK);
	if (probe_db_add_builtin(db, &diag) != PS_OK)
		fail_msg("builtin probes.db: %s", diag.msg);
	return db;
}

static enum probe_match_kind match_only(const struct probe_db *db, const char *probe,
					const void *reply, size_t len, const char *only,
					struct probe_match_result *res)
{
	struct probe_matcher *mt;
	enum probe_match_kind kind;

	assert_int_equal(probe_matcher_new(&mt), PS_OK);
	kind = probe_db_match(db, mt, probe, reply, len, only, res);
	probe_matcher_free(mt);
	return kind;
}

static enum probe_match_kind match(const struct probe_db *db, const char *probe, const void *reply,
				   size_t len, struct probe_match_result *res)
{
	return match_only(db, probe, reply, len, NULL, res);
}

#define MATCH_STR(db, probe, text, res) match(db, probe, text, sizeof(text) - 1, res)

static void test_builtin_loads(void **state)
{
	struct probe_db *db = builtin();

	(void)state;
	assert_true(probe_db_probe_count(db) >= 8);
	assert_true(probe_db_match_count(db) >= 60);
	probe_db_free(db);
}

/* Recorded greetings of real servers (typed from their documented formats). */
static void test_banners(void **state)
{
	struct probe_db *db = builtin();
	struct probe_match_result r;

	(void)state;
	assert_int_equal(MATCH_STR(db, NULL, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", &r),
			 PROBE_MATCH_HARD);
	assert_string_equal(r.service, "ssh");
	assert_string_equal(r.product, "OpenSSH");
	assert_string_equal(r.version, "9.2p1");
	assert_string_equal(r.info, "protocol 2.0; Debian-2+deb12u3");

	assert_int_equal(MATCH_STR(db, NULL, "SSH-2.0-dropbear_2022.83\r\n", &r), PROBE_MATCH_HARD);
	assert_string_equal(r.product, "Dropbear sshd");
	assert_string_equal(r.version, "2022.83");

	assert_int_equal(MATCH_STR(db, NULL, "220 (vsFTPd 3.0.3)\r\n", &r), PROBE_MATCH_HARD);
	assert_string_equal(r.service, "ftp");
	assert_string_equal(r.product, "vsftpd");
	assert_string_equal(r.version, "3.0.3");

	assert_int_equal(
	    MATCH_STR(db, NULL, "220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n", &r),
	    PROBE_MATCH_HARD);
	assert_string_equal(r.service, "smtp");
	assert_string_equal(r.product, "Postfix smtpd");
	assert_string_equal(r.info, "Debian/GNU");
	assert_string_equal(r.host, "mx.example.org");

	assert_int_equal(MATCH_STR(db, NULL, "+OK Dovecot (Debian) ready.\r\n", &r),
			 PROBE_MATCH_HARD);
	assert_string_equal(r.service, "pop3");
	assert_string_equal(r.product, "Dovecot pop3d");

	assert_int_equal(MATCH_STR(db, NULL,
				   "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS "
				   "ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot "
				   "(Debian) ready.\r\n",
				   &r),
			 PROBE_MATCH_HARD);
	assert_string_equal(r.service, "imap");
	assert_string_equal(r.product, "Dovecot imapd");

	assert_int_equal(MATCH_STR(db, NULL, "RFB 003.008\n", &r), PROBE_MATCH_HARD);
	assert_string_equal(r.service, "vnc");
	assert_string_equal(r.info, "protocol 3.8");
	probe_db_free(db);
}

static void test_mysql_greeting(void **state)
{
	/* Protocol 10 handshake: length 0x4a, seq 0, version, NUL, thread id... */
	static const unsigned char mysql[] = "\x4a\x00\x00\x00\x0a"
					     "8.0.36-0ubuntu0.22.04.1\x00"
					     "\x0b\x00\x00\x00\x3e\x52\x1c\x6b\x5a\x2b\x05\x12\x00";
	static const unsigned char maria[] = "\x5b\x00\x00\x00\x0a"
					     "5.5.5-10.11.6-MariaDB-0+deb12u1\x00"
					     "\x1f\x00\x00\x00\x22\x2e\x6a\x35";
	struct probe_db *db = builtin();
	struct probe_match_result r;

	(void)state;
	assert_int_equal(match(db, NULL, mysql, sizeof(mysql) - 1, &r), PROBE_MATCH_HARD);
	assert_string_equal(r.service, "mysql");
	assert_string_equal(r.product, "MySQL");
	assert_string_equal(r.version, "8.0.36");
	assert_int_equal(match(db, NULL, maria, sizeof(maria) - 1, &r), PROBE_MATCH_HARD);
	assert_string_equal(r.product, "MariaDB");
	assert_string_equal(r.version, "10.11.6");
	probe_db_free(db);
}

static void test_probe_replies(void **state)
{
	struct probe_db *db = builtin();
	struct probe_match_result r;

	(void)state;
	assert_int_equal(MATCH_STR(db, "http-get",
				   "HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n"
				   "Server: nginx/1.22.1\r\nContent-Type: text/html\r\n\r\n<html>",
				   &r),
			 PROBE_MATCH_HARD);
	assert_string_equal(r.service, "http");
	assert_string_equal(r.product, "nginx");
	assert_string_equal(r.version, "1.22.1");

	/* A Server header in the body must not count. */
	assert_int_equal(MATCH_STR(db, "http-get",
				   "HTTP/1.0 404 Not Found\r\n\r\n<p>\r\nServer: nginx/9</p>", &r),
			 PROBE_MATCH_HARD);
	assert_string_equal(r.product, "");

	assert_int_equal(
	    MATCH_STR(db, "http-get", "-ERR wrong number of arguments for 'get' command\r\n", &r),
	    PROBE_MATCH_HARD);
	assert_string_equal(r.service, "redis");

	assert_int_equal(
	    MATCH_STR(db, "redis-info",
		      "$420\r\n# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:0\r\n", &r),
	    PROBE_MATCH_HARD);
	assert_string_equal(r.product, "Redis key-value store");
	assert_string_equal(r.version, "7.0.15");

	/* generic-lines falls back on http-get's lines. */
	assert_int_equal(MATCH_STR(db, "generic-lines", "HTTP/1.1 400 Bad Request\r\n\r\n", &r),
			 PROBE_MATCH_HARD);
	assert_string_equal(r.service, "http");

	assert_int_equal(
	    MATCH_STR(db, "rdp-x224",
		      "\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x1f\x08\x00\x08"
		      "\x00\x00\x00",
		      &r),
	    PROBE_MATCH_HARD);
	assert_string_equal(r.service, "rdp");
	probe_db_free(db);
}

static void test_backdoor_and_garbage(void **state)
{
	static const unsigned char garbage[] = {0x8f, 0x00, 0x13, 0xfe, 0x41, 0x7f, 0x00, 0x99};
	struct probe_db *db = builtin();
	struct probe_match_result r;

	(void)state;
	assert_int_equal(MATCH_STR(db, NULL, "NetBus 1.70\r\n", &r), PROBE_MATCH_HARD);
	assert_string_equal(r.service, "netbus");
	assert_string_equal(r.version, "1.70");
	assert_true(r.backdoor);
	assert_int_equal(MATCH_STR(db, NULL, "SSH-2.0-OpenSSH_9.2\r\n", &r), PROBE_MATCH_HARD);
	assert_false(r.backdoor);
	assert_int_equal(match(db, NULL, garbage, sizeof(garbage), &r), PROBE_MATCH_NONE);
	assert_int_equal(match(db, "http-get", garbage, sizeof(garbage), &r), PROBE_MATCH_NONE);
	assert_int_equal(match(db, NULL, "", 0, &r), PROBE_MATCH_NONE);
	probe_db_free(db);
}

static void test_soft_match(void **state)
{
	struct probe_db *db = builtin();
	struct probe_match_result r;

	(void)state;
	assert_int_equal(MATCH_STR(db, NULL, "* OK hello\r\n", &r), PROBE_MATCH_SOFT);
	assert_string_equal(r.service, "imap");
	/* Restricted to another service, the same reply matches nothing. */
	assert_int_equal(match_only(db, NULL, "* OK hello\r\n", 12, "ssh", &r), PROBE_MATCH_NONE);
	probe_db_free(db);
}

/*
 * Two identifications sharing one loaded database, each with its own matcher: every answer
 * must be its own. The versions differ per iteration and between the threads, so captures
 * read from the other thread's match (one shared match data, as before) would show.
 */
struct match_worker {
	const struct probe_db *db;
	pthread_barrier_t *start;
	const char *format; /* the banner, with two numbers */
	const char *product;
	const char *version_format;
	unsigned iterations;
	unsigned right;
	char wrong[256]; /* the first wrong answer */
};

static void *match_worker_run(void *arg)
{
	struct match_worker *w = arg;
	struct probe_matcher *mt;
	unsigned i;

	if (probe_matcher_new(&mt))
		return NULL;
	pthread_barrier_wait(w->start);
	for (i = 0; i < w->iterations; i++) {
		struct probe_match_result r;
		char banner[96], version[32];
		int len = snprintf(banner, sizeof(banner), w->format, i % 97, i);
		enum probe_match_kind kind;

		snprintf(version, sizeof(version), w->version_format, i % 97, i);
		kind = probe_db_match(w->db, mt, NULL, banner, (size_t)len, NULL, &r);
		if (kind == PROBE_MATCH_HARD && !strcmp(r.product, w->product) &&
		    !strcmp(r.version, version))
			w->right++;
		else if (!w->wrong[0])
			snprintf(w->wrong, sizeof(w->wrong), "%s -> %d %s %s", banner, (int)kind,
				 r.product, r.version);
	}
	probe_matcher_free(mt);
	return NULL;
}

static void test_concurrent_matching(void **state)
{
	struct probe_db *db = builtin();
	pthread_barrier_t start;
	struct match_worker w[2] = {
	    {.format = "SSH-2.0-OpenSSH_%u.%up1 Debian-2\r\n",
	     .product = "OpenSSH",
	     .version_format = "%u.%up1"},
	    {.format = "SSH-2.0-dropbear_%u.%u\r\n",
	     .product = "Dropbear sshd",
	     .version_format = "%u.%u"},
	};
	pthread_t t[2];
	int k;

	(void)state;
	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	for (k = 0; k < 2; k++) {
		w[k].db = db;
		w[k].start = &start;
		w[k].iterations = 3000;
		assert_int_equal(pthread_create(&t[k], NULL, match_worker_run, &w[k]), 0);
	}
	for (k = 0; k < 2; k++)
		assert_int_equal(pthread_join(t[k], NULL), 0);
	pthread_barrier_destroy(&start);
	for (k = 0; k < 2; k++) {
		if (w[k].wrong[0])
			fail_msg("thread %d: %s", k, w[k].wrong);
		assert_int_equal(w[k].right, w[k].iterations);
	}
	probe_db_free(db);
}

/* A file in nmap-service-probes syntax, written for this test. */
static const char nmap_text[] =
    "# test probes\n"
    "Exclude T:9100-9107\n"
    "Probe TCP NULL q||\n"
    "totalwaitms 6000\n"
    "tcpwrappedms 3000\n"
    "match acme m|^ACME (\\d+)_(\\d+) on ([\\w.]+)\\r\\n| p/Acme daemon/ v/$1.$2/ "
    "i/host $3/ o/Linux/ cpe:/a:acme:acmed:$1.$2/a\n"
    "match acme-sub m=^SUB ([\\d,]+)= p/Sub/ v/$SUBST(1,\",\",\".\")/\n"
    "match acme-int m|^INT(..)|s p/Int/ v/$I(1,\">\")/\n"
    "match evil m|^HAXX| p/evil/ i/**BACKDOOR**/\n"
    "softmatch acme m|^ACME|\n"
    "\n"
    "Probe TCP Hello q|HELLO\\r\\n\\x00\\xff|\n"
    "rarity 3\n"
    "ports 7000-7010,7100\n"
    "sslports 7443\n"
    "fallback NULL\n"
    "match acme m|^OLLEH v(\\d+)|i p/Acme hello/ v/$P(1)/\n";

static void test_nmap_format(void **state)
{
	struct probe_db *db;
	struct probe_match_result r;
	struct ps_diag diag = {{0}};
	static const unsigned char int_reply[] = {'I', 'N', 'T', 0x01, 0x02};

	(void)state;
	assert_int_equal(probe_db_new(&db), PS_OK);
	if (probe_db_add_text(db, nmap_text, sizeof(nmap_text) - 1, PROBE_DB_NMAP, "t", &diag))
		fail_msg("%s", diag.msg);
	assert_int_equal(probe_db_probe_count(db), 2);
	assert_int_equal(probe_db_match_count(db), 6);
	assert_int_equal(MATCH_STR(db, NULL, "ACME 2_14 on box.example\r\n", &r), PROBE_MATCH_HARD);
	assert_string_equal(r.service, "acme");
	assert_string_equal(r.product, "Acme daemon");
	assert_string_equal(r.version, "2.14");
	assert_string_equal(r.info, "host box.example");
	assert_int_equal(MATCH_STR(db, NULL, "ACME ???", &r), PROBE_MATCH_SOFT);
	assert_int_equal(MATCH_STR(db, NULL, "SUB 1,2,3", &r), PROBE_MATCH_HARD);
	assert_string_equal(r.version, "1.2.3");
	assert_int_equal(match(db, NULL, int_reply, sizeof(int_reply), &r), PROBE_MATCH_HARD);
	assert_string_equal(r.version, "258");
	assert_int_equal(MATCH_STR(db, NULL, "HAXX", &r), PROBE_MATCH_HARD);
	assert_true(r.backdoor);
	assert_int_equal(MATCH_STR(db, "Hello", "olleh v7", &r), PROBE_MATCH_HARD);
	assert_string_equal(r.product, "Acme hello");
	assert_string_equal(r.version, "7");
	/* Hello's reply also runs through NULL's lines. */
	assert_int_equal(MATCH_STR(db, "Hello", "SUB 4,5", &r), PROBE_MATCH_HARD);
	assert_string_equal(r.version, "4.5");
	probe_db_free(db);
}

/* The user's file extends the builtin database: a new NULL match joins ours. */
static void test_merge(void **state)
{
	static const char extra[] = "Probe TCP NULL q||\nmatch acme m|^ACME| p/Acme/\n";
	struct probe_db *db = builtin();
	size_t probes = probe_db_probe_count(db), matches = probe_db_match_count(db);
	struct probe_match_result r;

	(void)state;
	assert_int_equal(probe_db_add_text(db, extra, sizeof(extra) - 1, PROBE_DB_NMAP, "x", NULL),
			 PS_OK);
	assert_int_equal(probe_db_probe_count(db), probes);
	assert_int_equal(probe_db_match_count(db), matches + 1);
	assert_int_equal(MATCH_STR(db, NULL, "ACME", &r), PROBE_MATCH_HARD);
	assert_int_equal(MATCH_STR(db, NULL, "SSH-2.0-OpenSSH_9.2\r\n", &r), PROBE_MATCH_HARD);
	probe_db_free(db);
}

static void expect_error(const char *text, enum probe_db_format fmt, const char *msg_part)
{
	struct probe_db *db;
	struct ps_diag diag = {{0}};

	assert_int_equal(probe_db_new(&db), PS_OK);
	assert_int_equal(probe_db_add_text(db, text, strlen(text), fmt, "f", &diag),
			 PS_ERR_INVALID);
	if (!strstr(diag.msg, msg_part))
		fail_msg("for %s: expected \"%s\" in \"%s\"", text, msg_part, diag.msg);
	probe_db_free(db);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_error("match x |a|\n", PROBE_DB_NATIVE, "f:1: match before the first probe");
	expect_error("probe NULL\nmatch x |a(|\n", PROBE_DB_NATIVE, "f:2: regex:");
	expect_error("probe NULL\nmatch x |abc\n", PROBE_DB_NATIVE, "unterminated regex");
	expect_error("probe NULL\nmatch x |a|q\n", PROBE_DB_NATIVE, "unknown regex flag");
	expect_error("probe NULL\nmatch x |a| colour=|x|\n", PROBE_DB_NATIVE, "unknown field");
	expect_error("probe NULL\nports 1-70000\n", PROBE_DB_NATIVE, "port out of range");
	expect_error("probe NULL\nports 9-3\n", PROBE_DB_NATIVE, "port out of range");
	expect_error("probe NULL\nrarity 12\n", PROBE_DB_NATIVE, "number out of range");
	expect_error("probe p \"\\x4\"\n", PROBE_DB_NATIVE, "bad \\x escape");
	expect_error("probe p sctp \"x\"\n", PROBE_DB_NATIVE, "expected tcp or udp");
	expect_error("frobnicate\n", PROBE_DB_NATIVE, "unknown keyword");
	expect_error("Probe TCP X q|abc\n", PROBE_DB_NMAP, "unterminated payload");
	expect_error("Probe ICMP X q||\n", PROBE_DB_NMAP, "expected TCP or UDP");
	expect_error("Probe TCP X q||\nmatch a m|x| z/1/\n", PROBE_DB_NMAP,
		     "unknown version field");
	expect_error("Probe TCP X q||\nmatch a |x|\n", PROBE_DB_NMAP, "expected m|regex|");
	expect_error("Probe TCP X q||\nbogus 1\n", PROBE_DB_NMAP, "unknown directive");
	{
		struct probe_db *db;
		struct ps_diag diag = {{0}};

		assert_int_equal(probe_db_new(&db), PS_OK);
		assert_int_equal(
		    probe_db_add_text(db, "probe A\n\0\n", 10, PROBE_DB_NATIVE, "f", &diag),
		    PS_ERR_INVALID);
		assert_non_null(strstr(diag.msg, "f:2: NUL byte"));
		probe_db_free(db);
	}
}

static void test_system_nmap_file(void **state)
{
	/* The user's own copy, when this machine has one: it must load whole. */
	struct probe_db *db;
	struct ps_diag diag = {{0}};
	enum ps_err err;

	(void)state;
	assert_int_equal(probe_db_new(&db), PS_OK);
	err = probe_db_add_file(db, "/usr/share/nmap/nmap-service-probes", PROBE_DB_NMAP, &diag);
	if (err == PS_ERR_IO) {
		probe_db_free(db);
		skip();
	}
	if (err)
		fail_msg("%s", diag.msg);
	assert_true(probe_db_probe_count(db) > 100);
	assert_true(probe_db_match_count(db) > 10000);
	probe_db_free(db);
}

static void test_http_parse(void **state)
{
	static const char reply[] =
	    "HTTP/1.1 301 Moved Permanently\r\nserver:   Apache/2.4.62 "
	    "(Debian)  \r\nLocation: /x\r\n\r\n<HTML><head><TITLE>\n  Moved\t"
	    "here </title></head>";
	struct service_http h;

	(void)state;
	assert_int_equal(probe_http_parse(reply, sizeof(reply) - 1, &h), PS_OK);
	assert_int_equal(h.status, 301);
	assert_string_equal(h.server, "Apache/2.4.62 (Debian)");
	assert_string_equal(h.title, "Moved here");
	assert_int_equal(probe_http_parse("HTTP/1.0 20", 11, &h), PS_ERR_INVALID);
	assert_int_equal(probe_http_parse("SSH-2.0-OpenSSH\r\n", 17, &h), PS_ERR_INVALID);
	assert_int_equal(probe_http_parse("HTTP/1.0 200 OK\r\n", 17, &h), PS_OK);
	assert_string_equal(h.server, "");
	assert_string_equal(h.title, "");
}

static void test_tls_sniff(void **state)
{
	static const unsigned char alert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46};
	static const unsigned char hello[] = {0x16, 0x03, 0x03, 0x00, 0x7a, 0x02};
	uint16_t v = 0;

	(void)state;
	assert_true(probe_tls_sniff(alert, sizeof(alert), &v));
	assert_int_equal(v, 0x0301);
	assert_true(probe_tls_sniff(hello, sizeof(hello), &v));
	assert_int_equal(v, 0x0303);
	assert_false(probe_tls_sniff("HTTP/1.0 200", 12, &v));
	assert_false(probe_tls_sniff(alert, 4, &v));
}

/* A certificate made here: CN, two SANs, self-signed, valid from..to as given. */
static size_t make_cert(unsigned char **der, long from, long to, bool self_signed)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	EVP_PKEY *ca_key = self_signed ? key : EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new(), *issuer = X509_NAME_new();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	int len;

	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"lab.example",
				   -1, -1, 0);
	X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_ASC,
				   (const unsigned char *)(self_signed ? "lab.example" : "Test CA"),
				   -1, -1, 0);
	X509_set_subject_name(cert, name);
	X509_set_issuer_name(cert, issuer);
	X509_time_adj_ex(X509_getm_notBefore(cert), 0, from, NULL);
	X509_time_adj_ex(X509_getm_notAfter(cert), 0, to, NULL);
	X509_set_pubkey(cert, key);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:lab.example,IP:192.0.2.2");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(cert, ca_key, EVP_sha256());
	*der = NULL;
	len = i2d_X509(cert, der);
	X509_free(cert);
	X509_NAME_free(name);
	X509_NAME_free(issuer);
	if (ca_key != key)
		EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	assert_true(len > 0);
	return (size_t)len;
}

static void test_cert_summary(void **state)
{
	unsigned char *der;
	size_t len;
	struct service_tls tls;
	uint32_t flags = 0;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	len = make_cert(&der, -3600, 86400, true);
	memset(&tls, 0, sizeof(tls));
	assert_int_equal(probe_tls_cert_summary(der, len, now, &tls, &flags), PS_OK);
	assert_string_equal(tls.subject_cn, "lab.example");
	assert_string_equal(tls.issuer, "lab.example");
	assert_string_equal(tls.sans, "lab.example,192.0.2.2");
	assert_true(tls.not_after - now > 86000 && tls.not_after - now <= 86400);
	assert_int_equal(flags, SERVICE_FLAG_SELF_SIGNED);
	OPENSSL_free(der);

	len = make_cert(&der, -86400L * 10, -86400, false);
	flags = 0;
	memset(&tls, 0, sizeof(tls));
	assert_int_equal(probe_tls_cert_summary(der, len, now, &tls, &flags), PS_OK);
	assert_string_equal(tls.issuer, "Test CA");
	assert_int_equal(flags, SERVICE_FLAG_EXPIRED);
	assert_int_equal(probe_tls_cert_summary(der, len / 2, now, &tls, &flags), PS_ERR_INVALID);
	OPENSSL_free(der);
}

/* A tiny knowledge base for classification. */

static const char *lore_name(const void *ctx, uint16_t port, uint8_t proto)
{
	(void)ctx;
	(void)proto;
	switch (port) {
	case 22:
		return "ssh";
	case 80:
		return "http";
	case 8080:
		return "http-alt";
	case 443:
		return "https";
	default:
		return NULL;
	}
}

static const struct probe_lore lore = {lore_name, NULL};

static struct service_info matched(const char *name)
{
	struct service_info s;

	memset(&s, 0, sizeof(s));
	strcpy(s.name, name);
	s.confidence = SERVICE_MATCHED;
	return s;
}

static void test_classify(void **state)
{
	struct probe_db *db = builtin();
	struct service_info s;

	(void)state;
	s = matched("ssh");
	probe_classify(db, &lore, 22, IPPROTO_TCP, false, &s);
	assert_int_equal(s.flags, 0);
	s = matched("ssh");
	probe_classify(db, &lore, 80, IPPROTO_TCP, false, &s);
	assert_int_equal(s.flags, SERVICE_FLAG_UNEXPECTED);
	s = matched("http"); /* the kb's http-alt is our http */
	probe_classify(db, &lore, 8080, IPPROTO_TCP, false, &s);
	assert_int_equal(s.flags, 0);
	s = matched("https");
	probe_classify(db, &lore, 443, IPPROTO_TCP, false, &s);
	assert_int_equal(s.flags, 0);
	s = matched("ssh"); /* a port nobody registered */
	probe_classify(db, &lore, 49152, IPPROTO_TCP, false, &s);
	assert_int_equal(s.flags, SERVICE_FLAG_UNEXPECTED);
	s = matched("netbus");
	probe_classify(db, &lore, 12345, IPPROTO_TCP, true, &s);
	assert_true(s.flags & SERVICE_FLAG_BACKDOOR);
	/* An http server on 80 is no backdoor just because a trojan once used 80... */
	s = matched("http");
	probe_classify(db, &lore, 80, IPPROTO_TCP, false, &s);
	assert_int_equal(s.flags, 0);
	/* Unidentified: a guess from the port, never a backdoor on the port number alone. */
	memset(&s, 0, sizeof(s));
	probe_classify(db, &lore, 22, IPPROTO_TCP, false, &s);
	assert_string_equal(s.name, "ssh");
	assert_int_equal(s.confidence, SERVICE_GUESSED);
	assert_int_equal(s.flags, 0);
	memset(&s, 0, sizeof(s));
	probe_classify(db, &lore, 12345, IPPROTO_TCP, false, &s);
	assert_string_equal(s.name, "unknown");
	assert_int_equal(s.flags, 0);
	memset(&s, 0, sizeof(s));
	probe_classify(db, NULL, 22, IPPROTO_TCP, false, &s);
	assert_string_equal(s.name, "unknown");
	probe_db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin_loads),	 cmocka_unit_test(test_banners),
	    cmocka_unit_test(test_mysql_greeting),	 cmocka_unit_test(test_probe_replies),
	    cmocka_unit_test(test_backdoor_and_garbage), cmocka_unit_test(test_soft_match),
	    cmocka_unit_test(test_nmap_format),		 cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_parse_errors),	 cmocka_unit_test(test_system_nmap_file),
	    cmocka_unit_test(test_http_parse),		 cmocka_unit_test(test_tls_sniff),
	    cmocka_unit_test(test_cert_summary),	 cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_concurrent_matching),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
