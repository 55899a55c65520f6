/* SPDX-License-Identifier: MIT */
#include "raw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/*
 * 16 blocks of 256 KiB: a 4 MiB ring holds ~25k replies (~160 bytes each with their headers),
 * tens of milliseconds at full rate. (Its setup costs ~10 ms whatever the size: setting a ring
 * waits for an RCU grace period.)
 */
#define RING_BLOCK_SIZE (1u << 18)
#define RING_BLOCKS 16u
#define RING_FRAME_SIZE 2048u
/* A block is handed to us when full or after this many ms: the bound on reply latency. */
#define RING_BLOCK_TIMEOUT_MS 2u
#define SNAPLEN 1600u /* a UDP reply's payload is read too (service facts) */

bool net_raw_permitted(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/*
 * Classic BPF: IPv4 TCP and UDP (first fragment) to a port in [sport_lo, sport_hi], IPv4 ICMP
 * errors that may speak of a port (unreachable, time exceeded, parameter problem:
 * net/icmp.c) and the replies to host discovery's queries (echo, timestamp), IPv6 TCP and UDP to the ports (when they follow the fixed header), and IPv6
 * packets with anything else next (ICMPv6, extension headers) for user space to walk.
 */
static int attach_filter(int fd, uint16_t sport_lo, uint16_t sport_hi)
{
	enum { L4 = 13, V6 = 19, L4_6 = 23, ACCEPT = 26, REJECT = 27 };
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, V6 - 2),
		/* 2 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, L4 - 4, 0),
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, L4 - 5, 0),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, REJECT - 6),
		/* 6 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
		/* 7 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, 14),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, ACCEPT - 9, 0),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 11, ACCEPT - 10, 0),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 12, ACCEPT - 11, 0),
		/* 11: echo reply */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, ACCEPT - 12, 0),
		/* 12: timestamp reply */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 14, ACCEPT - 13, REJECT - 13),
		/* 13 L4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		/* 14 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, REJECT - 15, 0),
		/* 15 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
		/* 16 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
		/* 17 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, sport_lo, 0, REJECT - 18),
		/* 18 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, sport_hi, REJECT - 19, ACCEPT - 19),
		/* 19 V6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, REJECT - 20),
		/* 20 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
		/* 21 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, L4_6 - 22, 0),
		/* 22 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, ACCEPT - 23),
		/* 23 L4_6 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 56),
		/* 24 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, sport_lo, 0, REJECT - 25),
		/* 25 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, sport_hi, REJECT - 26, ACCEPT - 26),
		/* 26 ACCEPT */ BPF_STMT(BPF_RET | BPF_K, SNAPLEN),
		/* 27 REJECT */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

static enum ps_err open_rx(struct net_raw *raw, int ifindex, uint16_t sport, uint16_t nports,
			   struct ps_diag *diag)
{
	struct tpacket_req3 req = {
		.tp_block_size = RING_BLOCK_SIZE,
		.tp_block_nr = RING_BLOCKS,
		.tp_frame_size = RING_FRAME_SIZE,
		.tp_frame_nr = RING_BLOCK_SIZE / RING_FRAME_SIZE * RING_BLOCKS,
		.tp_retire_blk_tov = RING_BLOCK_TIMEOUT_MS,
	};
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = ifindex};
	int version = TPACKET_V3, one = 1;
	void *ring;

	/* Protocol 0: nothing is queued before the filter is in place and the socket bound. */
	raw->rx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (raw->rx_fd < 0)
		return ps_fail(diag, errno == EPERM ? PS_ERR_PERMISSION : PS_ERR_SYSTEM,
			       "packet socket: %s", strerror(errno));
	if (attach_filter(raw->rx_fd, sport, (uint16_t)(sport + nports - 1)) < 0)
		return ps_fail(diag, PS_ERR_SYSTEM, "receive filter: %s", strerror(errno));
	/* Our own probes leaving the interface are not replies (older kernels: ignored). */
	(void)setsockopt(raw->rx_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (setsockopt(raw->rx_fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0 ||
	    setsockopt(raw->rx_fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return ps_fail(diag, PS_ERR_SYSTEM, "receive ring: %s", strerror(errno));
	raw->ring_len = (size_t)RING_BLOCK_SIZE * RING_BLOCKS;
	ring = mmap(NULL, raw->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED,
		    raw->rx_fd, 0);
	if (ring == MAP_FAILED)
		ring = mmap(NULL, raw->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, raw->rx_fd, 0);
	if (ring == MAP_FAILED)
		return ps_fail(diag, PS_ERR_SYSTEM, "receive ring mmap: %s", strerror(errno));
	raw->ring = ring;
	raw->block_size = RING_BLOCK_SIZE;
	raw->block_count = RING_BLOCKS;
	if (bind(raw->rx_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return ps_fail(diag, PS_ERR_SYSTEM, "bind receive socket: %s", strerror(errno));
	return PS_OK;
}

static enum ps_err open_tx_ip(struct net_raw *raw, struct ps_diag *diag)
{
	int sndbuf = 4 << 20;

	raw->tx_fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	raw->tx6_fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (raw->tx_fd < 0 || raw->tx6_fd < 0)
		return ps_fail(diag, errno == EPERM ? PS_ERR_PERMISSION : PS_ERR_SYSTEM,
			       "raw IP socket: %s", strerror(errno));
	(void)setsockopt(raw->tx_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	(void)setsockopt(raw->tx6_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return PS_OK;
}

static enum ps_err open_tx(struct net_raw *raw, int ifindex, struct ps_diag *diag)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex};
	int one = 1, sndbuf = 4 << 20;

	raw->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (raw->tx_fd < 0)
		return ps_fail(diag, errno == EPERM ? PS_ERR_PERMISSION : PS_ERR_SYSTEM,
			       "packet socket: %s", strerror(errno));
	/* The qdisc only adds a lock and a queue; the rate limiter is ours. */
	(void)setsockopt(raw->tx_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	(void)setsockopt(raw->tx_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (bind(raw->tx_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return ps_fail(diag, PS_ERR_SYSTEM, "bind send socket: %s", strerror(errno));
	return PS_OK;
}

enum ps_err net_raw_open(struct net_raw *raw, int ifindex, uint16_t sport, uint16_t nports,
			 bool ip_mode, struct ps_diag *diag)
{
	enum ps_err err;

	memset(raw, 0, sizeof(*raw));
	raw->tx_fd = -1;
	raw->tx6_fd = -1;
	raw->rx_fd = -1;
	raw->ip_mode = ip_mode;
	err = open_rx(raw, ifindex, sport, nports ? nports : 1, diag);
	if (!err)
		err = ip_mode ? open_tx_ip(raw, diag) : open_tx(raw, ifindex, diag);
	if (err)
		net_raw_close(raw);
	return err;
}

void net_raw_close(struct net_raw *raw)
{
	if (raw->ring)
		munmap(raw->ring, raw->ring_len);
	if (raw->rx_fd >= 0)
		close(raw->rx_fd);
	if (raw->tx_fd >= 0)
		close(raw->tx_fd);
	if (raw->tx6_fd >= 0)
		close(raw->tx6_fd);
	memset(raw, 0, sizeof(*raw));
	raw->tx_fd = -1;
	raw->tx6_fd = -1;
	raw->rx_fd = -1;
}

int net_raw_send(struct net_raw *raw, const uint8_t (*frames)[NET_FRAME_MAX], const size_t *lens,
		 const struct ps_addr *dsts, unsigned n)
{
	struct mmsghdr msgs[NET_RAW_BATCH];
	struct iovec iov[NET_RAW_BATCH];
	struct sockaddr_storage names[NET_RAW_BATCH];
	unsigned i, done = 0;
	int sent;

	if (n > NET_RAW_BATCH)
		n = NET_RAW_BATCH;
	memset(msgs, 0, sizeof(msgs[0]) * n);
	for (i = 0; i < n; i++) {
		iov[i].iov_base = (void *)frames[i];
		iov[i].iov_len = lens[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		if (raw->ip_mode) {
			msgs[i].msg_hdr.msg_name = &names[i];
			msgs[i].msg_hdr.msg_namelen = ps_addr_to_sockaddr(&dsts[i], 0, &names[i]);
		}
	}
	if (!raw->ip_mode) {
		sent = sendmmsg(raw->tx_fd, msgs, n, MSG_DONTWAIT);
		return sent < 0 ? -errno : sent;
	}
	/* One sendmmsg per run of packets of the same family. */
	while (done < n) {
		unsigned run = 1;
		int fd = dsts[done].family == AF_INET6 ? raw->tx6_fd : raw->tx_fd;

		while (done + run < n && dsts[done + run].family == dsts[done].family)
			run++;
		sent = sendmmsg(fd, msgs + done, run, MSG_DONTWAIT);
		if (sent < 0)
			return done ? (int)done : -errno;
		done += (unsigned)sent;
		if ((unsigned)sent < run)
			break;
	}
	return (int)done;
}

int net_raw_recv(struct net_raw *raw, int timeout_ms, net_raw_frame_fn fn, void *ctx)
{
	int frames = 0;

	for (;;) {
		struct tpacket_block_desc *bd =
			(void *)(raw->ring + (size_t)raw->block_cur * raw->block_size);
		struct tpacket3_hdr *ph;
		uint32_t i, n;

		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER)) {
			struct pollfd pfd = {.fd = raw->rx_fd, .events = POLLIN};
			int r;

			if (frames || timeout_ms == 0)
				return frames;
			r = poll(&pfd, 1, timeout_ms);
			if (r < 0)
				return errno == EINTR ? 0 : -errno;
			if (r == 0)
				return 0;
			timeout_ms = 0;
			continue;
		}
		n = bd->hdr.bh1.num_pkts;
		ph = (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (i = 0; i < n; i++) {
			fn(ctx, (uint8_t *)ph + ph->tp_mac, ph->tp_snaplen);
			frames++;
			ph = (void *)((uint8_t *)ph + ph->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		raw->block_cur = (raw->block_cur + 1) % raw->block_count;
	}
}

uint64_t net_raw_drops(struct net_raw *raw)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	if (getsockopt(raw->rx_fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return 0;
	return st.tp_drops;
}
