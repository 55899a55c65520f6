/* SPDX-License-Identifier: MIT */
/*
 * The unprivileged TCP connect scan: one non-blocking connect() per (address, port), thousands
 * in flight on one epoll instance. The kernel does the handshake, so the answer is whatever
 * connect() ends with: success (open), ECONNREFUSED (closed), an ICMP error (filtered, with
 * the exact type and code read from the socket's error queue thanks to IP_RECVERR) or nothing
 * before our timeout (retried, finally filtered). Each in-flight slot keeps its socket and
 * reuses it through connect(AF_UNSPEC), which aborts an accepted connection with an RST, so a
 * scan leaves no TIME_WAIT sockets behind however many ports it touched. No raw socket or
 * CAP_NET_RAW is needed for exact ICMP reasons: the error queue already quotes our SYN.
 *
 * Pairs are numbered address x port like the raw transport's and visited in the order of the
 * shared permutation (permute.h). Timeouts follow the measured RTT (rtt.c); how often a
 * silent port is retried follows the measured loss (passplan.c explains the numbers), and a
 * silent port is only reported filtered at the end, when that estimate rests on the whole
 * scan. --rate paces launches with the shared token bucket (rate.h); without it the window
 * of probes in flight is the only limit: every probe is a kernel handshake, closed-loop.
 */
#include <errno.h>
#include <time.h> /* before linux/errqueue.h, which needs struct timespec */
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "connect.h"
#include "engine.h"
#include "net/icmp.h"
#include "passplan.h"
#include "permute.h"
#include "rate.h"
#include "rtt.h"

#define SLOT_NONE	    UINT32_MAX
#define CONN_FD_RESERVE	    64u	   /* descriptors left for the rest of the process */
#define CONN_INFLIGHT_CAP   16384u /* more buys nothing: silent ports are the only long waits */
#define CONN_INITIAL_WINDOW 64u	   /* slow start: see conn_window_grow() */
#define CONN_EVENTS	    1024
#define CONN_FILL_BATCH	    256 /* launches between two looks at answers: keeps RTTs honest */
#define CONN_WAIT_MAX_MS    100 /* the longest a Ctrl-C may go unnoticed */
#define CONN_PARKED_MAX	    (1u << 20)

/* One (address, port) pair by its number in the scan, and how often it was probed. */
struct conn_pair {
	uint64_t index;
	uint8_t tries;
};

/* A FIFO of pairs; pairs waiting for a retry and pairs waiting for the final verdict. */
struct conn_queue {
	struct conn_pair *items;
	size_t head;
	size_t len;
	size_t cap;
};

/* A probe in flight: one socket, linked into the send-ordered list the timeouts walk. */
struct conn_slot {
	int fd;		/* kept from probe to probe, -1 until first used */
	uint8_t family; /* of fd */
	bool busy;	/* a probe is in flight */
	uint32_t prev;
	uint32_t next;
	uint64_t sent_ns;
	struct conn_pair pair;
};

struct conn_run {
	const struct scan_opts *opts;
	struct scan_stats *stats;
	struct ps_diag *diag;
	int epfd;

	struct conn_slot *slots;
	uint32_t nslots;
	uint32_t *free_slots[2]; /* idle slots, [0] with IPv4 or no socket, [1] with IPv6 */
	uint32_t nfree[2];
	uint32_t oldest; /* in-flight list, oldest first: every probe shares one timeout */
	uint32_t newest;
	uint32_t inflight;
	uint32_t window;     /* probes allowed in flight now */
	uint32_t window_cap; /* lowered when the kernel runs out of sockets or ports */
	bool starved;	     /* the last launch found no socket or port */

	uint16_t *ports;
	uint64_t nports;
	uint64_t nhosts;
	uint64_t total;
	struct scan_perm perm;
	struct scan_perm_iter fresh; /* pairs not probed yet, in permutation order */

	struct conn_queue retry;
	struct conn_queue parked;
	struct scan_rtt rtt;
	struct scan_loss loss;
	uint64_t now;
	struct scan_rate rate; /* only with rate_pps */
};

static enum ps_err conn_queue_push(struct conn_queue *q, struct conn_pair pair)
{
	if (q->len == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256, i;
		struct conn_pair *items = malloc(cap * sizeof(*items));

		if (!items)
			return PS_ERR_NOMEM;
		for (i = 0; i < q->len; i++)
			items[i] = q->items[(q->head + i) % q->cap];
		free(q->items);
		q->items = items;
		q->cap = cap;
		q->head = 0;
	}
	q->items[(q->head + q->len) % q->cap] = pair;
	q->len++;
	return PS_OK;
}

/* Puts a pair back in front: a probe the kernel had no resources for keeps its turn. */
static enum ps_err conn_queue_unshift(struct conn_queue *q, struct conn_pair pair)
{
	enum ps_err err = conn_queue_push(q, pair);

	if (err)
		return err;
	q->len--;
	q->head = (q->head + q->cap - 1) % q->cap;
	q->items[q->head] = pair;
	q->len++;
	return PS_OK;
}

static struct conn_pair conn_queue_shift(struct conn_queue *q)
{
	struct conn_pair pair = q->items[q->head];

	q->head = (q->head + 1) % q->cap;
	q->len--;
	return pair;
}

static void conn_queue_release(struct conn_queue *q)
{
	free(q->items);
	*q = (struct conn_queue){0};
}

/* Pair number index is address index / nports, port index % nports (as in stateless.c). */
static void conn_pair_target(const struct conn_run *run, uint64_t index, struct ps_addr *addr,
			     uint16_t *port, const char **name)
{
	target_list_get(run->opts->targets, index / run->nports, addr, name);
	*port = run->ports[index % run->nports];
}

static void conn_report(struct conn_run *run, struct conn_pair pair, enum port_state state,
			enum port_reason reason, uint64_t rtt_ns)
{
	struct port_result res = {
	    .proto = IPPROTO_TCP,
	    .state = (uint8_t)state,
	    .reason = (uint8_t)reason,
	    .tries = pair.tries,
	    .rtt_us = (uint32_t)(rtt_ns / 1000 > UINT32_MAX ? UINT32_MAX : rtt_ns / 1000),
	};

	conn_pair_target(run, pair.index, &res.addr, &res.port, &res.hostname);
	run->opts->on_result(run->opts->result_ctx, &res);
}

enum port_reason scan_connect_errqueue_reason(uint8_t origin, uint8_t type, uint8_t code)
{
	if (origin == SO_EE_ORIGIN_ICMP)
		return port_reason_from_icmp(AF_INET, type, code);
	if (origin == SO_EE_ORIGIN_ICMP6)
		return port_reason_from_icmp(AF_INET6, type, code);
	return REASON_NONE;
}

/*
 * Linux turns an ICMP error in SYN_SENT into a connect() errno and forgets the code (IPv6
 * admin-prohibited even becomes EACCES, the same errno as a local firewall). With IP_RECVERR /
 * IPV6_RECVERR the kernel also queues the ICMP message itself on the socket's error queue, so
 * this needs no raw socket and no CAP_NET_RAW. REASON_NONE: the error did not come from ICMP.
 */
static enum port_reason conn_icmp_reason_one(int fd, bool *got, int *icmp_errno)
{
	union {
		char
		    buf[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in6))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = {.msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;

	*got = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0;
	if (!*got)
		return REASON_NONE;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		struct sock_extended_err ee;

		if (!(cmsg->cmsg_level == SOL_IP && cmsg->cmsg_type == IP_RECVERR) &&
		    !(cmsg->cmsg_level == SOL_IPV6 && cmsg->cmsg_type == IPV6_RECVERR))
			continue;
		if (cmsg->cmsg_len < CMSG_LEN(sizeof(ee)))
			continue;
		memcpy(&ee, CMSG_DATA(cmsg), sizeof(ee));
		*icmp_errno = (int)ee.ee_errno;
		if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6)
			return scan_connect_errqueue_reason(ee.ee_origin, ee.ee_type, ee.ee_code);
	}
	return REASON_NONE;
}

/*
 * Reads the error queue empty (the socket is reused), returning the first ICMP reason and the
 * errno the kernel made of it.
 */
static enum port_reason conn_icmp_reason(int fd, int *icmp_errno)
{
	enum port_reason first = REASON_NONE, reason;
	int i, err = 0;
	bool got;

	*icmp_errno = 0;
	for (i = 0; i < 8; i++) {
		reason = conn_icmp_reason_one(fd, &got, &err);
		if (!got)
			break;
		if (first == REASON_NONE && reason != REASON_NONE) {
			first = reason;
			*icmp_errno = err;
		}
	}
	return first;
}

/* What a failed connect() means when no ICMP message explains it. */
static enum port_reason errno_reason(int err)
{
	switch (err) {
	case ENETUNREACH:
		return REASON_NET_UNREACH;
	case EPERM:
	case EACCES:
		return REASON_LOCAL_PROHIBITED;
	case ENOPROTOOPT:
		return REASON_ICMP_PROTO_UNREACH;
	default:
		return REASON_HOST_UNREACH;
	}
}

/* Slow start: begin with a few probes so the first burst does not overflow the neighbour
 * (ARP/ND) queue, whose drops would look like path loss; every finished probe adds one. */
static void conn_window_grow(struct conn_run *run)
{
	if (run->window < run->window_cap)
		run->window++;
}

static void conn_answered(struct conn_run *run, struct conn_pair pair, enum port_state state,
			  enum port_reason reason, uint64_t rtt_ns)
{
	run->stats->replies++;
	scan_loss_answer(&run->loss, pair.tries);
	conn_report(run, pair, state, reason, rtt_ns);
}

/* A pair that used up its tries for now; the end of the scan decides whether it gets more. */
static enum ps_err conn_park(struct conn_run *run, struct conn_pair pair)
{
	if (run->parked.len >= CONN_PARKED_MAX) {
		/* Memory stays bounded in huge scans: decide the oldest now, with what we know. */
		struct conn_pair old = conn_queue_shift(&run->parked);

		if (old.tries < scan_loss_tries_cap(&run->loss, true)) {
			enum ps_err err = conn_queue_push(&run->retry, old);

			if (err)
				return err;
		} else {
			conn_report(run, old, PORT_FILTERED, REASON_NO_RESPONSE, 0);
		}
	}
	return conn_queue_push(&run->parked, pair);
}

static enum ps_err conn_silent(struct conn_run *run, struct conn_pair pair)
{
	if (pair.tries < scan_loss_tries_cap(&run->loss, false))
		return conn_queue_push(&run->retry, pair);
	return conn_park(run, pair);
}

/*
 * Sockets are reused: a slot keeps its socket from probe to probe. connect() with AF_UNSPEC
 * dissolves a socket's association (POSIX leaves the details to the protocol; Linux TCP
 * disconnects), leaving a fresh unconnected socket; on a connected one it sends an RST, so an
 * accepted connection leaves no TIME_WAIT behind, the same effect as SO_LINGER {1, 0} at
 * close(). Reuse spares the socket()/setsockopt()/epoll_ctl()/close() of every probe and the
 * kernel's socket and file allocations: measured, a third less CPU per probe. The disconnect
 * leaves ECONNRESET in the socket's error, which would wake the next probe at once; reading
 * SO_ERROR clears it. Returns false when the socket could not be reset and must be closed.
 */
static bool conn_socket_reset(int fd)
{
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	socklen_t len = sizeof(int);
	int err;

	if (connect(fd, &unspec, sizeof(unspec)))
		return false;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return true;
}

/* Closing a socket whose handshake may have completed: abort (RST), never TIME_WAIT. */
static void conn_close_abort(int fd)
{
	struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
	close(fd);
}

/* Ready slot s's socket for its next probe, or drop it so the next probe opens a new one. */
static void conn_slot_reset(struct conn_run *run, uint32_t s)
{
	struct conn_slot *slot = &run->slots[s];

	if (slot->fd >= 0 && !conn_socket_reset(slot->fd)) {
		conn_close_abort(slot->fd);
		slot->fd = -1;
	}
}

/*
 * A scan of a loopback address can connect a socket to itself: when the kernel picks the
 * scanned port as the ephemeral source port, the SYN meets its own socket (simultaneous open,
 * RFC 9293 3.5) and the handshake "succeeds" with nobody listening. Seen in practice: two or
 * three such ports in every all-ports scan of 127.0.0.1. The kernel only hands out a source
 * port no listener holds, so the port is not open; probe it again from another source port.
 */
static bool conn_self_connected(int fd)
{
	struct sockaddr_storage local, peer;
	socklen_t llen = sizeof(local), plen = sizeof(peer);

	if (getsockname(fd, (struct sockaddr *)&local, &llen) ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen))
		return false;
	return llen == plen && !memcmp(&local, &peer, llen);
}

/* After a self-connect: another try from another port; after three in a row, closed. */
static enum ps_err conn_self_retry(struct conn_run *run, struct conn_pair pair)
{
	if (pair.tries >= 3) {
		conn_report(run, pair, PORT_CLOSED, REASON_CONN_REFUSED, 0);
		return PS_OK;
	}
	return conn_queue_unshift(&run->retry, pair);
}

static unsigned family_slot_pool(int family)
{
	return family == AF_INET6;
}

static void conn_slot_free(struct conn_run *run, uint32_t s)
{
	unsigned pool = family_slot_pool(run->slots[s].family);

	run->free_slots[pool][run->nfree[pool]++] = s;
}

/* The probe in slot s is over; its socket stays with the slot, ready for the next probe. */
static void conn_slot_unlink(struct conn_run *run, uint32_t s)
{
	struct conn_slot *slot = &run->slots[s];

	if (slot->prev != SLOT_NONE)
		run->slots[slot->prev].next = slot->next;
	else
		run->oldest = slot->next;
	if (slot->next != SLOT_NONE)
		run->slots[slot->next].prev = slot->prev;
	else
		run->newest = slot->prev;
	slot->busy = false;
	run->inflight--;
	conn_slot_free(run, s);
}

static void conn_slot_link(struct conn_run *run, uint32_t s, struct conn_pair pair)
{
	struct conn_slot *slot = &run->slots[s];

	slot->busy = true;
	slot->pair = pair;
	slot->sent_ns = run->now;
	slot->next = SLOT_NONE;
	slot->prev = run->newest;
	if (run->newest != SLOT_NONE)
		run->slots[run->newest].next = s;
	else
		run->oldest = s;
	run->newest = s;
	run->inflight++;
	if (run->inflight > run->stats->max_inflight_seen)
		run->stats->max_inflight_seen = run->inflight;
}

/* The kernel is out of descriptors, memory or local ports: keep the pair, shrink the window. */
static enum ps_err conn_starved(struct conn_run *run, struct conn_pair pair, int err)
{
	if (run->inflight == 0)
		return ps_fail(run->diag, PS_ERR_SYSTEM, "connect scan: cannot open a socket: %s",
			       strerror(err));
	run->window_cap = run->inflight;
	run->window = run->inflight;
	run->starved = true;
	return conn_queue_unshift(&run->retry, pair);
}

/*
 * Edge-triggered: an idle socket sits in CLOSE, which polls as "hang up" for ever; level
 * triggering would report it on every wait. Each answer is a new edge, and epoll re-reads the
 * socket's state before reporting, so a wake-up left over from the previous probe on this
 * socket is dropped unless the new probe has an answer too.
 */
static int conn_socket(struct conn_run *run, int family, uint32_t s)
{
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.u32 = s};
	int one = 1;
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);

	if (fd < 0)
		return -1;
	if ((family == AF_INET && setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one))) ||
	    (family == AF_INET6 && setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof(one))) ||
	    epoll_ctl(run->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* A free slot with an idle socket of this family, else any free slot with a new socket. */
static int conn_slot_for(struct conn_run *run, int family, uint32_t *slot_out)
{
	unsigned pool = family_slot_pool(family);
	struct conn_slot *slot;
	uint32_t s;

	if (!run->nfree[pool])
		pool = !pool;
	if (!run->nfree[pool])
		return EMFILE; /* cannot happen: the window is never larger than the slots */
	s = run->free_slots[pool][--run->nfree[pool]];
	slot = &run->slots[s];
	if (slot->fd < 0 || slot->family != family) {
		if (slot->fd >= 0)
			close(slot->fd); /* idle: unconnected, nothing to abort */
		slot->fd = conn_socket(run, family, s);
		slot->family = (uint8_t)family;
		if (slot->fd < 0) {
			int err = errno;

			conn_slot_free(run, s);
			return err;
		}
	}
	*slot_out = s;
	return 0;
}

static enum ps_err conn_launch(struct conn_run *run, struct conn_pair pair)
{
	struct sockaddr_storage ss;
	struct ps_addr addr;
	const char *name;
	uint16_t port;
	socklen_t sslen;
	uint32_t s = 0;
	int fd, err;

	conn_pair_target(run, pair.index, &addr, &port, &name);
	err = conn_slot_for(run, addr.family, &s);
	if (err) {
		if (err == EAFNOSUPPORT) {
			/* No IPv6 on this host: no route there, as far as we are concerned. */
			pair.tries++;
			conn_report(run, pair, PORT_FILTERED, REASON_NET_UNREACH, 0);
			return PS_OK;
		}
		if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
			return conn_starved(run, pair, err);
		return ps_fail(run->diag, PS_ERR_SYSTEM, "connect scan: socket: %s", strerror(err));
	}
	fd = run->slots[s].fd;
	sslen = ps_addr_to_sockaddr(&addr, port, &ss);
	err = connect(fd, (struct sockaddr *)&ss, sslen) ? errno : 0;
	if (err == EADDRNOTAVAIL || err == EAGAIN || err == ENOBUFS || err == ENOMEM) {
		conn_slot_free(run, s);
		return conn_starved(run, pair, err);
	}
	if (err == EISCONN || err == EALREADY) {
		/* A reused socket that did not come back clean: replace it, keep the turn. */
		conn_close_abort(fd);
		run->slots[s].fd = -1;
		conn_slot_free(run, s);
		return conn_queue_unshift(&run->retry, pair);
	}
	pair.tries++;
	run->stats->probes_sent++;
	if (pair.tries > 1)
		run->stats->retransmits++;
	if (err == EINPROGRESS) {
		conn_slot_link(run, s, pair);
		return PS_OK;
	}
	conn_slot_free(run, s);
	switch (err) {
	case 0: /* loopback may complete at once */
		if (conn_self_connected(fd)) {
			conn_slot_reset(run, s);
			return conn_self_retry(run, pair);
		}
		conn_slot_reset(run, s);
		conn_answered(run, pair, PORT_OPEN, REASON_SYN_ACK, 0);
		return PS_OK;
	case ECONNREFUSED:
		conn_answered(run, pair, PORT_CLOSED, REASON_CONN_REFUSED, 0);
		return PS_OK;
	case ENETUNREACH:  /* no route, or a "throw" route */
	case EHOSTUNREACH: /* an "unreachable" route */
	case EPERM:	   /* a cgroup or LSM hook said no */
	case EACCES:	   /* a "prohibit" route */
		conn_report(run, pair, PORT_FILTERED, errno_reason(err), 0);
		return PS_OK;
	case EINVAL: /* a "blackhole" route: nothing will ever get there */
		conn_report(run, pair, PORT_FILTERED, REASON_NET_UNREACH, 0);
		return PS_OK;
	default:
		return ps_fail(run->diag, PS_ERR_SYSTEM, "connect scan: connect: %s",
			       strerror(err));
	}
}

/*
 * How the probe in slot s ended, as an errno (0: connected). A second connect() to the same
 * address reports a failed handshake's error and leaves the socket unconnected in one system
 * call; EALREADY means the handshake is still under way.
 *
 * An ICMP error does not end the handshake: recent kernels treat destination-unreachable in
 * SYN_SENT as a soft error (RFC 1122 4.2.3.9) and keep retransmitting the SYN, and older ones
 * abort it. Either way the error queue holds the ICMP message, which is the answer we wanted.
 */
static int conn_outcome(struct conn_run *run, uint32_t s, uint32_t events, enum port_reason *reason)
{
	struct conn_slot *slot = &run->slots[s];
	struct sockaddr_storage ss;
	struct ps_addr addr;
	const char *name;
	socklen_t sslen;
	uint16_t port;
	int err, icmp_errno;

	*reason = REASON_NONE;
	if (!(events & (EPOLLERR | EPOLLHUP)))
		return 0;
	*reason = conn_icmp_reason(slot->fd, &icmp_errno);
	conn_pair_target(run, slot->pair.index, &addr, &port, &name);
	sslen = ps_addr_to_sockaddr(&addr, port, &ss);
	err = connect(slot->fd, (struct sockaddr *)&ss, sslen) ? errno : 0;
	if (err == EISCONN)
		err = 0;
	if ((err == EALREADY || err == EINPROGRESS) && *reason != REASON_NONE) {
		conn_slot_reset(run, s);
		err = icmp_errno ? icmp_errno : EHOSTUNREACH;
	}
	return err;
}

static enum ps_err conn_event(struct conn_run *run, uint32_t s, uint32_t events)
{
	struct conn_slot *slot = &run->slots[s];
	struct conn_pair pair = slot->pair;
	uint64_t rtt_ns = run->now - slot->sent_ns;
	enum port_reason reason;
	int err;

	if (!slot->busy)
		return PS_OK;
	err = conn_outcome(run, s, events, &reason);
	if (err == EALREADY || err == EINPROGRESS)
		return PS_OK;
	conn_slot_unlink(run, s);
	conn_window_grow(run);
	if (err == 0 && conn_self_connected(slot->fd)) {
		conn_slot_reset(run, s);
		return conn_self_retry(run, pair);
	}
	if (err == 0 || err == ECONNRESET || err == EPIPE)
		conn_slot_reset(run, s);
	if (err == ETIMEDOUT)
		return conn_silent(run, pair);
	scan_rtt_sample(&run->rtt, rtt_ns);
	switch (err) {
	case 0:
	case ECONNRESET: /* the handshake completed before the reset: someone listens */
	case EPIPE:
		conn_answered(run, pair, PORT_OPEN, REASON_SYN_ACK, rtt_ns);
		break;
	case ECONNREFUSED:
		if (reason == REASON_NONE)
			conn_answered(run, pair, PORT_CLOSED, REASON_CONN_REFUSED, rtt_ns);
		else /* an ICMP port unreachable, not an RST: a filter speaks (nmap agrees) */
			conn_answered(run, pair, PORT_FILTERED, reason, rtt_ns);
		break;
	default:
		conn_answered(run, pair, PORT_FILTERED, reason ? reason : errno_reason(err),
			      rtt_ns);
		break;
	}
	return PS_OK;
}

static enum ps_err conn_expire(struct conn_run *run)
{
	uint64_t timeout = scan_rtt_timeout_ns(&run->rtt);

	while (run->oldest != SLOT_NONE && run->slots[run->oldest].sent_ns + timeout <= run->now) {
		struct conn_pair pair = run->slots[run->oldest].pair;
		enum ps_err err;

		conn_slot_reset(run, run->oldest);
		conn_slot_unlink(run, run->oldest);
		conn_window_grow(run);
		err = conn_silent(run, pair);
		if (err)
			return err;
	}
	return PS_OK;
}

static bool conn_has_work(const struct conn_run *run)
{
	return run->retry.len || !scan_perm_iter_done(&run->fresh);
}

static bool conn_rate_allows(struct conn_run *run)
{
	if (!run->opts->rate_pps)
		return true;
	return scan_rate_take(&run->rate, run->now, 1) == 1;
}

/* batch_full: it stopped only to look at answers, more could go out at once. */
static enum ps_err conn_fill(struct conn_run *run, bool *batch_full)
{
	unsigned launched = 0;

	run->starved = false;
	*batch_full = false;
	while (run->inflight < run->window && conn_has_work(run)) {
		struct conn_pair pair = {0};
		enum ps_err err;

		if (launched == CONN_FILL_BATCH) {
			*batch_full = true;
			break;
		}
		if (!conn_rate_allows(run))
			break;
		launched++;
		if (run->retry.len)
			pair = conn_queue_shift(&run->retry);
		else if (!scan_perm_iter_next(&run->fresh, &pair.index))
			break; /* not reached: conn_has_work() said there is a fresh pair */
		err = conn_launch(run, pair);
		if (err)
			return err;
		if (run->starved)
			break; /* wait for a socket to close */
	}
	return PS_OK;
}

/*
 * Nothing in flight, nothing queued: the loss estimate now rests on every answer. Parked pairs
 * below the final cap get another round; returns false when no pair did, after reporting them
 * all filtered.
 */
static enum ps_err conn_end_of_pass(struct conn_run *run, bool *more)
{
	unsigned cap = scan_loss_tries_cap(&run->loss, true);
	size_t n = run->parked.len, i;
	enum ps_err err;

	*more = false;
	for (i = 0; i < n; i++) {
		struct conn_pair pair = conn_queue_shift(&run->parked);

		if (pair.tries < cap) {
			err = conn_queue_push(&run->retry, pair);
			*more = true;
		} else {
			err = conn_queue_push(&run->parked, pair);
		}
		if (err)
			return err;
	}
	if (*more)
		return PS_OK;
	while (run->parked.len)
		conn_report(run, conn_queue_shift(&run->parked), PORT_FILTERED, REASON_NO_RESPONSE,
			    0);
	return PS_OK;
}

static int conn_wait_ms(const struct conn_run *run)
{
	uint64_t wait_ns = (uint64_t)CONN_WAIT_MAX_MS * 1000000u;

	if (run->oldest != SLOT_NONE) {
		uint64_t deadline =
		    run->slots[run->oldest].sent_ns + scan_rtt_timeout_ns(&run->rtt);
		uint64_t left = deadline > run->now ? deadline - run->now : 0;

		if (left < wait_ns)
			wait_ns = left;
	}
	if (run->opts->rate_pps && conn_has_work(run) && run->inflight < run->window) {
		uint64_t token_ns = scan_rate_wait_ns(&run->rate);

		if (token_ns < wait_ns)
			wait_ns = token_ns;
	}
	return (int)((wait_ns + 999999) / 1000000);
}

static bool conn_stopped(const struct conn_run *run)
{
	return run->opts->stop && *run->opts->stop;
}

static enum ps_err conn_loop(struct conn_run *run)
{
	struct epoll_event events[CONN_EVENTS];
	enum ps_err err;
	bool more, busy;
	int n, i;

	/* conn_init() succeeded; the analyzer cannot see that ps_fail() returns its error. */
	if (!run->slots)
		return PS_ERR_INVALID;
	for (;;) {
		if (conn_stopped(run))
			return PS_ERR_INTERRUPTED;
		run->now = ps_now_ns();
		err = conn_fill(run, &busy);
		if (err)
			return err;
		if (run->inflight == 0 && !conn_has_work(run)) {
			err = conn_end_of_pass(run, &more);
			if (err || !more)
				return err;
			continue;
		}
		n = epoll_wait(run->epfd, events, CONN_EVENTS, busy ? 0 : conn_wait_ms(run));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ps_fail(run->diag, PS_ERR_SYSTEM, "connect scan: epoll_wait: %s",
				       strerror(errno));
		}
		run->now = ps_now_ns();
		for (i = 0; i < n; i++) {
			err = conn_event(run, events[i].data.u32, events[i].events);
			if (err)
				return err;
		}
		/* Answers still queued in the kernel must not be mistaken for timeouts. */
		if (n == CONN_EVENTS)
			continue;
		err = conn_expire(run);
		if (err)
			return err;
	}
}

/* Raise the soft descriptor limit as far as the hard limit allows; the window follows it. */
static uint32_t conn_max_inflight(const struct scan_opts *opts)
{
	struct rlimit lim;
	uint64_t room = 1024;

	if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
		if (lim.rlim_cur < lim.rlim_max) {
			struct rlimit raised = {.rlim_cur = lim.rlim_max, .rlim_max = lim.rlim_max};

			if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
				lim.rlim_cur = lim.rlim_max;
		}
		room = lim.rlim_cur;
	}
	room = room > (uint64_t)2 * CONN_FD_RESERVE ? room - CONN_FD_RESERVE : room / 2;
	if (room > CONN_INFLIGHT_CAP)
		room = CONN_INFLIGHT_CAP;
	if (opts->max_inflight && opts->max_inflight < room)
		room = opts->max_inflight;
	return room ? (uint32_t)room : 1;
}

static enum ps_err conn_init(struct conn_run *run, const struct scan_opts *opts,
			     struct scan_stats *stats, struct ps_diag *diag)
{
	struct scan_perm_range range;
	uint64_t seed = opts->seed;
	uint32_t i;

	*run = (struct conn_run){
	    .opts = opts,
	    .stats = stats,
	    .diag = diag,
	    .epfd = -1,
	    .oldest = SLOT_NONE,
	    .newest = SLOT_NONE,
	};
	if (!opts->targets || !opts->ports || !opts->on_result)
		return ps_fail(diag, PS_ERR_INVALID, "connect scan: no targets, ports or output");
	if (portset_has(opts->ports, 0))
		return ps_fail(diag, PS_ERR_INVALID,
			       "the connect engine cannot probe port 0 (the kernel refuses to "
			       "connect to it): use the raw engine (-sS)");
	run->nhosts = opts->targets->total;
	run->nports = opts->ports->count;
	if (!run->nhosts || !run->nports)
		return ps_fail(diag, PS_ERR_INVALID, "connect scan: nothing to scan");
	if (run->nhosts > UINT64_MAX / run->nports)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "connect scan: too many address/port pairs");
	run->total = run->nhosts * run->nports;
	run->ports = malloc(run->nports * sizeof(*run->ports));
	if (!run->ports)
		return PS_ERR_NOMEM;
	portset_to_array(opts->ports, run->ports);

	if (!seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = ps_now_ns();
	scan_perm_init(&run->perm, run->total, seed);
	range = scan_perm_whole(&run->perm);
	if (opts->nshards > 1) {
		if (opts->shard >= opts->nshards)
			return ps_fail(diag, PS_ERR_INVALID, "connect scan: shard %llu of %llu does "
							     "not exist",
				       (unsigned long long)opts->shard,
				       (unsigned long long)opts->nshards);
		range = scan_perm_shard(&run->perm, opts->shard, opts->nshards);
	}
	scan_perm_iter_init(&run->fresh, &run->perm, range, 0, 1);

	run->window_cap = conn_max_inflight(opts);
	run->window = run->window_cap < CONN_INITIAL_WINDOW ? run->window_cap : CONN_INITIAL_WINDOW;
	run->nslots = run->window_cap;
	run->slots = calloc(run->nslots, sizeof(*run->slots));
	run->free_slots[0] = malloc(run->nslots * sizeof(*run->free_slots[0]));
	run->free_slots[1] = malloc(run->nslots * sizeof(*run->free_slots[1]));
	if (!run->slots || !run->free_slots[0] || !run->free_slots[1])
		return PS_ERR_NOMEM;
	for (i = 0; i < run->nslots; i++) {
		run->slots[i].fd = -1;
		run->free_slots[0][i] = run->nslots - 1 - i;
	}
	run->nfree[0] = run->nslots;

	run->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (run->epfd < 0)
		return ps_fail(diag, PS_ERR_SYSTEM, "connect scan: epoll_create1: %s",
			       strerror(errno));
	scan_rtt_init(&run->rtt, opts->initial_rtt_timeout_ms, opts->min_rtt_timeout_ms,
		      opts->max_rtt_timeout_ms);
	scan_loss_init(&run->loss, range.end - range.begin,
		       (opts->max_retries ? opts->max_retries : SCAN_MAX_RETRIES) + 1);
	if (opts->rate_pps)
		scan_rate_init(&run->rate, opts->rate_pps, ps_now_ns());
	return PS_OK;
}

static void conn_release(struct conn_run *run)
{
	uint32_t i;

	for (i = 0; run->slots && i < run->nslots; i++) {
		if (run->slots[i].busy) /* maybe accepted: abort */
			conn_close_abort(run->slots[i].fd);
		else if (run->slots[i].fd >= 0)
			close(run->slots[i].fd);
	}
	if (run->epfd >= 0)
		close(run->epfd);
	conn_queue_release(&run->retry);
	conn_queue_release(&run->parked);
	free(run->free_slots[0]);
	free(run->free_slots[1]);
	free(run->slots);
	free(run->ports);
}

static enum ps_err conn_run(const struct scan_opts *opts, struct scan_stats *stats,
			    struct ps_diag *diag)
{
	struct scan_stats ignored;
	struct conn_run run;
	enum ps_err err;

	if (!stats)
		stats = &ignored;
	*stats = (struct scan_stats){0};
	err = conn_init(&run, opts, stats, diag);
	if (err)
		goto out;
	err = conn_loop(&run);
	stats->srtt_us = (uint32_t)(run.rtt.srtt_ns / 1000);
	if (err == PS_ERR_INTERRUPTED)
		ps_fail(diag, err, "connect scan interrupted");
out:
	conn_release(&run);
	return err;
}

/* Unprivileged sockets and the kernel's own routing: any scan, anywhere, any user. */
static enum ps_err conn_usable(const struct scan_opts *opts, struct ps_diag *diag)
{
	(void)opts;
	(void)diag;
	return PS_OK;
}

const struct scan_engine scan_connect_engine = {
    .name = "connect",
    .needs_raw = false,
    .usable = conn_usable,
    .run = conn_run,
};
