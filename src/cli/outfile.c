/* SPDX-License-Identifier: MIT */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file path finally names: symlinks followed, or path itself when it does not exist yet. */
static char *destination(const char *path)
{
	char *real = realpath(path, NULL);

	return real ? real : strdup(path);
}

static mode_t new_file_mode(const char *dest)
{
	struct stat st;
	mode_t mask;

	if (!stat(dest, &st))
		return st.st_mode & 07777; /* replacing a file keeps its permissions */
	mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

enum ps_err outfile_open(struct outfile *o, const char *path, struct ps_diag *diag)
{
	struct stat st;
	char *dir_copy = NULL, *base_copy = NULL;
	int fd = -1;

	memset(o, 0, sizeof(*o));
	o->path = path;
	if (!strcmp(path, "-")) {
		o->f = stdout;
		return PS_OK;
	}
	if (!path[0])
		return ps_fail(diag, PS_ERR_INVALID, "cannot write '': empty file name");
	o->dest = destination(path);
	if (!o->dest)
		goto nomem;
	/* /dev/stdout, /dev/fd/N, /proc/self/fd/N name an open file: renaming over it would cut
	 * it loose from the descriptor that refers to it. */
	if (!strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6) ||
	    (!stat(o->dest, &st) && !S_ISREG(st.st_mode))) {
		if (!stat(o->dest, &st) && S_ISDIR(st.st_mode))
			goto fail_errno_dir;
		o->f = fopen(o->dest, "w"); /* a device or FIFO: nothing to keep whole */
		if (!o->f)
			goto fail_errno;
		return PS_OK;
	}
	dir_copy = strdup(o->dest);
	base_copy = strdup(o->dest);
	if (!dir_copy || !base_copy)
		goto nomem;
	if (asprintf(&o->tmp, "%s/.%s.XXXXXX", dirname(dir_copy), basename(base_copy)) < 0) {
		o->tmp = NULL;
		goto nomem;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		free(o->tmp);
		o->tmp = NULL;
		goto fail_errno;
	}
	if (fchmod(fd, new_file_mode(o->dest)) || !(o->f = fdopen(fd, "w"))) {
		close(fd);
		unlink(o->tmp);
		goto fail_errno;
	}
	free(dir_copy);
	free(base_copy);
	return PS_OK;
fail_errno_dir:
	errno = EISDIR;
fail_errno:
	ps_fail(diag, PS_ERR_INVALID, "cannot write %s: %s", path, strerror(errno));
	free(dir_copy);
	free(base_copy);
	free(o->tmp);
	free(o->dest);
	memset(o, 0, sizeof(*o));
	return PS_ERR_INVALID;
nomem:
	free(dir_copy);
	free(base_copy);
	free(o->dest);
	memset(o, 0, sizeof(*o));
	return ps_fail(diag, PS_ERR_NOMEM, "out of memory");
}

enum ps_err outfile_commit(struct outfile *o, struct ps_diag *diag)
{
	enum ps_err err = PS_OK;

	if (!o->f)
		return PS_OK;
	if (o->f == stdout) {
		if (fflush(stdout))
			err = ps_fail(diag, PS_ERR_IO, "cannot write to standard output: %s",
				      strerror(errno));
		o->f = NULL;
		return err;
	}
	if (fclose(o->f))
		err = ps_fail(diag, PS_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
	o->f = NULL;
	if (!err && o->tmp && rename(o->tmp, o->dest))
		err = ps_fail(diag, PS_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
	if (err && o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->dest);
	o->tmp = o->dest = NULL;
	return err;
}

void outfile_discard(struct outfile *o)
{
	if (o->f && o->f != stdout)
		fclose(o->f);
	else if (o->f)
		fflush(stdout);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->dest);
	memset(o, 0, sizeof(*o));
}

/* path with its directory resolved: the same file however it is spelled. */
static char *canonical(const char *path)
{
	char *real = realpath(path, NULL), *dir_copy, *base_copy, *dir, *out = NULL;

	if (real)
		return real;
	dir_copy = strdup(path);
	base_copy = strdup(path);
	if (dir_copy && base_copy && (dir = realpath(dirname(dir_copy), NULL))) {
		if (asprintf(&out, "%s/%s", dir, basename(base_copy)) < 0)
			out = NULL;
		free(dir);
	}
	free(dir_copy);
	free(base_copy);
	return out;
}

bool outfile_same(const char *a, const char *b)
{
	char *ca, *cb;
	bool same;

	if (!strcmp(a, "-") || !strcmp(b, "-"))
		return !strcmp(a, b);
	if (!strcmp(a, b))
		return true;
	ca = canonical(a);
	cb = canonical(b);
	same = ca && cb && !strcmp(ca, cb);
	free(ca);
	free(cb);
	return same;
}
