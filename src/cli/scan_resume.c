/* SPDX-License-Identifier: MIT */
/* --resume FILE: which command line a scan runs, its seed, and whether FILE is its own. */
#include "scan_resume.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cli.h"
#include "store/store.h"

/* Where --resume is in argv: its index and whether the file is the next word. */
static int find_resume(int argc, char **argv, const char **path, int *width)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--resume")) {
			*path = i + 1 < argc ? argv[i + 1] : NULL;
			*width = 2;
			return i;
		}
		if (!strncmp(argv[i], "--resume=", 9)) {
			*path = argv[i] + 9;
			*width = 1;
			return i;
		}
	}
	return -1;
}

static bool same_args(char **a, int na, char *const *b, size_t nb)
{
	int i;

	if ((size_t)na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

/*
 * Options that change where results go, never which pairs are scanned or how: a resumed
 * scan may take them (appended to its own, so they win). With a value: 1.
 */
static const struct {
	const char *name;
	int value;
} output_options[] = {
	{"--no-db", 0},	      {"--db", 1},	   {"-o", 1},	       {"--output", 1},
	{"--format", 1},      {"--show", 1},	   {"-oX", 1},	       {"-oG", 1},
	{"-oJ", 1},	      {"-oN", 1},	   {"-oA", 1},	       {"--output-xml", 1},
	{"--output-grep", 1}, {"--output-jsonl", 1}, {"--output-text", 1}, {"--output-csv", 1},
	{"--output-html", 1}, {"--output-all", 1}, {"-v", 0},	       {"-d", 0},
	{"--verbose", 0},     {"--stats-every", 1}, {"--open", 0},	       {"--reason", 0},
	{"-n", 0},
};

/* The values an output option takes (0 or 1), or -1 when name is none. */
static int output_option_values(const char *name)
{
	size_t k;

	for (k = 0; k < sizeof(output_options) / sizeof(output_options[0]); k++)
		if (!strcmp(name, output_options[k].name))
			return output_options[k].value;
	return -1;
}

/* Whether every argument of a (n of them) is an output option with its value. */
static bool only_output_options(char **a, int n)
{
	int i = 0;

	while (i < n) {
		int values = output_option_values(a[i]);

		if (values < 0 || i + values >= n)
			return false;
		i += 1 + values;
	}
	return true;
}

/* The checkpoint's command line, one string, for the refusal. */
static void joined(const struct scan_ckpt *ck, char *out, size_t cap)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < ck->nargs && n + 1 < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "", ck->args[i]);
	if (n >= cap && cap > 4)
		memcpy(out + cap - 4, "...", 4);
}

/* The user's arguments without --resume FILE: what a fresh checkpoint records. */
static int record_args(struct scan_resume *sr, int argc, char **argv, int at, int width)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (i >= at && i < at + width)
			continue;
		if (scan_ckpt_add_arg(&sr->run.ck, argv[i])) {
			cli_error("--resume: the command line is too long for a checkpoint");
			return CLI_EXIT_USAGE;
		}
	}
	return CLI_EXIT_OK;
}

/*
 * argv[0], the checkpoint's arguments, the output options given now (extra, nextra), then
 * --resume FILE: the command line parsed.
 */
static int adopt_args(struct scan_resume *sr, char *argv0, char **extra, int nextra,
		      const char *path)
{
	const struct scan_ckpt *ck = &sr->run.ck;
	size_t i, n = 1;
	int k;

	sr->argv = calloc(ck->nargs + (size_t)nextra + 4, sizeof(*sr->argv));
	if (!sr->argv)
		return cli_fail(PS_ERR_NOMEM, NULL);
	sr->argv[0] = argv0;
	for (i = 0; i <= ck->nargs; i++) {
		/* After the checkpoint's options, so they win; before a "--" that ends them. */
		if (i == ck->nargs || !strcmp(ck->args[i], "--"))
			for (k = 0; k < nextra; k++)
				sr->argv[n++] = extra[k];
		if (i == ck->nargs)
			break;
		if (!strcmp(ck->args[i], "--"))
			nextra = 0;
		sr->argv[n++] = ck->args[i];
	}
	sr->argv[n++] = (char *)"--resume";
	sr->argv[n++] = (char *)path;
	sr->argc = (int)n;
	return CLI_EXIT_OK;
}

int scan_resume_open(struct scan_resume *sr, int argc, char **argv, bool *done)
{
	struct scan_ckpt *ck = &sr->run.ck;
	struct ps_diag diag = {{0}};
	const char *path = NULL;
	char line[512];
	int width = 0, at, given, i;
	char **rest;
	enum ps_err err;

	memset(sr, 0, sizeof(*sr));
	*done = false;
	sr->argc = argc;
	sr->argv = NULL;
	at = find_resume(argc, argv, &path, &width);
	if (at < 0)
		return CLI_EXIT_OK;
	if (!path || !path[0]) {
		cli_error("option --resume needs a value");
		return CLI_EXIT_USAGE;
	}
	sr->active = true;
	run_resume_init(&sr->run, path);
	err = scan_ckpt_read(path, ck, &diag);
	if (err == PS_ERR_NOT_FOUND) {
		scan_ckpt_init(ck);
		return record_args(sr, argc, argv, at, width);
	}
	if (err)
		return cli_fail(err, &diag);
	if (ck->complete)
		cli_error("note: %s holds a complete scan: its report again, nothing is sent "
			  "(remove the file to scan anew)",
			  path);
	/* The same command line again (a restart loop) or none: anything else is refused. */
	rest = calloc((size_t)argc, sizeof(*rest));
	if (!rest)
		return cli_fail(PS_ERR_NOMEM, NULL);
	for (i = 1, given = 0; i < argc; i++)
		if (i < at || i >= at + width)
			rest[given++] = argv[i];
	if (same_args(rest, given, ck->args, ck->nargs) ||
	    (ck->nargs >= 2 && !strcmp(ck->args[ck->nargs - 2], "--seed") &&
	     same_args(rest, given, ck->args, ck->nargs - 2)))
		given = 0; /* the same command line again */
	if (given && !only_output_options(rest, given)) {
		free(rest);
		joined(ck, line, 200);
		cli_error("--resume %s continues 'portsight scan %s': give --resume %s alone, with "
			  "output options only, or exactly that command line",
			  path, line, path);
		return CLI_EXIT_USAGE;
	}
	sr->run.resuming = true;
	sr->extra = rest;
	return adopt_args(sr, argv[0], rest, given, path);
}

/* SHA-256 of what decides the scan's pairs and their order. */
static int job_fingerprint(const struct scan_job *job, char out[65])
{
	const struct scan_opts *o = &job->run.tuning;
	char identity[STORE_IDENTITY_LEN + 1], text[256];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	enum ps_err err;
	int n;

	err = store_scan_identity(&job->targets, &job->ports, identity);
	if (err)
		return cli_fail(err, NULL);
	n = snprintf(text, sizeof(text),
		     "%s seed %" PRIu64 " shard %" PRIu64 "/%" PRIu64 " retries %u engine %s udp %u",
		     identity, o->seed, o->shard, o->nshards, o->max_retries,
		     job->run.engine ? job->run.engine : "auto", job->udp_ports.count);
	if (!EVP_Digest(text, (size_t)n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return cli_fail(PS_ERR_SYSTEM, NULL);
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * (size_t)i, 3, "%02x", md[i]);
	return CLI_EXIT_OK;
}

int scan_resume_job(struct scan_resume *sr, struct scan_job *job, bool seed_given)
{
	struct scan_ckpt *ck = &sr->run.ck;
	struct scan_opts *o = &job->run.tuning;
	unsigned char rnd[16];
	char fp[65], num[32];
	int rc, i;

	if (!sr->active)
		return CLI_EXIT_OK;
	if (!sr->run.resuming && (!seed_given || !o->seed)) {
		/* A resumed scan must walk the same order: the seed is chosen now and kept. */
		do {
			if (getrandom(&o->seed, sizeof(o->seed), 0) != (ssize_t)sizeof(o->seed))
				return cli_fail(PS_ERR_SYSTEM, NULL);
		} while (!o->seed);
		snprintf(num, sizeof(num), "%" PRIu64, o->seed);
		if (scan_ckpt_add_arg(ck, "--seed") || scan_ckpt_add_arg(ck, num))
			return cli_fail(PS_ERR_NOMEM, NULL);
	}
	if ((rc = job_fingerprint(job, fp)))
		return rc;
	if (sr->run.resuming) {
		if (strcmp(fp, ck->job) || ck->seed != o->seed ||
		    ck->nshards != (o->nshards ? o->nshards : 1) || ck->shard != o->shard) {
			cli_error("%s is the checkpoint of another scan (its targets, ports, seed or "
				  "shards are not this command line's now); refused",
				  sr->run.path);
			return CLI_EXIT_USAGE;
		}
	} else {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return cli_fail(PS_ERR_SYSTEM, NULL);
		for (i = 0; i < 16; i++)
			snprintf(ck->scan + 2 * (size_t)i, 3, "%02x", rnd[i]);
		memcpy(ck->job, fp, sizeof(ck->job));
		ck->seed = o->seed;
		ck->shard = o->shard;
		ck->nshards = o->nshards ? o->nshards : 1;
	}
	job->run.resume = &sr->run;
	return CLI_EXIT_OK;
}

void scan_resume_release(struct scan_resume *sr)
{
	free(sr->argv);
	free(sr->extra);
	if (sr->active)
		run_resume_release(&sr->run);
	sr->argv = NULL;
}
