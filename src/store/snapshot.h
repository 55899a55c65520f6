/* SPDX-License-Identifier: MIT */
#ifndef PS_STORE_SNAPSHOT_H
#define PS_STORE_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/result.h"

/*
 * What diff compares: the port states (and services of open ports) of one scan, loaded from
 * the history database or from an XML file (ours or nmap's). Ports an XML file does not list
 * (nmap's "extraports") are simply absent.
 */
struct snap_service {
	char name[32];
	char product[64];
	char version[32];
	uint8_t probed; /* identified by a probe; else the name is a port-table guess */
};

struct snap_port {
	struct ps_addr addr;
	uint16_t port;
	uint8_t proto;	  /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t state;	  /* enum port_state */
	uint32_t service; /* index + 1 into snapshot.services; 0 = none */
};

/* A cap on what one file may make us hold (a 65536-port scan of 256 hosts fits). */
#define SNAPSHOT_MAX_PORTS (1u << 24)

struct snapshot {
	struct snap_port *ports;
	size_t nports;
	size_t ports_cap;
	struct snap_service *services;
	size_t nservices;
	size_t services_cap;
	char label[256]; /* "scan 12 (2026-11-26 07:00)", "old.xml" */
	/*
	 * 1: every port the scan covered is listed, so one that is not was never scanned (an
	 * interrupted scan) and diff does not compare it. 0 (XML files): a port not listed may
	 * have been scanned and folded away (nmap's extraports).
	 */
	uint8_t absent_unscanned;
};

void snapshot_init(struct snapshot *s);
void snapshot_release(struct snapshot *s);
/* Adds a port; svc may be NULL. */
enum ps_err snapshot_add(struct snapshot *s, const struct ps_addr *addr, uint16_t port,
			 uint8_t proto, uint8_t state, const struct snap_service *svc);
/*
 * Adds a port given as text, as the database and XML files hold it: addr "192.0.2.7",
 * proto "tcp", state "open"; port 1-65535; svc may be NULL. Anything else is PS_ERR_INVALID
 * with a reason.
 */
enum ps_err snapshot_add_text(struct snapshot *s, const char *addr, long long port,
			      const char *proto, const char *state, const struct snap_service *svc,
			      struct ps_diag *diag);
const struct snap_service *snapshot_service(const struct snapshot *s, const struct snap_port *p);

enum diff_kind {
	DIFF_OPENED,  /* open now, was not (or was not listed) */
	DIFF_CLOSED,  /* was open, is not now (or is not listed) */
	DIFF_SERVICE, /* open in both, the service changed */
	DIFF_STATE,   /* listed in both, neither open, the state changed */
};

struct diff_change {
	enum diff_kind kind;
	const struct snap_port *old_port; /* NULL when not listed */
	const struct snap_port *new_port;
	const struct snap_service *old_service;
	const struct snap_service *new_service;
};

typedef enum ps_err (*diff_fn)(void *ctx, const struct diff_change *c);

const char *diff_kind_name(enum diff_kind kind);
/*
 * Sorts both snapshots and calls fn for every change in address, protocol, port order. A port
 * one side never scanned (absent_unscanned) is no change.
 */
enum ps_err snapshot_diff(struct snapshot *old_snap, struct snapshot *new_snap, diff_fn fn,
			  void *ctx, size_t *changes);

/*
 * Reads nmap XML (-oX; portsight's xml format is the same) from memory. Safe options: no
 * network, no DTD loading, and documents declaring entities are refused outright.
 */
enum ps_err nmapxml_parse(const char *data, size_t len, struct snapshot *snap,
			  struct ps_diag *diag);
/* The same from a file (at most 1 GiB). */
enum ps_err nmapxml_load(const char *path, struct snapshot *snap, struct ps_diag *diag);

#endif
