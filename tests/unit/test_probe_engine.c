/* SPDX-License-Identifier: MIT */
/*
 * The identification engine against live servers on 127.0.0.1: a forked helper listens on
 * ephemeral ports and answers each connection (in its own process) the way a kind of server
 * would: a banner, an HTTP reply, TLS, silence, an endless banner, binary garbage, a reset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "probe/probe.h"

enum kind {
	K_SSH,
	K_HTTP,
	K_SILENT,
	K_ENDLESS,
	K_GARBAGE,
	K_RESET,
	K_TLS_HTTP,
	K_TLS_HALF,
	K_TLS_RESET,
	K_COUNT
};

struct lab {
	pid_t pid;
	uint16_t port[K_COUNT];
};

static const char http_reply[] = "HTTP/1.0 200 OK\r\nServer: nginx/1.22.1\r\n"
				 "Content-Type: text/html\r\n\r\n<html><title>Lab page</title>";

static void read_request(int fd, SSL *ssl)
{
	char buf[1024];
	size_t got = 0;

	while (got < sizeof(buf) - 1) {
		int n = ssl ? SSL_read(ssl, buf + got, (int)(sizeof(buf) - 1 - got))
			    : (int)read(fd, buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			return;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return;
	}
}

static SSL_CTX *server_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name = X509_get_subject_name(cert);

	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"lab.example",
				   -1, -1, 0);
	X509_set_issuer_name(cert, name);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	X509_sign(cert, key, EVP_sha256());
	SSL_CTX_use_certificate(ctx, cert);
	SSL_CTX_use_PrivateKey(ctx, key);
	X509_free(cert);
	EVP_PKEY_free(key);
	return ctx;
}

/* One connection, in its own process. */
static void serve(enum kind kind, int fd, SSL_CTX *ctx)
{
	static const unsigned char garbage[] = {0x8f, 0x00, 0x13, 0xfe, 0x41, 0x7f, 0x00, 0x99,
						0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x82, 0x28, 0xff};
	char block[4096];
	SSL *ssl;

	alarm(20);
	switch (kind) {
	case K_SSH:
		(void)!write(fd, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", 32);
		(void)!read(fd, block, sizeof(block));
		break;
	case K_HTTP:
		read_request(fd, NULL);
		(void)!write(fd, http_reply, sizeof(http_reply) - 1);
		break;
	case K_SILENT:
		while (read(fd, block, sizeof(block)) > 0)
			;
		break;
	case K_ENDLESS:
		memset(block, 'A', sizeof(block));
		while (write(fd, block, sizeof(block)) > 0)
			;
		break;
	case K_GARBAGE:
		(void)!write(fd, garbage, sizeof(garbage));
		while (read(fd, block, sizeof(block)) > 0)
			;
		break;
	case K_RESET: {
		struct linger lg = {1, 0};

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	}
	case K_TLS_HTTP:
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_accept(ssl) == 1) {
			read_request(fd, ssl);
			SSL_write(ssl, http_reply, (int)sizeof(http_reply) - 1);
			SSL_shutdown(ssl);
		}
		SSL_free(ssl);
		break;
	case K_TLS_HALF:
		/* Takes the ClientHello, answers half a ServerHello record, then stalls. */
		(void)!read(fd, block, sizeof(block));
		(void)!write(fd, "\x16\x03\x03\x00\x50\x02\x00", 7);
		while (read(fd, block, sizeof(block)) > 0)
			;
		break;
	case K_TLS_RESET: {
		/* Takes the ClientHello (on a TLS port, so the handshake comes first), then RST. */
		struct linger lg = {1, 0};

		(void)!read(fd, block, sizeof(block));
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	}
	case K_COUNT:
		break;
	}
	close(fd);
	_exit(0);
}

static int listener(uint16_t *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void lab_start(struct lab *lab)
{
	struct pollfd pfd[K_COUNT];
	int k;

	for (k = 0; k < K_COUNT; k++) {
		pfd[k].fd = listener(&lab->port[k]);
		pfd[k].events = POLLIN;
	}
	lab->pid = fork();
	assert_true(lab->pid >= 0);
	if (lab->pid == 0) {
		SSL_CTX *ctx = server_ctx();

		setpgid(0, 0);
		signal(SIGCHLD, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		alarm(60);
		for (;;) {
			if (poll(pfd, K_COUNT, -1) <= 0)
				continue;
			for (k = 0; k < K_COUNT; k++) {
				int c;

				if (!(pfd[k].revents & POLLIN))
					continue;
				c = accept(pfd[k].fd, NULL, NULL);
				if (c < 0)
					continue;
				if (fork() == 0)
					serve((enum kind)k, c, ctx);
				close(c);
			}
		}
	}
	setpgid(lab->pid, lab->pid);
	for (k = 0; k < K_COUNT; k++)
		close(pfd[k].fd);
}

static void lab_stop(struct lab *lab)
{
	kill(-lab->pid, SIGKILL);
	kill(lab->pid, SIGKILL);
	waitpid(lab->pid, NULL, 0);
}

static struct probe_db *builtin(void)
{
	struct probe_db *db;

	assert_int_equal(probe_db_new(&db), PS_OK);
	assert_int_equal(probe_db_add_builtin(db, NULL), PS_OK);
	return db;
}

static void open_result(struct port_result *r, uint16_t port)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(ps_addr_parse("127.0.0.1", &r->addr), PS_OK);
	r->port = port;
	r->proto = IPPROTO_TCP;
	r->state = PORT_OPEN;
}

/* The lab's ports are ephemeral, so the test's lore says what each one "promises". */
static const char *lore_name(const void *ctx, uint16_t port, uint8_t proto)
{
	const struct lab *lab = ctx;

	(void)proto;
	if (port == lab->port[K_SSH])
		return "http"; /* ssh where http was promised */
	if (port == lab->port[K_HTTP])
		return "http-alt";
	if (port == lab->port[K_SILENT])
		return "telnet";
	return NULL;
}

static void test_identify(void **state)
{
	struct lab lab;
	struct port_result ports[K_COUNT + 1];
	struct service_info out[K_COUNT + 1];
	struct probe_db *db = builtin();
	struct probe_lore lore = {.service_name = lore_name, .ctx = &lab};
	struct probe_opts opts = {.db = db, .lore = &lore, .wait_ms = 300, .port_budget_ms = 6000};
	struct probe_stats stats;
	struct ps_diag diag = {{0}};
	uint64_t t0;
	int k;

	(void)state;
	lab_start(&lab);
	for (k = 0; k < K_COUNT; k++)
		open_result(&ports[k], lab.port[k]);
	/* The resetting peer's port is a TLS port, so the handshake is what it cuts off. */
	{
		char extra[64];
		int len = snprintf(extra, sizeof(extra), "probe tls handshake\nports %u\n",
				   lab.port[K_TLS_RESET]);

		assert_int_equal(
		    probe_db_add_text(db, extra, (size_t)len, PROBE_DB_NATIVE, "t", &diag), PS_OK);
	}
	/* Not open: identification leaves it alone apart from the port's guess. */
	open_result(&ports[K_COUNT], lab.port[K_SSH]);
	ports[K_COUNT].state = PORT_CLOSED;
	t0 = ps_now_ns();
	if (probe_identify(&opts, ports, out, K_COUNT + 1, &stats, &diag))
		fail_msg("%s", diag.msg);
	/* Not a timing claim: a bound that only a hang would break. */
	assert_true(ps_now_ns() - t0 < 30ull * 1000000000ull);
	lab_stop(&lab);

	assert_string_equal(out[K_SSH].name, "ssh");
	assert_string_equal(out[K_SSH].product, "OpenSSH");
	assert_string_equal(out[K_SSH].version, "9.2p1");
	assert_int_equal(out[K_SSH].confidence, SERVICE_MATCHED);
	assert_int_equal(out[K_SSH].flags, SERVICE_FLAG_UNEXPECTED);

	assert_string_equal(out[K_HTTP].name, "http");
	assert_string_equal(out[K_HTTP].product, "nginx");
	assert_string_equal(out[K_HTTP].version, "1.22.1");
	assert_int_equal(out[K_HTTP].flags, SERVICE_FLAG_HTTP);
	assert_int_equal(out[K_HTTP].http.status, 200);
	assert_string_equal(out[K_HTTP].http.title, "Lab page");

	assert_string_equal(out[K_TLS_HTTP].name, "https");
	assert_string_equal(out[K_TLS_HTTP].product, "nginx");
	assert_int_equal(out[K_TLS_HTTP].flags, SERVICE_FLAG_TLS | SERVICE_FLAG_SELF_SIGNED |
						    SERVICE_FLAG_HTTP | SERVICE_FLAG_UNEXPECTED);
	assert_string_equal(out[K_TLS_HTTP].tls.subject_cn, "lab.example");
	assert_string_equal(out[K_TLS_HTTP].tls.issuer, "lab.example");
	assert_true(out[K_TLS_HTTP].tls.version[0] != '\0');
	assert_true(out[K_TLS_HTTP].tls.cipher[0] != '\0');
	assert_string_equal(out[K_TLS_HTTP].http.title, "Lab page");

	/* Nothing to identify: the port's promise, marked as a guess. */
	assert_string_equal(out[K_SILENT].name, "telnet");
	assert_int_equal(out[K_SILENT].confidence, SERVICE_GUESSED);
	for (k = K_ENDLESS; k <= K_TLS_RESET; k++) {
		if (k == K_TLS_HTTP)
			continue;
		assert_string_equal(out[k].name, "unknown");
		assert_int_equal(out[k].confidence, SERVICE_GUESSED);
		assert_int_equal(out[k].flags & SERVICE_FLAG_TLS, 0);
	}
	assert_string_equal(out[K_COUNT].name, "http");
	assert_int_equal(out[K_COUNT].confidence, SERVICE_GUESSED);
	assert_int_equal(stats.matched, 3);
	assert_true(stats.tls_handshakes >= 1);
	probe_db_free(db);
}

static void test_stop(void **state)
{
	static volatile sig_atomic_t stop = 1;
	struct lab lab;
	struct port_result port;
	struct service_info out;
	struct probe_db *db = builtin();
	struct probe_opts opts = {.db = db, .stop = &stop};

	(void)state;
	lab_start(&lab);
	open_result(&port, lab.port[K_SILENT]);
	assert_int_equal(probe_identify(&opts, &port, &out, 1, NULL, NULL), PS_ERR_INTERRUPTED);
	lab_stop(&lab);
	assert_int_equal(out.confidence, SERVICE_GUESSED);
	probe_db_free(db);
}

/*
 * Two identifications at once in two threads, on one loaded database (const from here on):
 * each must get its own ports' answers. One asks about ssh then http, the other about http,
 * https and ssh, so both match against the same regexes at the same time.
 */
struct identify_job {
	const struct probe_db *db;
	pthread_barrier_t *start;
	enum kind kinds[3];
	size_t n;
	struct port_result ports[3];
	struct service_info out[3];
	enum ps_err err;
	struct ps_diag diag;
};

static void *identify_run(void *arg)
{
	struct identify_job *j = arg;
	struct probe_opts opts = {.db = j->db, .wait_ms = 300, .port_budget_ms = 6000};

	pthread_barrier_wait(j->start);
	j->err = probe_identify(&opts, j->ports, j->out, j->n, NULL, &j->diag);
	return NULL;
}

static void assert_identified(const struct service_info *svc, enum kind kind)
{
	switch (kind) {
	case K_SSH:
		assert_string_equal(svc->name, "ssh");
		assert_string_equal(svc->product, "OpenSSH");
		assert_string_equal(svc->version, "9.2p1");
		break;
	case K_HTTP:
		assert_string_equal(svc->name, "http");
		assert_string_equal(svc->product, "nginx");
		assert_string_equal(svc->version, "1.22.1");
		assert_string_equal(svc->http.title, "Lab page");
		break;
	case K_TLS_HTTP:
		assert_string_equal(svc->name, "https");
		assert_string_equal(svc->tls.subject_cn, "lab.example");
		break;
	default:
		fail_msg("no expectation for kind %d", (int)kind);
	}
	assert_int_equal(svc->confidence, SERVICE_MATCHED);
}

static void test_identify_concurrently(void **state)
{
	struct lab lab;
	struct probe_db *db = builtin();
	struct identify_job jobs[2] = {
	    {.kinds = {K_SSH, K_HTTP}, .n = 2},
	    {.kinds = {K_HTTP, K_TLS_HTTP, K_SSH}, .n = 3},
	};
	pthread_barrier_t start;
	pthread_t t[2];
	size_t i, k;

	(void)state;
	lab_start(&lab);
	assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
	for (k = 0; k < 2; k++) {
		jobs[k].db = db;
		jobs[k].start = &start;
		for (i = 0; i < jobs[k].n; i++)
			open_result(&jobs[k].ports[i], lab.port[jobs[k].kinds[i]]);
		assert_int_equal(pthread_create(&t[k], NULL, identify_run, &jobs[k]), 0);
	}
	for (k = 0; k < 2; k++)
		assert_int_equal(pthread_join(t[k], NULL), 0);
	pthread_barrier_destroy(&start);
	lab_stop(&lab);
	for (k = 0; k < 2; k++) {
		if (jobs[k].err)
			fail_msg("thread %zu: %s", k, jobs[k].diag.msg);
		for (i = 0; i < jobs[k].n; i++)
			assert_identified(&jobs[k].out[i], jobs[k].kinds[i]);
	}
	probe_db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identify),
	    cmocka_unit_test(test_stop),
	    cmocka_unit_test(test_identify_concurrently),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
