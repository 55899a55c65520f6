/* SPDX-License-Identifier: MIT */
#include "args.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char **cli_expand_aliases(int argc, char **argv, const struct cli_alias *aliases)
{
	char **out = calloc((size_t)argc + 1, sizeof(*out));
	int i;

	if (!out)
		return NULL;
	for (i = 0; i < argc; i++) {
		const struct cli_alias *a;

		out[i] = argv[i];
		if (!strcmp(argv[i], "--"))
			break;
		for (a = aliases; a && a->nmap; a++) {
			if (!strcmp(argv[i], a->nmap)) {
				out[i] = (char *)a->ours;
				break;
			}
		}
	}
	for (; i < argc; i++)
		out[i] = argv[i];
	return out;
}

const char *cli_bad_option(char **argv, char buf[3])
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (!strncmp(arg, "--", 2) || optopt <= 0 || optopt > 127 || !isgraph(optopt))
		return arg;
	buf[0] = '-';
	buf[1] = (char)optopt;
	buf[2] = '\0';
	return buf;
}

enum ps_err cli_read_file(const char *path, size_t max, char **data, size_t *len,
			  struct ps_diag *diag)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	enum ps_err err = PS_OK;

	if (!f)
		return ps_fail(diag, PS_ERR_INVALID, "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *p;

			cap = cap ? cap * 2 : 65536;
			p = realloc(buf, cap + 1);
			if (!p) {
				err = PS_ERR_NOMEM;
				goto out;
			}
			buf = p;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n > max) {
			err = ps_fail(diag, PS_ERR_TOO_LARGE, "%s is larger than %zu bytes", path,
				      max);
			goto out;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		/* fopen succeeds on a directory; reading it is what fails. */
		err = ps_fail(diag, errno == EISDIR ? PS_ERR_INVALID : PS_ERR_IO,
			      "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return err;
}

enum ps_err cli_parse_u64(const char *name, const char *text, unsigned long long min,
			  unsigned long long max, unsigned long long *out, struct ps_diag *diag)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!isdigit((unsigned char)text[0]))
		return ps_fail(diag, PS_ERR_INVALID, "bad %s \"%s\": not a number", name, text);
	v = strtoull(text, &end, 10);
	if (*end || errno)
		return ps_fail(diag, PS_ERR_INVALID, "bad %s \"%s\": not a number", name, text);
	if (v < min || v > max)
		return ps_fail(diag, PS_ERR_RANGE, "bad %s %llu: must be %llu-%llu", name, v, min,
			       max);
	*out = v;
	return PS_OK;
}

enum ps_err cli_parse_duration(const char *name, const char *text, double *seconds,
			       struct ps_diag *diag)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = {{"", 1}, {"s", 1}, {"ms", 0.001}, {"m", 60}, {"h", 3600}};
	unsigned long long v;
	char *end;
	size_t i;

	errno = 0;
	if (!isdigit((unsigned char)text[0]))
		return ps_fail(diag, PS_ERR_INVALID, "bad %s \"%s\": not a duration (30s, 1m, 500ms)",
			       name, text);
	v = strtoull(text, &end, 10);
	for (i = 0; !errno && i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		*seconds = (double)v * units[i].scale;
		if (*seconds < 0.05 || *seconds > 86400.0 * 365)
			return ps_fail(diag, PS_ERR_RANGE, "bad %s \"%s\": must be 50ms-365 days",
				       name, text);
		return PS_OK;
	}
	return ps_fail(diag, PS_ERR_INVALID, "bad %s \"%s\": not a duration (30s, 1m, 500ms)", name,
		       text);
}
