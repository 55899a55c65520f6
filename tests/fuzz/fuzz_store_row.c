/* SPDX-License-Identifier: MIT */
/*
 * diff decodes history rows like any file (a database can be edited by hand). Two kinds of
 * input, by the first byte:
 *   0x00: a host row of schema 3: [0][n][n port ranges, 4 bytes each][family][addr length]
 *         [addr][proto][port runs...]. Decoded as load_scan does; whatever decodes must be
 *         ports of the port set, closed or filtered, and must encode back to the same ports.
 *   0x01: a dark-host list: [1][family 4 or 6][list]; decoded addresses must ascend strictly
 *         and encode back to no more bytes than they came in.
 *   else: a text row (schema 2, and port rows), columns separated by newlines: addr, port,
 *         proto, state, name, product, version.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/hoststates.h"
#include "store/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void text_row(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *col[7] = {0}, *p, *save = NULL;
	struct snap_service svc = {0};
	struct snapshot s;
	struct ps_diag diag;
	int n = 0;

	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	/* A NULL column is what SQLite hands back for NULL: keep missing columns NULL. */
	for (p = strtok_r(text, "\n", &save); p && n < 7; p = strtok_r(NULL, "\n", &save))
		col[n++] = p;
	snapshot_init(&s);
	snprintf(svc.name, sizeof(svc.name), "%s", col[4] ? col[4] : "");
	snprintf(svc.product, sizeof(svc.product), "%s", col[5] ? col[5] : "");
	snprintf(svc.version, sizeof(svc.version), "%s", col[6] ? col[6] : "");
	svc.probed = col[6] && col[6][0] == 'm';
	if (snapshot_add_text(&s, col[0], col[1] ? strtoll(col[1], NULL, 10) : 0, col[2], col[3],
			      col[4] ? &svc : NULL, &diag) == PS_OK &&
	    (s.nports != 1 || s.ports[0].port == 0 || s.ports[0].state >= PORT_STATE_COUNT))
		abort();
	snapshot_release(&s);
	free(text);
}

/* Re-encodes what was decoded and decodes that: the same ports in the same states. */
static void round_trip(const struct snapshot *s, const struct portset *ports,
		       const struct hoststates_load *first)
{
	static uint8_t blob[HOSTSTATES_MAX_BLOB(65535)];
	struct hoststates hs;
	struct hoststates_load again = *first;
	struct snapshot s2;
	size_t i, len;

	if (hoststates_init(&hs, ports))
		return;
	for (i = 0; i < s->nports; i++)
		if (hoststates_set(
			&hs, &s->ports[i].addr, s->ports[i].proto, NULL, s->ports[i].port,
			s->ports[i].state == PORT_CLOSED ? HOSTSTATES_CLOSED : HOSTSTATES_SILENT,
			NULL))
			abort();
	snapshot_init(&s2);
	again.snap = &s2;
	if (hs.nhosts) {
		len = hoststates_encode(&hs, 0, blob);
		if (hoststates_load_host(&again, first->addr.family == AF_INET ? 4 : 6,
					 first->addr.bytes, ps_addr_len(&first->addr), first->proto,
					 blob, len, NULL))
			abort();
	}
	if (s2.nports != s->nports)
		abort();
	for (i = 0; i < s->nports; i++)
		if (s2.ports[i].port != s->ports[i].port || s2.ports[i].state != s->ports[i].state)
			abort();
	snapshot_release(&s2);
	hoststates_release(&hs);
}

static void host_row(const uint8_t *data, size_t size)
{
	struct portset *ports = malloc(sizeof(*ports));
	struct hoststates_load load = {0};
	struct snapshot s;
	size_t nranges, off, alen, i;
	int family, proto;

	snapshot_init(&s);
	load.snap = &s;
	load.ports = malloc(65536 * sizeof(*load.ports));
	if (!ports || !load.ports || size < 2)
		goto out;
	nranges = data[1];
	off = 2 + 4 * nranges;
	if (size < off + 2 || hoststates_ports_decode(data + 2, 4 * nranges, ports, NULL) != PS_OK)
		goto out;
	family = data[off];
	alen = data[off + 1];
	off += 2;
	if (size < off + alen + 1)
		goto out;
	proto = data[off + alen];
	load.nports = (uint32_t)portset_to_array(ports, load.ports);
	if (hoststates_load_host(&load, family, data + off, alen, proto, data + off + alen + 1,
				 size - off - alen - 1, NULL) != PS_OK)
		goto out;
	if (s.nports > load.nports)
		abort();
	for (i = 0; i < s.nports; i++)
		if (!portset_has(ports, s.ports[i].port) ||
		    (s.ports[i].state != PORT_CLOSED && s.ports[i].state != PORT_FILTERED))
			abort();
	round_trip(&s, ports, &load);
out:
	snapshot_release(&s);
	free(load.ports);
	free(ports);
}

struct list_check {
	struct ps_addr *addrs;
	size_t n;
};

static enum ps_err list_addr(void *ctx, const struct ps_addr *addr)
{
	struct list_check *l = ctx;

	if (l->n && ps_addr_cmp(&l->addrs[l->n - 1], addr) >= 0)
		abort();
	l->addrs[l->n++] = *addr;
	return PS_OK;
}

static void dark_list(const uint8_t *data, size_t size)
{
	struct list_check l = {0};
	uint8_t *again;

	if (size < 2)
		return;
	/* Every address takes a byte at least: size bounds the count. */
	l.addrs = malloc(size * sizeof(*l.addrs));
	again = malloc(size * HOSTSTATES_LIST_MAX_BYTES + 1);
	if (l.addrs && again &&
	    hoststates_list_decode(data[1], data + 2, size - 2, list_addr, &l, NULL) == PS_OK) {
		size_t len = hoststates_list_encode(l.addrs, l.n, again);

		/* Encoding what decoded is never longer than the input (padded varints shrink). */
		if (len > size - 2)
			abort();
	}
	free(l.addrs);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 0)
		host_row(data, size);
	else if (size && data[0] == 1)
		dark_list(data, size);
	else
		text_row(data, size);
	return 0;
}
