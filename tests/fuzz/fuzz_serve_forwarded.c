/* SPDX-License-Identifier: MIT */
/*
 * portsight serve's hand-written parsers: the first byte chooses X-Forwarded-For or Forwarded
 * (through serve_client_addr with every peer trusted), the rest is the header value; the same
 * bytes are also parsed as a scan form. Whatever the input, the visitor's address is either
 * the peer or an address the header itself names, never anything else.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/clientaddr.h"
#include "serve/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serve_cidr any;
	struct ps_addr peer, out, hops[SERVE_HOPS_MAX];
	struct serve_form form;
	char *text;
	size_t nhops = 0, i;
	bool forwarded;
	enum ps_err err;

	if (size < 1 || size > 8192)
		return 0;
	forwarded = data[0] & 1;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (serve_cidr_parse("198.18.0.0/15", &any, NULL) || ps_addr_parse("198.18.0.1", &peer))
		abort();
	err = serve_client_addr(&peer, &any, 1, forwarded ? text : NULL, forwarded ? NULL : text,
				&out, NULL);
	if (!err && ps_addr_cmp(&out, &peer)) {
		bool named = false;

		if (serve_hops_parse(text, strlen(text), forwarded, hops, SERVE_HOPS_MAX, &nhops,
				     NULL))
			abort();
		for (i = 0; i < nhops; i++)
			named |= !ps_addr_cmp(&hops[i], &out);
		if (!named)
			abort();
	}
	if (!serve_form_parse(text, strlen(text), &form, NULL)) {
		if (form.test <= SERVE_TEST_NONE || form.test >= SERVE_TEST_COUNT || !form.token[0])
			abort();
		if (form.test == SERVE_TEST_PORT && !form.port)
			abort();
	}
	free(text);
	return 0;
}
