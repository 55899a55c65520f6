/* SPDX-License-Identifier: MIT */
/*
 * portsight explain: what a port is for, what exposing it risks and which trojans used it,
 * from the built-in knowledge base. Every argument is resolved before anything is printed, so
 * a bad one gives a single error line and no half-finished output.
 */
#include <ctype.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "cli.h"
#include "kb/kb.h"

/* One thing to explain: a port, and the protocol asked for (0: both). */
struct explain_item {
	uint16_t port;
	uint8_t proto;
};

struct explain_list {
	struct explain_item *items;
	size_t n;
	size_t cap;
};

/* Names may contain what trojan names contain ("Hack'a'Tack", "Back Orifice 2000"). */
#define EXPLAIN_NAME_MAX 64

static void explain_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: portsight explain [--json] PORT|PORT/PROTO|NAME...\n\n"
	    "Says what a port is for, what exposing it risks, and which trojans or backdoors\n"
	    "were known to use it. PORT is 1-65535, PROTO tcp or udp; NAME is a service\n"
	    "(ssh, http) or a trojan name (\"Back Orifice\"), which explains each of its ports.\n\n"
	    "  --json      one JSON object per port, one per line\n"
	    "  -h, --help  this text\n\n"
	    "examples: portsight explain 80 443 12345\n"
	    "          portsight explain 31337/udp\n"
	    "          portsight explain ssh\n");
}

static enum ps_err list_push(struct explain_list *list, uint16_t port, uint8_t proto)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		struct explain_item *it = &list->items[i];

		if (it->port != port)
			continue;
		if (it->proto != proto)
			it->proto = 0; /* asked for both protocols: explain both */
		return PS_OK;
	}
	struct explain_item *p = ps_array_grow(list->items, list->n, &list->cap, sizeof(*p), 16);

	if (!p)
		return PS_ERR_NOMEM;
	list->items = p;
	list->items[list->n++] = (struct explain_item){.port = port, .proto = proto};
	return PS_OK;
}

/* "80", "80/tcp", "31337/udp". PS_ERR_NOT_FOUND when arg does not start with a digit. */
static enum ps_err parse_port_arg(const char *arg, uint16_t *port, uint8_t *proto,
				  struct ps_diag *diag)
{
	const char *p = arg;
	unsigned long v = 0;

	if (!isdigit((unsigned char)*p))
		return PS_ERR_NOT_FOUND;
	for (; isdigit((unsigned char)*p); p++)
		if (v <= 65535)
			v = v * 10 + (unsigned long)(*p - '0');
	/* Digits then anything but "/": a name ("711 trojan" is in the knowledge base). */
	if (*p && *p != '/')
		return PS_ERR_NOT_FOUND;
	if (v == 0 || v > 65535)
		return ps_fail(diag, PS_ERR_RANGE, "explain: port \"%.20s\" out of range 1-65535",
			       arg);
	*proto = 0;
	if (!strcmp(p, "/tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(p, "/udp"))
		*proto = IPPROTO_UDP;
	else if (*p)
		return ps_fail(diag, PS_ERR_INVALID,
			       "explain: bad port \"%.40s\" (expected PORT or PORT/tcp|udp)", arg);
	*port = (uint16_t)v;
	return PS_OK;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > EXPLAIN_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(" -_.+'", *s))
			return false;
	return true;
}

/* A service or trojan name: every port it names is added. */
static enum ps_err add_name(const struct kb *kb, const char *name, struct explain_list *list,
			    struct ps_diag *diag)
{
	const struct kb_entry **found = NULL;
	size_t n, i;
	enum ps_err err = PS_OK;

	for (i = 0; name[i]; i++)
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] >= 0x7f)
			return ps_fail(diag, PS_ERR_INVALID,
				       "explain: control or non-ASCII character in an argument");
	if (!valid_name(name))
		return ps_fail(diag, PS_ERR_INVALID,
			       "explain: \"%.40s\" is neither a port (1-65535) nor a service name",
			       name);
	n = kb_find_service(kb, name, NULL, 0);
	if (n == 0)
		n = kb_find_trojan(kb, name, NULL, 0);
	if (n == 0)
		return ps_fail(diag, PS_ERR_NOT_FOUND,
			       "explain: no service or trojan named \"%s\" in the knowledge base",
			       name);
	found = malloc(n * sizeof(*found));
	if (!found)
		return PS_ERR_NOMEM;
	if (kb_find_service(kb, name, found, n) == 0)
		kb_find_trojan(kb, name, found, n);
	for (i = 0; i < n && !err; i++)
		err = list_push(list, found[i]->port, found[i]->proto);
	free(found);
	return err;
}

static enum ps_err resolve_args(const struct kb *kb, int argc, char **argv,
				struct explain_list *list, struct ps_diag *diag)
{
	enum ps_err err;
	uint16_t port = 0;
	uint8_t proto = 0;
	int i;

	for (i = 0; i < argc; i++) {
		err = parse_port_arg(argv[i], &port, &proto, diag);
		if (err == PS_ERR_NOT_FOUND)
			err = add_name(kb, argv[i], list, diag);
		else if (!err)
			err = list_push(list, port, proto);
		if (err)
			return err;
	}
	return PS_OK;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static const char *range_span(enum kb_range range)
{
	switch (range) {
	case KB_RANGE_SYSTEM:
		return "1-1023";
	case KB_RANGE_REGISTERED:
		return "1024-49151";
	case KB_RANGE_DYNAMIC:
		return "49152-65535";
	}
	return "?";
}

/* The entries an item asks for: tcp first, then udp. Returns how many (0-2). */
static size_t item_entries(const struct kb *kb, const struct explain_item *it,
			   const struct kb_entry *out[2])
{
	size_t n = 0;

	if (it->proto != IPPROTO_UDP && (out[n] = kb_lookup(kb, it->port, IPPROTO_TCP)))
		n++;
	if (it->proto != IPPROTO_TCP && (out[n] = kb_lookup(kb, it->port, IPPROTO_UDP)))
		n++;
	return n;
}

#define EXPLAIN_WIDTH  100
#define EXPLAIN_INDENT "           "

/* "  label    text", wrapped at word boundaries to EXPLAIN_WIDTH columns. */
static void print_field(const char *label, const char *text)
{
	size_t col = printf("  %-8s ", label), word;

	while (*text) {
		while (*text == ' ')
			text++;
		word = strcspn(text, " ");
		if (!word)
			break;
		if (col > sizeof(EXPLAIN_INDENT) && col + 1 + word > EXPLAIN_WIDTH) {
			printf("\n%s", EXPLAIN_INDENT);
			col = sizeof(EXPLAIN_INDENT) - 1;
		} else if (col > sizeof(EXPLAIN_INDENT) - 1) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)word, text);
		col += word;
		text += word;
	}
	putchar('\n');
}

static void print_trojans(const struct kb_entry *e)
{
	size_t j, len = 0;
	char *joined;

	for (j = 0; j < e->ntrojans; j++)
		len += strlen(e->trojans[j]) + 2;
	joined = malloc(len + 1);
	if (!joined) {
		print_field("trojans", "(out of memory)");
		return;
	}
	joined[0] = '\0';
	for (j = 0; j < e->ntrojans; j++) {
		if (j)
			strcat(joined, ", ");
		strcat(joined, e->trojans[j]);
	}
	print_field("trojans", joined);
	free(joined);
}

static void print_text(const struct kb *kb, const struct explain_item *it)
{
	const struct kb_entry *e[2];
	enum kb_range range = kb_port_range(it->port);
	size_t n = item_entries(kb, it, e), i;

	if (n == 0) {
		if (it->proto)
			printf("%u/%s  no entry in the knowledge base\n", it->port,
			       proto_name(it->proto));
		else
			printf("%u  no entry in the knowledge base\n", it->port);
		printf("  range    %s port (%s)\n", kb_range_name(range), range_span(range));
		return;
	}
	for (i = 0; i < n; i++) {
		printf("%s%u/%s  %s\n", i ? "\n" : "", e[i]->port, proto_name(e[i]->proto),
		       e[i]->service);
		print_field("what", e[i]->description);
		if (e[i]->risk)
			print_field("risk", e[i]->risk);
		if (e[i]->ntrojans)
			print_trojans(e[i]);
		printf("  range    %s port (%s)\n", kb_range_name(range), range_span(range));
	}
}

static json_t *entry_json(const struct kb_entry *e)
{
	json_t *obj = json_object(), *trojans = json_array();
	size_t j;

	if (!obj || !trojans)
		goto fail;
	for (j = 0; j < e->ntrojans; j++)
		if (json_array_append_new(trojans, json_string(e->trojans[j])))
			goto fail;
	if (json_object_set_new(obj, "proto", json_string(proto_name(e->proto))) ||
	    json_object_set_new(obj, "service", json_string(e->service)) ||
	    json_object_set_new(obj, "description", json_string(e->description)) ||
	    json_object_set_new(obj, "risk", e->risk ? json_string(e->risk) : json_null()))
		goto fail;
	/* set_new takes the reference even when it fails. */
	if (json_object_set_new(obj, "trojans", trojans)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
fail:
	json_decref(trojans);
	json_decref(obj);
	return NULL;
}

static enum ps_err print_json(const struct kb *kb, const struct explain_item *it)
{
	const struct kb_entry *e[2];
	enum kb_range range = kb_port_range(it->port);
	size_t n = item_entries(kb, it, e), i;
	json_t *obj = json_object(), *entries = json_array();
	enum ps_err err = PS_ERR_NOMEM;
	char *text = NULL;

	if (!obj || !entries)
		goto out;
	for (i = 0; i < n; i++)
		if (json_array_append_new(entries, entry_json(e[i])))
			goto out;
	if (json_object_set_new(obj, "port", json_integer(it->port)) ||
	    json_object_set_new(obj, "proto",
				it->proto ? json_string(proto_name(it->proto)) : json_null()) ||
	    json_object_set_new(obj, "range", json_string(kb_range_name(range))) ||
	    json_object_set_new(obj, "known", json_boolean(n > 0)))
		goto out;
	err = json_object_set_new(obj, "entries", entries) ? PS_ERR_NOMEM : PS_OK;
	entries = NULL;
	if (err)
		goto out;
	text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text) {
		err = PS_ERR_NOMEM;
		goto out;
	}
	puts(text);
out:
	free(text);
	json_decref(entries);
	json_decref(obj);
	return err;
}

int cmd_explain(int argc, char **argv)
{
	struct explain_list list = {0};
	struct ps_diag diag = {{0}};
	struct kb *kb = NULL;
	char **names = NULL;
	bool json = false, options = true;
	enum ps_err err;
	int i, nnames = 0, rc = CLI_EXIT_OK;
	size_t k;

	names = calloc((size_t)argc, sizeof(*names));
	if (!names)
		return cli_fail(PS_ERR_NOMEM, NULL);
	/* Options may come before or after the ports ("explain 80 --json"); "--" ends them. */
	for (i = 1; i < argc; i++) {
		if (options && !strcmp(argv[i], "--json")) {
			json = true;
		} else if (options && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
			explain_usage(stdout);
			goto out;
		} else if (options && !strcmp(argv[i], "--")) {
			options = false;
		} else if (options && argv[i][0] == '-') {
			cli_error("explain: unknown option '%s' (see 'portsight explain --help')",
				  argv[i]);
			rc = CLI_EXIT_USAGE;
			goto out;
		} else {
			names[nnames++] = argv[i];
		}
	}
	if (nnames == 0) {
		cli_error("explain: name at least one port or service (see 'portsight explain "
			  "--help')");
		rc = CLI_EXIT_USAGE;
		goto out;
	}

	err = kb_load_builtin(&kb, &diag);
	if (err) {
		cli_error("explain: built-in knowledge base: %s", ps_diag_text(&diag, err));
		rc = CLI_EXIT_FAILURE;
		goto out;
	}
	err = resolve_args(kb, nnames, names, &list, &diag);
	if (err) {
		rc = cli_fail(err, &diag);
		goto out;
	}
	for (k = 0; k < list.n; k++) {
		if (json) {
			err = print_json(kb, &list.items[k]);
			if (err) {
				rc = cli_fail(err, NULL);
				goto out;
			}
		} else {
			if (k)
				printf("\n");
			print_text(kb, &list.items[k]);
		}
	}
	if (fflush(stdout)) {
		cli_error("explain: writing the output failed");
		rc = CLI_EXIT_FAILURE;
	}
out:
	free(list.items);
	free(names);
	kb_free(kb);
	return rc;
}
