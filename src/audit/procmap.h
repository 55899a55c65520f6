/* SPDX-License-Identifier: MIT */
#ifndef PS_AUDIT_PROCMAP_H
#define PS_AUDIT_PROCMAP_H

/*
 * Socket inode -> owning processes, from one pass over /proc/PID/fd. Only the inodes the
 * caller asked about are recorded, and only processes holding one of them are read further
 * (comm, cmdline, exe, cgroup), which keeps the pass cheap on a busy machine.
 */
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "core/err.h"

/* Open-addressing hash: inode -> index of the socket the caller is interested in. */
struct audit_inode_map {
	uint64_t *keys; /* 0 = empty slot: no socket has inode 0 worth mapping */
	size_t *vals;
	size_t mask;
};

enum ps_err audit_inode_map_init(struct audit_inode_map *m, size_t count);
void audit_inode_map_release(struct audit_inode_map *m);
enum ps_err audit_inode_map_put(struct audit_inode_map *m, uint64_t inode, size_t idx);
/* Returns true and sets *idx when inode is present. */
bool audit_inode_map_get(const struct audit_inode_map *m, uint64_t inode, size_t *idx);

/* Parses the target of a /proc/PID/fd link, "socket:[12345]"; 0 when it is not a socket. */
uint64_t audit_socket_link_inode(const char *link, size_t len);
/* The systemd unit in the text of /proc/PID/cgroup (last *.service or *.scope path element);
 * writes it to out and returns true, or false when there is none. */
bool audit_cgroup_unit(const char *text, size_t len, char *out, size_t outlen);

/*
 * Scans proc_dir (normally "/proc") and attaches owners to r->socks through map (which maps
 * inode -> index into r->socks). Fills r->procs and the not-seen counters of r.
 */
enum ps_err audit_procmap_scan(const char *proc_dir, const struct audit_inode_map *map,
			       struct audit_report *r, struct ps_diag *diag);

void audit_proc_release(struct audit_proc *p);

#endif
