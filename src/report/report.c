/* SPDX-License-Identifier: MIT */
#include "report.h"

#include <string.h>

#include "formats.h"

/* Every output format; --format NAME picks one. */
static const struct report_format *const formats[] = {
	&report_text,
	&report_jsonl,
	&report_xml,
	&report_grep,
	&report_csv,
	&report_html,
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const struct report_format *report_format_find(const char *name)
{
	size_t i;

	for (i = 0; i < NFORMATS; i++)
		if (!strcmp(formats[i]->name, name))
			return formats[i];
	return NULL;
}

const char *report_format_names(void)
{
	static char names[256];
	size_t i, len = 0;

	if (names[0])
		return names;
	for (i = 0; i < NFORMATS && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
					formats[i]->name);
	return names;
}

enum ps_err report_begin(struct report *r, const struct report_format *fmt, FILE *out,
			 const struct kb *kb, unsigned show, const struct report_meta *meta)
{
	memset(r, 0, sizeof(*r));
	r->fmt = fmt;
	r->out = out;
	r->kb = kb;
	r->show = show;
	r->meta = meta;
	return fmt->begin ? fmt->begin(r) : PS_OK;
}

enum ps_err report_port(struct report *r, const struct port_result *res)
{
	enum ps_err err = r->fmt->port(r, res);

	if (!err && ferror(r->out))
		err = PS_ERR_IO;
	return err;
}

enum ps_err report_end(struct report *r, const struct report_summary *sum)
{
	enum ps_err err = r->fmt->end ? r->fmt->end(r, sum) : PS_OK;

	if (!err && fflush(r->out))
		err = PS_ERR_IO;
	return err;
}

void report_release(struct report *r)
{
	if (r->fmt && r->fmt->release)
		r->fmt->release(r);
	r->state = NULL;
}

enum ps_err report_parse_show(const char *spec, unsigned *show, struct ps_diag *diag)
{
	static const struct {
		const char *name;
		unsigned mask;
	} words[] = {
		{"open", REPORT_SHOW_OPEN},	    {"closed", REPORT_SHOW_CLOSED},
		{"filtered", REPORT_SHOW_FILTERED}, {"stealth", REPORT_SHOW_FILTERED},
		{"all", REPORT_SHOW_ALL},
	};
	const char *p = spec;

	*show = 0;
	while (*p) {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].name) == len && !strncmp(words[i].name, p, len))
				break;
		if (i == sizeof(words) / sizeof(words[0]))
			return ps_fail(diag, PS_ERR_INVALID,
				       "bad --show \"%s\": use open, closed, filtered or all", spec);
		*show |= words[i].mask;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!*show)
		return ps_fail(diag, PS_ERR_INVALID, "bad --show: empty");
	return PS_OK;
}
