/* SPDX-License-Identifier: MIT */
/*
 * An SSDP reply from a hostile device, split for the ShieldsUP report (src/run/shieldsup.c):
 * within its bounds, at most SHIELDSUP_HEADERS_MAX lines kept, every line terminated and
 * cleaned (no control byte reaches a terminal), and the split is the same twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/shieldsup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *s)
{
	size_t i;

	if (!memchr(s, '\0', SHIELDSUP_LINE_MAX))
		abort();
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shieldsup_upnp a, b;
	bool ok = shieldsup_ssdp_split(data, size, &a);
	size_t i;

	if (a.nheaders > SHIELDSUP_HEADERS_MAX || (!ok && a.nheaders))
		abort();
	check_line(a.status);
	for (i = 0; i < a.nheaders; i++)
		check_line(a.headers[i]);
	if (shieldsup_ssdp_split(data, size, &b) != ok || b.nheaders != a.nheaders ||
	    b.headers_cut != a.headers_cut || memcmp(a.headers, b.headers, sizeof(a.headers)) ||
	    strcmp(a.status, b.status))
		abort();
	return 0;
}
