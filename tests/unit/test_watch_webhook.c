/* SPDX-License-Identifier: MIT */
/*
 * watch's webhook channel: events queued by the watch loop, posted by the channel's own
 * worker thread to a server on 127.0.0.1 that this test runs. Every event arrives once, in
 * order; the summary says nothing went wrong. Built with ThreadSanitizer by scripts/tsan-tests.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "watch/watch.h"

#define EVENTS 40

struct server {
	int fd;
	unsigned requests;
	char bodies[EVENTS][32];
};

/* One request: headers up to the blank line, then Content-Length bytes of body. */
static int read_request(int c, char *body, size_t bodylen)
{
	char buf[4096];
	size_t len = 0, want;
	char *end, *cl;

	for (;;) {
		ssize_t n = read(c, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		cl = strcasestr(buf, "Content-Length:");
		if (end && cl && len >= (size_t)(end + 4 - buf) + strtoul(cl + 15, NULL, 10))
			break;
		if (len == sizeof(buf) - 1)
			return -1;
	}
	want = strtoul(cl + 15, NULL, 10);
	snprintf(body, bodylen, "%.*s", (int)want, end + 4);
	return 0;
}

static void *serve(void *arg)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	struct server *s = arg;

	while (s->requests < EVENTS) {
		int c = accept(s->fd, NULL, NULL);

		if (c < 0)
			break;
		if (read_request(c, s->bodies[s->requests], sizeof(s->bodies[0])) == 0) {
			(void)!write(c, ok, sizeof(ok) - 1);
			s->requests++;
		}
		close(c);
	}
	return NULL;
}

static void test_every_event_posted_once(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t salen = sizeof(sa);
	struct server s = {0};
	struct watch_channel_opts o = {0};
	struct ps_diag diag = {{0}};
	struct watch_event ev;
	char url[64], json[32], summary[256];
	pthread_t server;
	void *ctx = NULL;
	unsigned i;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	s.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s.fd >= 0);
	assert_int_equal(bind(s.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s.fd, 64), 0);
	assert_int_equal(getsockname(s.fd, (struct sockaddr *)&sa, &salen), 0);
	assert_int_equal(pthread_create(&server, NULL, serve, &s), 0);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", ntohs(sa.sin_port));
	o.target = url;
	o.timeout = 10;
	o.queue_max = EVENTS;
	assert_int_equal(watch_chan_webhook.open(&ctx, &o, &diag), PS_OK);
	for (i = 0; i < EVENTS; i++) {
		snprintf(json, sizeof(json), "{\"n\":%u}", i);
		assert_int_equal(watch_chan_webhook.emit(ctx, &ev, json, &diag), PS_OK);
	}
	/* The summary waits for the queue to drain (or the timeout), then reports. */
	watch_chan_webhook.summary(ctx, summary, sizeof(summary));
	watch_chan_webhook.close(ctx);
	assert_int_equal(pthread_join(server, NULL), 0);
	close(s.fd);

	assert_string_equal(summary, "");
	assert_int_equal(s.requests, EVENTS);
	for (i = 0; i < EVENTS; i++) {
		snprintf(json, sizeof(json), "{\"n\":%u}", i);
		assert_string_equal(s.bodies[i], json);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_event_posted_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
