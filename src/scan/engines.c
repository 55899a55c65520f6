/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "engine.h"

/* Every scan engine, in order of preference; --engine NAME (or -sT / -sS) picks one. */
static const struct scan_engine *const engines[] = {
	&scan_syn_engine,
	&scan_connect_engine,
};

/* Engines only chosen by name: they scan another protocol. */
static const struct scan_engine *const named_only[] = {
	&scan_udp_engine,
};

const struct scan_engine *scan_engine_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	for (i = 0; i < sizeof(named_only) / sizeof(named_only[0]); i++)
		if (!strcmp(named_only[i]->name, name))
			return named_only[i];
	return NULL;
}

const struct scan_engine *scan_engine_auto(const struct scan_opts *opts, struct ps_diag *why)
{
	struct ps_diag local = {{0}};
	size_t i;

	if (!why)
		why = &local;
	why->msg[0] = '\0';
	for (i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
		struct ps_diag diag = {{0}};
		enum ps_err err = engines[i]->usable(opts, &diag);

		if (err == PS_OK)
			return engines[i];
		/* Lacking privileges is the everyday case of a user: nothing to say. */
		if (err != PS_ERR_PERMISSION && !why->msg[0])
			memcpy(why->msg, diag.msg, sizeof(why->msg));
	}
	return &scan_connect_engine; /* not reached: connect is always usable */
}
