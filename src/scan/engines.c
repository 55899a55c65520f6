/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "engine.h"

/* Every scan engine; --engine NAME (or -sT / -sS) picks one. */
static const struct scan_engine *const engines[] = {
	&scan_connect_engine,
	&scan_syn_engine,
};

const struct scan_engine *scan_engine_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	return NULL;
}

const struct scan_engine *scan_engine_auto(const struct scan_opts *opts, struct ps_diag *why)
{
	struct ps_diag local = {{0}};

	if (!why)
		why = &local;
	why->msg[0] = '\0';
	switch (scan_syn_usable(opts, why)) {
	case PS_OK:
		return &scan_syn_engine;
	case PS_ERR_PERMISSION: /* the everyday case of an unprivileged user: nothing to say */
		why->msg[0] = '\0';
		return &scan_connect_engine;
	default:
		return &scan_connect_engine;
	}
}
