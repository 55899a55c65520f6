/* SPDX-License-Identifier: MIT */
#include "priv.h"

#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

enum ps_err net_priv_drop(struct ps_diag *diag)
{
	cap_t none = cap_init(); /* an empty set */
	enum ps_err err = PS_OK;

	if (!none)
		return ps_fail(diag, PS_ERR_NOMEM, "capability set: %s", strerror(errno));
	if (cap_set_proc(none) < 0)
		err = ps_fail(diag, PS_ERR_SYSTEM, "dropping capabilities: %s", strerror(errno));
	else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		err = ps_fail(diag, PS_ERR_SYSTEM, "no_new_privs: %s", strerror(errno));
	cap_free(none);
	return err;
}
