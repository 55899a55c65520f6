/* SPDX-License-Identifier: MIT */
/* Where the history database lives by default, and making its directory. */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int store_default_path(char *buf, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	/* XDG says a relative XDG_STATE_HOME is invalid and must be ignored. */
	if (state && state[0] == '/')
		n = snprintf(buf, len, "%s/portsight/history.db", state);
	else if (home && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/portsight/history.db", home);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/*
 * mkdir -p of the default database's directory, private to the user (history names hosts and
 * services). Only below a base that exists: $XDG_STATE_HOME's parent or $HOME; a HOME that
 * does not exist is not ours to create.
 */
int store_make_parents(const char *path)
{
	const char *state = getenv("XDG_STATE_HOME");
	char dir[4096];
	struct stat st;
	size_t keep;
	char *p;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	*strrchr(dir, '/') = '\0';
	/* keep: the length of the directory that must already exist. */
	if (state && state[0] == '/') {
		keep = strlen(state);
		while (keep > 1 && dir[keep - 1] == '/')
			keep--;
		while (keep > 1 && dir[keep - 1] != '/')
			keep--;
	} else {
		keep = strlen(dir) - strlen("/.local/state/portsight");
	}
	if (keep == 0)
		keep = 1; /* "/" */
	p = dir + keep;
	{
		char saved = *p;

		*p = '\0';
		if (stat(dir, &st) || !S_ISDIR(st.st_mode))
			return -1;
		*p = saved;
	}
	for (; *p; p++) {
		if (*p != '/' || p == dir)
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0700) && errno != EEXIST ? -1 : 0;
}
