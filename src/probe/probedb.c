/* SPDX-License-Identifier: MIT */
/*
 * The probe/match database: parsing our probes.db and a user's nmap-service-probes file into
 * one structure. Both are line oriented; a line is copied into a NUL-terminated scratch buffer
 * so the parsers below can use ordinary string functions on input that may contain anything.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/dynbuf.h"
#include "probe_internal.h"

#define PDB_FILE_MAX	(32u << 20)
#define PDB_LINE_MAX	65536u
#define PDB_PAYLOAD_MAX 8192u

/* One parse: where we are, for error messages. */
struct pdb_parse {
	struct probe_db *db;
	const char *origin;
	unsigned line;
	struct pdb_probe *probe; /* the current probe section, NULL before the first */
	struct ps_diag *diag;
};

static enum ps_err pdb_err(struct pdb_parse *p, const char *what, const char *at)
{
	return ps_fail(p->diag, PS_ERR_INVALID, "%s:%u: %s%s%.32s%s", p->origin, p->line, what,
		       at ? " at \"" : "", at ? at : "", at ? "\"" : "");
}

enum ps_err probe_db_new(struct probe_db **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? PS_OK : PS_ERR_NOMEM;
}

static void pdb_match_release(struct pdb_match *m)
{
	size_t i;

	free(m->service);
	pcre2_code_free(m->re);
	for (i = 0; i < PDB_FIELD_COUNT; i++)
		free(m->tmpl[i]);
}

static void pdb_probe_release(struct pdb_probe *p)
{
	size_t i;

	free(p->name);
	free(p->payload);
	free(p->ports.r);
	free(p->tls_ports.r);
	free(p->fallback);
	for (i = 0; i < p->nmatches; i++)
		pdb_match_release(&p->matches[i]);
	free(p->matches);
}

void probe_db_free(struct probe_db *db)
{
	size_t i;

	if (!db)
		return;
	for (i = 0; i < db->nprobes; i++)
		pdb_probe_release(&db->probes[i]);
	free(db->probes);
	for (i = 0; i < db->naliases; i++) {
		free(db->aliases[i].name);
		free(db->aliases[i].family);
	}
	free(db->aliases);
	free(db);
}

size_t probe_db_probe_count(const struct probe_db *db)
{
	return db->nprobes;
}

size_t probe_db_match_count(const struct probe_db *db)
{
	return db->nmatches;
}

bool pdb_ports_has(const struct pdb_ports *ports, uint16_t port)
{
	size_t i;

	for (i = 0; i < ports->n; i++)
		if (port >= ports->r[i].lo && port <= ports->r[i].hi)
			return true;
	return false;
}

const struct pdb_probe *pdb_find_probe(const struct probe_db *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->nprobes; i++)
		if (!strcasecmp(db->probes[i].name, name))
			return &db->probes[i];
	return NULL;
}

/* The parser's own lookup: while loading, the database is still ours to change. */
static struct pdb_probe *find_probe(struct probe_db *db, const char *name)
{
	return (struct pdb_probe *)pdb_find_probe(db, name);
}

const char *pdb_family(const struct probe_db *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->naliases; i++)
		if (!strcasecmp(db->aliases[i].name, name))
			return db->aliases[i].family;
	return name;
}

static char *skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Cuts the next white-space separated word off *s. */
static char *next_word(char **s)
{
	char *w = skip_ws(*s), *e = w;

	while (*e && *e != ' ' && *e != '\t')
		e++;
	if (*e)
		*e++ = '\0';
	*s = e;
	return w;
}

/* "21,25,8000-8100" (nmap allows the same) into ranges. */
static enum ps_err parse_ports(struct pdb_parse *p, char *s, struct pdb_ports *out)
{
	while (*s) {
		unsigned long lo, hi;
		char *end;
		struct pdb_range *r;

		s = skip_ws(s);
		if (!isdigit((unsigned char)*s))
			return pdb_err(p, "bad port list", s);
		lo = strtoul(s, &end, 10);
		hi = lo;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return pdb_err(p, "bad port range", s);
			hi = strtoul(end + 1, &end, 10);
		}
		if (lo > 65535 || hi > 65535 || lo > hi)
			return pdb_err(p, "port out of range", s);
		r = realloc(out->r, (out->n + 1) * sizeof(*r));
		if (!r)
			return PS_ERR_NOMEM;
		out->r = r;
		r[out->n].lo = (uint16_t)lo;
		r[out->n].hi = (uint16_t)hi;
		out->n++;
		end = skip_ws(end);
		if (*end == ',')
			end++;
		else if (*end)
			return pdb_err(p, "bad port list", end);
		s = end;
	}
	return PS_OK;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* C-style escapes (\r \n \t \0 \xHH \\ ...) of a probe payload, into a new buffer. */
static enum ps_err unescape(struct pdb_parse *p, const char *s, size_t len, unsigned char **out,
			    size_t *out_len)
{
	unsigned char *buf = malloc(len + 1);
	size_t i, n = 0;

	if (!buf)
		return PS_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '\\') {
			if (++i >= len) {
				free(buf);
				return pdb_err(p, "payload ends in a backslash", NULL);
			}
			switch (s[i]) {
			case '0':
				c = 0;
				break;
			case 'a':
				c = '\a';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'v':
				c = '\v';
				break;
			case 'x':
				if (i + 2 >= len || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
					free(buf);
					return pdb_err(p, "bad \\x escape", s + i - 1);
				}
				c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
				i += 2;
				break;
			default:
				c = (unsigned char)s[i];
				break;
			}
		}
		buf[n++] = (unsigned char)c;
	}
	if (n > PDB_PAYLOAD_MAX) {
		free(buf);
		return pdb_err(p, "payload longer than 8192 bytes", NULL);
	}
	*out = buf;
	*out_len = n;
	return PS_OK;
}

/*
 * A delimited field: *s points at the delimiter (any character), the field runs to the next
 * occurrence of it. Returns the start and cuts the field; *s moves past the closing delimiter.
 */
static char *delimited(char **s, size_t *len)
{
	char delim = **s, *start, *end;

	if (!delim || delim == ' ' || delim == '\t')
		return NULL;
	start = *s + 1;
	end = strchr(start, delim);
	if (!end)
		return NULL;
	*end = '\0';
	*len = (size_t)(end - start);
	*s = end + 1;
	return start;
}

static struct pdb_probe *add_probe(struct probe_db *db)
{
	struct pdb_probe *probes;

	if (db->nprobes == db->probes_cap) {
		size_t cap = db->probes_cap ? db->probes_cap * 2 : 16;

		probes = realloc(db->probes, cap * sizeof(*probes));
		if (!probes)
			return NULL;
		db->probes = probes;
		db->probes_cap = cap;
	}
	probes = &db->probes[db->nprobes++];
	memset(probes, 0, sizeof(*probes));
	return probes;
}

/* Starts a probe section; a probe of the same name and protocol continues where it was. */
static enum ps_err begin_probe(struct pdb_parse *p, const char *name, uint8_t proto,
			       unsigned char *payload, size_t payload_len, bool handshake)
{
	struct pdb_probe *probe = find_probe(p->db, name);

	if (!*name || strlen(name) > 63) {
		free(payload);
		return pdb_err(p, "bad probe name", name);
	}
	if (probe && probe->proto == proto) {
		free(payload);
		p->probe = probe;
		return PS_OK;
	}
	probe = add_probe(p->db);
	if (!probe || !(probe->name = strdup(name))) {
		if (probe)
			p->db->nprobes--;
		free(payload);
		return PS_ERR_NOMEM;
	}
	probe->proto = proto;
	probe->payload = payload;
	probe->payload_len = payload_len;
	probe->handshake = handshake;
	probe->rarity = 5;
	p->probe = probe;
	return PS_OK;
}

static enum ps_err compile_regex(struct pdb_parse *p, const char *re, size_t len, const char *opts,
				 pcre2_code **out, bool *jit)
{
	uint32_t flags = PCRE2_NEVER_UTF | PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C;
	int errcode;
	PCRE2_SIZE erroff;
	char msg[120];

	for (; *opts && *opts != ' ' && *opts != '\t'; opts++) {
		if (*opts == 'i')
			flags |= PCRE2_CASELESS;
		else if (*opts == 's')
			flags |= PCRE2_DOTALL;
		else
			return pdb_err(p, "unknown regex flag", opts);
	}
	*out = pcre2_compile((PCRE2_SPTR)re, len, flags, &errcode, &erroff, NULL);
	if (!*out) {
		pcre2_get_error_message(errcode, (PCRE2_UCHAR *)msg, sizeof(msg));
		return ps_fail(p->diag, PS_ERR_INVALID, "%s:%u: regex: %s at offset %zu", p->origin,
			       p->line, msg, (size_t)erroff);
	}
	/*
	 * Now, not on first use: a JIT compile writes into the code, and after loading the
	 * database is shared read-only by every identification. Without JIT support (or memory
	 * for it) pcre2_match() runs the interpreter on the same code.
	 */
	*jit = pcre2_jit_compile(*out, PCRE2_JIT_COMPLETE) == 0;
	return PS_OK;
}

static struct pdb_match *add_match(struct pdb_parse *p)
{
	struct pdb_probe *probe = p->probe;
	struct pdb_match *m;

	if (probe->nmatches == probe->matches_cap) {
		size_t cap = probe->matches_cap ? probe->matches_cap * 2 : 8;

		m = realloc(probe->matches, cap * sizeof(*m));
		if (!m)
			return NULL;
		probe->matches = m;
		probe->matches_cap = cap;
	}
	m = &probe->matches[probe->nmatches];
	memset(m, 0, sizeof(*m));
	return m;
}

static enum ps_err set_template(struct pdb_parse *p, struct pdb_match *m, enum pdb_field f,
				const char *text, size_t len)
{
	if (len > 512)
		return pdb_err(p, "template longer than 512 bytes", text);
	free(m->tmpl[f]);
	m->tmpl[f] = strndup(text, len);
	return m->tmpl[f] ? PS_OK : PS_ERR_NOMEM;
}

/* The version fields of a native match line: product=|..| version=|..| info=|..| host=|..| */
static enum ps_err native_fields(struct pdb_parse *p, struct pdb_match *m, char *s)
{
	static const char *const keys[PDB_FIELD_COUNT] = {"product", "version", "info", "host"};

	for (;;) {
		char *key, *val, *eq;
		size_t len, f;

		s = skip_ws(s);
		if (!*s)
			return PS_OK;
		if (!strncmp(s, "backdoor", 8) && (!s[8] || s[8] == ' ' || s[8] == '\t')) {
			m->backdoor = true;
			s += 8;
			continue;
		}
		key = s;
		eq = strchr(s, '=');
		if (!eq)
			return pdb_err(p, "expected key=|value|", s);
		*eq = '\0';
		s = eq + 1;
		val = delimited(&s, &len);
		if (!val)
			return pdb_err(p, "unterminated value of", key);
		for (f = 0; f < PDB_FIELD_COUNT; f++)
			if (!strcmp(key, keys[f]))
				break;
		if (f == PDB_FIELD_COUNT)
			return pdb_err(p, "unknown field", key);
		if (set_template(p, m, (enum pdb_field)f, val, len))
			return PS_ERR_NOMEM;
	}
}

/* nmap's version fields: p/../ v/../ i/../ h/../ o/../ d/../ cpe:/../[a] */
static enum ps_err nmap_fields(struct pdb_parse *p, struct pdb_match *m, char *s)
{
	for (;;) {
		char *val, key;
		size_t len;
		int f = -1;

		s = skip_ws(s);
		if (!*s)
			return PS_OK;
		if (!strncmp(s, "cpe:", 4)) {
			s += 4;
			key = 'c';
		} else {
			key = *s++;
		}
		val = delimited(&s, &len);
		if (!val)
			return pdb_err(p, "bad version field", s);
		if (key == 'c' && *s == 'a')
			s++;
		switch (key) {
		case 'p':
			f = PDB_PRODUCT;
			break;
		case 'v':
			f = PDB_VERSION;
			break;
		case 'i':
			f = PDB_INFO;
			break;
		case 'h':
			f = PDB_HOST;
			break;
		case 'o':
		case 'd':
		case 'c':
			break; /* OS and device type, CPE: not reported */
		default:
			return pdb_err(p, "unknown version field", s - 1);
		}
		if (f >= 0 && set_template(p, m, (enum pdb_field)f, val, len))
			return PS_ERR_NOMEM;
		/* nmap marks backdoors in the info text. */
		if (f == PDB_INFO && memmem(val, len, "BACKDOOR", 8))
			m->backdoor = true;
	}
}

/* "match SERVICE <delim>REGEX<delim>[is] fields" after the keyword; nmap prefixes REGEX with m. */
static enum ps_err parse_match(struct pdb_parse *p, char *s, bool soft, bool nmap)
{
	struct pdb_match *m;
	char *service, *re;
	size_t len;
	enum ps_err err;

	if (!p->probe)
		return pdb_err(p, "match before the first probe", NULL);
	service = next_word(&s);
	if (!*service || strlen(service) >= sizeof(((struct probe_match_result *)0)->service))
		return pdb_err(p, "bad service name", service);
	s = skip_ws(s);
	if (nmap) {
		if (*s != 'm')
			return pdb_err(p, "expected m|regex|", s);
		s++;
	}
	re = delimited(&s, &len);
	if (!re)
		return pdb_err(p, "unterminated regex", s);
	m = add_match(p);
	if (!m)
		return PS_ERR_NOMEM;
	m->soft = soft;
	if ((err = compile_regex(p, re, len, s, &m->re, &m->jit)))
		goto fail;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (!(m->service = strdup(service))) {
		err = PS_ERR_NOMEM;
		goto fail;
	}
	err = nmap ? nmap_fields(p, m, s) : native_fields(p, m, s);
	if (err)
		goto fail;
	if (!strcasecmp(service, "backdoor") || !strcasecmp(service, "bindshell"))
		m->backdoor = true;
	p->probe->nmatches++;
	p->db->nmatches++;
	return PS_OK;
fail:
	pdb_match_release(m);
	return err;
}

static enum ps_err parse_uint(struct pdb_parse *p, const char *s, unsigned long max,
			      unsigned long *out)
{
	char *end;

	s = skip_ws((char *)s);
	if (!isdigit((unsigned char)*s))
		return pdb_err(p, "expected a number", s);
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *out > max || *skip_ws(end))
		return pdb_err(p, "number out of range", s);
	return PS_OK;
}

static enum ps_err set_fallback(struct pdb_parse *p, const char *s)
{
	s = skip_ws((char *)s);
	if (!*s)
		return pdb_err(p, "empty fallback", NULL);
	free(p->probe->fallback);
	p->probe->fallback = strdup(s);
	return p->probe->fallback ? PS_OK : PS_ERR_NOMEM;
}

/* Directives both syntaxes share, under their two spellings. */
static enum ps_err probe_directive(struct pdb_parse *p, const char *kw, char *rest, bool *handled)
{
	unsigned long v;
	enum ps_err err;

	static const char *const known[] = {"ports", "tls-ports",   "sslports", "rarity",
					    "wait",  "totalwaitms", "fallback"};
	size_t i;

	*handled = false;
	for (i = 0; i < sizeof(known) / sizeof(known[0]) && !*handled; i++)
		*handled = !strcmp(kw, known[i]);
	if (!*handled)
		return PS_OK;
	if (!p->probe)
		return pdb_err(p, "directive before the first probe", kw);
	if (!strcmp(kw, "ports"))
		return parse_ports(p, rest, &p->probe->ports);
	if (!strcmp(kw, "tls-ports") || !strcmp(kw, "sslports"))
		return parse_ports(p, rest, &p->probe->tls_ports);
	if (!strcmp(kw, "rarity")) {
		if ((err = parse_uint(p, rest, 9, &v)))
			return err;
		p->probe->rarity = (uint8_t)(v ? v : 1);
		return PS_OK;
	}
	if (!strcmp(kw, "wait") || !strcmp(kw, "totalwaitms")) {
		if ((err = parse_uint(p, rest, 600000, &v)))
			return err;
		p->probe->wait_ms = (uint32_t)v;
		return PS_OK;
	}
	return set_fallback(p, rest);
}

/* probe NAME [tcp|udp] ["PAYLOAD" | handshake] */
static enum ps_err native_probe(struct pdb_parse *p, char *s)
{
	char *name = next_word(&s), *proto;
	uint8_t ipproto = IPPROTO_TCP;
	unsigned char *payload = NULL;
	size_t len = 0, plen = 0;
	bool handshake = false;
	char *raw;
	enum ps_err err;

	s = skip_ws(s);
	if (*s && *s != '"' && strncmp(s, "handshake", 9)) {
		proto = next_word(&s);
		if (!strcmp(proto, "udp"))
			ipproto = IPPROTO_UDP;
		else if (strcmp(proto, "tcp"))
			return pdb_err(p, "expected tcp or udp", proto);
	}
	s = skip_ws(s);
	if (!strncmp(s, "handshake", 9)) {
		handshake = true;
		s += 9;
	} else if (*s == '"') {
		/* The closing quote is the last one on the line, so \" needs no special case. */
		raw = strrchr(s + 1, '"');
		if (!raw || raw == s)
			return pdb_err(p, "unterminated payload", s);
		if ((err = unescape(p, s + 1, (size_t)(raw - s - 1), &payload, &plen)))
			return err;
		len = plen;
		s = raw + 1;
	}
	if (*skip_ws(s)) {
		free(payload);
		return pdb_err(p, "unexpected text after the probe", skip_ws(s));
	}
	return begin_probe(p, name, ipproto, payload, len, handshake);
}

/* alias FAMILY NAME...: names the knowledge base may use for a service we call FAMILY. */
static enum ps_err native_alias(struct pdb_parse *p, char *s)
{
	char *family = next_word(&s), *name;

	if (!*family)
		return pdb_err(p, "alias needs names", NULL);
	while (*(name = next_word(&s))) {
		struct pdb_alias *a;
		struct probe_db *db = p->db;

		if (db->naliases == db->aliases_cap) {
			size_t cap = db->aliases_cap ? db->aliases_cap * 2 : 32;

			a = realloc(db->aliases, cap * sizeof(*a));
			if (!a)
				return PS_ERR_NOMEM;
			db->aliases = a;
			db->aliases_cap = cap;
		}
		a = &db->aliases[db->naliases];
		a->name = strdup(name);
		a->family = strdup(family);
		if (!a->name || !a->family) {
			free(a->name);
			free(a->family);
			return PS_ERR_NOMEM;
		}
		db->naliases++;
	}
	return PS_OK;
}

static enum ps_err native_line(struct pdb_parse *p, char *line)
{
	char *kw = next_word(&line);
	bool handled;
	enum ps_err err;

	if (!strcmp(kw, "probe"))
		return native_probe(p, line);
	if (!strcmp(kw, "match"))
		return parse_match(p, line, false, false);
	if (!strcmp(kw, "soft"))
		return parse_match(p, line, true, false);
	if (!strcmp(kw, "alias"))
		return native_alias(p, line);
	err = probe_directive(p, kw, line, &handled);
	if (!handled)
		return pdb_err(p, "unknown keyword", kw);
	return err;
}

/* Probe TCP NAME q|PAYLOAD| [no-payload] */
static enum ps_err nmap_probe(struct pdb_parse *p, char *s)
{
	char *proto = next_word(&s), *name = next_word(&s), *q;
	unsigned char *payload = NULL;
	size_t len, plen = 0;
	enum ps_err err;

	if (strcmp(proto, "TCP") && strcmp(proto, "UDP"))
		return pdb_err(p, "expected TCP or UDP", proto);
	s = skip_ws(s);
	if (*s++ != 'q')
		return pdb_err(p, "expected q|payload|", s - 1);
	q = delimited(&s, &len);
	if (!q)
		return pdb_err(p, "unterminated payload", s);
	if ((err = unescape(p, q, len, &payload, &plen)))
		return err;
	return begin_probe(p, name, strcmp(proto, "TCP") ? IPPROTO_UDP : IPPROTO_TCP, payload, plen,
			   false);
}

static enum ps_err nmap_line(struct pdb_parse *p, char *line)
{
	char *kw = next_word(&line);
	bool handled;
	enum ps_err err;

	if (!strcmp(kw, "Probe"))
		return nmap_probe(p, line);
	if (!strcmp(kw, "match"))
		return parse_match(p, line, false, true);
	if (!strcmp(kw, "softmatch"))
		return parse_match(p, line, true, true);
	if (!strcmp(kw, "Exclude"))
		return PS_OK;
	if (!strcmp(kw, "tcpwrappedms"))
		return p->probe ? PS_OK : pdb_err(p, "directive before the first probe", kw);
	err = probe_directive(p, kw, line, &handled);
	if (!handled)
		return pdb_err(p, "unknown directive", kw);
	return err;
}

enum ps_err probe_db_add_text(struct probe_db *db, const char *text, size_t len,
			      enum probe_db_format format, const char *origin, struct ps_diag *diag)
{
	struct pdb_parse p = {.db = db, .origin = origin ? origin : "probes", .diag = diag};
	char *line = malloc(PDB_LINE_MAX + 1);
	size_t pos = 0;
	enum ps_err err = PS_OK;

	if (!line)
		return PS_ERR_NOMEM;
	while (pos < len && !err) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *s;

		p.line++;
		if (n > PDB_LINE_MAX) {
			err = pdb_err(&p, "line longer than 64 KiB", NULL);
			break;
		}
		if (memchr(text + pos, '\0', n)) {
			err = pdb_err(&p, "NUL byte in line", NULL);
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		s = skip_ws(line);
		if (!*s || *s == '#')
			continue;
		err = format == PROBE_DB_NMAP ? nmap_line(&p, s) : native_line(&p, s);
	}
	free(line);
	return err;
}

enum ps_err probe_db_add_builtin(struct probe_db *db, struct ps_diag *diag)
{
	return probe_db_add_text(db, probe_builtin_text, probe_builtin_len, PROBE_DB_NATIVE,
				 "probes.db", diag);
}

enum ps_err probe_db_add_file(struct probe_db *db, const char *path, enum probe_db_format format,
			      struct ps_diag *diag)
{
	struct dynbuf buf;
	char chunk[65536];
	enum ps_err err = PS_OK;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	dynbuf_init(&buf, PDB_FILE_MAX);
	/* A path the user named that cannot be opened or is a directory is bad input. */
	if (fd < 0)
		return ps_fail(diag, PS_ERR_INVALID, "%s: %s", path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		err = dynbuf_add(&buf, chunk, (size_t)n);
		if (err == PS_ERR_TOO_LARGE)
			err = ps_fail(diag, err, "%s: larger than 32 MiB", path);
		if (err)
			goto out;
	}
	if (n < 0) {
		err = ps_fail(diag, errno == EISDIR ? PS_ERR_INVALID : PS_ERR_IO, "%s: %s", path,
			      strerror(errno));
		goto out;
	}
	err = probe_db_add_text(db, buf.data ? buf.data : "", buf.len, format, path, diag);
out:
	close(fd);
	dynbuf_release(&buf);
	return err;
}
