/* SPDX-License-Identifier: MIT */
#ifndef PS_CLI_ARGS_H
#define PS_CLI_ARGS_H

#include <stddef.h>

#include "core/err.h"

/* nmap's multi-letter single-dash options ("-sT", "-iL", "-oX") as our long options. */
struct cli_alias {
	const char *nmap;
	const char *ours;
};

/*
 * Returns a new argv (NULL-terminated, free with free(); the strings are argv's own) in which
 * each alias is replaced by its long form, so getopt_long can parse what nmap users type.
 */
char **cli_expand_aliases(int argc, char **argv, const struct cli_alias *aliases);

/*
 * The option getopt_long just refused, for a message: the argument itself ("--bogus", "-Z"), or
 * "-c" for a short option inside a group ("-vZ"), where argv[optind - 1] is still the previous
 * argument. buf holds the "-c".
 */
const char *cli_bad_option(char **argv, char buf[3]);

/* Reads a whole file ("-" = stdin) of at most max bytes into a NUL-terminated buffer. */
enum ps_err cli_read_file(const char *path, size_t max, char **data, size_t *len,
			  struct ps_diag *diag);

/* Parses a decimal number in [min, max] for option name. */
enum ps_err cli_parse_u64(const char *name, const char *text, unsigned long long min,
			  unsigned long long max, unsigned long long *out, struct ps_diag *diag);

/* Parses a duration: "30" or "30s", "500ms", "2m", "1h", into seconds (50 ms to a year). */
enum ps_err cli_parse_duration(const char *name, const char *text, double *seconds,
			       struct ps_diag *diag);

#endif
