/* SPDX-License-Identifier: MIT */
/*
 * Reads the ports of an nmap XML file (nmap's -oX or portsight's xml format) with libxml2's
 * streaming reader: memory stays at one port, however large the file.
 *
 * Hostile files: no network (XML_PARSE_NONET), no DTD loading, entities never substituted,
 * and because an entity declaration is the only way to amplify a document, any document
 * declaring one is refused before parsing. The encoding is forced to UTF-8 (a declared
 * UTF-7 or UTF-16 could hide the declaration from that check), so the file must start with
 * '<' (after an optional byte-order mark and white space) and hold no NUL byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <libxml/xmlreader.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"

#define NMAPXML_FILE_MAX (1ull << 30)

struct xml_port {
	char proto[8];
	long long portid;
	char state[32];
	struct snap_service svc;
	int has_state;
};

struct parse_ctx {
	struct snapshot *snap;
	struct ps_diag *diag;
	char addr[64];
	int in_host;
	int have_addr;
	int in_port;
	int seen_root;
	struct xml_port port;
	char error[160];
};

static void copy_attr(xmlTextReaderPtr rd, const char *name, char *dst, size_t len)
{
	xmlChar *v = xmlTextReaderGetAttribute(rd, BAD_CAST name);

	snprintf(dst, len, "%s", v ? (const char *)v : "");
	xmlFree(v);
}

static void on_error(void *arg, const char *msg, xmlParserSeverities severity,
		     xmlTextReaderLocatorPtr loc)
{
	struct parse_ctx *c = arg;
	size_t n;

	(void)severity;
	if (c->error[0])
		return; /* the first error is the one that explains */
	snprintf(c->error, sizeof(c->error), "line %d: %s", xmlTextReaderLocatorLineNumber(loc),
		 msg);
	n = strlen(c->error);
	while (n && (c->error[n - 1] == '\n' || c->error[n - 1] == ' '))
		c->error[--n] = '\0';
}

/* Whole attribute or nothing: atoll() took "80x" as port 80. -1 lets snapshot_add_text refuse it. */
static long long parse_portid(const char *s)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9' || strlen(s) > 5)
		return -1;
	v = strtol(s, &end, 10);
	return *end ? -1 : v;
}

static enum ps_err finish_port(struct parse_ctx *c)
{
	if (!c->have_addr)
		return ps_fail(c->diag, PS_ERR_INVALID, "a port outside a host with an address");
	if (!c->port.has_state)
		return ps_fail(c->diag, PS_ERR_INVALID, "port %lld has no state", c->port.portid);
	return snapshot_add_text(c->snap, c->addr, c->port.portid, c->port.proto, c->port.state,
				 &c->port.svc, c->diag);
}

static enum ps_err on_start(struct parse_ctx *c, xmlTextReaderPtr rd, const char *name)
{
	char buf[64];

	if (!c->seen_root) {
		if (strcmp(name, "nmaprun"))
			return ps_fail(c->diag, PS_ERR_INVALID,
				       "not an nmap XML file (root <%.32s>)", name);
		c->seen_root = 1;
	} else if (!strcmp(name, "host")) {
		c->in_host = 1;
		c->have_addr = 0;
	} else if (!strcmp(name, "address") && c->in_host && !c->have_addr) {
		copy_attr(rd, "addrtype", buf, sizeof(buf));
		if (!buf[0] || !strcmp(buf, "ipv4") || !strcmp(buf, "ipv6")) {
			struct ps_addr a;

			copy_attr(rd, "addr", c->addr, sizeof(c->addr));
			/* Checked now: a host without ports is still part of the file. */
			if (ps_addr_parse(c->addr, &a))
				return ps_fail(c->diag, PS_ERR_INVALID, "bad address '%.64s'",
					       c->addr);
			c->have_addr = 1;
		}
	} else if (!strcmp(name, "port") && c->in_host) {
		memset(&c->port, 0, sizeof(c->port));
		copy_attr(rd, "protocol", c->port.proto, sizeof(c->port.proto));
		copy_attr(rd, "portid", buf, sizeof(buf));
		c->port.portid = parse_portid(buf);
		c->in_port = 1;
		if (xmlTextReaderIsEmptyElement(rd)) {
			c->in_port = 0;
			return finish_port(c);
		}
	} else if (!strcmp(name, "state") && c->in_port) {
		copy_attr(rd, "state", c->port.state, sizeof(c->port.state));
		c->port.has_state = 1;
	} else if (!strcmp(name, "service") && c->in_port) {
		copy_attr(rd, "name", c->port.svc.name, sizeof(c->port.svc.name));
		copy_attr(rd, "product", c->port.svc.product, sizeof(c->port.svc.product));
		copy_attr(rd, "version", c->port.svc.version, sizeof(c->port.svc.version));
		copy_attr(rd, "method", buf, sizeof(buf));
		c->port.svc.probed = !strcmp(buf, "probed");
	}
	return PS_OK;
}

static enum ps_err on_end(struct parse_ctx *c, const char *name)
{
	if (!strcmp(name, "port") && c->in_port) {
		c->in_port = 0;
		return finish_port(c);
	}
	if (!strcmp(name, "host"))
		c->in_host = c->have_addr = 0;
	return PS_OK;
}

static enum ps_err check_input(const char *data, size_t len, struct ps_diag *diag)
{
	size_t i = 0;

	if (len > INT_MAX)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "XML file too large");
	if (memchr(data, '\0', len))
		return ps_fail(diag, PS_ERR_INVALID, "not an nmap XML file (binary data)");
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len && strchr(" \t\r\n", data[i]))
		i++;
	if (i >= len || data[i] != '<')
		return ps_fail(diag, PS_ERR_INVALID, "not an nmap XML file");
	if (memmem(data, len, "<!ENTITY", 8))
		return ps_fail(diag, PS_ERR_INVALID, "XML file declares entities; refused");
	return PS_OK;
}

enum ps_err nmapxml_parse(const char *data, size_t len, struct snapshot *snap, struct ps_diag *diag)
{
	struct parse_ctx c = {.snap = snap, .diag = diag};
	xmlTextReaderPtr rd;
	enum ps_err err;
	int rc;

	if ((err = check_input(data, len, diag)))
		return err;
	rd = xmlReaderForMemory(data, (int)len, NULL, "UTF-8",
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				    XML_PARSE_IGNORE_ENC);
	if (!rd)
		return PS_ERR_NOMEM;
	xmlTextReaderSetErrorHandler(rd, on_error, &c);
	while (!err && (rc = xmlTextReaderRead(rd)) == 1) {
		const char *name = (const char *)xmlTextReaderConstLocalName(rd);
		int type = xmlTextReaderNodeType(rd);

		if (!name)
			continue;
		if (type == XML_READER_TYPE_ELEMENT)
			err = on_start(&c, rd, name);
		else if (type == XML_READER_TYPE_END_ELEMENT)
			err = on_end(&c, name);
	}
	if (!err && rc != 0)
		err = ps_fail(diag, PS_ERR_INVALID, "malformed XML: %s",
			      c.error[0] ? c.error : "parse error");
	if (!err && !c.seen_root)
		err = ps_fail(diag, PS_ERR_INVALID, "not an nmap XML file (no <nmaprun>)");
	xmlFreeTextReader(rd);
	return err;
}

enum ps_err nmapxml_load(const char *path, struct snapshot *snap, struct ps_diag *diag)
{
	enum ps_err err = PS_OK;
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) /* a file named on the command line: the user's mistake, not a failure */
		return ps_fail(diag, errno == ENOENT ? PS_ERR_NOT_FOUND : PS_ERR_INVALID, "%s: %s",
			       path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = ps_fail(diag, PS_ERR_INVALID, "%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > NMAPXML_FILE_MAX) {
		err = ps_fail(diag, PS_ERR_TOO_LARGE, "%s: larger than 1 GiB", path);
		goto out;
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n <= 0) {
			err = ps_fail(diag, PS_ERR_IO, "%s: read failed", path);
			goto out;
		}
		got += (size_t)n;
	}
	snprintf(snap->label, sizeof(snap->label), "%s", path);
	err = nmapxml_parse(data, got, snap, diag);
	if (err && diag && diag->msg[0]) {
		char detail[PS_DIAG_MAX];

		snprintf(detail, sizeof(detail), "%s", diag->msg);
		ps_fail(diag, err, "%.80s: %s", path, detail);
	}
out:
	free(data);
	close(fd);
	return err;
}
