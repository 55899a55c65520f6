/* SPDX-License-Identifier: MIT */
#include "fanout.h"

#include <string.h>

enum ps_err run_fanout_init(struct run_fanout *f, struct run_sink *const *sinks, size_t n,
			    struct ps_diag *diag)
{
	memset(f, 0, sizeof(*f));
	if (n > RUN_MAX_SINKS)
		return ps_fail(diag, PS_ERR_TOO_LARGE, "at most %d outputs at once", RUN_MAX_SINKS);
	if (n)
		memcpy(f->sinks, sinks, n * sizeof(*sinks));
	f->n = n;
	return PS_OK;
}

enum ps_err run_fanout_begin(struct run_fanout *f, const struct run_info *info,
			     struct ps_diag *diag)
{
	enum ps_err err;
	size_t i;

	for (i = 0; i < f->n; i++) {
		struct run_sink *s = f->sinks[i];

		err = s->ops->begin ? s->ops->begin(s, info, diag) : PS_OK;
		if (err) {
			run_fanout_abort(f);
			return err;
		}
		f->began[i] = true;
	}
	return PS_OK;
}

enum ps_err run_fanout_port(struct run_fanout *f, const struct port_result *res,
			    struct ps_diag *diag)
{
	size_t i;

	for (i = 0; !f->err && i < f->n; i++)
		if (f->began[i] && f->sinks[i]->ops->port)
			f->err = f->sinks[i]->ops->port(f->sinks[i], res, diag);
	return f->err;
}

enum ps_err run_fanout_hosts(struct run_fanout *f, const struct host_table *hosts,
			     struct ps_diag *diag)
{
	size_t i;

	for (i = 0; !f->err && i < f->n; i++)
		if (f->began[i] && f->sinks[i]->ops->hosts)
			f->err = f->sinks[i]->ops->hosts(f->sinks[i], hosts, diag);
	return f->err;
}

enum ps_err run_fanout_end(struct run_fanout *f, const struct report_summary *sum,
			   struct ps_diag *diag)
{
	enum ps_err err = PS_OK, e;
	struct ps_diag local;
	size_t i;

	for (i = 0; i < f->n; i++) {
		struct run_sink *s = f->sinks[i];

		if (!f->began[i])
			continue;
		f->began[i] = false;
		if (f->err) { /* a sink failed mid-run: nothing may claim a finished scan */
			if (s->ops->abort)
				s->ops->abort(s);
			continue;
		}
		local.msg[0] = '\0';
		e = s->ops->end ? s->ops->end(s, sum, &local) : PS_OK;
		if (e && !err) {
			err = e;
			if (diag)
				*diag = local;
		}
	}
	return f->err ? f->err : err;
}

void run_fanout_abort(struct run_fanout *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		if (f->began[i] && f->sinks[i]->ops->abort)
			f->sinks[i]->ops->abort(f->sinks[i]);
		f->began[i] = false;
	}
}
