/* SPDX-License-Identifier: MIT */
/*
 * Our table through libnftables. Every change is one nft_run_cmd_from_buffer call, which nft
 * sends as one netlink batch: the kernel commits all of it or none. "add table" before
 * "delete table" makes the delete valid whether or not the table existed (nft 1.0.6 has no
 * "destroy"), so replacing our table is a single transaction too.
 */
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harden.h"

#define REPLACE_PREFIX "add table inet " HARDEN_TABLE "\ndelete table inet " HARDEN_TABLE "\n"

/* libnftables reports a missing CAP_NET_ADMIN on stderr itself, around our buffer: ask the
 * kernel first (CapEff in /proc/self/status, bit 12) so the user gets our one line. */
static bool may_admin_net(void)
{
	char line[256];
	unsigned long long eff = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return true; /* cannot tell: let nftables decide */
	while (!found && fgets(line, sizeof(line), f)) {
		char *end;

		if (strncmp(line, "CapEff:", 7))
			continue;
		eff = strtoull(line + 7, &end, 16);
		found = end != line + 7;
	}
	fclose(f);
	return !found || (eff >> 12) & 1;
}

static enum ps_err ctx_new(struct nft_ctx **out, struct ps_diag *diag)
{
	struct nft_ctx *ctx;

	*out = NULL;
	if (!may_admin_net())
		return ps_fail(diag, PS_ERR_PERMISSION,
			       "changing the nftables ruleset needs root (CAP_NET_ADMIN)");
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return ps_fail(diag, PS_ERR_NOMEM, "libnftables: no context");
	if (nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx)) {
		nft_ctx_free(ctx);
		return ps_fail(diag, PS_ERR_NOMEM, "libnftables: no output buffer");
	}
	*out = ctx;
	return PS_OK;
}

/* nft's error text is several lines (the message, the input line, a caret): the user gets
 * the first, which names the problem ("Error: Could not process rule: Operation not
 * permitted"). */
static enum ps_err nft_error(struct nft_ctx *ctx, const char *what, struct ps_diag *diag)
{
	const char *text = nft_ctx_get_error_buffer(ctx);
	size_t len = text ? strcspn(text, "\n") : 0;
	enum ps_err err = PS_ERR_SYSTEM;

	if (text && (strstr(text, "Operation not permitted") || strstr(text, "Permission denied")))
		err = PS_ERR_PERMISSION;
	return ps_fail(diag, err, "%s: %.*s", what, (int)(len > 200 ? 200 : len),
		       len ? text : "nft failed without a message");
}

static enum ps_err run(const char *cmds, const char *what, bool check_first, struct ps_diag *diag)
{
	struct nft_ctx *ctx;
	enum ps_err err;

	err = ctx_new(&ctx, diag);
	if (err)
		return err;
	if (check_first) {
		/* nft -c: the kernel validates the whole batch and commits nothing. */
		nft_ctx_set_dry_run(ctx, true);
		if (nft_run_cmd_from_buffer(ctx, cmds)) {
			err = nft_error(ctx, what, diag);
			goto out;
		}
		nft_ctx_set_dry_run(ctx, false);
	}
	if (nft_run_cmd_from_buffer(ctx, cmds))
		err = nft_error(ctx, what, diag);
out:
	nft_ctx_free(ctx);
	return err;
}

static enum ps_err replace_with(const char *table_text, const char *what, struct ps_diag *diag)
{
	size_t len = strlen(REPLACE_PREFIX) + strlen(table_text) + 1;
	char *cmds = malloc(len);
	enum ps_err err;

	if (!cmds)
		return PS_ERR_NOMEM;
	snprintf(cmds, len, "%s%s", REPLACE_PREFIX, table_text);
	err = run(cmds, what, true, diag);
	free(cmds);
	return err;
}

enum ps_err harden_nft_load(const char *table_text, struct ps_diag *diag)
{
	return replace_with(table_text, "nft refused the table", diag);
}

enum ps_err harden_nft_current(char **out, struct ps_diag *diag)
{
	struct nft_ctx *ctx;
	enum ps_err err;
	const char *text;

	*out = NULL;
	err = ctx_new(&ctx, diag);
	if (err)
		return err;
	if (nft_run_cmd_from_buffer(ctx, "list table inet " HARDEN_TABLE)) {
		text = nft_ctx_get_error_buffer(ctx);
		/* No such table is the normal case; anything else is an error. */
		if (!text || !strstr(text, "No such file or directory"))
			err = nft_error(ctx, "reading the ruleset", diag);
		goto out;
	}
	text = nft_ctx_get_output_buffer(ctx);
	*out = strdup(text ? text : "");
	if (!*out)
		err = PS_ERR_NOMEM;
out:
	nft_ctx_free(ctx);
	return err;
}

enum ps_err harden_nft_remove(bool *removed, struct ps_diag *diag)
{
	char *current = NULL;
	enum ps_err err;

	*removed = false;
	err = harden_nft_current(&current, diag);
	if (err || !current)
		return err;
	free(current);
	err = run("delete table inet " HARDEN_TABLE "\n", "removing table inet " HARDEN_TABLE, true,
		  diag);
	*removed = !err;
	return err;
}

enum ps_err harden_nft_restore(const char *previous, struct ps_diag *diag)
{
	if (previous)
		return replace_with(previous, "restoring the previous table", diag);
	return run(REPLACE_PREFIX, "rolling back", false, diag);
}
