/* SPDX-License-Identifier: MIT */
/*
 * Test listener for the namespace lab: listen on each given TCP port on all addresses (IPv4
 * and IPv6, one dual-stack socket each), accept and close connections until killed.
 * usage: listen PORT... ; prints "ready" once every socket listens.
 */
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PORTS 4096

int main(int argc, char **argv)
{
	static struct pollfd fds[MAX_PORTS];
	int n = 0, i, one = 1, zero = 0;

	if (argc < 2 || argc - 1 > MAX_PORTS) {
		fprintf(stderr, "usage: listen PORT... (at most %d)\n", MAX_PORTS);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
		char *end;
		unsigned long port = strtoul(argv[i], &end, 10);
		int fd;

		/* A typo must not become port 0, an ephemeral port nobody scans. */
		if (end == argv[i] || *end || port == 0 || port > 65535) {
			fprintf(stderr, "listen: bad port '%s'\n", argv[i]);
			return 2;
		}
		sin6.sin6_port = htons((uint16_t)port);
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
		    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) || listen(fd, 512)) {
			perror(argv[i]);
			return 1;
		}
		fds[n].fd = fd;
		fds[n].events = POLLIN;
		n++;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(fds, (nfds_t)n, -1) < 0)
			continue;
		for (i = 0; i < n; i++) {
			if (fds[i].revents & POLLIN) {
				int c = accept(fds[i].fd, NULL, NULL);

				if (c >= 0)
					close(c);
			}
		}
	}
}
