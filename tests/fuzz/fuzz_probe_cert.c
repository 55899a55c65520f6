/* SPDX-License-Identifier: MIT */
/* The TLS certificate summary (DER in, subject/SANs/issuer/validity out). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "probe/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct service_tls tls;
	uint32_t flags = 0;

	memset(&tls, 0, sizeof(tls));
	probe_tls_cert_summary(data, size, 1767225600, &tls, &flags);
	return 0;
}
