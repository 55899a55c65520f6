/* SPDX-License-Identifier: MIT */
#ifndef PS_RUN_SHIELDSUP_H
#define PS_RUN_SHIELDSUP_H

/*
 * ShieldsUP's whole test set for one host, as a library: the UPnP exposure test (SSDP
 * M-SEARCH to UDP 1900 with ShieldsUP's timing), the file sharing test (TCP 139 and 445, and
 * NetBIOS node status on UDP 137), the common ports (26, port 0 among them) or all service
 * ports (0-1055), the ping, and the TruStealth verdict over all of them.
 *
 * The port part is an ordinary scan (run_scan with the caller's sinks, so every report format
 * keeps working); its results are fed in with shieldsup_port_add() (an observer sink does
 * it). The rest is shieldsup_test_host(): plain kernel UDP sockets for SSDP and NetBIOS (no
 * privileges needed) and the caller's ping. The verdict is pure (shieldsup_verdict_of()).
 * Nothing here prints or exits; two hosts may be tested at once in two threads.
 */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/portset.h"
#include "core/result.h"

/* ShieldsUP's "common ports": 0, 21-23, 25, 79, 80, 110, 113, 119, 135, 139, 143, 389, 443,
 * 445, 1002, 1024-1030, 1720, 5000. */
#define SHIELDSUP_COMMON_COUNT 26
extern const uint16_t shieldsup_common_ports[SHIELDSUP_COMMON_COUNT];
/* "All service ports": 0 to 1055. */
#define SHIELDSUP_SERVICE_LAST 1055u
#define SHIELDSUP_PORTS_MAX    (SHIELDSUP_SERVICE_LAST + 1u)

/* The UPnP test's timing (ShieldsUP's): up to 10 M-SEARCH, one every 500 ms, stopping at the
 * first reply; after the last one a reply still counts for another 500 ms. */
#define SHIELDSUP_UPNP_TRIES	   10u
#define SHIELDSUP_UPNP_INTERVAL_MS 500u
/* NetBIOS node status: 3 requests, 1 s apart. */
#define SHIELDSUP_NBNS_TRIES	   3u
#define SHIELDSUP_NBNS_INTERVAL_MS 1000u

#define SHIELDSUP_HEADERS_MAX 24u  /* reply headers kept; the rest is counted as cut */
#define SHIELDSUP_LINE_MAX    160u /* one header line, cleaned (text_clean TEXT_TERMINAL) */
#define SHIELDSUP_NOTE_MAX    160u

enum shieldsup_set {
	SHIELDSUP_SET_COMMON,  /* the 26 common ports */
	SHIELDSUP_SET_SERVICE, /* all service ports, 0-1055 */
};

/* The outcome of one probe-and-listen test (UPnP, NetBIOS, ping). */
enum shieldsup_answer {
	SHIELDSUP_NOT_TESTED, /* not run, or could not be (note says why) */
	SHIELDSUP_SILENT,     /* nothing came back: stealth */
	SHIELDSUP_ANSWERED,   /* the service answered (UPnP: exposed; ping: echo reply) */
	SHIELDSUP_REFUSED,    /* an ICMP error came back (port unreachable...): not the
			       * service, but the host showed itself */
};

struct shieldsup_upnp {
	enum shieldsup_answer answer;
	unsigned sent;	   /* M-SEARCH datagrams sent, <= SHIELDSUP_UPNP_TRIES */
	uint32_t reply_ms; /* from the first M-SEARCH to the reply */
	uint16_t reply_port; /* the port the reply came from */
	size_t reply_len;
	/* The reply's first line and its header lines ("SERVER: ..."), cleaned for a
	 * terminal; a reply that is not text has its first bytes, cleaned, as status. */
	char status[SHIELDSUP_LINE_MAX];
	char headers[SHIELDSUP_HEADERS_MAX][SHIELDSUP_LINE_MAX];
	size_t nheaders;
	size_t headers_cut; /* header lines that did not fit */
	char note[SHIELDSUP_NOTE_MAX];
};

struct shieldsup_netbios {
	enum shieldsup_answer answer; /* ANSWERED: a node status reply with our id */
	unsigned sent;
	char names[128]; /* "LABHOST<00>,WORKGROUP<00>", cleaned */
	char note[SHIELDSUP_NOTE_MAX];
};

struct shieldsup_ping {
	enum shieldsup_answer answer; /* ANSWERED: an echo reply */
	uint32_t rtt_us;
	char note[SHIELDSUP_NOTE_MAX];
};

struct shieldsup_port {
	uint16_t port;
	uint8_t state;	/* enum port_state */
	uint8_t reason; /* enum port_reason */
};

/* Packets from the host that answered none of our probes (a counter-probe, say). */
struct shieldsup_unsolicited {
	bool observed; /* false: nothing watched for them (the report says so, no verdict) */
	uint64_t count;
	char first[SHIELDSUP_NOTE_MAX]; /* what the first one was */
	char note[SHIELDSUP_NOTE_MAX];	/* with observed false: why not */
};

struct shieldsup_result {
	struct ps_addr target;
	enum shieldsup_set set;
	/* The TCP ports tested, in the order their results came. */
	struct shieldsup_port ports[SHIELDSUP_PORTS_MAX];
	size_t nports;
	bool port0_tested;
	char ports_note[SHIELDSUP_NOTE_MAX]; /* why port 0 was not tested, say */
	struct shieldsup_upnp upnp;
	struct shieldsup_netbios netbios;
	struct shieldsup_ping ping;
	struct shieldsup_unsolicited unsolicited;
};

/* The ports of set; port 0 only with port0 (a raw engine can send to it, connect cannot). */
void shieldsup_ports_of(enum shieldsup_set set, bool port0, struct portset *out);
/* "common" / "service" (and "all", the same as service) to a set; false for other names. */
bool shieldsup_set_from_name(const char *name, enum shieldsup_set *out);
const char *shieldsup_set_name(enum shieldsup_set set);

/* An empty result for target: every test NOT_TESTED, no ports. */
void shieldsup_result_init(struct shieldsup_result *r, const struct ps_addr *target,
			   enum shieldsup_set set);
/* One TCP port's result (of the port scan); a port given twice keeps its last state.
 * PS_ERR_TOO_LARGE past SHIELDSUP_PORTS_MAX ports. */
enum ps_err shieldsup_port_add(struct shieldsup_result *r, const struct port_result *res);
/* The state of port, or PORT_STATE_COUNT when it was not tested. */
enum port_state shieldsup_port_state(const struct shieldsup_result *r, uint16_t port);

/*
 * Ping: does target answer an ICMP echo? Fills out (answer, rtt_us, note) and returns PS_OK,
 * or an error when it could not ask (no privileges: out->answer stays NOT_TESTED with the
 * reason in note).
 */
typedef enum ps_err (*shieldsup_ping_fn)(void *ctx, const struct ps_addr *target,
					 unsigned timeout_ms, struct shieldsup_ping *out);

/*
 * The ping of this library: an ICMP (ICMPv6) echo through the discovery engine
 * (scan_ping_echo; needs CAP_NET_RAW, else NOT_TESTED with the reason). ctx: NULL, or a
 * const struct scan_opts * whose interface, source, rate, retries and stop flag it uses
 * (targets and ports are ignored). An ICMP error instead of a reply is REFUSED.
 */
enum ps_err shieldsup_ping_echo(void *ctx, const struct ps_addr *target, unsigned timeout_ms,
				struct shieldsup_ping *out);

struct shieldsup_opts {
	bool upnp;	  /* run the UPnP test */
	bool netbios;	  /* run the NetBIOS node status test */
	shieldsup_ping_fn ping; /* NULL: no ping test (NOT_TESTED, note says so) */
	void *ping_ctx;
	unsigned ping_timeout_ms; /* 0: 2000 */
	/* Tests the SSDP timing in a lab faster; 0: SHIELDSUP_UPNP_INTERVAL_MS. */
	unsigned upnp_interval_ms;
	const volatile sig_atomic_t *stop; /* set to end the tests early (may be NULL) */
};

void shieldsup_opts_init(struct shieldsup_opts *o);

/*
 * The UPnP, NetBIOS and ping tests against r->target (the port part is the caller's scan).
 * A test that cannot run (no socket) is NOT_TESTED with its note; the others still run.
 * Returns PS_OK unless r is unusable.
 */
enum ps_err shieldsup_test_host(const struct shieldsup_opts *o, struct shieldsup_result *r,
				struct ps_diag *diag);

/* Each test on its own (what shieldsup_test_host runs), for a caller that wants one. */
void shieldsup_test_upnp(const struct shieldsup_opts *o, const struct ps_addr *target,
			 struct shieldsup_upnp *out);
void shieldsup_test_netbios(const struct shieldsup_opts *o, const struct ps_addr *target,
			    struct shieldsup_netbios *out);

/*
 * Splits an SSDP reply (an HTTP response over UDP) into its first line and header lines,
 * each cleaned for a terminal; bounded by len, never more than SHIELDSUP_HEADERS_MAX kept.
 * Returns false when data is not an HTTP-like text reply (status then holds its first
 * bytes, cleaned).
 */
bool shieldsup_ssdp_split(const uint8_t *data, size_t len, struct shieldsup_upnp *out);

/* ---- the verdict (pure) ---- */

enum shieldsup_stealth {
	SHIELDSUP_STEALTH_PASSED,  /* nothing answered anything, ping included */
	SHIELDSUP_STEALTH_FAILED,  /* something answered: reason says what */
	SHIELDSUP_STEALTH_UNKNOWN, /* nothing answered, but a test could not be run */
};

struct shieldsup_verdict {
	enum shieldsup_stealth stealth;
	size_t tested;	      /* TCP ports tested */
	size_t open, closed;  /* TCP ports */
	size_t answered;      /* TCP ports that answered anything (open, closed, ICMP) */
	bool upnp_exposed;    /* an SSDP reply came */
	bool upnp_answered;   /* anything came back to the M-SEARCH (reply or ICMP error) */
	bool file_sharing;    /* 139 or 445 open, or a NetBIOS node status reply */
	bool netbios_answered; /* anything came back on 137 */
	bool ping_answered;
	/* Exit code 1 (a finding, as check and local): TruStealth failed. */
	bool findings;
	char solicited[320];   /* "3 answered: 22/tcp open, 80/tcp closed, 1900/udp (UPnP)" */
	char unsolicited[200]; /* "none", "2 packets (first: ...)", or "" when not observed */
	char ping[96];	       /* "echo reply (0.31 ms)", "no reply", "not tested: ..." */
	char text[400];	       /* "TruStealth: FAILED: the host answered a ping" */
};

void shieldsup_verdict_of(const struct shieldsup_result *r, struct shieldsup_verdict *v);
/* "PASSED", "FAILED", "UNKNOWN" */
const char *shieldsup_stealth_name(enum shieldsup_stealth s);
/* "not tested", "no reply", "answered", "refused (ICMP error)" */
const char *shieldsup_answer_name(enum shieldsup_answer a);

/* ---- unsolicited packets: a watcher over the whole test ---- */

/*
 * Started before the first probe, stopped after the last: a packet socket (CAP_NET_RAW) read
 * by a child process without capabilities, which counts the packets the host sends to this
 * host that answer none of the tests (shieldsup_classify_packet()). tcp_ports: the ports the
 * port part probes (a packet from one of them is an answer). Not for this host's own
 * addresses (our probes and its answers would be one stream).
 */
struct shieldsup_watch {
	int pid;
	int stop_fd, result_fd;
};

void shieldsup_watch_init(struct shieldsup_watch *w);
/* An error (the reason in diag, "not watched: ...") leaves nothing running. */
enum ps_err shieldsup_watch_start(struct shieldsup_watch *w, const struct ps_addr *target,
				  const struct portset *tcp_ports, struct ps_diag *diag);
/* Stops the watcher and fills out; observed stays false if it had nothing to say, or lost
 * packets (then no claim is made). Safe on a watcher that never started. */
void shieldsup_watch_stop(struct shieldsup_watch *w, struct shieldsup_unsolicited *out);

enum shieldsup_pkt {
	SHIELDSUP_PKT_IGNORED,	   /* not from the host to us, or link upkeep (NDP, MLD) */
	SHIELDSUP_PKT_SOLICITED,   /* an answer to a probe of the tests */
	SHIELDSUP_PKT_UNSOLICITED, /* the host's own initiative; what says what it was */
};

struct shieldsup_pkt_ctx {
	struct ps_addr target, local; /* the host, and our address towards it */
	struct portset tcp_ports;
};

/* One IP packet (IPv4 or IPv6, from its first byte), bounded by len. Pure. */
enum shieldsup_pkt shieldsup_classify_packet(const struct shieldsup_pkt_ctx *c, const uint8_t *ip,
					     size_t len, char *what, size_t what_len);

/* ---- JSON (jansson): the whole result and verdict as one object, for JSON Lines ---- */
struct json_t;
/* {"target":..., "set":..., "upnp":{...}, "file_sharing":{...}, "ports":{...}, "ping":{...},
 * "unsolicited":{...}, "solicited":..., "truestealth":"FAILED", "verdict":...}; NULL when out
 * of memory. The caller json_decref()s it. */
struct json_t *shieldsup_json(const struct shieldsup_result *r, const struct shieldsup_verdict *v);

#endif
