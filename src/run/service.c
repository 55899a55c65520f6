/* SPDX-License-Identifier: MIT */
#include "service.h"

#include <stdlib.h>
#include <string.h>

enum ps_err run_service_prepare(struct run_service *sv, struct ps_diag *diag)
{
	enum ps_err err = probe_db_new(&sv->db);

	if (!err)
		err = probe_db_add_builtin(sv->db, diag);
	if (!err && sv->probes_file)
		err = probe_db_add_file(sv->db, sv->probes_file, PROBE_DB_NMAP, diag);
	return err;
}

enum ps_err run_service_hold(struct run_service *sv, const struct port_result *res)
{
	if (sv->nheld == sv->held_cap) {
		size_t cap = sv->held_cap ? sv->held_cap * 2 : 64;
		struct port_result *v = realloc(sv->held, cap * sizeof(*v));

		if (!v)
			return PS_ERR_NOMEM;
		sv->held = v;
		sv->held_cap = cap;
	}
	sv->held[sv->nheld++] = *res;
	return PS_OK;
}

enum ps_err run_service_run(struct run_service *sv, const struct kb *kb,
			     const volatile sig_atomic_t *stop, struct ps_diag *diag)
{
	struct probe_lore lore;
	struct probe_opts opts = {
	    .db = sv->db, .lore = &lore, .stop = stop, .intensity = sv->intensity};
	enum ps_err err;
	size_t i;

	if (!sv->nheld)
		return PS_OK;
	sv->info = calloc(sv->nheld, sizeof(*sv->info));
	if (!sv->info)
		return PS_ERR_NOMEM;
	probe_lore_from_kb(&lore, kb);
	err = probe_identify(&opts, sv->held, sv->info, sv->nheld, &sv->stats, diag);
	for (i = 0; i < sv->nheld; i++)
		sv->held[i].service = &sv->info[i];
	return err;
}

void run_service_release(struct run_service *sv)
{
	probe_db_free(sv->db);
	free(sv->held);
	free(sv->info);
	memset(sv, 0, sizeof(*sv));
}
