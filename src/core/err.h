/* SPDX-License-Identifier: MIT */
#ifndef PS_CORE_ERR_H
#define PS_CORE_ERR_H

/*
 * One error enum for the whole library. Library code returns it and never prints or exits;
 * src/cli turns it into a one-line message and an exit code.  A struct ps_diag carries the
 * human detail ("port 70000 out of range 1-65535") alongside the code.
 */
enum ps_err {
	PS_OK = 0,
	PS_ERR_NOMEM,
	PS_ERR_INVALID,	    /* malformed input: a spec, a file, a packet */
	PS_ERR_RANGE,	    /* well-formed but out of range */
	PS_ERR_TOO_LARGE,   /* over a limit (address count, buffer cap) */
	PS_ERR_IO,	    /* read/write of a file or socket failed */
	PS_ERR_SYSTEM,	    /* a system call failed for another reason */
	PS_ERR_RESOLVE,	    /* a hostname did not resolve */
	PS_ERR_PERMISSION,  /* needs privileges we do not have */
	PS_ERR_NOT_FOUND,   /* lookup found nothing */
	PS_ERR_UNSUPPORTED, /* not available on this system or build */
	PS_ERR_INTERRUPTED, /* stopped by the user (SIGINT) */
	PS_ERR_TRUNCATED,   /* input ended early */
	PS_ERR_COUNT
};

#define PS_DIAG_MAX 256

struct ps_diag {
	char msg[PS_DIAG_MAX];
};

const char *ps_strerror(enum ps_err err);

/* Record a detail message in diag (which may be NULL) and return err, for `return ps_fail(...)`. */
enum ps_err ps_fail(struct ps_diag *diag, enum ps_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The detail if one was recorded, else the generic text for err. */
const char *ps_diag_text(const struct ps_diag *diag, enum ps_err err);

#endif
