/* SPDX-License-Identifier: MIT */
/*
 * HTTP requests to portsight serve, over a real socket: the server (libmicrohttpd, its pool
 * threads under their seccomp allowlist, the request handler, the pages) listens on
 * 127.0.0.1 in this process, and each input is written to a new connection as it is, then
 * the connection is half-closed. Whatever comes back must be an HTTP response (a status line
 * "HTTP/1.x NNN "), and the server must still accept the next connection. No scan can start:
 * a scan request needs a token keyed to a session this harness never gets (and its target
 * would be the peer, 127.0.0.1). A crash in a request thread cannot write its input to a file
 * (the allowlist has no open): libFuzzer prints it on stderr instead.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sockaddr_in server;

static void quiet_log(void *ctx, const struct serve_log_rec *rec)
{
	(void)ctx;
	(void)rec;
}

static void start(void)
{
	static struct kb *kb;
	static struct serve *srv;
	struct ps_diag diag = {{0}};
	struct serve_opts o = {
	    .max_scans = 1,
	    .quota = 1,
	    .max_rate = 100,
	    .max_ports = 1056,
	    .client_timeout_s = 2,
	    .request_timeout_s = 2,
	    .max_conns = 64,
	    .scan_timeout_s = 5,
	    .no_db = true,
	    .log = quiet_log,
	    .no_process_filter = true,
	};
	char listen[32];
	unsigned i;

	if (kb_load_builtin(&kb, &diag))
		abort();
	o.kb = kb;
	/* A port of its own, from the process id: parallel runs of the harness do not collide. */
	for (i = 0; i < 64 && !srv; i++) {
		snprintf(listen, sizeof(listen), "127.0.0.1:%u",
			 20000u + ((unsigned)getpid() * 7u + i * 613u) % 40000u);
		o.listen = listen;
		if (serve_start(&o, &srv, &diag))
			srv = NULL;
	}
	if (!srv) {
		fprintf(stderr, "fuzz_serve_http: %s\n", diag.msg);
		abort();
	}
	server.sin_family = AF_INET;
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	server.sin_port = htons(serve_port(srv));
}

/*
 * Reads what the server sends: up to first_ms for the first byte, then until it closes or
 * stays quiet for 20 ms (a kept-alive connection or an event stream does not close). A request
 * left incomplete gets no answer until the server's request deadline (libmicrohttpd does not
 * act on a half-close), so the wait for the first byte is short.
 */
static size_t read_reply(int fd, char *buf, size_t cap, int first_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t n = 0;

	while (n < cap && poll(&p, 1, n ? 20 : first_ms) == 1) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char reply[1 << 16];
	static const struct linger reset = {.l_onoff = 1, .l_linger = 0};
	size_t n, off = 0;
	int fd;

	if (!server.sin_port)
		start();
	if (size > 16384)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		abort();
	if (connect(fd, (struct sockaddr *)&server, sizeof(server)))
		abort(); /* the server is gone */
	while (off < size) {
		ssize_t w = send(fd, data + off, size - off, MSG_NOSIGNAL);

		if (w <= 0)
			break; /* the server may close on a bad request before reading it all */
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	n = read_reply(fd, reply, sizeof(reply), 40);
	/* A reset, not a close: the server frees the connection at once. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	close(fd);
	if (n && (n < 13 || memcmp(reply, "HTTP/1.", 7) || reply[8] != ' ' ||
		  reply[9] < '1' || reply[9] > '5' || reply[12] != ' '))
		abort(); /* not an HTTP response */
	return 0;
}
