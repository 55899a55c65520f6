/* SPDX-License-Identifier: MIT */
#ifndef PS_CLI_OUTFILE_H
#define PS_CLI_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "core/err.h"

/*
 * A report file that appears whole or not at all: written to a temporary file in the same
 * directory and renamed over the destination on commit (a failed run discards it, so an
 * existing file is never truncated by a run that did not finish). "-" is stdout; a destination
 * that is not a regular file (/dev/null, a FIFO) is written directly.
 */
struct outfile {
	FILE *f;
	const char *path; /* as the user named it */
	char *tmp;	  /* the temporary file, or NULL when written directly */
	char *dest;	  /* where the temporary file is renamed to (symlinks followed) */
};

enum ps_err outfile_open(struct outfile *o, const char *path, struct ps_diag *diag);
/* Closes and renames into place; an error leaves the destination as it was. */
enum ps_err outfile_commit(struct outfile *o, struct ps_diag *diag);
/* Closes and removes the temporary file (no-op after commit). */
void outfile_discard(struct outfile *o);
/* Whether two output paths name the same destination ("-" is stdout). */
bool outfile_same(const char *a, const char *b);

#endif
