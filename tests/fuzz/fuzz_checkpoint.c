/* SPDX-License-Identifier: MIT */
/*
 * The --resume checkpoint parser. A checksum guards the file, so most mutations stop there;
 * inputs whose first byte is odd get a valid checksum appended to the rest, which lets the
 * fuzzer reach every field. Whatever parses must format back to text that parses the same.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const struct scan_ckpt *a, const struct scan_ckpt *b)
{
	size_t i;

	if (a->nargs != b->nargs || a->nresults != b->nresults || a->seed != b->seed ||
	    a->npairs != b->npairs || a->complete != b->complete || strcmp(a->job, b->job) ||
	    a->progress.position != b->progress.position || a->progress.pass != b->progress.pass)
		abort();
	for (i = 0; i < a->nargs; i++)
		if (strcmp(a->args[i], b->args[i]))
			abort();
	for (i = 0; i < a->nresults; i++)
		if (a->results[i].port != b->results[i].port ||
		    a->results[i].state != b->results[i].state)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_ckpt ck, again;
	struct ps_diag diag = {{0}};
	struct dynbuf text;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char *buf;
	size_t len = size;

	if (size > (1u << 20))
		return 0;
	buf = malloc(size + 80);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (size && (data[0] & 1)) {
		/* the rest, signed: a checkpoint whose checksum is right */
		memmove(buf, buf + 1, size - 1);
		len = size - 1;
		EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
		len += (size_t)snprintf(buf + len, 8, "sha256 ");
		for (i = 0; i < mdlen; i++)
			snprintf(buf + len + 2 * (size_t)i, 3, "%02x", md[i]);
		len += 2 * (size_t)mdlen;
		buf[len++] = '\n';
	}
	if (scan_ckpt_parse(buf, len, "fuzz", &ck, &diag) == PS_OK) {
		dynbuf_init(&text, SCAN_CKPT_MAX_FILE);
		if (scan_ckpt_format(&ck, &text) ||
		    scan_ckpt_parse(text.data, text.len, "again", &again, &diag))
			abort();
		same_or_abort(&ck, &again);
		scan_ckpt_release(&again);
		dynbuf_release(&text);
		scan_ckpt_release(&ck);
	}
	free(buf);
	return 0;
}
