/* SPDX-License-Identifier: MIT */
/* --show "open,closed,filtered": a word list, parsed or refused with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_diag diag = {{0}};
	unsigned show;
	char *spec;

	if (size > 4096)
		return 0;
	spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	if (report_parse_show(spec, &show, &diag) == PS_OK && (!show || show & ~REPORT_SHOW_ALL))
		abort();
	if (report_parse_show(spec, &show, &diag) != PS_OK && !diag.msg[0])
		abort();
	free(spec);
	return 0;
}
