/* SPDX-License-Identifier: MIT */
/*
 * The unprivileged TCP connect scan: one non-blocking connect() per (address, port), thousands
 * in flight on one epoll instance. The kernel does the handshake, so the answer is whatever
 * connect() ends with: success (open), ECONNREFUSED (closed), an ICMP error (filtered, with
 * the exact type and code read from the socket's error queue thanks to IP_RECVERR) or nothing
 * before our timeout (retried, finally filtered). SO_LINGER {1, 0} makes close() abort with an
 * RST, so a scan leaves no TIME_WAIT sockets behind however many ports it touched.
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
#include "engine.h"
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
	int fd;
	uint32_t gen; /* tells a stale epoll event from the slot's current socket */
	uint32_t prev;
	uint32_t next;
	uint64_t sent_ns;
	struct conn_pair pair;
};

/* x -> (mul * x + add) mod n with gcd(mul, n) = 1: a cheap permutation of 0..n-1. */
struct conn_order {
	uint64_t n;
	uint64_t mul;
	uint64_t add;
};

struct conn_run {
	const struct scan_opts *opts;
	struct scan_stats *stats;
	struct ps_diag *diag;
	int epfd;

	struct conn_slot *slots;
	uint32_t nslots;
	uint32_t *free_slots;
	uint32_t nfree;
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
	uint64_t next_fresh;
	struct conn_order host_order;
	struct conn_order port_order;

	struct conn_queue retry;
	struct conn_queue parked;
	struct scan_rtt rtt;
	struct scan_loss loss;
	uint64_t now;
	double tokens; /* rate_pps token bucket */
	uint64_t tokens_ns;
};

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static void conn_order_init(struct conn_order *order, uint64_t n, uint64_t *rng)
{
	order->n = n;
	order->mul = 1;
	order->add = 0;
	if (n < 2)
		return;
	do
		order->mul = splitmix64(rng) % (n - 1) + 1;
	while (gcd64(order->mul, n) != 1);
	order->add = splitmix64(rng) % n;
}

static uint64_t conn_order_at(const struct conn_order *order, uint64_t x)
{
	return (uint64_t)(((ps_u128)order->mul * x + order->add) % order->n);
}

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

/* Consecutive pair numbers go to different hosts, so no host sees a burst of its own. */
static void conn_pair_target(const struct conn_run *run, uint64_t index, struct ps_addr *addr,
			     uint16_t *port, const char **name)
{
	uint64_t host = conn_order_at(&run->host_order, index % run->nhosts);
	uint64_t port_pos = conn_order_at(&run->port_order, index / run->nhosts);

	target_list_get(run->opts->targets, host, addr, name);
	*port = run->ports[port_pos];
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

static enum port_reason icmp4_reason(uint8_t type, uint8_t code)
{
	if (type != ICMP_DEST_UNREACH)
		return REASON_HOST_UNREACH;
	switch (code) {
	case ICMP_NET_UNREACH:
	case ICMP_NET_UNKNOWN:
	case ICMP_NET_UNR_TOS:
		return REASON_ICMP_NET_UNREACH;
	case ICMP_HOST_UNREACH:
	case ICMP_HOST_UNKNOWN:
	case ICMP_HOST_ISOLATED:
	case ICMP_HOST_UNR_TOS:
		return REASON_ICMP_HOST_UNREACH;
	case ICMP_PROT_UNREACH:
		return REASON_ICMP_PROTO_UNREACH;
	case ICMP_PORT_UNREACH:
		return REASON_ICMP_PORT_UNREACH;
	case ICMP_NET_ANO:
		return REASON_ICMP_NET_PROHIBITED;
	case ICMP_HOST_ANO:
		return REASON_ICMP_HOST_PROHIBITED;
	case ICMP_PKT_FILTERED:
	case ICMP_PREC_VIOLATION:
	case ICMP_PREC_CUTOFF:
		return REASON_ICMP_ADMIN_PROHIBITED;
	default:
		return REASON_HOST_UNREACH;
	}
}

static enum port_reason icmp6_reason(uint8_t type, uint8_t code)
{
	if (type != ICMP6_DST_UNREACH)
		return REASON_HOST_UNREACH;
	switch (code) {
	case ICMP6_DST_UNREACH_NOROUTE:
	case ICMP6_DST_UNREACH_BEYONDSCOPE:
		return REASON_ICMP_NET_UNREACH;
	case ICMP6_DST_UNREACH_ADMIN:
	case 5: /* source address failed ingress/egress policy (RFC 4443) */
		return REASON_ICMP_ADMIN_PROHIBITED;
	case 6: /* reject route to destination */
		return REASON_ICMP_NET_PROHIBITED;
	case ICMP6_DST_UNREACH_ADDR:
		return REASON_ICMP_HOST_UNREACH;
	case ICMP6_DST_UNREACH_NOPORT:
		return REASON_ICMP_PORT_UNREACH;
	default:
		return REASON_HOST_UNREACH;
	}
}

/*
 * Linux turns an ICMP error in SYN_SENT into a connect() errno and forgets the code (IPv6
 * admin-prohibited even becomes EACCES, the same errno as a local firewall). With IP_RECVERR /
 * IPV6_RECVERR the kernel also queues the ICMP message itself on the socket's error queue, so
 * this needs no raw socket and no CAP_NET_RAW. REASON_NONE: the error did not come from ICMP.
 */
static enum port_reason conn_icmp_reason(int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
				    sizeof(struct sockaddr_in6))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = {.msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;

	if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return REASON_NONE;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		struct sock_extended_err ee;

		if (!(cmsg->cmsg_level == SOL_IP && cmsg->cmsg_type == IP_RECVERR) &&
		    !(cmsg->cmsg_level == SOL_IPV6 && cmsg->cmsg_type == IPV6_RECVERR))
			continue;
		if (cmsg->cmsg_len < CMSG_LEN(sizeof(ee)))
			continue;
		memcpy(&ee, CMSG_DATA(cmsg), sizeof(ee));
		if (ee.ee_origin == SO_EE_ORIGIN_ICMP)
			return icmp4_reason(ee.ee_type, ee.ee_code);
		if (ee.ee_origin == SO_EE_ORIGIN_ICMP6)
			return icmp6_reason(ee.ee_type, ee.ee_code);
	}
	return REASON_NONE;
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
	close(slot->fd);
	slot->fd = -1;
	slot->gen++;
	run->free_slots[run->nfree++] = s;
	run->inflight--;
}

static uint32_t conn_slot_take(struct conn_run *run, int fd, struct conn_pair pair)
{
	uint32_t s = run->free_slots[--run->nfree];
	struct conn_slot *slot = &run->slots[s];

	slot->fd = fd;
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
	return s;
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

static int conn_socket(int family)
{
	struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
	int one = 1;
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close)) ||
	    (family == AF_INET && setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one))) ||
	    (family == AF_INET6 && setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof(one)))) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static enum ps_err conn_launch(struct conn_run *run, struct conn_pair pair)
{
	struct sockaddr_storage ss;
	struct ps_addr addr;
	const char *name;
	uint16_t port;
	socklen_t sslen;
	int fd, err;

	conn_pair_target(run, pair.index, &addr, &port, &name);
	fd = conn_socket(addr.family);
	if (fd < 0) {
		err = errno;
		if (err == EAFNOSUPPORT) {
			/* No IPv6 on this host: no route there, as far as we are concerned. */
			pair.tries++;
			conn_report(run, pair, PORT_FILTERED, REASON_NET_UNREACH, 0);
			return PS_OK;
		}
		if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
			return conn_starved(run, pair, err);
		return ps_fail(run->diag, PS_ERR_SYSTEM, "connect scan: socket: %s",
			       strerror(err));
	}
	sslen = ps_addr_to_sockaddr(&addr, port, &ss);
	err = connect(fd, (struct sockaddr *)&ss, sslen) ? errno : 0;
	if (err == EADDRNOTAVAIL || err == EAGAIN || err == ENOBUFS || err == ENOMEM) {
		close(fd);
		return conn_starved(run, pair, err);
	}
	pair.tries++;
	run->stats->probes_sent++;
	if (pair.tries > 1)
		run->stats->retransmits++;
	if (err == EINPROGRESS) {
		uint32_t s = conn_slot_take(run, fd, pair);
		struct epoll_event ev = {
			.events = EPOLLOUT,
			.data.u64 = (uint64_t)run->slots[s].gen << 32 | s,
		};

		if (epoll_ctl(run->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			err = errno;
			conn_slot_unlink(run, s);
			return ps_fail(run->diag, PS_ERR_SYSTEM, "connect scan: epoll_ctl: %s",
				       strerror(err));
		}
		return PS_OK;
	}
	close(fd);
	if (err == 0) { /* loopback may complete at once */
		conn_answered(run, pair, PORT_OPEN, REASON_SYN_ACK, 0);
		return PS_OK;
	}
	switch (err) {
	case ECONNREFUSED:
		conn_answered(run, pair, PORT_CLOSED, REASON_CONN_REFUSED, 0);
		return PS_OK;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EPERM:
	case EACCES:
		conn_report(run, pair, PORT_FILTERED, errno_reason(err), 0);
		return PS_OK;
	default:
		return ps_fail(run->diag, PS_ERR_SYSTEM, "connect scan: connect: %s",
			       strerror(err));
	}
}

static enum ps_err conn_event(struct conn_run *run, uint32_t s)
{
	struct conn_slot *slot = &run->slots[s];
	struct conn_pair pair = slot->pair;
	uint64_t rtt_ns = run->now - slot->sent_ns;
	enum port_reason reason = REASON_NONE;
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(slot->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err && err != ECONNRESET && err != EPIPE && err != ETIMEDOUT)
		reason = conn_icmp_reason(slot->fd);
	conn_slot_unlink(run, s);
	conn_window_grow(run);
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
	return run->retry.len || run->next_fresh < run->total;
}

static bool conn_rate_allows(struct conn_run *run)
{
	double rate = run->opts->rate_pps;

	if (!rate)
		return true;
	run->tokens += (double)(run->now - run->tokens_ns) * rate / 1e9;
	run->tokens_ns = run->now;
	/* A burst of a hundredth of a second keeps the average without a timer per packet. */
	if (run->tokens > rate / 100 + 1)
		run->tokens = rate / 100 + 1;
	if (run->tokens < 1)
		return false;
	run->tokens -= 1;
	return true;
}

/* batch_full: it stopped only to look at answers, more could go out at once. */
static enum ps_err conn_fill(struct conn_run *run, bool *batch_full)
{
	unsigned launched = 0;

	run->starved = false;
	*batch_full = false;
	while (run->inflight < run->window && conn_has_work(run)) {
		if (launched == CONN_FILL_BATCH) {
			*batch_full = true;
			break;
		}
		if (!conn_rate_allows(run))
			break;
		launched++;
		struct conn_pair pair;
		enum ps_err err;

		if (run->retry.len)
			pair = conn_queue_shift(&run->retry);
		else
			pair = (struct conn_pair){.index = run->next_fresh++};
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
		uint64_t deadline = run->slots[run->oldest].sent_ns + scan_rtt_timeout_ns(&run->rtt);
		uint64_t left = deadline > run->now ? deadline - run->now : 0;

		if (left < wait_ns)
			wait_ns = left;
	}
	if (run->opts->rate_pps && conn_has_work(run) && run->inflight < run->window) {
		uint64_t token_ns = 1000000000u / run->opts->rate_pps + 1;

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
			uint32_t s = (uint32_t)events[i].data.u64;

			if (run->slots[s].gen != (uint32_t)(events[i].data.u64 >> 32) ||
			    run->slots[s].fd < 0)
				continue;
			err = conn_event(run, s);
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
	room = room > 2 * CONN_FD_RESERVE ? room - CONN_FD_RESERVE : room / 2;
	if (room > CONN_INFLIGHT_CAP)
		room = CONN_INFLIGHT_CAP;
	if (opts->max_inflight && opts->max_inflight < room)
		room = opts->max_inflight;
	return room ? (uint32_t)room : 1;
}

static enum ps_err conn_init(struct conn_run *run, const struct scan_opts *opts,
			     struct scan_stats *stats, struct ps_diag *diag)
{
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
	conn_order_init(&run->host_order, run->nhosts, &seed);
	conn_order_init(&run->port_order, run->nports, &seed);

	run->window_cap = conn_max_inflight(opts);
	run->window = run->window_cap < CONN_INITIAL_WINDOW ? run->window_cap : CONN_INITIAL_WINDOW;
	run->nslots = run->window_cap;
	run->slots = calloc(run->nslots, sizeof(*run->slots));
	run->free_slots = malloc(run->nslots * sizeof(*run->free_slots));
	if (!run->slots || !run->free_slots)
		return PS_ERR_NOMEM;
	for (i = 0; i < run->nslots; i++) {
		run->slots[i].fd = -1;
		run->free_slots[i] = run->nslots - 1 - i;
	}
	run->nfree = run->nslots;

	run->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (run->epfd < 0)
		return ps_fail(diag, PS_ERR_SYSTEM, "connect scan: epoll_create1: %s",
			       strerror(errno));
	scan_rtt_init(&run->rtt, opts->initial_rtt_timeout_ms, opts->min_rtt_timeout_ms,
		      opts->max_rtt_timeout_ms);
	scan_loss_init(&run->loss, run->total,
		       (opts->max_retries ? opts->max_retries : SCAN_MAX_RETRIES) + 1);
	run->tokens = 1;
	run->tokens_ns = ps_now_ns();
	return PS_OK;
}

static void conn_release(struct conn_run *run)
{
	uint32_t i;

	if (run->slots)
		for (i = 0; i < run->nslots; i++)
			if (run->slots[i].fd >= 0)
				close(run->slots[i].fd);
	if (run->epfd >= 0)
		close(run->epfd);
	conn_queue_release(&run->retry);
	conn_queue_release(&run->parked);
	free(run->free_slots);
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

const struct scan_engine scan_connect_engine = {
	.name = "connect",
	.needs_raw = false,
	.run = conn_run,
};
