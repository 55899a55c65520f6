/* SPDX-License-Identifier: MIT */
/*
 * The command line's own value parsers (src/cli/args.c, nmap_compat.c): durations, bounded
 * numbers, nmap's times and timing presets, discovery probes (-P...) and the flags refused by
 * name. The first byte picks the parser, the rest is the text. Whatever is accepted is in
 * range; whatever is refused says why (one line, not empty).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/nmap_compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void refused(const struct ps_diag *diag)
{
	if (!diag->msg[0] || strchr(diag->msg, '\n'))
		abort();
}

static void refuse_by_name(char *text)
{
	char *argv[17], *save = NULL, *w;
	struct ps_diag diag = {{0}};
	int argc = 0;

	argv[argc++] = "portsight";
	for (w = strtok_r(text, " ", &save); w && argc < 16; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (nmap_refuse_unsupported(argc, argv, &diag))
		refused(&diag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_host_probe probes[8];
	struct ps_diag diag = {{0}};
	unsigned long long u = 0;
	uint64_t ns = 0;
	double sec = 0;
	unsigned level = 99;
	size_t n = 0, i, j;
	char *text;

	if (size < 1 || size > 1024)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0:
		if (cli_parse_duration("--interval", text, &sec, &diag))
			refused(&diag);
		else if (!isfinite(sec) || sec < 0.05 || sec > 86400.0 * 365)
			abort();
		break;
	case 1:
		if (cli_parse_u64("--rate", text, 1, 10000000, &u, &diag))
			refused(&diag);
		else if (u < 1 || u > 10000000)
			abort();
		break;
	case 2:
		if (nmap_parse_time("--scan-delay", text, 3600ull * 1000000000ull, &ns, &diag))
			refused(&diag);
		else if (ns > 3600ull * 1000000000ull)
			abort();
		break;
	case 3:
		if (nmap_parse_timing(text, &level, &diag))
			refused(&diag);
		else if (level > 5)
			abort();
		break;
	case 4:
		/* Twice, as "-PS22 -PS22,80" would: a probe asked twice is kept once. */
		for (i = 0; i < 2; i++)
			if (nmap_parse_ping(text, probes, sizeof(probes) / sizeof(probes[0]), &n,
					    &diag)) {
				refused(&diag);
				break;
			}
		if (n > sizeof(probes) / sizeof(probes[0]))
			abort();
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (probes[i].kind == probes[j].kind &&
				    probes[i].port == probes[j].port)
					abort();
		break;
	default:
		refuse_by_name(text);
	}
	free(text);
	return 0;
}
