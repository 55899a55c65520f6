/* SPDX-License-Identifier: MIT */
/* The HTTP response parser (status, Server, title) and the TLS record sniffer. */
#include <stddef.h>
#include <stdint.h>

#include "probe/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct service_http http;
	uint16_t version;

	probe_http_parse(data, size, &http);
	probe_tls_sniff(data, size, &version);
	return 0;
}
