/* SPDX-License-Identifier: MIT */
/*
 * ShieldsUP's UPnP and NetBIOS tests over plain kernel UDP sockets, the port bookkeeping and
 * the reply splitter. A UDP socket needs no privileges, and with IP_RECVERR an unconnected
 * one still learns of the ICMP errors the target sends back (a closed port shows itself).
 */
#include "shieldsup.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/textclean.h"
#include "probe/udp_payloads.h"
#include "probe/udp_reply.h"

const uint16_t shieldsup_common_ports[SHIELDSUP_COMMON_COUNT] = {
	0,   21,  22,  23,  25,	 79,   80,   110,  113,	 119,  135,  139,  143,
	389, 443, 445, 1002, 1024, 1025, 1026, 1027, 1028, 1029, 1030, 1720, 5000,
};

#define SSDP_PORT 1900
#define NBNS_PORT 137
#define REPLY_MAX 2048

void shieldsup_ports_of(enum shieldsup_set set, bool port0, struct portset *out)
{
	size_t i;

	portset_clear(out);
	if (set == SHIELDSUP_SET_SERVICE)
		portset_add_range(out, 1, SHIELDSUP_SERVICE_LAST);
	else
		for (i = 1; i < SHIELDSUP_COMMON_COUNT; i++)
			portset_add(out, shieldsup_common_ports[i]);
	if (port0)
		portset_add(out, 0);
}

bool shieldsup_set_from_name(const char *name, enum shieldsup_set *out)
{
	if (!strcmp(name, "common"))
		*out = SHIELDSUP_SET_COMMON;
	else if (!strcmp(name, "service") || !strcmp(name, "all"))
		*out = SHIELDSUP_SET_SERVICE;
	else
		return false;
	return true;
}

const char *shieldsup_set_name(enum shieldsup_set set)
{
	return set == SHIELDSUP_SET_SERVICE ? "service" : "common";
}

void shieldsup_result_init(struct shieldsup_result *r, const struct ps_addr *target,
			   enum shieldsup_set set)
{
	memset(r, 0, sizeof(*r));
	r->target = *target;
	r->set = set;
}

/* The ports stay sorted, so every report lists them in order whatever order they came in. */
enum ps_err shieldsup_port_add(struct shieldsup_result *r, const struct port_result *res)
{
	size_t lo = 0, hi = r->nports;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->ports[mid].port < res->port)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == r->nports || r->ports[lo].port != res->port) {
		if (r->nports == SHIELDSUP_PORTS_MAX)
			return PS_ERR_TOO_LARGE;
		memmove(&r->ports[lo + 1], &r->ports[lo], (r->nports - lo) * sizeof(r->ports[0]));
		r->nports++;
	}
	r->ports[lo].port = res->port;
	r->ports[lo].state = res->state;
	r->ports[lo].reason = res->reason;
	if (res->port == 0)
		r->port0_tested = true;
	return PS_OK;
}

enum port_state shieldsup_port_state(const struct shieldsup_result *r, uint16_t port)
{
	size_t i;

	for (i = 0; i < r->nports; i++)
		if (r->ports[i].port == port)
			return (enum port_state)r->ports[i].state;
	return PORT_STATE_COUNT;
}

void shieldsup_opts_init(struct shieldsup_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->upnp = true;
	o->netbios = true;
}

/* ---- the reply splitter ---- */

/* The line at d[off..len): its length without "\r\n", and where the next one starts. */
static size_t line_at(const uint8_t *d, size_t len, size_t off, size_t *next)
{
	const uint8_t *eol = memchr(d + off, '\n', len - off);
	size_t n = eol ? (size_t)(eol - (d + off)) : len - off;

	*next = off + n + (eol ? 1 : 0);
	if (n && d[off + n - 1] == '\r')
		n--;
	return n;
}

static bool starts(const uint8_t *d, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(d, prefix, n);
}

bool shieldsup_ssdp_split(const uint8_t *data, size_t len, struct shieldsup_upnp *out)
{
	size_t off = 0, next, n;

	out->status[0] = '\0';
	out->nheaders = 0;
	out->headers_cut = 0;
	if (!len)
		return false;
	n = line_at(data, len, 0, &next);
	text_clean_mem(out->status, sizeof(out->status), data, n, TEXT_TERMINAL);
	/* A UPnP device answers M-SEARCH with an HTTP response; some send NOTIFY instead. */
	if (!starts(data, len, "HTTP/") && !starts(data, len, "NOTIFY "))
		return false;
	for (off = next; off < len; off = next) {
		n = line_at(data, len, off, &next);
		if (!n)
			break; /* the empty line: the head ends */
		if (out->nheaders == SHIELDSUP_HEADERS_MAX) {
			out->headers_cut++;
			continue;
		}
		text_clean_mem(out->headers[out->nheaders++], SHIELDSUP_LINE_MAX, data + off, n,
			       TEXT_TERMINAL);
	}
	return true;
}

/* ---- a UDP exchange with the target ---- */

struct udp_peer {
	int fd;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	const struct ps_addr *target;
};

enum udp_event {
	UDP_TIMEOUT,
	UDP_DATAGRAM,  /* from the target's address */
	UDP_ICMP,      /* an ICMP error the target sent about our datagram */
	UDP_FAILED,
};

static bool udp_open(struct udp_peer *p, const struct ps_addr *target, uint16_t port,
		     char *note, size_t note_len)
{
	int on = 1;

	p->target = target;
	p->dst_len = ps_addr_to_sockaddr(target, port, &p->dst);
	p->fd = socket(target->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (p->fd < 0) {
		snprintf(note, note_len, "no UDP socket: %s", strerror(errno));
		return false;
	}
	if (target->family == AF_INET6)
		setsockopt(p->fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
	else
		setsockopt(p->fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
	return true;
}

static bool udp_send(struct udp_peer *p, const uint8_t *data, size_t len, char *note,
		     size_t note_len)
{
	if (sendto(p->fd, data, len, 0, (struct sockaddr *)&p->dst, p->dst_len) ==
	    (ssize_t)len)
		return true;
	snprintf(note, note_len, "sending failed: %s", strerror(errno));
	return false;
}

/* An ICMP error on the error queue: whether the target itself sent it. */
static bool icmp_from_target(struct udp_peer *p)
{
	uint8_t ctrl[512], byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl,
			     .msg_controllen = sizeof(ctrl)};
	struct cmsghdr *cm;
	bool ours = false;

	if (recvmsg(p->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return false;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		struct sock_extended_err ee;
		struct ps_addr from;

		if (!((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) ||
		      (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
			continue;
		if (cm->cmsg_len < CMSG_LEN(sizeof(ee)))
			continue;
		memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
		if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6)
			continue;
		/* The offender's address follows the extended error (SO_EE_OFFENDER). */
		if (cm->cmsg_len >= CMSG_LEN(sizeof(ee) + sizeof(struct sockaddr_in))) {
			struct sockaddr_storage off = {0};
			size_t n = cm->cmsg_len - CMSG_LEN(sizeof(ee));

			memcpy(&off, CMSG_DATA(cm) + sizeof(ee), n < sizeof(off) ? n : sizeof(off));
			if (!ps_addr_from_sockaddr((const struct sockaddr *)&off, &from, NULL) &&
			    !ps_addr_cmp(&from, p->target))
				ours = true;
		}
	}
	return ours;
}

/*
 * Waits until deadline_ns for a datagram from the target's address (any source port: a UPnP
 * device may answer from another one) or an ICMP error from it; other datagrams are dropped.
 */
static enum udp_event udp_wait(struct udp_peer *p, uint64_t deadline_ns, uint8_t *buf,
			       size_t cap, size_t *len, uint16_t *from_port,
			       const volatile sig_atomic_t *stop)
{
	for (;;) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		uint64_t now = ps_now_ns();
		struct ps_addr addr;
		ssize_t n;
		int ms, rc;

		if (now >= deadline_ns || (stop && *stop))
			return UDP_TIMEOUT;
		ms = (int)((deadline_ns - now + 999999) / 1000000);
		rc = poll(&pfd, 1, ms > 100 ? 100 : ms);
		if (rc < 0 && errno != EINTR)
			return UDP_FAILED;
		if (rc <= 0)
			continue;
		if (pfd.revents & POLLERR) {
			if (icmp_from_target(p))
				return UDP_ICMP;
			continue;
		}
		n = recvfrom(p->fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED)
				continue;
			return UDP_FAILED;
		}
		if (ps_addr_from_sockaddr((struct sockaddr *)&from, &addr, from_port) ||
		    ps_addr_cmp(&addr, p->target))
			continue;
		*len = (size_t)n;
		return UDP_DATAGRAM;
	}
}

/* The compiled-in payloads for port (M-SEARCH for 1900, node status for 137). */
static size_t payloads_for(struct udp_payloads *all, uint16_t port,
			   const struct udp_payload **out, size_t max)
{
	struct ps_diag diag = {{0}};

	if (udp_payloads_builtin(all, &diag))
		return 0;
	return udp_payloads_for_port(all, port, out, max);
}

/* ---- UPnP: SSDP M-SEARCH to UDP 1900 ---- */

static void upnp_reply(struct shieldsup_upnp *out, const uint8_t *buf, size_t len,
		       uint16_t port, uint64_t start_ns)
{
	out->answer = SHIELDSUP_ANSWERED;
	out->reply_ms = (uint32_t)((ps_now_ns() - start_ns) / 1000000u);
	out->reply_port = port;
	out->reply_len = len;
	if (!shieldsup_ssdp_split(buf, len, out))
		snprintf(out->note, sizeof(out->note),
			 "the reply (%zu bytes) is not an SSDP response, but any reply exposes "
			 "the device",
			 len);
}

void shieldsup_test_upnp(const struct shieldsup_opts *o, const struct ps_addr *target,
			 struct shieldsup_upnp *out)
{
	unsigned interval = o->upnp_interval_ms ? o->upnp_interval_ms : SHIELDSUP_UPNP_INTERVAL_MS;
	const struct udp_payload *pl[UDP_PAYLOADS_PER_PORT];
	struct udp_payloads all = {0};
	struct udp_peer peer;
	uint8_t buf[REPLY_MAX];
	uint64_t start;
	size_t npl, len = 0;
	uint16_t port = 0;
	unsigned i;

	memset(out, 0, sizeof(*out));
	npl = payloads_for(&all, SSDP_PORT, pl, UDP_PAYLOADS_PER_PORT);
	if (!npl) {
		snprintf(out->note, sizeof(out->note), "no M-SEARCH payload compiled in");
		goto out;
	}
	if (!udp_open(&peer, target, SSDP_PORT, out->note, sizeof(out->note)))
		goto out;
	start = ps_now_ns();
	out->answer = SHIELDSUP_SILENT;
	/* ShieldsUP's timing: one M-SEARCH (ssdp:all and upnp:rootdevice in turn) every
	 * interval, at most 10, the first reply ends it. */
	for (i = 0; i < SHIELDSUP_UPNP_TRIES && !(o->stop && *o->stop); i++) {
		const struct udp_payload *p = pl[i % npl];
		enum udp_event ev;

		if (!udp_send(&peer, p->data, p->len, out->note, sizeof(out->note))) {
			out->answer = out->sent ? SHIELDSUP_SILENT : SHIELDSUP_NOT_TESTED;
			break;
		}
		out->sent++;
		ev = udp_wait(&peer, start + (uint64_t)(i + 1) * interval * 1000000u, buf,
			      sizeof(buf), &len, &port, o->stop);
		if (ev == UDP_DATAGRAM) {
			upnp_reply(out, buf, len, port, start);
			break;
		}
		if (ev == UDP_ICMP) {
			out->answer = SHIELDSUP_REFUSED;
			snprintf(out->note, sizeof(out->note),
				 "the host answered with an ICMP error (no UPnP service there, "
				 "but the host showed itself)");
			break;
		}
		if (ev == UDP_FAILED) {
			snprintf(out->note, sizeof(out->note), "receiving failed: %s",
				 strerror(errno));
			break;
		}
	}
	close(peer.fd);
out:
	udp_payloads_release(&all);
}

/* ---- file sharing: NetBIOS node status on UDP 137 ---- */

static void netbios_reply(struct shieldsup_netbios *out, const uint8_t *buf, size_t len,
			  const uint8_t *id)
{
	struct udp_reply_info info;

	memset(&info, 0, sizeof(info));
	out->answer = SHIELDSUP_ANSWERED;
	if (udp_reply_parse(UDP_REPLY_NBNS, buf, len, &info) && info.id_len == 2 &&
	    !memcmp(info.id, id, 2)) {
		text_clean(out->names, sizeof(out->names), info.facts.info);
		return;
	}
	snprintf(out->note, sizeof(out->note),
		 "a reply on port 137 (%zu bytes) that is not our node status", len);
}

void shieldsup_test_netbios(const struct shieldsup_opts *o, const struct ps_addr *target,
			    struct shieldsup_netbios *out)
{
	const struct udp_payload *pl[UDP_PAYLOADS_PER_PORT];
	struct udp_payloads all = {0};
	struct udp_peer peer;
	uint8_t buf[REPLY_MAX], req[512], id[2] = {0x4e, 0x42};
	uint64_t start;
	size_t npl, len = 0;
	uint16_t port = 0;
	unsigned i;

	memset(out, 0, sizeof(*out));
	npl = payloads_for(&all, NBNS_PORT, pl, 1);
	if (!npl || pl[0]->len > sizeof(req)) {
		snprintf(out->note, sizeof(out->note), "no node status payload compiled in");
		goto out;
	}
	if (!udp_open(&peer, target, NBNS_PORT, out->note, sizeof(out->note)))
		goto out;
	/* The transaction id is the cookie: a reply that does not echo it is not ours. */
	if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id))
		id[0] ^= (uint8_t)ps_now_ns();
	memcpy(req, pl[0]->data, pl[0]->len);
	if (pl[0]->cookie_off >= 0 && (size_t)pl[0]->cookie_off + 2 <= pl[0]->len)
		memcpy(req + pl[0]->cookie_off, id, 2);
	start = ps_now_ns();
	out->answer = SHIELDSUP_SILENT;
	for (i = 0; i < SHIELDSUP_NBNS_TRIES && !(o->stop && *o->stop); i++) {
		enum udp_event ev;

		if (!udp_send(&peer, req, pl[0]->len, out->note, sizeof(out->note))) {
			out->answer = out->sent ? SHIELDSUP_SILENT : SHIELDSUP_NOT_TESTED;
			break;
		}
		out->sent++;
		ev = udp_wait(&peer, start + (uint64_t)(i + 1) * SHIELDSUP_NBNS_INTERVAL_MS * 1000000u,
			      buf, sizeof(buf), &len, &port, o->stop);
		if (ev == UDP_DATAGRAM) {
			netbios_reply(out, buf, len, id);
			break;
		}
		if (ev == UDP_ICMP) {
			out->answer = SHIELDSUP_REFUSED;
			snprintf(out->note, sizeof(out->note),
				 "the host answered with an ICMP error (no name service there)");
			break;
		}
		if (ev == UDP_FAILED)
			break;
	}
	close(peer.fd);
out:
	udp_payloads_release(&all);
}

enum ps_err shieldsup_test_host(const struct shieldsup_opts *o, struct shieldsup_result *r,
				struct ps_diag *diag)
{
	if (r->target.family != AF_INET && r->target.family != AF_INET6)
		return ps_fail(diag, PS_ERR_INVALID, "ShieldsUP tests: no target address");
	if (o->upnp)
		shieldsup_test_upnp(o, &r->target, &r->upnp);
	else
		snprintf(r->upnp.note, sizeof(r->upnp.note), "not asked for");
	if (o->netbios)
		shieldsup_test_netbios(o, &r->target, &r->netbios);
	else
		snprintf(r->netbios.note, sizeof(r->netbios.note), "not asked for");
	memset(&r->ping, 0, sizeof(r->ping));
	if (o->ping && !(o->stop && *o->stop))
		o->ping(o->ping_ctx, &r->target, o->ping_timeout_ms ? o->ping_timeout_ms : 2000,
			&r->ping);
	else if (!o->ping)
		snprintf(r->ping.note, sizeof(r->ping.note), "no ping test in this build");
	return PS_OK;
}
