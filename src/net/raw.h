/* SPDX-License-Identifier: MIT */
#ifndef PS_NET_RAW_H
#define PS_NET_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "packet.h"

/*
 * Link-layer send and receive on one interface: an AF_PACKET socket that sends whole frames
 * in batches (sendmmsg, bypassing the qdisc), and a second one that receives through a
 * TPACKET_V3 ring behind a kernel BPF filter, so only TCP to our source port and ICMP errors
 * reach user space.
 */
struct net_raw {
	int tx_fd;  /* AF_PACKET; or, in IP mode, the IPv4 raw socket */
	int tx6_fd; /* IP mode: the IPv6 raw socket */
	int rx_fd;
	bool ip_mode;
	uint8_t *ring;
	size_t ring_len;
	unsigned block_size;
	unsigned block_count;
	unsigned block_cur;
};

/* The longest run of frames net_raw_send() takes at once. */
#define NET_RAW_BATCH 64

/* Whether this process may open raw sockets (CAP_NET_RAW in its network namespace). */
bool net_raw_permitted(void);

/*
 * Opens the sockets on ifindex; the receive filter passes TCP and UDP to a port in
 * [sport, sport + nports) and ICMP errors.
 *
 * ip_mode sends bare IP packets through raw IP sockets (IPPROTO_RAW) instead of frames: for
 * destinations on this machine. A frame injected on lo has no route attached, and the input
 * path drops 127.0.0.0/8 arriving that way as martian unless route_localnet is set; a packet
 * sent through the IP layer is routed and delivered like any local traffic.
 */
enum ps_err net_raw_open(struct net_raw *raw, int ifindex, uint16_t sport, uint16_t nports,
			 bool ip_mode, struct ps_diag *diag);
void net_raw_close(struct net_raw *raw);

/*
 * Sends up to n (<= NET_RAW_BATCH) frames (IP mode: packets to dsts[i]); returns how many
 * left, or -errno when none did. -ENOBUFS / -EAGAIN mean the device queue is full: a signal
 * to slow down.
 */
int net_raw_send(struct net_raw *raw, const uint8_t (*frames)[NET_FRAME_MAX], const size_t *lens,
		 const struct ps_addr *dsts, unsigned n);

typedef void (*net_raw_frame_fn)(void *ctx, const uint8_t *frame, size_t len);

/*
 * Hands every frame waiting in the ring to fn, waiting up to timeout_ms for the first (0:
 * do not wait). Returns the number of frames, or -errno.
 */
int net_raw_recv(struct net_raw *raw, int timeout_ms, net_raw_frame_fn fn, void *ctx);

/* Frames the kernel dropped because the ring was full, since the last call. */
uint64_t net_raw_drops(struct net_raw *raw);

#endif
