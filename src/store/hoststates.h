/* SPDX-License-Identifier: MIT */
#ifndef PS_STORE_HOSTSTATES_H
#define PS_STORE_HOSTSTATES_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/portset.h"
#include "snapshot.h"

/*
 * What a history needs of a scan, compactly, for any backend: every host's ports as a 2-bit
 * code indexed by the port's position in the scan's port set, encoded as runs when written.
 * Open ports and filtered ports that drew an answer (ICMP) are LISTED: their details go in a
 * row of their own. What a scan never reached stays NOT_SCANNED, so an interrupted scan says
 * which ports it covered.
 */
enum hoststates_code {
	HOSTSTATES_NOT_SCANNED = 0,
	HOSTSTATES_CLOSED = 1,
	HOSTSTATES_SILENT = 2, /* filtered, no response */
	HOSTSTATES_LISTED = 3, /* see the port's own row */
};

struct hoststates_host {
	struct ps_addr addr;
	uint8_t proto;
	uint8_t dirty;	   /* changed since its row was last written */
	uint8_t written;   /* its row was written at least once */
	char *hostname;	   /* the name the target was given as, or NULL */
	size_t cells;	   /* offset of its codes in hoststates.pool */
	uint32_t covered;  /* ports not NOT_SCANNED */
	uint32_t answered; /* ports CLOSED or LISTED: 0 for a host dark so far */
	/* For the store's progress count: covered when last written, rows since. */
	uint32_t written_covered;
	uint32_t rows_since;
};

struct hoststates {
	uint16_t *position; /* [port]: position in the port set, HOSTSTATES_NO_POSITION if none */
	uint16_t *ports;    /* [position]: the port */
	uint32_t nports;
	struct hoststates_host *hosts;
	size_t nhosts, hosts_cap;
	uint32_t *table; /* open addressing: host index + 1, 0 = empty */
	size_t table_cap;
	uint8_t *pool; /* 2-bit codes, (nports + 3) / 4 bytes per host */
	size_t pool_len, pool_cap;
	uint64_t covered; /* over every host */
	size_t ndirty;	  /* hosts with dirty set */
};

#define HOSTSTATES_NO_POSITION 0xffffu
/* The longest encoding of one host: a run per port, each at most 4 bytes. */
#define HOSTSTATES_MAX_BLOB(nports) ((size_t)(nports)*4u + 4u)

/* ports: the scan's port set (NULL: every port 1-65535). */
enum ps_err hoststates_init(struct hoststates *hs, const struct portset *ports);
void hoststates_release(struct hoststates *hs);
/* Sets (addr, proto, port) to code; O(1). *host (may be NULL) gets the host's index. A port
 * outside the port set is PS_ERR_RANGE: the caller lists it in a row of its own. */
enum ps_err hoststates_set(struct hoststates *hs, const struct ps_addr *addr, uint8_t proto,
			   const char *hostname, uint16_t port, enum hoststates_code code,
			   size_t *host);
enum hoststates_code hoststates_get(const struct hoststates *hs, size_t host, uint32_t position);
/* Encodes host's codes as runs into out (HOSTSTATES_MAX_BLOB(nports) bytes); returns the length. */
size_t hoststates_encode(const struct hoststates *hs, size_t host, uint8_t *out);

/*
 * Decodes a run blob of nports codes; fn gets every run in order (first position, count,
 * code). A blob that does not add up to exactly nports is PS_ERR_INVALID.
 */
typedef enum ps_err (*hoststates_run_fn)(void *ctx, uint32_t first, uint32_t count,
					 enum hoststates_code code);
enum ps_err hoststates_decode(const uint8_t *blob, size_t len, uint32_t nports,
			      hoststates_run_fn fn, void *ctx, struct ps_diag *diag);

/* 1 when every port of host has code (a dark host: every port SILENT). */
int hoststates_all(const struct hoststates *hs, size_t host, enum hoststates_code code);

/*
 * Hosts that are one code on every port (dark ones) are kept as a sorted address list instead
 * of a row each: deltas from the previous address as LEB128 varints (the first from 0).
 * encode: addrs sorted ascending, one family; out needs 19 bytes per address. decode calls fn
 * per address; a list out of order or cut short is PS_ERR_INVALID.
 */
size_t hoststates_list_encode(const struct ps_addr *addrs, size_t n, uint8_t *out);
typedef enum ps_err (*hoststates_addr_fn)(void *ctx, const struct ps_addr *addr);
enum ps_err hoststates_list_decode(int family, const uint8_t *blob, size_t len,
				   hoststates_addr_fn fn, void *ctx, struct ps_diag *diag);
#define HOSTSTATES_LIST_MAX_BYTES 19

/* An address as stored: family 4 or 6 and its 4 or 16 bytes. */
enum ps_err hoststates_addr_decode(int family, const void *bytes, size_t len, struct ps_addr *out,
				   struct ps_diag *diag);

/* Loading hosts into a snapshot: their closed and silent ports (LISTED ones have rows). */
struct hoststates_load {
	struct snapshot *snap;
	uint16_t *ports; /* [position]: the port */
	uint32_t nports;
	struct ps_addr addr; /* the host being decoded */
	uint8_t proto;
};
enum ps_err hoststates_load_host(struct hoststates_load *load, int family, const void *addr,
				 size_t addr_len, int proto, const void *states, size_t len,
				 struct ps_diag *diag);

/* A port set as ranges: big-endian (lo, hi) pairs of 16 bits; out has room for 4 * count. */
size_t hoststates_ports_encode(const struct portset *ports, uint8_t *out);
enum ps_err hoststates_ports_decode(const uint8_t *blob, size_t len, struct portset *out,
				    struct ps_diag *diag);

#endif
