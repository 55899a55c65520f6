/* SPDX-License-Identifier: MIT */
/*
 * ShieldsUP's "unsolicited packets": anything the tested host sends us during the tests that
 * answers none of our probes (a firewall that counter-probes the prober, a connection back).
 * A packet socket sees every packet that arrives; a child process that has given up every
 * capability (net_priv_drop) reads and classifies them, so no parser of wire bytes runs
 * with CAP_NET_RAW, and hands the parent one fixed record when told to stop.
 */
#include "shieldsup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "net/priv.h"

/* ---- the classifier (pure) ---- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The tested host's TCP: from a port we probed it is an answer (SYN-ACK, RST, or the rest of
 * a connection the connect engine opened); from any other port it is its own initiative. */
static enum shieldsup_pkt tcp_kind(const struct shieldsup_pkt_ctx *c, const uint8_t *t,
				   size_t len, char *what, size_t what_len)
{
	uint16_t sport, dport;
	uint8_t flags;

	if (len < 20)
		return SHIELDSUP_PKT_IGNORED;
	sport = rd16(t);
	dport = rd16(t + 2);
	flags = t[13];
	if (portset_has(&c->tcp_ports, sport))
		return SHIELDSUP_PKT_SOLICITED;
	snprintf(what, what_len, "TCP %s from port %u to our port %u",
		 (flags & 0x12) == 0x02 ? "SYN (a connection attempt back)" : "segment", sport,
		 dport);
	return SHIELDSUP_PKT_UNSOLICITED;
}

static enum shieldsup_pkt udp_kind(const uint8_t *u, size_t len, char *what, size_t what_len)
{
	uint16_t sport;

	if (len < 8)
		return SHIELDSUP_PKT_IGNORED;
	sport = rd16(u);
	/* The SSDP and NetBIOS answers; a UPnP device may answer M-SEARCH from another port,
	 * but its answer is an HTTP response. */
	if (sport == 1900 || sport == 137 || (len >= 13 && !memcmp(u + 8, "HTTP/", 5)))
		return SHIELDSUP_PKT_SOLICITED;
	snprintf(what, what_len, "UDP from port %u to our port %u", sport, rd16(u + 2));
	return SHIELDSUP_PKT_UNSOLICITED;
}

static enum shieldsup_pkt icmp_kind(bool v6, const uint8_t *m, size_t len, char *what,
				    size_t what_len)
{
	uint8_t type;

	if (len < 4)
		return SHIELDSUP_PKT_IGNORED;
	type = m[0];
	if (v6) {
		if (type == 129 || (type >= 1 && type <= 4))
			return SHIELDSUP_PKT_SOLICITED; /* echo reply, errors about our probes */
		if ((type >= 130 && type <= 137) || type == 143)
			return SHIELDSUP_PKT_IGNORED; /* neighbour discovery, MLD: the link's upkeep */
	} else if (type == 0 || type == 3 || type == 11 || type == 12) {
		return SHIELDSUP_PKT_SOLICITED;
	}
	snprintf(what, what_len, "ICMP%s type %u%s", v6 ? "v6" : "", type,
		 type == (v6 ? 128 : 8) ? " (an echo request: the host pinged us back)" : "");
	return SHIELDSUP_PKT_UNSOLICITED;
}

enum shieldsup_pkt shieldsup_classify_packet(const struct shieldsup_pkt_ctx *c, const uint8_t *ip,
					     size_t len, char *what, size_t what_len)
{
	struct ps_addr src = {0}, dst = {0};
	size_t off;
	uint8_t proto;
	bool v6;

	if (what_len)
		what[0] = '\0';
	if (len < 1)
		return SHIELDSUP_PKT_IGNORED;
	v6 = (ip[0] >> 4) == 6;
	if (v6) {
		if (len < 40)
			return SHIELDSUP_PKT_IGNORED;
		src.family = dst.family = AF_INET6;
		memcpy(src.bytes, ip + 8, 16);
		memcpy(dst.bytes, ip + 24, 16);
		proto = ip[6]; /* extension headers: left unread, the packet is not classified */
		off = 40;
	} else if ((ip[0] >> 4) == 4) {
		off = (size_t)(ip[0] & 15) * 4;
		if (len < 20 || off < 20 || len < off)
			return SHIELDSUP_PKT_IGNORED;
		if (rd16(ip + 6) & 0x1fff)
			return SHIELDSUP_PKT_IGNORED; /* a later fragment: its first one counted */
		src.family = dst.family = AF_INET;
		memcpy(src.bytes, ip + 12, 4);
		memcpy(dst.bytes, ip + 16, 4);
		proto = ip[9];
	} else {
		return SHIELDSUP_PKT_IGNORED;
	}
	/* Only what the tested host sent to us: its broadcasts and multicasts are not aimed at
	 * the tester. */
	if (ps_addr_cmp(&src, &c->target) || ps_addr_cmp(&dst, &c->local))
		return SHIELDSUP_PKT_IGNORED;
	switch (proto) {
	case IPPROTO_TCP:
		return tcp_kind(c, ip + off, len - off, what, what_len);
	case IPPROTO_UDP:
		return udp_kind(ip + off, len - off, what, what_len);
	case IPPROTO_ICMP:
		if (!v6)
			return icmp_kind(false, ip + off, len - off, what, what_len);
		break;
	case IPPROTO_ICMPV6:
		if (v6)
			return icmp_kind(true, ip + off, len - off, what, what_len);
		break;
	default:
		break;
	}
	snprintf(what, what_len, "IP protocol %u", proto);
	return SHIELDSUP_PKT_UNSOLICITED;
}

/* ---- the watcher process ---- */

struct watch_record {
	uint64_t count;
	uint64_t drops;
	char first[SHIELDSUP_NOTE_MAX];
};

/* This host's address towards target: the source a connected UDP socket gets. */
static bool local_address(const struct ps_addr *target, struct ps_addr *out)
{
	struct sockaddr_storage ss;
	socklen_t len = ps_addr_to_sockaddr(target, 9, &ss);
	int fd = socket(target->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = !connect(fd, (struct sockaddr *)&ss, len);
	len = sizeof(ss);
	ok = ok && !getsockname(fd, (struct sockaddr *)&ss, &len) &&
	     !ps_addr_from_sockaddr((struct sockaddr *)&ss, out, NULL);
	close(fd);
	return ok;
}

static void watch_read(int fd, const struct shieldsup_pkt_ctx *c, struct watch_record *rec)
{
	static uint8_t buf[65536];
	struct sockaddr_ll sll;
	socklen_t sl = sizeof(sll);
	char what[SHIELDSUP_NOTE_MAX];
	ssize_t n;

	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&sll, &sl);
	if (n <= 0 || sll.sll_pkttype == PACKET_OUTGOING)
		return;
	if (shieldsup_classify_packet(c, buf, (size_t)n, what, sizeof(what)) !=
	    SHIELDSUP_PKT_UNSOLICITED)
		return;
	if (!rec->count++)
		snprintf(rec->first, sizeof(rec->first), "%s", what);
}

static void __attribute__((noreturn)) watch_child(int fd, int stop_fd, int out_fd,
						  const struct shieldsup_pkt_ctx *c)
{
	struct watch_record rec;
	struct tpacket_stats st;
	socklen_t sl = sizeof(st);
	struct ps_diag diag = {{0}};

	memset(&rec, 0, sizeof(rec));
	if (net_priv_drop(&diag))
		_exit(1);
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p[0].revents & POLLIN)
			watch_read(fd, c, &rec);
		if (p[1].revents)
			break;
	}
	/* What arrived before the stop and is still queued. */
	for (int i = 0; i < 100000; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 0) <= 0)
			break;
		watch_read(fd, c, &rec);
	}
	if (!getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl))
		rec.drops = st.tp_drops;
	if (write(out_fd, &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
		_exit(1);
	_exit(0);
}

void shieldsup_watch_init(struct shieldsup_watch *w)
{
	memset(w, 0, sizeof(*w));
	w->pid = -1;
	w->stop_fd = w->result_fd = -1;
}

enum ps_err shieldsup_watch_start(struct shieldsup_watch *w, const struct ps_addr *target,
				  const struct portset *tcp_ports, struct ps_diag *diag)
{
	static struct shieldsup_pkt_ctx c;
	int stop[2] = {-1, -1}, res[2] = {-1, -1}, fd, big = 8 << 20;

	shieldsup_watch_init(w);
	memset(&c, 0, sizeof(c));
	c.target = *target;
	c.tcp_ports = *tcp_ports;
	if (ps_addr_is_loopback(target))
		return ps_fail(diag, PS_ERR_INVALID,
			       "not watched: the host is this one (its packets and ours are the "
			       "same)");
	if (!local_address(target, &c.local))
		return ps_fail(diag, PS_ERR_SYSTEM, "not watched: no route to the host");
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0)
		return ps_fail(diag, errno == EPERM ? PS_ERR_PERMISSION : PS_ERR_SYSTEM,
			       "not watched: a packet socket needs CAP_NET_RAW (%s)",
			       strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (pipe2(stop, O_CLOEXEC) || pipe2(res, O_CLOEXEC)) {
		close(fd);
		if (stop[0] >= 0) {
			close(stop[0]);
			close(stop[1]);
		}
		return ps_fail(diag, PS_ERR_SYSTEM, "not watched: pipe: %s", strerror(errno));
	}
	w->pid = fork();
	if (w->pid == 0) {
		close(stop[1]);
		close(res[0]);
		watch_child(fd, stop[0], res[1], &c);
	}
	close(fd);
	close(stop[0]);
	close(res[1]);
	if (w->pid < 0) {
		close(stop[1]);
		close(res[0]);
		return ps_fail(diag, PS_ERR_SYSTEM, "not watched: fork: %s", strerror(errno));
	}
	w->stop_fd = stop[1];
	w->result_fd = res[0];
	return PS_OK;
}

void shieldsup_watch_stop(struct shieldsup_watch *w, struct shieldsup_unsolicited *out)
{
	struct watch_record rec;
	struct pollfd p;
	ssize_t n = -1;

	memset(out, 0, sizeof(*out));
	if (w->pid <= 0)
		return;
	close(w->stop_fd);
	p.fd = w->result_fd;
	p.events = POLLIN;
	if (poll(&p, 1, 5000) > 0)
		n = read(w->result_fd, &rec, sizeof(rec));
	close(w->result_fd);
	if (n != (ssize_t)sizeof(rec))
		kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	shieldsup_watch_init(w);
	if (n != (ssize_t)sizeof(rec) || rec.drops) {
		/* No record, or packets lost: nothing can be claimed. */
		snprintf(out->note, sizeof(out->note), "not watched: %s",
			 n != (ssize_t)sizeof(rec) ? "the watcher gave no count"
						   : "the packet socket dropped packets");
		return;
	}
	out->observed = true;
	out->count = rec.count;
	rec.first[sizeof(rec.first) - 1] = '\0';
	memcpy(out->first, rec.first, sizeof(out->first));
}
