/* SPDX-License-Identifier: MIT */
/* sock_diag dump parser: crafted netlink messages, good and broken. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit/sockdiag.h"

struct msgbuf {
	uint8_t data[4096] __attribute__((aligned(4)));
	size_t len;
};

/* Appends one SOCK_DIAG_BY_FAMILY message; v6only < 0 leaves the attribute out. */
static void add_sock(struct msgbuf *b, uint8_t family, const char *addr16, uint16_t port,
		     uint32_t uid, uint32_t inode, int v6only, uint16_t flags)
{
	struct nlmsghdr h = {.nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = flags};
	struct inet_diag_msg m;
	struct nlattr a = {.nla_len = NLA_HDRLEN + 1, .nla_type = INET_DIAG_SKV6ONLY};
	size_t start = b->len, len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(m));

	memset(&m, 0, sizeof(m));
	m.idiag_family = family;
	m.idiag_state = TCP_LISTEN;
	memcpy(m.id.idiag_src, addr16, family == AF_INET ? 4 : 16);
	m.id.idiag_sport = htons(port);
	m.idiag_uid = uid;
	m.idiag_inode = inode;
	if (v6only >= 0)
		len += NLA_ALIGN(a.nla_len);
	h.nlmsg_len = (uint32_t)len;
	memset(b->data + start, 0, len);
	memcpy(b->data + start, &h, sizeof(h));
	memcpy(b->data + start + NLMSG_HDRLEN, &m, sizeof(m));
	if (v6only >= 0) {
		size_t at = start + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(m));

		memcpy(b->data + at, &a, sizeof(a));
		b->data[at + NLA_HDRLEN] = (uint8_t)v6only;
	}
	b->len += NLMSG_ALIGN(len);
}

static void add_ctl(struct msgbuf *b, uint16_t type, const void *payload, size_t plen)
{
	struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_len = (uint32_t)(NLMSG_HDRLEN + plen)};

	memcpy(b->data + b->len, &h, sizeof(h));
	if (plen)
		memcpy(b->data + b->len + NLMSG_HDRLEN, payload, plen);
	b->len += NLMSG_ALIGN(h.nlmsg_len);
}

static const char any4[16] = {0};
static const char lo4[16] = {127, 0, 0, 1};
static const char any6[16] = {0};

static void test_two_sockets_and_done(void **state)
{
	struct msgbuf b = {.len = 0};
	struct audit_diag_dump d;
	bool done;

	(void)state;
	add_sock(&b, AF_INET, lo4, 631, 0, 1111, -1, NLM_F_MULTI);
	add_sock(&b, AF_INET6, any6, 80, 33, 2222, 1, NLM_F_MULTI);
	add_ctl(&b, NLMSG_DONE, "\0\0\0\0", 4);
	audit_diag_dump_init(&d, 100);
	assert_int_equal(audit_diag_parse(b.data, b.len, IPPROTO_TCP, &d, &done, NULL), PS_OK);
	assert_true(done);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.v[0].addr.family, AF_INET);
	assert_memory_equal(d.v[0].addr.bytes, lo4, 4);
	assert_int_equal(d.v[0].port, 631);
	assert_int_equal(d.v[0].inode, 1111);
	assert_int_equal(d.v[0].v6only, -1);
	assert_int_equal(d.v[0].state, TCP_LISTEN);
	assert_int_equal(d.v[0].proto, IPPROTO_TCP);
	assert_int_equal(d.v[1].addr.family, AF_INET6);
	assert_int_equal(d.v[1].port, 80);
	assert_int_equal(d.v[1].uid, 33);
	assert_int_equal(d.v[1].v6only, 1);
	assert_int_equal(d.nmalformed, 0);
	assert_false(d.interrupted);
	audit_diag_dump_release(&d);
}

static void test_v6only_zero(void **state)
{
	struct msgbuf b = {.len = 0};
	struct audit_diag_dump d;
	bool done;

	(void)state;
	add_sock(&b, AF_INET6, any6, 443, 0, 5, 0, 0);
	audit_diag_dump_init(&d, 100);
	assert_int_equal(audit_diag_parse(b.data, b.len, IPPROTO_UDP, &d, &done, NULL), PS_OK);
	assert_false(done); /* no DONE yet: the caller keeps reading */
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].v6only, 0);
	assert_int_equal(d.v[0].proto, IPPROTO_UDP);
	audit_diag_dump_release(&d);
}

static void test_truncated_message(void **state)
{
	struct msgbuf b = {.len = 0};
	struct audit_diag_dump d;
	struct ps_diag diag = {{0}};
	bool done;

	(void)state;
	add_sock(&b, AF_INET, any4, 22, 0, 1, -1, 0);
	add_sock(&b, AF_INET, any4, 23, 0, 2, -1, 0);
	audit_diag_dump_init(&d, 100);
	/* Cut the second message in half: the first socket survives, the error says why. */
	assert_int_equal(audit_diag_parse(b.data, b.len - 20, IPPROTO_TCP, &d, &done, &diag),
			 PS_ERR_TRUNCATED);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].port, 22);
	assert_non_null(strstr(diag.msg, "truncated"));
	audit_diag_dump_release(&d);
}

static void test_length_too_short(void **state)
{
	struct msgbuf b = {.len = 0};
	struct nlmsghdr h = {.nlmsg_len = 8, .nlmsg_type = SOCK_DIAG_BY_FAMILY};
	struct audit_diag_dump d;
	bool done;

	(void)state;
	memcpy(b.data, &h, sizeof(h));
	audit_diag_dump_init(&d, 100);
	assert_int_equal(audit_diag_parse(b.data, sizeof(h), IPPROTO_TCP, &d, &done, NULL),
			 PS_ERR_INVALID);
	assert_int_equal(audit_diag_parse(b.data, 7, IPPROTO_TCP, &d, &done, NULL),
			 PS_ERR_TRUNCATED);
	assert_int_equal(d.n, 0);
	audit_diag_dump_release(&d);
}

static void test_short_payload_and_bad_family(void **state)
{
	struct msgbuf b = {.len = 0};
	struct audit_diag_dump d;
	uint8_t junk[12] = {AF_INET};
	struct inet_diag_msg m;
	bool done;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.idiag_family = AF_UNIX;
	add_ctl(&b, SOCK_DIAG_BY_FAMILY, junk, sizeof(junk));
	add_ctl(&b, SOCK_DIAG_BY_FAMILY, &m, sizeof(m));
	add_sock(&b, AF_INET, any4, 9, 0, 3, -1, 0);
	audit_diag_dump_init(&d, 100);
	assert_int_equal(audit_diag_parse(b.data, b.len, IPPROTO_TCP, &d, &done, NULL), PS_OK);
	assert_int_equal(d.nmalformed, 2);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].port, 9);
	audit_diag_dump_release(&d);
}

static void test_error_message(void **state)
{
	struct msgbuf b = {.len = 0};
	struct audit_diag_dump d;
	int32_t code = -ENOENT;
	bool done;

	(void)state;
	add_ctl(&b, NLMSG_ERROR, &code, sizeof(code));
	audit_diag_dump_init(&d, 100);
	assert_int_equal(audit_diag_parse(b.data, b.len, IPPROTO_UDP, &d, &done, NULL), PS_OK);
	assert_true(done);
	assert_int_equal(d.error, ENOENT);

	/* An error message without its code, and one with a nonsense code. */
	b.len = 0;
	add_ctl(&b, NLMSG_ERROR, NULL, 0);
	assert_int_equal(audit_diag_parse(b.data, b.len, IPPROTO_UDP, &d, &done, NULL), PS_OK);
	assert_int_equal(d.error, EPROTO);
	b.len = 0;
	code = INT32_MIN;
	add_ctl(&b, NLMSG_ERROR, &code, sizeof(code));
	assert_int_equal(audit_diag_parse(b.data, b.len, IPPROTO_UDP, &d, &done, NULL), PS_OK);
	assert_int_equal(d.error, EPROTO);
	audit_diag_dump_release(&d);
}

static void test_broken_attribute(void **state)
{
	struct msgbuf b = {.len = 0};
	struct audit_diag_dump d;
	struct nlattr a;
	size_t at;
	bool done;

	(void)state;
	add_sock(&b, AF_INET6, any6, 53, 0, 4, 1, 0);
	/* Claim the attribute is longer than the message. */
	at = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct inet_diag_msg));
	memcpy(&a, b.data + at, sizeof(a));
	a.nla_len = 200;
	memcpy(b.data + at, &a, sizeof(a));
	audit_diag_dump_init(&d, 100);
	assert_int_equal(audit_diag_parse(b.data, b.len, IPPROTO_TCP, &d, &done, NULL), PS_OK);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.nmalformed, 1);
	assert_int_equal(d.v[0].v6only, -1); /* not believed */
	audit_diag_dump_release(&d);
}

static void test_dump_interrupted(void **state)
{
	struct msgbuf b = {.len = 0};
	struct audit_diag_dump d;
	bool done;

	(void)state;
	add_sock(&b, AF_INET, any4, 80, 0, 7, -1, NLM_F_MULTI | NLM_F_DUMP_INTR);
	audit_diag_dump_init(&d, 100);
	assert_int_equal(audit_diag_parse(b.data, b.len, IPPROTO_TCP, &d, &done, NULL), PS_OK);
	assert_true(d.interrupted);
	audit_diag_dump_release(&d);
}

static void test_entry_cap(void **state)
{
	struct msgbuf b = {.len = 0};
	struct audit_diag_dump d;
	bool done;

	(void)state;
	add_sock(&b, AF_INET, any4, 1, 0, 1, -1, 0);
	add_sock(&b, AF_INET, any4, 2, 0, 2, -1, 0);
	audit_diag_dump_init(&d, 1);
	assert_int_equal(audit_diag_parse(b.data, b.len, IPPROTO_TCP, &d, &done, NULL),
			 PS_ERR_TOO_LARGE);
	assert_int_equal(d.n, 1);
	audit_diag_dump_release(&d);
}

static void test_request(void **state)
{
	uint8_t buf[128];
	struct nlmsghdr h;
	struct inet_diag_req_v2 r;
	size_t n;

	(void)state;
	assert_int_equal(audit_diag_request(buf, 8, AF_INET, IPPROTO_TCP, 1, 1), 0);
	n = audit_diag_request(buf, sizeof(buf), AF_INET6, IPPROTO_TCP, 1u << TCP_LISTEN, 42);
	assert_int_equal(n, sizeof(h) + sizeof(r));
	memcpy(&h, buf, sizeof(h));
	memcpy(&r, buf + sizeof(h), sizeof(r));
	assert_int_equal(h.nlmsg_len, n);
	assert_int_equal(h.nlmsg_type, SOCK_DIAG_BY_FAMILY);
	assert_int_equal(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(h.nlmsg_seq, 42);
	assert_int_equal(r.sdiag_family, AF_INET6);
	assert_int_equal(r.sdiag_protocol, IPPROTO_TCP);
	assert_int_equal(r.idiag_states, 1u << TCP_LISTEN);
}

/* The real kernel, current namespace: a socket we open must show up with our inode. */
static void test_collect_live(void **state)
{
	struct audit_diag_dump d;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = {htonl(INADDR_LOOPBACK)}};
	socklen_t slen = sizeof(sin);
	struct ps_diag diag = {{0}};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	enum ps_err err;
	bool found = false;
	size_t i;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	audit_diag_dump_init(&d, AUDIT_DIAG_MAX_ENTRIES);
	err = audit_diag_collect(AF_INET, IPPROTO_TCP, 1u << TCP_LISTEN, &d, &diag);
	if (err == PS_ERR_PERMISSION) {
		close(fd);
		skip();
	}
	assert_int_equal(err, PS_OK);
	for (i = 0; i < d.n; i++)
		found |= d.v[i].port == ntohs(sin.sin_port) && d.v[i].addr.bytes[0] == 127;
	assert_true(found);
	audit_diag_dump_release(&d);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_sockets_and_done),
	    cmocka_unit_test(test_v6only_zero),
	    cmocka_unit_test(test_truncated_message),
	    cmocka_unit_test(test_length_too_short),
	    cmocka_unit_test(test_short_payload_and_bad_family),
	    cmocka_unit_test(test_error_message),
	    cmocka_unit_test(test_broken_attribute),
	    cmocka_unit_test(test_dump_interrupted),
	    cmocka_unit_test(test_entry_cap),
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_collect_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
