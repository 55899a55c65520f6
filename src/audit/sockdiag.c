/* SPDX-License-Identifier: MIT */
#include "sockdiag.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ss uses 32 KiB; a larger buffer lets the kernel pack more sockets into each datagram. */
#define DIAG_RECV_BUF ((size_t)64 * 1024)

void audit_diag_dump_init(struct audit_diag_dump *d, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max;
}

void audit_diag_dump_release(struct audit_diag_dump *d)
{
	free(d->v);
	audit_diag_dump_init(d, d->max);
}

static enum ps_err dump_push(struct audit_diag_dump *d, const struct audit_diag_entry *e)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct audit_diag_entry *v;

		if (d->n >= d->max)
			return PS_ERR_TOO_LARGE;
		if (cap > d->max)
			cap = d->max;
		v = realloc(d->v, cap * sizeof(*v));
		if (!v)
			return PS_ERR_NOMEM;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = *e;
	return PS_OK;
}

/* The attributes after struct inet_diag_msg; only INET_DIAG_SKV6ONLY matters to us. A broken
 * attribute ends the walk (the socket itself is still usable). Returns false if one was. */
static bool parse_attrs(const uint8_t *p, size_t len, struct audit_diag_entry *e)
{
	while (len >= sizeof(struct nlattr)) {
		struct nlattr a;
		size_t alen, step;

		memcpy(&a, p, sizeof(a));
		alen = a.nla_len;
		if (alen < sizeof(a) || alen > len)
			return false;
		if ((a.nla_type & NLA_TYPE_MASK) == INET_DIAG_SKV6ONLY && alen >= sizeof(a) + 1)
			e->v6only = p[sizeof(a)] ? 1 : 0;
		step = NLA_ALIGN(alen);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return true;
}

static enum ps_err parse_sock(const uint8_t *p, size_t len, uint8_t proto,
			      struct audit_diag_dump *d)
{
	struct inet_diag_msg m;
	struct audit_diag_entry e = {.proto = proto, .v6only = -1};
	size_t hdr = NLMSG_ALIGN(sizeof(m));

	if (len < sizeof(m)) {
		d->nmalformed++;
		return PS_OK;
	}
	memcpy(&m, p, sizeof(m));
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6) {
		d->nmalformed++;
		return PS_OK;
	}
	e.state = m.idiag_state;
	e.addr.family = m.idiag_family;
	memcpy(e.addr.bytes, m.id.idiag_src, m.idiag_family == AF_INET ? 4 : 16);
	e.port = ntohs(m.id.idiag_sport);
	e.ifindex = m.id.idiag_if;
	e.uid = m.idiag_uid;
	e.inode = m.idiag_inode;
	if (len > hdr && !parse_attrs(p + hdr, len - hdr, &e))
		d->nmalformed++;
	return dump_push(d, &e);
}

enum ps_err audit_diag_parse(const void *buf, size_t len, uint8_t proto, struct audit_diag_dump *d,
			     bool *done, struct ps_diag *diag)
{
	const uint8_t *p = buf;
	enum ps_err err;

	*done = false;
	while (len > 0) {
		struct nlmsghdr h;
		size_t mlen, step;

		if (len < sizeof(h))
			return ps_fail(diag, PS_ERR_TRUNCATED,
				       "sock_diag: %zu stray bytes after the last message", len);
		memcpy(&h, p, sizeof(h));
		mlen = h.nlmsg_len;
		if (mlen < sizeof(h))
			return ps_fail(diag, PS_ERR_INVALID,
				       "sock_diag: message length %zu too short", mlen);
		if (mlen > len)
			return ps_fail(diag, PS_ERR_TRUNCATED,
				       "sock_diag: message of %zu bytes truncated to %zu", mlen,
				       len);
		if (h.nlmsg_flags & NLM_F_DUMP_INTR)
			d->interrupted = true;
		switch (h.nlmsg_type) {
		case NLMSG_DONE:
			*done = true;
			return PS_OK;
		case NLMSG_ERROR: {
			int32_t code = 0;

			if (mlen >= sizeof(h) + sizeof(code))
				memcpy(&code, p + sizeof(h), sizeof(code));
			else
				code = -EPROTO;
			/* -INT_MIN is not an int: any code outside errno range is EPROTO. */
			d->error = code < 0 && code > -4096 ? -code : (code ? EPROTO : 0);
			*done = true;
			return PS_OK;
		}
		case SOCK_DIAG_BY_FAMILY:
			err = parse_sock(p + sizeof(h), mlen - sizeof(h), proto, d);
			if (err)
				return ps_fail(diag, err, "sock_diag: %s after %zu sockets",
					       ps_strerror(err), d->n);
			break;
		default:
			break; /* NLMSG_NOOP and anything new: skip */
		}
		step = NLMSG_ALIGN(mlen);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return PS_OK;
}

size_t audit_diag_request(void *buf, size_t size, uint8_t family, uint8_t proto, uint32_t states,
			  uint32_t seq)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;

	if (size < sizeof(req))
		return 0;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = seq;
	req.r.sdiag_family = family;
	req.r.sdiag_protocol = proto;
	req.r.idiag_states = states;
	/* No extensions requested: INET_DIAG_SKV6ONLY comes with every AF_INET6 socket anyway. */
	memcpy(buf, &req, sizeof(req));
	return sizeof(req);
}

static enum ps_err dump_once(struct mnl_socket *nl, uint8_t family, uint8_t proto, uint32_t states,
			     uint8_t *buf, struct audit_diag_dump *d, struct ps_diag *diag)
{
	uint32_t seq = (uint32_t)time(NULL) ^ ((uint32_t)family << 8) ^ proto;
	size_t reqlen = audit_diag_request(buf, DIAG_RECV_BUF, family, proto, states, seq);
	bool done = false;
	enum ps_err err;

	if (mnl_socket_sendto(nl, buf, reqlen) < 0)
		return ps_fail(diag, PS_ERR_SYSTEM, "sock_diag: send: %s", strerror(errno));
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, DIAG_RECV_BUF);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ps_fail(diag, errno == ENOSPC ? PS_ERR_TRUNCATED : PS_ERR_IO,
				       "sock_diag: receive: %s", strerror(errno));
		}
		if (n == 0)
			return ps_fail(diag, PS_ERR_TRUNCATED,
				       "sock_diag: dump ended without DONE");
		err = audit_diag_parse(buf, (size_t)n, proto, d, &done, diag);
		if (err == PS_ERR_TRUNCATED || err == PS_ERR_INVALID) {
			d->cut_short = true;
			snprintf(d->cut_note, sizeof(d->cut_note), "%s", ps_diag_text(diag, err));
			return PS_OK;
		}
		if (err)
			return err;
	}
	return PS_OK;
}

enum ps_err audit_diag_collect(uint8_t family, uint8_t proto, uint32_t states,
			       struct audit_diag_dump *d, struct ps_diag *diag)
{
	struct mnl_socket *nl = NULL;
	uint8_t *buf = NULL;
	size_t start = d->n, attempt;
	enum ps_err err = PS_OK;

	buf = malloc(DIAG_RECV_BUF);
	if (!buf)
		return PS_ERR_NOMEM;
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl) {
		err = ps_fail(diag,
			      errno == EACCES || errno == EPERM ? PS_ERR_PERMISSION : PS_ERR_SYSTEM,
			      "sock_diag: netlink socket: %s", strerror(errno));
		goto out;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = ps_fail(diag, PS_ERR_SYSTEM, "sock_diag: bind: %s", strerror(errno));
		goto out;
	}
	/* A dump that raced with socket creation is flagged; one retry usually gets a clean one. */
	for (attempt = 0; attempt < 2; attempt++) {
		d->n = start;
		d->interrupted = false;
		d->error = 0;
		err = dump_once(nl, family, proto, states, buf, d, diag);
		if (err || !d->interrupted)
			break;
	}
out:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return err;
}
