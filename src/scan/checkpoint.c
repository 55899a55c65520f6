/* SPDX-License-Identifier: MIT */
/* The checkpoint file of --resume: its text, its checksum, and its atomic replacement. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/array.h"

#define MAGIC "portsight-checkpoint"

void scan_ckpt_init(struct scan_ckpt *ck)
{
	memset(ck, 0, sizeof(*ck));
	ck->nshards = 1;
}

void scan_ckpt_release(struct scan_ckpt *ck)
{
	size_t i;

	for (i = 0; i < ck->nargs; i++)
		free(ck->args[i]);
	free(ck->args);
	free(ck->results);
	scan_ckpt_init(ck);
}

enum ps_err scan_ckpt_add_arg(struct scan_ckpt *ck, const char *arg)
{
	char **grown, *copy;

	if (ck->nargs >= SCAN_CKPT_MAX_ARGS || strlen(arg) > SCAN_CKPT_MAX_ARG)
		return PS_ERR_TOO_LARGE;
	grown = realloc(ck->args, (ck->nargs + 1) * sizeof(*grown));
	if (!grown)
		return PS_ERR_NOMEM;
	ck->args = grown;
	copy = strdup(arg);
	if (!copy)
		return PS_ERR_NOMEM;
	ck->args[ck->nargs++] = copy;
	return PS_OK;
}

enum ps_err scan_ckpt_add_result(struct scan_ckpt *ck, const struct scan_ckpt_result *r)
{
	struct scan_ckpt_result *grown;

	grown = ps_array_grow(ck->results, ck->nresults, &ck->results_cap, sizeof(*grown), 256);
	if (!grown)
		return PS_ERR_NOMEM;
	ck->results = grown;
	ck->results[ck->nresults++] = *r;
	return PS_OK;
}

static bool sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return false;
	for (i = 0; i < mdlen; i++)
		snprintf(out + 2 * (size_t)i, 3, "%02x", md[i]);
	return true;
}

/* Bytes outside printable ASCII, the space and '%' as %XX: one argument, one word. */
static enum ps_err add_escaped(struct dynbuf *out, const char *s)
{
	enum ps_err err = PS_OK;

	for (; !err && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= ' ' || ch >= 0x7f || ch == '%')
			err = dynbuf_addf(out, "%%%02X", ch);
		else
			err = dynbuf_add(out, s, 1);
	}
	return err;
}

static enum ps_err format_result(struct dynbuf *out, const struct scan_ckpt_result *r)
{
	char abuf[PS_ADDR_STRLEN];

	return dynbuf_addf(out, "result %s %u %s %s %s %u %u %" PRIu32 "\n",
			   ps_addr_format(&r->addr, abuf, sizeof(abuf)), r->port,
			   r->proto == IPPROTO_UDP ? "udp" : "tcp",
			   port_state_name((enum port_state)r->state),
			   port_reason_name((enum port_reason)r->reason), r->ttl, r->tries, r->rtt_us);
}

enum ps_err scan_ckpt_format(const struct scan_ckpt *ck, struct dynbuf *out)
{
	const struct scan_progress *p = &ck->progress;
	const struct pass_plan *pl = &p->plan;
	size_t start = out->len, i;
	char sum[65];
	enum ps_err err;

	err = dynbuf_addf(out, MAGIC " %d\nscan %s\njob %s\nstate %s\n", SCAN_CKPT_VERSION,
			  ck->scan, ck->job, ck->complete ? "complete" : "running");
	for (i = 0; !err && i < ck->nargs; i++) {
		err = dynbuf_add(out, "arg ", 4);
		if (!err)
			err = add_escaped(out, ck->args[i]);
		if (!err)
			err = dynbuf_add(out, "\n", 1);
	}
	if (!err)
		err = dynbuf_addf(
		    out,
		    "seed %" PRIu64 "\nshard %" PRIu64 " %" PRIu64 "\npairs %" PRIu64 "\n"
		    "pass %" PRIu32 " position %" PRIu64 " sent %" PRIu64 "\n"
		    "plan npairs %" PRIu64 " max_passes %u passes_sent %u dark_pass %u waited %d "
		    "answered_before %" PRIu64 " last_sent %" PRIu64 " loss %" PRIu64 " %" PRIu64
		    " %" PRIu64 " %u\n",
		    ck->seed, ck->shard, ck->nshards, ck->npairs, p->pass, p->position, p->sent,
		    pl->npairs, pl->max_passes, pl->passes_sent, pl->dark_pass, pl->waited ? 1 : 0,
		    pl->answered_before, pl->last_sent, pl->loss.pairs_total, pl->loss.answered,
		    pl->loss.failed_tries, pl->loss.max_tries);
	for (i = 0; !err && i < ck->nresults; i++)
		err = format_result(out, &ck->results[i]);
	if (!err)
		err = dynbuf_addf(out, "results %zu\n", ck->nresults);
	if (!err && !sha256_hex(out->data + start, out->len - start, sum))
		err = PS_ERR_SYSTEM;
	if (!err)
		err = dynbuf_addf(out, "sha256 %s\n", sum);
	return err;
}

/* The parser's cursor: one line at a time, each checked whole. */
struct reader {
	const char *p, *end;
	const char *name;
	unsigned line;
	char buf[SCAN_CKPT_MAX_ARG * 3 + 64];
};

static bool next_line(struct reader *r)
{
	const char *nl;
	size_t n;

	if (r->p >= r->end)
		return false;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	if (!nl)
		return false;
	n = (size_t)(nl - r->p);
	if (n >= sizeof(r->buf) || memchr(r->p, '\0', n))
		return false;
	memcpy(r->buf, r->p, n);
	r->buf[n] = '\0';
	r->p = nl + 1;
	r->line++;
	return true;
}

static enum ps_err bad(struct reader *r, struct ps_diag *diag, const char *what)
{
	return ps_fail(diag, PS_ERR_INVALID, "%s: line %u: %s; not a checkpoint this portsight "
					     "wrote, refused",
		       r->name, r->line, what);
}

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

/* "key HEX" of exactly n digits into out. */
static bool hex_field(const char *line, const char *key, size_t n, char *out)
{
	size_t k = strlen(key);

	if (strncmp(line, key, k) || line[k] != ' ' || !is_hex(line + k + 1, n))
		return false;
	memcpy(out, line + k + 1, n + 1);
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool unescape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (n + 1 >= cap || ch <= ' ' || ch >= 0x7f)
			return false;
		if (ch == '%') {
			int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return false;
			ch = (unsigned char)(hi * 16 + lo);
			s += 2;
		}
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return true;
}

/*
 * Whether line is pattern: its words apart by single spaces, "#" a decimal number (digits only,
 * no sign, at most UINT64_MAX) into the next uint64_t *, "$" a word of 1 to 63 characters into
 * the next char[64], any other word itself; nothing left over. Stricter than sscanf, which
 * takes signs, spaces and overflow in its stride.
 */
static bool fields(const char *line, const char *pattern, ...)
{
	const char *p = line, *q = pattern;
	bool ok = true;
	va_list ap;

	va_start(ap, pattern);
	while (ok && *q) {
		size_t plen = strcspn(q, " "), wlen = strcspn(p, " ");

		if (plen == 1 && *q == '#') {
			uint64_t v = 0, *out = va_arg(ap, uint64_t *);
			size_t i;

			ok = wlen > 0 && wlen <= 20;
			for (i = 0; ok && i < wlen; i++) {
				unsigned d = (unsigned)(p[i] - '0');

				ok = d <= 9 && v <= (UINT64_MAX - d) / 10;
				v = v * 10 + d;
			}
			*out = v;
		} else if (plen == 1 && *q == '$') {
			char *out = va_arg(ap, char *);

			ok = wlen > 0 && wlen < 64;
			if (ok) {
				memcpy(out, p, wlen);
				out[wlen] = '\0';
			}
		} else {
			ok = plen == wlen && !strncmp(p, q, plen);
		}
		p += wlen;
		q += plen;
		/* one space between words in both, or the end of both */
		if (ok && *q) {
			ok = *p == ' ';
			p++;
			q++;
		}
	}
	va_end(ap);
	return ok && !*q && !*p;
}

static bool name_to(const char *name, const char *(*fn)(int), int count, uint8_t *out)
{
	int i;

	for (i = 0; i < count; i++)
		if (!strcmp(fn(i), name)) {
			*out = (uint8_t)i;
			return true;
		}
	return false;
}

static const char *state_name(int i)
{
	return port_state_name((enum port_state)i);
}

static const char *reason_name(int i)
{
	return port_reason_name((enum port_reason)i);
}

static enum ps_err parse_result(struct reader *r, struct scan_ckpt *ck, struct ps_diag *diag)
{
	char addr[64], proto[64], state[64], reason[64];
	uint64_t port, ttl, tries, rtt;
	struct scan_ckpt_result res = {0};

	if (!fields(r->buf, "result $ # $ $ $ # # #", addr, &port, proto, state, reason, &ttl,
		    &tries, &rtt))
		return bad(r, diag, "a malformed result");
	if (ps_addr_parse(addr, &res.addr) || port > 65535 || ttl > 255 || tries > 255 ||
	    rtt > UINT32_MAX)
		return bad(r, diag, "a result out of range");
	if (!strcmp(proto, "tcp"))
		res.proto = IPPROTO_TCP;
	else if (!strcmp(proto, "udp"))
		res.proto = IPPROTO_UDP;
	else
		return bad(r, diag, "a result of an unknown protocol");
	if (!name_to(state, state_name, PORT_STATE_COUNT, &res.state) ||
	    !name_to(reason, reason_name, REASON_COUNT, &res.reason))
		return bad(r, diag, "a result with an unknown state or reason");
	res.port = (uint16_t)port;
	res.ttl = (uint8_t)ttl;
	res.tries = (uint8_t)tries;
	res.rtt_us = (uint32_t)rtt;
	if (ck->nresults >= ck->npairs)
		return bad(r, diag, "more results than pairs");
	return scan_ckpt_add_result(ck, &res) ? ps_fail(diag, PS_ERR_NOMEM, "out of memory")
					      : PS_OK;
}

static enum ps_err parse_head(struct reader *r, struct scan_ckpt *ck, struct ps_diag *diag)
{
	char state[64];

	if (!next_line(r) || !hex_field(r->buf, "scan", 32, ck->scan))
		return bad(r, diag, "no scan name");
	if (!next_line(r) || !hex_field(r->buf, "job", 64, ck->job))
		return bad(r, diag, "no job");
	if (!next_line(r) || !fields(r->buf, "state $", state) ||
	    (strcmp(state, "running") && strcmp(state, "complete")))
		return bad(r, diag, "no state");
	ck->complete = !strcmp(state, "complete");
	return PS_OK;
}

static enum ps_err parse_args(struct reader *r, struct scan_ckpt *ck, struct ps_diag *diag)
{
	char arg[SCAN_CKPT_MAX_ARG + 1];

	while (next_line(r) && !strncmp(r->buf, "arg ", 4)) {
		if (!unescape(r->buf + 4, arg, sizeof(arg)))
			return bad(r, diag, "a malformed argument");
		if (scan_ckpt_add_arg(ck, arg))
			return bad(r, diag, "too many arguments");
	}
	return PS_OK;
}

static enum ps_err parse_numbers(struct reader *r, struct scan_ckpt *ck, struct ps_diag *diag)
{
	struct scan_progress *p = &ck->progress;
	struct pass_plan *pl = &p->plan;
	uint64_t pass, maxp, sent_passes, dark, waited, max_tries;

	/* parse_args stopped at the first line that is no argument: the seed. */
	if (!fields(r->buf, "seed #", &ck->seed))
		return bad(r, diag, "no seed");
	if (!next_line(r) || !fields(r->buf, "shard # #", &ck->shard, &ck->nshards) ||
	    !ck->nshards || ck->shard >= ck->nshards)
		return bad(r, diag, "no shard");
	if (!next_line(r) || !fields(r->buf, "pairs #", &ck->npairs) || !ck->npairs ||
	    ck->npairs > (1ull << 32))
		return bad(r, diag, "no pair count");
	if (!next_line(r) ||
	    !fields(r->buf, "pass # position # sent #", &pass, &p->position, &p->sent))
		return bad(r, diag, "no position");
	if (!next_line(r) ||
	    !fields(r->buf,
		    "plan npairs # max_passes # passes_sent # dark_pass # waited # answered_before "
		    "# last_sent # loss # # # #",
		    &pl->npairs, &maxp, &sent_passes, &dark, &waited, &pl->answered_before,
		    &pl->last_sent, &pl->loss.pairs_total, &pl->loss.answered, &pl->loss.failed_tries,
		    &max_tries))
		return bad(r, diag, "no pass plan");
	if (p->position > ck->npairs || p->sent > ck->npairs || pl->npairs > ck->npairs ||
	    maxp == 0 || maxp > SCAN_MAX_RETRIES * 5 + 1 || pass >= maxp || sent_passes > maxp ||
	    dark > UINT32_MAX || waited > 1 || pl->answered_before > ck->npairs ||
	    max_tries > maxp)
		return bad(r, diag, "a position or pass plan out of range");
	p->pass = (uint32_t)pass;
	pl->pass = (unsigned)pass;
	pl->max_passes = (unsigned)maxp;
	pl->passes_sent = (unsigned)sent_passes;
	pl->dark_pass = (unsigned)dark;
	pl->waited = waited != 0;
	pl->loss.max_tries = (unsigned)max_tries;
	return PS_OK;
}

enum ps_err scan_ckpt_parse(const char *text, size_t len, const char *name, struct scan_ckpt *ck,
			    struct ps_diag *diag)
{
	struct reader *r = calloc(1, sizeof(*r));
	const char *sumline;
	char want[65], got[65];
	uint64_t version = 0, count = 0;
	enum ps_err err;

	scan_ckpt_init(ck);
	if (!r)
		return ps_fail(diag, PS_ERR_NOMEM, "out of memory");
	r->p = text;
	r->end = text + len;
	r->name = name;
	if (!next_line(r) || !fields(r->buf, MAGIC " #", &version)) {
		free(r);
		return ps_fail(diag, PS_ERR_INVALID, "%s is not a portsight checkpoint; refused",
			       name);
	}
	if (version != SCAN_CKPT_VERSION) {
		free(r);
		return ps_fail(diag, PS_ERR_INVALID,
			       "%s is a checkpoint of format version %llu; this portsight reads "
			       "version %d only; refused",
			       name, (unsigned long long)version, SCAN_CKPT_VERSION);
	}
	/* The checksum first: a damaged file is refused whole, before any field is trusted. */
	sumline = len >= 72 ? text + len - 72 : NULL;
	if (!sumline || (sumline > text && sumline[-1] != '\n') || strncmp(sumline, "sha256 ", 7) ||
	    text[len - 1] != '\n' || memchr(sumline, '\0', 72)) {
		free(r);
		return ps_fail(diag, PS_ERR_TRUNCATED,
			       "%s: the checkpoint is truncated (no checksum at its end); refused",
			       name);
	}
	memcpy(want, sumline + 7, 64);
	want[64] = '\0';
	if (!sha256_hex(text, (size_t)(sumline - text), got) || strcmp(want, got)) {
		free(r);
		return ps_fail(diag, PS_ERR_INVALID,
			       "%s: checksum mismatch: the checkpoint is corrupted; refused", name);
	}
	r->end = sumline;
	err = parse_head(r, ck, diag);
	if (!err)
		err = parse_args(r, ck, diag);
	if (!err && !ck->nargs)
		err = bad(r, diag, "no command line");
	if (!err)
		err = parse_numbers(r, ck, diag);
	while (!err && next_line(r) && !strncmp(r->buf, "result ", 7))
		err = parse_result(r, ck, diag);
	if (!err && (!fields(r->buf, "results #", &count) || count != ck->nresults))
		err = bad(r, diag, "the result count does not match");
	if (!err && r->p != r->end)
		err = bad(r, diag, "text after the result count");
	free(r);
	if (err)
		scan_ckpt_release(ck);
	return err;
}

static enum ps_err write_all_fd(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return PS_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return PS_OK;
}

static void sync_dir_of(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

enum ps_err scan_ckpt_write(const char *path, const struct scan_ckpt *ck, struct ps_diag *diag)
{
	struct dynbuf text;
	char *tmp = NULL;
	enum ps_err err;
	int fd = -1;

	dynbuf_init(&text, SCAN_CKPT_MAX_FILE);
	err = scan_ckpt_format(ck, &text);
	if (err) {
		dynbuf_release(&text);
		return ps_fail(diag, err, "%s: cannot format the checkpoint", path);
	}
	if (asprintf(&tmp, "%s.tmp%ld", path, (long)getpid()) < 0) {
		dynbuf_release(&text);
		return ps_fail(diag, PS_ERR_NOMEM, "out of memory");
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = ps_fail(diag, PS_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all_fd(fd, text.data, text.len) || fsync(fd)) {
		err = ps_fail(diag, PS_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		err = ps_fail(diag, PS_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		err = ps_fail(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	sync_dir_of(path);
out:
	if (fd >= 0)
		close(fd);
	if (err)
		unlink(tmp);
	free(tmp);
	dynbuf_release(&text);
	return err;
}

enum ps_err scan_ckpt_read(const char *path, struct scan_ckpt *ck, struct ps_diag *diag)
{
	struct stat st;
	char *text;
	size_t got = 0;
	enum ps_err err;
	int fd;

	scan_ckpt_init(ck);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return PS_ERR_NOT_FOUND;
	if (fd < 0)
		return ps_fail(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > SCAN_CKPT_MAX_FILE) {
		close(fd);
		return ps_fail(diag, PS_ERR_INVALID, "%s is not a portsight checkpoint; refused",
			       path);
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		return ps_fail(diag, PS_ERR_NOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	err = scan_ckpt_parse(text, got, path, ck, diag);
	free(text);
	return err;
}
