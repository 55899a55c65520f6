/* SPDX-License-Identifier: MIT */
#ifndef PS_SCAN_CHECKPOINT_H
#define PS_SCAN_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dynbuf.h"
#include "core/err.h"
#include "engine.h"

/*
 * A scan's checkpoint (--resume FILE): everything a later run needs to continue the scan so
 * that the two runs together report exactly what one uninterrupted run would. Readable text,
 * one item per line, in this order:
 *
 *	portsight-checkpoint 1
 *	scan 5f0c...			 a random name of this scan (32 hex digits)
 *	job 9a1b...			 SHA-256 of the normalised job (targets, ports, seed, shards)
 *	state running			 or complete
 *	arg --syn			 the command line, one argument a line, %XX-escaped
 *	seed 77
 *	shard 0 1			 shard index and count
 *	pairs 8192			 (address, port) pairs the engine numbers
 *	pass 1 position 4096 sent 4096	 where the engine goes on (scan_progress)
 *	plan ...			 the pass plan as that pass began (passplan.h)
 *	result 198.18.4.7 80 tcp open syn-ack 64 1 120   addr port proto state reason ttl tries rtt
 *	results 1234			 how many result lines came before
 *	sha256 <hex>			 of every byte before this line
 *
 * A file of another version, with a wrong checksum, truncated, or with any line out of place
 * is refused by scan_ckpt_parse() with one line; nothing is half-read.
 */
#define SCAN_CKPT_VERSION 1
#define SCAN_CKPT_MAX_ARGS 512u
#define SCAN_CKPT_MAX_ARG 4096u
#define SCAN_CKPT_MAX_FILE (1ull << 32) /* 4 GiB: ~60 M results */

struct scan_ckpt_result {
	struct ps_addr addr;
	uint16_t port;
	uint8_t proto;
	uint8_t state;
	uint8_t reason;
	uint8_t ttl;
	uint8_t tries;
	uint32_t rtt_us;
};

struct scan_ckpt {
	char scan[33]; /* hex */
	char job[65];  /* hex */
	bool complete;
	char **args;
	size_t nargs;
	uint64_t seed;
	uint64_t shard, nshards;
	uint64_t npairs;
	struct scan_progress progress;
	struct scan_ckpt_result *results;
	size_t nresults, results_cap;
};

void scan_ckpt_init(struct scan_ckpt *ck);
void scan_ckpt_release(struct scan_ckpt *ck);
enum ps_err scan_ckpt_add_arg(struct scan_ckpt *ck, const char *arg);
enum ps_err scan_ckpt_add_result(struct scan_ckpt *ck, const struct scan_ckpt_result *r);

/* The text of ck, checksum included, appended to out. */
enum ps_err scan_ckpt_format(const struct scan_ckpt *ck, struct dynbuf *out);
/* ck from text (len bytes); name (the file) starts every error line. ck is released on error. */
enum ps_err scan_ckpt_parse(const char *text, size_t len, const char *name, struct scan_ckpt *ck,
			    struct ps_diag *diag);

/*
 * Writes ck to path atomically: a temporary file beside it, fsync, rename, fsync of the
 * directory. A reader sees the old checkpoint or the new one, never a mix; a crash at any
 * moment leaves one of the two.
 */
enum ps_err scan_ckpt_write(const char *path, const struct scan_ckpt *ck, struct ps_diag *diag);
/* PS_ERR_NOT_FOUND when path does not exist (a fresh scan); any other failure says why. */
enum ps_err scan_ckpt_read(const char *path, struct scan_ckpt *ck, struct ps_diag *diag);

#endif
