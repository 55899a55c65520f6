/* SPDX-License-Identifier: MIT */
#ifndef PS_PROBE_UDP_PAYLOADS_H
#define PS_PROBE_UDP_PAYLOADS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "udp_reply.h"

/*
 * What a UDP scan sends to each port: our own payload file (udp_payloads.txt, compiled in),
 * or a user's nmap-payloads file read at run time. A port with no payload gets an empty
 * datagram; a port with several gets them in turn, one per try (a DNS server that ignores a
 * CHAOS query may answer an IN one).
 *
 * Our format, one directive a line ('#' starts a comment):
 *	payload NAME		starts a payload
 *	ports 53,5353,1000-1010	the ports it is for
 *	reply dns		the reader of its replies (udp_reply.h names), default none
 *	cookie OFFSET LENGTH	bytes of the payload the scan overwrites with its cookie (the
 *				protocol's own id field, echoed by the reply: DNS id...)
 *	data "\x00\x01text"	bytes appended, C escapes \xHH \0 \r \n \t \\ \"
 */
enum udp_payloads_format {
	UDP_PAYLOADS_OWN,
	UDP_PAYLOADS_NMAP, /* nmap-payloads: udp PORTS "string"... [source PORT] */
};

#define UDP_PAYLOADS_PER_PORT 4	   /* the most payloads one port gets; more are ignored */
#define UDP_PAYLOADS_MAX      1024 /* payloads in one file */

struct udp_payload {
	char name[32];
	uint8_t *data;
	size_t len;
	enum udp_reply_kind reply;
	int cookie_off; /* -1: none */
	unsigned cookie_len;
};

struct udp_payloads {
	struct udp_payload *items;
	size_t count;
	/* per port: up to UDP_PAYLOADS_PER_PORT payload indices + 1, 0 ends */
	uint16_t (*by_port)[UDP_PAYLOADS_PER_PORT];
};

/* Parses text (len bytes) in format fmt; a bad line is a one-line error naming it. */
enum ps_err udp_payloads_parse(struct udp_payloads *p, const char *text, size_t len,
			       enum udp_payloads_format fmt, struct ps_diag *diag);
/* The compiled-in payloads. */
enum ps_err udp_payloads_builtin(struct udp_payloads *p, struct ps_diag *diag);
/* A file in our format, or nmap's when its first directive is "udp". */
enum ps_err udp_payloads_load(struct udp_payloads *p, const char *path, struct ps_diag *diag);
void udp_payloads_release(struct udp_payloads *p);

/* The payloads for port, in order; their count (at most max). */
size_t udp_payloads_for_port(const struct udp_payloads *p, uint16_t port,
			     const struct udp_payload **out, size_t max);

#endif
