/* SPDX-License-Identifier: MIT */
#include "procmap.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMDLINE_MAX 4096
#define CGROUP_MAX  8192

enum ps_err audit_inode_map_init(struct audit_inode_map *m, size_t count)
{
	size_t slots = 16;

	memset(m, 0, sizeof(*m));
	/* Load factor at most one half keeps probe chains short. */
	while (slots < count * 2) {
		if (slots > SIZE_MAX / 4)
			return PS_ERR_TOO_LARGE;
		slots *= 2;
	}
	m->keys = calloc(slots, sizeof(*m->keys));
	m->vals = calloc(slots, sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		audit_inode_map_release(m);
		return PS_ERR_NOMEM;
	}
	m->mask = slots - 1;
	return PS_OK;
}

void audit_inode_map_release(struct audit_inode_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static size_t inode_slot(uint64_t inode, size_t mask)
{
	/* Inodes are sequential; a multiplicative hash spreads them over the table. */
	return (size_t)((inode * 0x9E3779B97F4A7C15ull) >> 17) & mask;
}

enum ps_err audit_inode_map_put(struct audit_inode_map *m, uint64_t inode, size_t idx)
{
	size_t i, probes;

	if (!inode || !m->keys)
		return PS_ERR_INVALID;
	i = inode_slot(inode, m->mask);
	for (probes = 0; probes <= m->mask; probes++, i = (i + 1) & m->mask) {
		if (m->keys[i] == 0 || m->keys[i] == inode) {
			m->keys[i] = inode;
			m->vals[i] = idx;
			return PS_OK;
		}
	}
	return PS_ERR_TOO_LARGE;
}

bool audit_inode_map_get(const struct audit_inode_map *m, uint64_t inode, size_t *idx)
{
	size_t i, probes;

	if (!inode || !m->keys)
		return false;
	i = inode_slot(inode, m->mask);
	for (probes = 0; probes <= m->mask; probes++, i = (i + 1) & m->mask) {
		if (m->keys[i] == inode) {
			*idx = m->vals[i];
			return true;
		}
		if (m->keys[i] == 0)
			return false;
	}
	return false;
}

uint64_t audit_socket_link_inode(const char *link, size_t len)
{
	static const char prefix[] = "socket:[";
	uint64_t v = 0;
	size_t i = sizeof(prefix) - 1;

	if (len < i + 2 || memcmp(link, prefix, i) != 0 || link[len - 1] != ']')
		return 0;
	for (; i < len - 1; i++) {
		if (link[i] < '0' || link[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(link[i] - '0');
	}
	return v;
}

/*
 * A systemd service or scope name: systemd's own character set (unit_name_is_valid), and the
 * suffix. A delegated cgroup subtree lets a user create a directory of any name, and the
 * unit ends up in `systemctl disable --now UNIT` advice that root may paste into a shell:
 * a component such as "$(id).service" must not count as a unit.
 */
static bool unit_name(const char *s, size_t n)
{
	size_t i;

	if (n > 255)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(":-_.\\@", s[i]))
			return false;
	return (n > 8 && !memcmp(s + n - 8, ".service", 8)) ||
	       (n > 6 && !memcmp(s + n - 6, ".scope", 6));
}

bool audit_cgroup_unit(const char *text, size_t len, char *out, size_t outlen)
{
	const char *line = text, *end = text + len;
	bool found = false;

	/* cgroup v2 has one line "0::/system.slice/ssh.service"; with v1 every controller has a
	 * line and the name=systemd one carries the unit. The innermost unit wins. */
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl ? nl : end, *elem = line, *p;

		for (p = line; p <= stop; p++) {
			if (p == stop || *p == '/') {
				size_t n = (size_t)(p - elem);

				if (unit_name(elem, n) && n < outlen) {
					memcpy(out, elem, n);
					out[n] = '\0';
					found = true;
				}
				elem = p + 1;
			}
		}
		line = stop + 1;
	}
	return found;
}

/* Reads at most cap-1 bytes of dirfd/path, NUL-terminated; -1 on error (errno set). */
static ssize_t read_small(int dirfd, const char *path, char *buf, size_t cap)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < cap - 1) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

void audit_proc_release(struct audit_proc *p)
{
	free(p->cmdline);
	free(p->exe);
	free(p->unit);
	p->cmdline = p->exe = p->unit = NULL;
}

/* Reads what we show about one process. Anything unreadable stays NULL: the process may have
 * exited since we saw its fd, or belong to another user. */
static enum ps_err proc_read(int procfd, const char *pid_name, struct audit_proc *p)
{
	char path[300], *buf;
	ssize_t n;

	buf = malloc(CGROUP_MAX);
	if (!buf)
		return PS_ERR_NOMEM;
	snprintf(path, sizeof(path), "%s/comm", pid_name);
	n = read_small(procfd, path, buf, AUDIT_COMM_MAX + 2);
	if (n > 0) {
		if (buf[n - 1] == '\n')
			buf[--n] = '\0';
		snprintf(p->comm, sizeof(p->comm), "%s", buf);
	}
	snprintf(path, sizeof(path), "%s/cmdline", pid_name);
	n = read_small(procfd, path, buf, CMDLINE_MAX);
	if (n > 0) {
		ssize_t i;

		while (n > 0 && buf[n - 1] == '\0')
			n--;
		for (i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		p->cmdline = strdup(buf);
	}
	snprintf(path, sizeof(path), "%s/exe", pid_name);
	n = readlinkat(procfd, path, buf, CGROUP_MAX - 1);
	if (n > 0) {
		buf[n] = '\0';
		p->exe = strdup(buf);
	}
	snprintf(path, sizeof(path), "%s/cgroup", pid_name);
	n = read_small(procfd, path, buf, CGROUP_MAX);
	if (n > 0) {
		char unit[256];

		if (audit_cgroup_unit(buf, (size_t)n, unit, sizeof(unit)))
			p->unit = strdup(unit);
	}
	free(buf);
	return PS_OK;
}

static enum ps_err add_proc(int procfd, const char *pid_name, pid_t pid, struct audit_report *r,
			    size_t *idx)
{
	struct audit_proc *v = realloc(r->procs, (r->nprocs + 1) * sizeof(*v));
	enum ps_err err;

	if (!v)
		return PS_ERR_NOMEM;
	r->procs = v;
	memset(&v[r->nprocs], 0, sizeof(v[0]));
	v[r->nprocs].pid = pid;
	err = proc_read(procfd, pid_name, &v[r->nprocs]);
	if (err) {
		audit_proc_release(&v[r->nprocs]);
		return err;
	}
	*idx = r->nprocs++;
	return PS_OK;
}

static enum ps_err attach_owner(struct audit_socket *s, size_t proc_idx)
{
	size_t *v;

	/* One process often holds a socket under several fds (dup, inherited stdio). */
	if (s->nprocs && s->procs[s->nprocs - 1] == proc_idx)
		return PS_OK;
	v = realloc(s->procs, (s->nprocs + 1) * sizeof(*v));
	if (!v)
		return PS_ERR_NOMEM;
	s->procs = v;
	s->procs[s->nprocs++] = proc_idx;
	return PS_OK;
}

static bool parse_pid(const char *name, pid_t *pid)
{
	long v = 0;

	if (!*name)
		return false;
	for (; *name; name++) {
		if (*name < '0' || *name > '9' || v > 100000000)
			return false;
		v = v * 10 + (*name - '0');
	}
	*pid = (pid_t)v;
	return v > 0;
}

static enum ps_err scan_fds(int procfd, const char *pid_name, pid_t pid,
			    const struct audit_inode_map *map, struct audit_report *r)
{
	char path[300], link[64];
	size_t proc_idx = SIZE_MAX, sock_idx;
	struct dirent *de;
	enum ps_err err = PS_OK;
	DIR *dir;
	int fdfd;

	snprintf(path, sizeof(path), "%s/fd", pid_name);
	fdfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdfd < 0) {
		if (errno == ENOENT || errno == ESRCH)
			r->nprocs_vanished++;
		else
			r->nprocs_fd_denied++;
		return PS_OK;
	}
	dir = fdopendir(fdfd);
	if (!dir) {
		close(fdfd);
		return PS_ERR_NOMEM;
	}
	while ((de = readdir(dir))) {
		ssize_t n;
		uint64_t inode;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(fdfd, de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue; /* closed since readdir: not ours to report */
		inode = audit_socket_link_inode(link, (size_t)n);
		if (!inode || !audit_inode_map_get(map, inode, &sock_idx))
			continue;
		if (proc_idx == SIZE_MAX) {
			err = add_proc(procfd, pid_name, pid, r, &proc_idx);
			if (err)
				break;
		}
		err = attach_owner(&r->socks[sock_idx], proc_idx);
		if (err)
			break;
	}
	closedir(dir);
	return err;
}

enum ps_err audit_procmap_scan(const char *proc_dir, const struct audit_inode_map *map,
			       struct audit_report *r, struct ps_diag *diag)
{
	struct dirent *de;
	enum ps_err err = PS_OK;
	DIR *dir = opendir(proc_dir);

	if (!dir)
		return ps_fail(diag, PS_ERR_IO, "cannot read %s: %s", proc_dir, strerror(errno));
	while ((de = readdir(dir))) {
		pid_t pid;

		if (!parse_pid(de->d_name, &pid))
			continue;
		err = scan_fds(dirfd(dir), de->d_name, pid, map, r);
		if (err) {
			ps_fail(diag, err, "scanning %s/%s: %s", proc_dir, de->d_name,
				ps_strerror(err));
			break;
		}
	}
	closedir(dir);
	return err;
}
