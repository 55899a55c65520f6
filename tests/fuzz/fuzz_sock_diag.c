/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: raw bytes as one datagram of a sock_diag dump. The first byte picks the
 * protocol the dump was asked for; the parser must never read past the buffer. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/sockdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_diag_dump d;
	uint8_t proto;
	uint8_t *copy;
	bool done;
	size_t i;

	if (size < 1)
		return 0;
	proto = data[0] & 1 ? IPPROTO_UDP : IPPROTO_TCP;
	/* An exact-size heap copy, so ASan sees any read past the end. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	audit_diag_dump_init(&d, 1024);
	audit_diag_parse(copy, size - 1, proto, &d, &done, NULL);
	for (i = 0; i < d.n; i++)
		if (d.v[i].addr.family != 2 && d.v[i].addr.family != 10)
			abort(); /* only AF_INET / AF_INET6 entries may come out */
	audit_diag_dump_release(&d);
	free(copy);
	return 0;
}
