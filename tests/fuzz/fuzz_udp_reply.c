/* SPDX-License-Identifier: MIT */
/*
 * A UDP datagram from a hostile host, read by every reply reader (src/probe/udp_reply.c):
 * within its bounds, and whatever it says comes out as terminated, cleaned strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/udp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s, size_t cap)
{
	size_t i;

	if (!memchr(s, '\0', cap))
		abort();
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort(); /* a control byte reached a report */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned k;

	for (k = 0; k < UDP_REPLY_COUNT; k++) {
		struct udp_reply_info info;

		if (!udp_reply_parse((enum udp_reply_kind)k, data, size, &info))
			continue;
		check_string(info.facts.name, sizeof(info.facts.name));
		check_string(info.facts.product, sizeof(info.facts.product));
		check_string(info.facts.version, sizeof(info.facts.version));
		check_string(info.facts.info, sizeof(info.facts.info));
		if (info.id_len > UDP_REPLY_ID_MAX)
			abort();
	}
	return 0;
}
