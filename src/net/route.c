/* SPDX-License-Identifier: MIT */
#include "route.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <net/if_arp.h>
#include <linux/neighbour.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

#define NL_BUF 16384
/* ARP/NDP on a LAN answers in well under a millisecond: look again soon, then less often. */
#define NEIGH_POLL_FIRST_MS 1
#define NEIGH_POLL_MAX_MS 20
#define NEIGH_RETRIGGER_MS 300
#define DISCARD_PORT 9

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	char buf[NL_BUF];
};

static enum ps_err nl_open(struct nl *nl, struct ps_diag *diag)
{
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock)
		return ps_fail(diag, PS_ERR_SYSTEM, "netlink socket: %s", strerror(errno));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return ps_fail(diag, PS_ERR_SYSTEM, "netlink bind: %s", strerror(errno));
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	return PS_OK;
}

static void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/*
 * Whether every message in buf, padded to its alignment, fits inside it. libmnl trusts
 * nlmsg_len as a signed int (a length with the top bit set walks it off the buffer) and reads
 * attributes up to the aligned end. The kernel never sends such a buffer; checking is cheap.
 */
static bool nl_buffer_sane(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t off = 0;

	if (len > INT32_MAX)
		return false;
	while (off < len) {
		struct nlmsghdr h;
		size_t aligned;

		if (len - off < sizeof(h))
			return false;
		memcpy(&h, p + off, sizeof(h));
		/* libmnl walks attributes up to the aligned end of a message. */
		aligned = ((size_t)h.nlmsg_len + NLMSG_ALIGNTO - 1) & ~(size_t)(NLMSG_ALIGNTO - 1);

		if (h.nlmsg_len < sizeof(h) || aligned > len - off)
			return false;
		off += aligned;
	}
	return true;
}

/* Sends the request in nl->buf and feeds every answer to cb; returns 0 or an errno. */
static int nl_talk(struct nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	ssize_t n;
	int ret;

	req->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return errno;
		if (!nl_buffer_sane(nl->buf, (size_t)n))
			return EPROTO;
		ret = mnl_cb_run(nl->buf, (size_t)n, req->nlmsg_seq, nl->portid, cb, data);
		if (ret < 0)
			return errno ? errno : EPROTO;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int attr_to_addr(const struct nlattr *a, int family, struct ps_addr *out)
{
	if (mnl_attr_get_payload_len(a) != (uint16_t)addr_len(family))
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)family;
	memcpy(out->bytes, mnl_attr_get_payload(a), (size_t)addr_len(family));
	return 0;
}

struct route_reply {
	struct net_route *rt;
	int found;
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_reply *rr = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	rr->found = 1;
	rr->rt->local = rtm->rtm_type == RTN_LOCAL;
	if (rtm->rtm_type != RTN_UNICAST && rtm->rtm_type != RTN_LOCAL)
		rr->found = -(int)rtm->rtm_type;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_OIF:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				rr->rt->ifindex = (int)mnl_attr_get_u32(a);
			break;
		case RTA_PREFSRC:
			attr_to_addr(a, rtm->rtm_family, &rr->rt->src);
			break;
		case RTA_GATEWAY:
			attr_to_addr(a, rtm->rtm_family, &rr->rt->gateway);
			break;
		default:
			break;
		}
	}
	return MNL_CB_STOP;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct net_route *rt = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	rt->hwtype = ifi->ifi_type;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0) {
				strncpy(rt->ifname, mnl_attr_get_str(a), sizeof(rt->ifname) - 1);
				rt->ifname[sizeof(rt->ifname) - 1] = '\0';
			}
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(a) == NET_ETH_ALEN)
				memcpy(rt->if_mac, mnl_attr_get_payload(a), NET_ETH_ALEN);
			break;
		case IFLA_MTU:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				rt->mtu = mnl_attr_get_u32(a);
			break;
		default:
			break;
		}
	}
	return MNL_CB_STOP;
}

/* The source address the kernel would pick: connect() a UDP socket; nothing is sent. */
static enum ps_err kernel_source(const struct ps_addr *dst, int ifindex, struct ps_addr *src,
				 struct ps_diag *diag)
{
	struct sockaddr_storage ss, local;
	socklen_t sl = ps_addr_to_sockaddr(dst, DISCARD_PORT, &ss), ll = sizeof(local);
	enum ps_err err = PS_OK;
	int fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return ps_fail(diag, PS_ERR_SYSTEM, "udp socket: %s", strerror(errno));
	if (dst->family == AF_INET6 && ifindex > 0)
		((struct sockaddr_in6 *)&ss)->sin6_scope_id = (uint32_t)ifindex;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    getsockname(fd, (struct sockaddr *)&local, &ll) < 0 ||
	    ps_addr_from_sockaddr((struct sockaddr *)&local, src, NULL))
		err = ps_fail(diag, PS_ERR_NOT_FOUND, "no source address for the target: %s",
			      strerror(errno));
	close(fd);
	return err;
}

enum ps_err net_route_lookup(const struct ps_addr *dst, const char *ifname, struct net_route *out,
			     struct ps_diag *diag)
{
	struct nl nl = {0};
	struct nlmsghdr *nlh;
	struct route_reply rr = {.rt = out};
	char abuf[PS_ADDR_STRLEN];
	enum ps_err err;
	int ret, want_oif = 0;

	memset(out, 0, sizeof(*out));
	if (ifname) {
		want_oif = (int)if_nametoindex(ifname);
		if (!want_oif)
			return ps_fail(diag, PS_ERR_NOT_FOUND, "no interface named \"%s\"", ifname);
	}
	err = nl_open(&nl, diag);
	if (err)
		return err;
	nlh = mnl_nlmsg_put_header(nl.buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	{
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

		rtm->rtm_family = dst->family;
		rtm->rtm_dst_len = (unsigned char)(addr_len(dst->family) * 8);
	}
	mnl_attr_put(nlh, RTA_DST, (size_t)addr_len(dst->family), dst->bytes);
	if (want_oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)want_oif);
	ret = nl_talk(&nl, nlh, route_cb, &rr);
	ps_addr_format(dst, abuf, sizeof(abuf));
	if (ret) {
		err = ps_fail(diag, ret == ENETUNREACH ? PS_ERR_NOT_FOUND : PS_ERR_SYSTEM,
			      "no route to %s: %s", abuf, strerror(ret));
		goto out;
	}
	if (rr.found <= 0 || !out->ifindex) {
		err = ps_fail(diag, PS_ERR_NOT_FOUND, "no usable route to %s", abuf);
		goto out;
	}
	if (want_oif && out->local && out->ifindex != want_oif) {
		err = ps_fail(diag, PS_ERR_INVALID, "%s is this machine: it is reached through "
						    "loopback, not %s", abuf, ifname);
		goto out;
	}
	nlh = mnl_nlmsg_put_header(nl.buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	{
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = out->ifindex;
	}
	ret = nl_talk(&nl, nlh, link_cb, out);
	if (ret) {
		err = ps_fail(diag, PS_ERR_SYSTEM, "interface %d: %s", out->ifindex, strerror(ret));
		goto out;
	}
	if (!out->src.family)
		err = kernel_source(dst, out->ifindex, &out->src, diag);
out:
	nl_close(&nl);
	return err;
}

const struct ps_addr *net_route_nexthop(const struct net_route *rt, const struct ps_addr *dst)
{
	return rt->gateway.family ? &rt->gateway : dst;
}

bool net_route_has_ethernet(const struct net_route *rt)
{
	return rt->hwtype == ARPHRD_ETHER || rt->hwtype == ARPHRD_LOOPBACK;
}

struct neigh_query {
	int ifindex;
	const struct ps_addr *addr;
	uint8_t *mac;
	int found;
};

/* Reads one neighbour message: its address and MAC when the entry is usable. */
static bool neigh_entry(const struct nlmsghdr *nlh, int ifindex, int family, struct ps_addr *dst,
			const uint8_t **lladdr)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ndm) ||
	    (ifindex && ndm->ndm_ifindex != ifindex) || ndm->ndm_family != family)
		return false;
	/* INCOMPLETE and FAILED entries carry no usable address. */
	if (!(ndm->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
				NUD_PERMANENT | NUD_NOARP)))
		return false;
	memset(dst, 0, sizeof(*dst));
	*lladdr = NULL;
	mnl_attr_for_each(a, nlh, sizeof(*ndm)) {
		if (mnl_attr_get_type(a) == NDA_DST)
			attr_to_addr(a, ndm->ndm_family, dst);
		else if (mnl_attr_get_type(a) == NDA_LLADDR &&
			 mnl_attr_get_payload_len(a) == NET_ETH_ALEN)
			*lladdr = mnl_attr_get_payload(a);
	}
	return *lladdr && dst->family;
}

struct neigh_many {
	int ifindex;
	const struct ps_addr *addrs;
	size_t n;
	uint8_t (*macs)[NET_ETH_ALEN];
	bool *found;
	size_t nfound;
};

static int neigh_many_cb(const struct nlmsghdr *nlh, void *data)
{
	struct neigh_many *q = data;
	struct ps_addr dst;
	const uint8_t *lladdr;
	size_t i;

	if (!q->n || !neigh_entry(nlh, q->ifindex, q->addrs[0].family, &dst, &lladdr))
		return MNL_CB_OK;
	for (i = 0; i < q->n; i++) {
		if (!q->found[i] && !ps_addr_cmp(&dst, &q->addrs[i])) {
			memcpy(q->macs[i], lladdr, NET_ETH_ALEN);
			q->found[i] = true;
			q->nfound++;
			break;
		}
	}
	return MNL_CB_OK;
}

static int neigh_dump(struct nl *nl, int family, mnl_cb_t cb, void *data)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (unsigned char)family;
	return nl_talk(nl, nlh, cb, data);
}

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	struct neigh_query *q = data;
	struct ps_addr dst;
	const uint8_t *lladdr;

	if (neigh_entry(nlh, q->ifindex, q->addr->family, &dst, &lladdr) &&
	    !ps_addr_cmp(&dst, q->addr)) {
		memcpy(q->mac, lladdr, NET_ETH_ALEN);
		q->found = 1;
	}
	return MNL_CB_OK;
}

static int neigh_lookup(struct nl *nl, struct neigh_query *q)
{
	q->found = 0;
	return neigh_dump(nl, q->addr->family, neigh_cb, q);
}

/* A zero-length datagram to the discard port: the kernel resolves the next hop to send it. */
static void trigger_resolution(const struct ps_addr *dst, int ifindex)
{
	struct sockaddr_storage ss;
	socklen_t sl = ps_addr_to_sockaddr(dst, DISCARD_PORT, &ss);
	int fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	if (dst->family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_scope_id = (uint32_t)ifindex;
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0)
		(void)send(fd, "", 0, MSG_DONTWAIT);
	close(fd);
}

enum ps_err net_neigh_resolve_many(const struct net_route *rt, const struct ps_addr *addrs,
				   size_t n, unsigned timeout_ms, uint8_t (*macs)[NET_ETH_ALEN],
				   bool *found, struct ps_diag *diag)
{
	struct neigh_many q = {.ifindex = rt->ifindex, .addrs = addrs, .n = n, .macs = macs,
			       .found = found};
	uint64_t start = ps_now_ns(), last_trigger = 0;
	int poll_ms = NEIGH_POLL_FIRST_MS;
	struct nl nl = {0};
	enum ps_err err;
	size_t i;
	int ret;

	memset(found, 0, n * sizeof(*found));
	if (!n)
		return PS_OK;
	err = nl_open(&nl, diag);
	if (err)
		return err;
	for (;;) {
		uint64_t now;

		ret = neigh_dump(&nl, addrs[0].family, neigh_many_cb, &q);
		if (ret) {
			err = ps_fail(diag, PS_ERR_SYSTEM, "neighbour table: %s", strerror(ret));
			break;
		}
		now = ps_now_ns();
		if (q.nfound == n || now - start >= (uint64_t)timeout_ms * 1000000u)
			break;
		if (!last_trigger || now - last_trigger >= NEIGH_RETRIGGER_MS * 1000000ull) {
			for (i = 0; i < n; i++)
				if (!found[i])
					trigger_resolution(&addrs[i], rt->ifindex);
			last_trigger = now;
		}
		poll(NULL, 0, poll_ms);
		poll_ms = poll_ms * 2 < NEIGH_POLL_MAX_MS ? poll_ms * 2 : NEIGH_POLL_MAX_MS;
	}
	nl_close(&nl);
	return err;
}

enum ps_err net_neigh_resolve(const struct net_route *rt, const struct ps_addr *nexthop,
			      const struct ps_addr *trigger_dst, unsigned timeout_ms,
			      uint8_t mac[NET_ETH_ALEN], struct ps_diag *diag)
{
	struct neigh_query q = {.ifindex = rt->ifindex, .addr = nexthop, .mac = mac};
	uint64_t start = ps_now_ns(), last_trigger = 0;
	int poll_ms = NEIGH_POLL_FIRST_MS;
	struct nl nl = {0};
	char abuf[PS_ADDR_STRLEN];
	enum ps_err err;
	int ret;

	memset(mac, 0, NET_ETH_ALEN);
	if (rt->local || rt->hwtype != ARPHRD_ETHER)
		return PS_OK;
	err = nl_open(&nl, diag);
	if (err)
		return err;
	for (;;) {
		uint64_t now;

		ret = neigh_lookup(&nl, &q);
		if (ret) {
			err = ps_fail(diag, PS_ERR_SYSTEM, "neighbour table: %s", strerror(ret));
			break;
		}
		if (q.found)
			break;
		now = ps_now_ns();
		if (now - start >= (uint64_t)timeout_ms * 1000000u) {
			ps_addr_format(nexthop, abuf, sizeof(abuf));
			err = ps_fail(diag, PS_ERR_NOT_FOUND,
				      "no link-layer address for %s on %s (does it exist?)", abuf,
				      rt->ifname);
			break;
		}
		if (!last_trigger || now - last_trigger >= NEIGH_RETRIGGER_MS * 1000000ull) {
			trigger_resolution(trigger_dst, rt->ifindex);
			last_trigger = now;
		}
		poll(NULL, 0, poll_ms);
		poll_ms = poll_ms * 2 < NEIGH_POLL_MAX_MS ? poll_ms * 2 : NEIGH_POLL_MAX_MS;
	}
	nl_close(&nl);
	return err;
}

enum ps_err net_route_parse_reply(const void *buf, size_t len, struct net_route *rt)
{
	struct route_reply rr = {.rt = rt};

	if (!nl_buffer_sane(buf, len))
		return PS_ERR_INVALID;
	if (mnl_cb_run(buf, len, 0, 0, route_cb, &rr) < 0)
		return PS_ERR_INVALID;
	if (mnl_cb_run(buf, len, 0, 0, link_cb, rt) < 0)
		return PS_ERR_INVALID;
	return rr.found > 0 ? PS_OK : PS_ERR_NOT_FOUND;
}

/* neigh_cb writes mac through q.mac; clang-tidy 14 does not follow the initializer. */
enum ps_err
net_neigh_parse_reply(const void *buf, size_t len, int ifindex, const struct ps_addr *addr,
		      uint8_t mac[NET_ETH_ALEN]) // NOLINT(readability-non-const-parameter)
{
	struct neigh_query q = {.ifindex = ifindex, .addr = addr, .mac = mac};

	if (!nl_buffer_sane(buf, len))
		return PS_ERR_INVALID;
	if (mnl_cb_run(buf, len, 0, 0, neigh_cb, &q) < 0)
		return PS_ERR_INVALID;
	return q.found ? PS_OK : PS_ERR_NOT_FOUND;
}

struct neigh_each {
	int family;
	net_neigh_fn fn;
	void *ctx;
};

static int neigh_each_cb(const struct nlmsghdr *nlh, void *data)
{
	static const uint8_t zero[NET_ETH_ALEN];
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct neigh_each *q = data;
	struct ps_addr dst;
	const uint8_t *lladdr;

	/* NOARP entries (loopback, point-to-point) name no station on a link. */
	if (neigh_entry(nlh, 0, q->family, &dst, &lladdr) && !(ndm->ndm_state & NUD_NOARP) &&
	    memcmp(lladdr, zero, NET_ETH_ALEN))
		q->fn(q->ctx, &dst, lladdr);
	return MNL_CB_OK;
}

enum ps_err net_neigh_each(int family, net_neigh_fn fn, void *ctx, struct ps_diag *diag)
{
	struct neigh_each q = {.family = family, .fn = fn, .ctx = ctx};
	struct nl nl;
	enum ps_err err = nl_open(&nl, diag);
	int rc;

	if (err)
		return err;
	rc = neigh_dump(&nl, family, neigh_each_cb, &q);
	nl_close(&nl);
	if (rc)
		return ps_fail(diag, PS_ERR_SYSTEM, "reading the neighbour table: %s", strerror(rc));
	return PS_OK;
}

struct qdisc_query {
	int ifindex;
	char kind[IFNAMSIZ];
};

static int qdisc_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct qdisc_query *q = data;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWQDISC || mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm) ||
	    tcm->tcm_ifindex != q->ifindex || tcm->tcm_parent != TC_H_ROOT)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*tcm)) {
		if (mnl_attr_get_type(a) == TCA_KIND && mnl_attr_get_payload_len(a) > 0 &&
		    mnl_attr_get_payload_len(a) <= sizeof(q->kind)) {
			memcpy(q->kind, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
			q->kind[sizeof(q->kind) - 1] = '\0';
		}
	}
	return MNL_CB_OK;
}

bool net_link_shaped(int ifindex)
{
	/* What a kernel or a distribution sets up by itself: queues, not policies. */
	static const char *const plain[] = {"noqueue", "pfifo_fast", "fq_codel", "mq", "fq"};
	struct qdisc_query q = {.ifindex = ifindex};
	struct ps_diag diag = {{0}};
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	struct nl nl;
	size_t i;

	if (nl_open(&nl, &diag))
		return false;
	nlh = mnl_nlmsg_put_header(nl.buf);
	nlh->nlmsg_type = RTM_GETQDISC;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	if (nl_talk(&nl, nlh, qdisc_cb, &q))
		q.kind[0] = '\0';
	nl_close(&nl);
	if (!q.kind[0])
		return false;
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!strcmp(q.kind, plain[i]))
			return false;
	return true;
}
