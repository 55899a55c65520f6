/* SPDX-License-Identifier: MIT */
/*
 * The raw sender alone, two ways, on one interface: N SYN frames (the SYN module's template
 * path, one destination per frame) sent through an AF_PACKET socket with sendmmsg in batches
 * of 64 (what net/raw.c does), or through a PACKET_TX_RING (TPACKET_V2: frames written into a
 * mapped ring, one send() per batch to flush it), from T threads, each its own socket, each
 * its own share of the addresses. Prints packets per second of wall time and per CPU second.
 * Run it only inside a lab namespace (bench/sender.sh): the frames go to 198.18.0.0/15.
 * usage: sender_bench IFACE mmsg|ring THREADS PACKETS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "scan/module.h"

#define BATCH 64
#define RING_FRAMES 4096
#define RING_FRAME_SIZE 2048

struct worker {
	int ifindex;
	int ring;
	unsigned index, nthreads;
	unsigned long long packets, sent;
	pthread_t thread;
};

static const uint8_t mac_dst[6] = {0x02, 0, 0, 0, 0, 2}, mac_src[6] = {0x02, 0, 0, 0, 0, 1};

static int open_socket(int ifindex)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex,
				  .sll_protocol = htons(ETH_P_IP)};
	int fd = socket(AF_PACKET, SOCK_RAW, 0), one = 1;

	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The k-th probe of this worker: a SYN to 198.18.x.y port 80 + k % 16. */
static void probe_of(const struct worker *w, unsigned long long k, struct scan_probe *p)
{
	unsigned long long n = k * w->nthreads + w->index;

	memset(p, 0, sizeof(*p));
	ps_addr_parse("198.18.0.1", &p->src);
	p->dst = p->src;
	p->dst.bytes[1] = (uint8_t)(18 + ((n >> 20) & 1));
	p->dst.bytes[2] = (uint8_t)(n >> 12);
	p->dst.bytes[3] = (uint8_t)(n >> 4);
	p->sport = 40000;
	p->dport = (uint16_t)(80 + (n & 15));
	p->ip_id = (uint16_t)n;
	p->link_dst = mac_dst;
	p->link_src = mac_src;
}

static void *run_mmsg(void *arg)
{
	struct worker *w = arg;
	static const struct scan_probe_env env = {.key = {1, 2}, .sport_span = 1};
	struct scan_probe_cache *cache = calloc(1, sizeof(*cache));
	uint8_t(*frames)[NET_FRAME_MAX] = calloc(BATCH, NET_FRAME_MAX);
	struct scan_probe probes[BATCH];
	size_t lens[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int fd = open_socket(w->ifindex);
	unsigned long long k = 0;
	unsigned i;

	if (fd < 0 || !cache || !frames) {
		perror("socket");
		exit(1);
	}
	while (k < w->packets) {
		unsigned n = w->packets - k < BATCH ? (unsigned)(w->packets - k) : BATCH;
		int sent;

		for (i = 0; i < n; i++)
			probe_of(w, k + i, &probes[i]);
		scan_tcp_syn_module.make_packets_cached(cache, frames, lens, &env, probes, n);
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < n; i++) {
			iov[i].iov_base = frames[i];
			iov[i].iov_len = lens[i];
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(fd, msgs, n, 0);
		if (sent < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			perror("sendmmsg");
			exit(1);
		}
		k += (unsigned)sent;
		w->sent += (unsigned)sent;
	}
	close(fd);
	free(frames);
	free(cache);
	return NULL;
}

static void *run_ring(void *arg)
{
	struct worker *w = arg;
	static const struct scan_probe_env env = {.key = {1, 2}, .sport_span = 1};
	struct scan_probe_cache *cache = calloc(1, sizeof(*cache));
	uint8_t(*frames)[NET_FRAME_MAX] = calloc(BATCH, NET_FRAME_MAX);
	struct tpacket_req req = {.tp_block_size = RING_FRAME_SIZE * 16,
				  .tp_block_nr = RING_FRAMES / 16,
				  .tp_frame_size = RING_FRAME_SIZE,
				  .tp_frame_nr = RING_FRAMES};
	struct scan_probe probes[BATCH];
	size_t lens[BATCH];
	int fd = open_socket(w->ifindex), v = TPACKET_V2;
	unsigned long long k = 0;
	unsigned slot = 0, i;
	uint8_t *ring;

	if (fd < 0 || !cache || !frames ||
	    setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req))) {
		perror("PACKET_TX_RING");
		exit(1);
	}
	ring = mmap(NULL, (size_t)RING_FRAMES * RING_FRAME_SIZE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	while (k < w->packets) {
		unsigned n = w->packets - k < BATCH ? (unsigned)(w->packets - k) : BATCH, put = 0;

		for (i = 0; i < n; i++)
			probe_of(w, k + i, &probes[i]);
		scan_tcp_syn_module.make_packets_cached(cache, frames, lens, &env, probes, n);
		for (i = 0; i < n; i++) {
			struct tpacket2_hdr *h =
				(struct tpacket2_hdr *)(ring + (size_t)slot * RING_FRAME_SIZE);
			uint8_t *data = (uint8_t *)h + TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);

			if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
				break; /* the ring is full: flush what is queued first */
			memcpy(data, frames[i], lens[i]);
			h->tp_len = (unsigned)lens[i];
			__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
			slot = (slot + 1) % RING_FRAMES;
			put++;
		}
		if (send(fd, NULL, 0, 0) < 0 && errno != ENOBUFS && errno != EAGAIN) {
			perror("send");
			exit(1);
		}
		k += put;
		w->sent += put;
	}
	/* the last frames are out when the kernel has handed every slot back */
	for (i = 0; i < RING_FRAMES; i++) {
		struct tpacket2_hdr *h = (struct tpacket2_hdr *)(ring + (size_t)i * RING_FRAME_SIZE);

		while (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
			(void)send(fd, NULL, 0, 0);
	}
	munmap(ring, (size_t)RING_FRAMES * RING_FRAME_SIZE);
	close(fd);
	free(frames);
	free(cache);
	return NULL;
}

static double now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct worker w[16];
	unsigned nthreads, i;
	unsigned long long packets, sent = 0;
	double t0, c0, wall, cpu;
	int ifindex;

	if (argc != 5 || !(ifindex = (int)if_nametoindex(argv[1])) ||
	    (strcmp(argv[2], "mmsg") && strcmp(argv[2], "ring")) ||
	    !(nthreads = (unsigned)atoi(argv[3])) || nthreads > 16 ||
	    !(packets = strtoull(argv[4], NULL, 10))) {
		fprintf(stderr, "usage: sender_bench IFACE mmsg|ring THREADS PACKETS\n");
		return 2;
	}
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < nthreads; i++) {
		w[i] = (struct worker){.ifindex = ifindex, .ring = !strcmp(argv[2], "ring"),
				       .index = i, .nthreads = nthreads,
				       .packets = packets / nthreads};
		pthread_create(&w[i].thread, NULL, w[i].ring ? run_ring : run_mmsg, &w[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].thread, NULL);
		sent += w[i].sent;
	}
	wall = now_s(CLOCK_MONOTONIC) - t0;
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("%s threads=%u packets=%llu wall=%.3fs cpu=%.3fs %.2f Mpps wall %.2f Mpps per CPU-s\n",
	       argv[2], nthreads, sent, wall, cpu, (double)sent / wall / 1e6,
	       (double)sent / cpu / 1e6);
	return 0;
}
