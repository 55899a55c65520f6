/* SPDX-License-Identifier: MIT */
/* UDP reply readers (udp_reply.h). Each one checks a length before every read. */
#include "udp_reply.h"

#include <stdio.h>
#include <string.h>

#include "core/textclean.h"

#define DNS_HLEN	12
#define DNS_MAX_LABELS	128 /* a name of 255 bytes has fewer; more is a pointer loop */
#define NBNS_NAME_ENTRY 18
#define NBNS_MAX_LISTED 8
#define BO_SEED		31337u
#define BO_HLEN		17 /* magic, length, id, type */
#define NTP_LEN		48

static const char *const kind_names[UDP_REPLY_COUNT] = {
    [UDP_REPLY_NONE] = "none", [UDP_REPLY_DNS] = "dns",
    [UDP_REPLY_SNMP] = "snmp", [UDP_REPLY_NBNS] = "nbns",
    [UDP_REPLY_SSDP] = "ssdp", [UDP_REPLY_NTP] = "ntp",
    [UDP_REPLY_BO] = "bo",     [UDP_REPLY_MEMCACHED] = "memcached",
    [UDP_REPLY_SIP] = "sip",   [UDP_REPLY_IKE] = "ike",
    [UDP_REPLY_TFTP] = "tftp",
};

const char *udp_reply_kind_name(enum udp_reply_kind kind)
{
	return (unsigned)kind < UDP_REPLY_COUNT ? kind_names[kind] : NULL;
}

enum udp_reply_kind udp_reply_kind_from_name(const char *name, size_t len)
{
	unsigned k;

	for (k = 0; k < UDP_REPLY_COUNT; k++)
		if (strlen(kind_names[k]) == len && !memcmp(kind_names[k], name, len))
			return (enum udp_reply_kind)k;
	return UDP_REPLY_COUNT;
}

static unsigned rd16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void set_text(char *dst, size_t cap, const void *src, size_t len)
{
	text_clean_mem(dst, cap, src, len, TEXT_TERMINAL);
}

static void set_id(struct udp_reply_info *out, const uint8_t *p, size_t n)
{
	memcpy(out->id, p, n);
	out->id_len = n;
}

/* ---- DNS (RFC 1035 4.1) ---- */

/* Skips the name at *off (labels and compression pointers); false when it runs out. */
static bool dns_skip_name(const uint8_t *d, size_t len, size_t *off)
{
	unsigned n;

	for (n = 0; n < DNS_MAX_LABELS; n++) {
		uint8_t l;

		if (*off >= len)
			return false;
		l = d[*off];
		if (l == 0) {
			(*off)++;
			return true;
		}
		if ((l & 0xc0) == 0xc0) {
			if (len - *off < 2)
				return false;
			*off += 2; /* a pointer ends the name here */
			return true;
		}
		if (l & 0xc0)
			return false;
		if (len - *off < (size_t)l + 1)
			return false;
		*off += (size_t)l + 1;
	}
	return false;
}

static bool parse_dns(const uint8_t *d, size_t len, struct udp_reply_info *out)
{
	unsigned qd, an, i;
	size_t off = DNS_HLEN;

	if (len < DNS_HLEN || !(d[2] & 0x80)) /* QR: a response */
		return false;
	set_id(out, d, 2);
	qd = rd16(d + 4);
	an = rd16(d + 6);
	snprintf(out->facts.name, sizeof(out->facts.name), "domain");
	for (i = 0; i < qd; i++) {
		if (!dns_skip_name(d, len, &off) || len - off < 4)
			return false;
		off += 4;
	}
	for (i = 0; i < an; i++) {
		unsigned type, class, rdlen;

		if (!dns_skip_name(d, len, &off) || len - off < 10)
			return false;
		type = rd16(d + off);
		class = rd16(d + off + 2);
		rdlen = rd16(d + off + 8);
		off += 10;
		if (len - off < rdlen)
			return false;
		/* TXT in CHAOS: version.bind's answer (RFC 4892); the first string is the text. */
		if (type == 16 && (class & 0x7fff) == 3 && rdlen >= 1 && d[off] < rdlen) {
			set_text(out->facts.version, sizeof(out->facts.version), d + off + 1,
				 d[off]);
			break;
		}
		off += rdlen;
	}
	if ((d[3] & 0x0f) != 0 && !out->facts.version[0])
		snprintf(out->facts.info, sizeof(out->facts.info), "rcode %u",
			 (unsigned)(d[3] & 0x0f));
	return true;
}

/* ---- SNMP (RFC 1157 / 3416, BER) ---- */

struct ber {
	const uint8_t *p;
	size_t len;
};

/* The next TLV of b: its tag and contents; b moves past it. */
static bool ber_next(struct ber *b, uint8_t *tag, struct ber *val)
{
	size_t l, hl = 2;

	if (b->len < 2)
		return false;
	*tag = b->p[0];
	l = b->p[1];
	if (l & 0x80) {
		size_t n = l & 0x7f, i;

		if (n == 0 || n > 2 || b->len < 2 + n)
			return false;
		for (l = 0, i = 0; i < n; i++)
			l = l << 8 | b->p[2 + i];
		hl += n;
	}
	if (b->len - hl < l)
		return false;
	val->p = b->p + hl;
	val->len = l;
	b->p += hl + l;
	b->len -= hl + l;
	return true;
}

static bool parse_snmp(const uint8_t *d, size_t len, struct udp_reply_info *out)
{
	struct ber msg = {d, len}, seq, ver, comm, pdu, rid, tmp, vbl, vb, oid, val;
	uint8_t tag;
	unsigned k;

	if (!ber_next(&msg, &tag, &seq) || tag != 0x30)
		return false;
	if (!ber_next(&seq, &tag, &ver) || tag != 0x02 || ver.len != 1 || ver.p[0] > 1)
		return false;
	if (!ber_next(&seq, &tag, &comm) || tag != 0x04)
		return false;
	if (!ber_next(&seq, &tag, &pdu) || tag != 0xa2) /* GetResponse */
		return false;
	if (!ber_next(&pdu, &tag, &rid) || tag != 0x02 || rid.len == 0 || rid.len > 4)
		return false;
	/* Our request-id is 4 bytes; a shorter encoding is the same number without leading 0s. */
	memset(out->id, 0, 4);
	memcpy(out->id + 4 - rid.len, rid.p, rid.len);
	out->id_len = 4;
	snprintf(out->facts.name, sizeof(out->facts.name), "snmp");
	snprintf(out->facts.version, sizeof(out->facts.version), "%s", ver.p[0] ? "v2c" : "v1");
	for (k = 0; k < 2; k++) /* error-status, error-index */
		if (!ber_next(&pdu, &tag, &tmp))
			return true;
	if (!ber_next(&pdu, &tag, &vbl) || tag != 0x30 || !ber_next(&vbl, &tag, &vb) || tag != 0x30)
		return true;
	if (ber_next(&vb, &tag, &oid) && tag == 0x06 && ber_next(&vb, &tag, &val) && tag == 0x04)
		set_text(out->facts.info, sizeof(out->facts.info), val.p, val.len);
	return true;
}

/* ---- NetBIOS name service node status (RFC 1002 4.2.18) ---- */

static bool parse_nbns(const uint8_t *d, size_t len, struct udp_reply_info *out)
{
	size_t off = DNS_HLEN, used = 0;
	unsigned n, i, rdlen;

	if (len < DNS_HLEN || !(d[2] & 0x80) || rd16(d + 6) < 1)
		return false;
	set_id(out, d, 2);
	if (!dns_skip_name(d, len, &off) || len - off < 10)
		return false;
	if (rd16(d + off) != 0x21) /* NBSTAT */
		return false;
	rdlen = rd16(d + off + 8);
	off += 10;
	if (len - off < rdlen || rdlen < 1)
		return false;
	n = d[off++];
	if ((size_t)n * NBNS_NAME_ENTRY > rdlen - 1)
		return false;
	snprintf(out->facts.name, sizeof(out->facts.name), "netbios-ns");
	for (i = 0; i < n && i < NBNS_MAX_LISTED; i++) {
		const uint8_t *e = d + off + (size_t)i * NBNS_NAME_ENTRY;
		char name[16];
		size_t nl = 15;

		while (nl && e[nl - 1] == ' ')
			nl--;
		set_text(name, sizeof(name), e, nl);
		if (sizeof(out->facts.info) - used < 24)
			break;
		used += (size_t)snprintf(out->facts.info + used, sizeof(out->facts.info) - used,
					 "%s%s<%02x>", i ? "," : "", name, e[15]);
	}
	return true;
}

/* ---- SSDP (UPnP Device Architecture 1.1, 1.3.3) ---- */

/* The value of header name (case-insensitive) in the head d[0..len), into dst. */
static bool http_header(const uint8_t *d, size_t len, const char *name, char *dst, size_t cap)
{
	size_t nl = strlen(name), off = 0;

	while (off < len) {
		const uint8_t *eol = memchr(d + off, '\n', len - off);
		size_t line = eol ? (size_t)(eol - (d + off)) : len - off;

		if (line > nl && d[off + nl] == ':') {
			size_t k;

			for (k = 0; k < nl; k++)
				if ((d[off + k] | 0x20) != (name[k] | 0x20))
					break;
			if (k == nl) {
				size_t v = off + nl + 1, end = off + line;

				while (v < end && d[v] == ' ')
					v++;
				while (end > v && (d[end - 1] == '\r' || d[end - 1] == ' '))
					end--;
				set_text(dst, cap, d + v, end - v);
				return true;
			}
		}
		off += line + 1;
	}
	return false;
}

static bool starts(const uint8_t *d, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(d, prefix, n);
}

static bool parse_ssdp(const uint8_t *d, size_t len, struct udp_reply_info *out)
{
	char loc[64] = "", usn[64] = "";

	if (!starts(d, len, "HTTP/1.1 200") && !starts(d, len, "HTTP/1.0 200") &&
	    !starts(d, len, "NOTIFY * HTTP/1."))
		return false;
	snprintf(out->facts.name, sizeof(out->facts.name), "upnp");
	http_header(d, len, "SERVER", out->facts.product, sizeof(out->facts.product));
	http_header(d, len, "LOCATION", loc, sizeof(loc));
	http_header(d, len, "USN", usn, sizeof(usn));
	snprintf(out->facts.info, sizeof(out->facts.info), "location=%s usn=%s", loc, usn);
	return true;
}

/* ---- NTP (RFC 5905 7.3) ---- */

static bool parse_ntp(const uint8_t *d, size_t len, struct udp_reply_info *out)
{
	unsigned mode, version;

	if (len < NTP_LEN)
		return false;
	mode = d[0] & 7;
	version = (d[0] >> 3) & 7;
	if ((mode != 4 && mode != 5) || version < 1 || version > 4)
		return false;
	set_id(out, d + 24, 4); /* the origin timestamp: our transmit timestamp, echoed */
	snprintf(out->facts.name, sizeof(out->facts.name), "ntp");
	snprintf(out->facts.version, sizeof(out->facts.version), "v%u", version);
	snprintf(out->facts.info, sizeof(out->facts.info), "stratum %u", (unsigned)d[1]);
	return true;
}

/* ---- Back Orifice ---- */

void udp_bo_crypt(uint8_t *buf, size_t len)
{
	uint32_t hold = BO_SEED;
	size_t i;

	for (i = 0; i < len; i++) {
		hold = hold * 214013u + 2531011u;
		buf[i] ^= (uint8_t)((hold >> 16) & 0x7fff);
	}
}

static bool parse_bo(const uint8_t *d, size_t len, struct udp_reply_info *out)
{
	uint8_t plain[512];
	size_t n = len < sizeof(plain) ? len : sizeof(plain), i;

	if (n < BO_HLEN)
		return false;
	memcpy(plain, d, n);
	udp_bo_crypt(plain, n);
	if (memcmp(plain, "*!*QWTY?", 8))
		return false;
	for (i = BO_HLEN; i + 6 <= n; i++)
		if (!memcmp(plain + i, "!PONG!", 6))
			break;
	if (i + 6 > n)
		return false;
	snprintf(out->facts.name, sizeof(out->facts.name), "backorifice");
	snprintf(out->facts.product, sizeof(out->facts.product), "Back Orifice");
	out->facts.flags |= SERVICE_FLAG_BACKDOOR;
	/* "!PONG!1.20!HOST!": the version, then the host's name. */
	{
		const uint8_t *v = plain + i + 6, *end = plain + n;
		const uint8_t *bang = memchr(v, '!', (size_t)(end - v));

		if (bang) {
			const uint8_t *host = bang + 1;
			const uint8_t *hend = memchr(host, '!', (size_t)(end - host));

			set_text(out->facts.version, sizeof(out->facts.version), v,
				 (size_t)(bang - v));
			set_text(out->facts.info, sizeof(out->facts.info), host,
				 (size_t)((hend ? hend : end) - host));
		}
	}
	return true;
}

/* ---- memcached (its UDP frame header, then the text protocol) ---- */

static bool parse_memcached(const uint8_t *d, size_t len, struct udp_reply_info *out)
{
	const uint8_t *t;
	size_t tl, e;

	if (len < 8 + 5)
		return false;
	t = d + 8;
	tl = len - 8;
	if (!starts(t, tl, "VERSION ") && !starts(t, tl, "STAT ") && !starts(t, tl, "ERROR"))
		return false;
	set_id(out, d, 2);
	snprintf(out->facts.name, sizeof(out->facts.name), "memcached");
	if (starts(t, tl, "VERSION ")) {
		for (e = 8; e < tl && t[e] != '\r' && t[e] != '\n'; e++)
			;
		set_text(out->facts.version, sizeof(out->facts.version), t + 8, e - 8);
	}
	return true;
}

/* ---- SIP (RFC 3261 7.2) ---- */

static bool parse_sip(const uint8_t *d, size_t len, struct udp_reply_info *out)
{
	if (!starts(d, len, "SIP/2.0 "))
		return false;
	snprintf(out->facts.name, sizeof(out->facts.name), "sip");
	if (!http_header(d, len, "Server", out->facts.product, sizeof(out->facts.product)))
		http_header(d, len, "User-Agent", out->facts.product, sizeof(out->facts.product));
	return true;
}

/* ---- IKE / ISAKMP (RFC 2408 3.1) ---- */

static bool parse_ike(const uint8_t *d, size_t len, struct udp_reply_info *out)
{
	if (len < 28 || (d[17] >> 4) < 1 || (d[17] >> 4) > 2)
		return false;
	set_id(out, d, 8); /* the initiator cookie: ours */
	snprintf(out->facts.name, sizeof(out->facts.name), "isakmp");
	snprintf(out->facts.version, sizeof(out->facts.version), "v%u", (unsigned)(d[17] >> 4));
	return true;
}

/* ---- TFTP (RFC 1350 5): a DATA or an ERROR packet answers a read request ---- */

static bool parse_tftp(const uint8_t *d, size_t len, struct udp_reply_info *out)
{
	if (len < 4 || d[0] != 0 || (d[1] != 3 && d[1] != 5))
		return false;
	snprintf(out->facts.name, sizeof(out->facts.name), "tftp");
	return true;
}

bool udp_reply_parse(enum udp_reply_kind kind, const uint8_t *data, size_t len,
		     struct udp_reply_info *out)
{
	memset(out, 0, sizeof(*out));
	switch (kind) {
	case UDP_REPLY_DNS:
		return parse_dns(data, len, out);
	case UDP_REPLY_SNMP:
		return parse_snmp(data, len, out);
	case UDP_REPLY_NBNS:
		return parse_nbns(data, len, out);
	case UDP_REPLY_SSDP:
		return parse_ssdp(data, len, out);
	case UDP_REPLY_NTP:
		return parse_ntp(data, len, out);
	case UDP_REPLY_BO:
		return parse_bo(data, len, out);
	case UDP_REPLY_MEMCACHED:
		return parse_memcached(data, len, out);
	case UDP_REPLY_SIP:
		return parse_sip(data, len, out);
	case UDP_REPLY_IKE:
		return parse_ike(data, len, out);
	case UDP_REPLY_TFTP:
		return parse_tftp(data, len, out);
	default:
		return false;
	}
}
