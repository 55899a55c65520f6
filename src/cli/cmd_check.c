/* SPDX-License-Identifier: MIT */
/*
 * `portsight` with no arguments: check this machine. Scans every TCP port of the loopback
 * addresses (127.0.0.1 and ::1) and prints the ShieldsUP-style profile.
 */
#include <string.h>

#include "cli.h"
#include "scan_job.h"

static const char check_usage[] =
	"usage: portsight [check]\n"
	"\n"
	"Checks this machine: scans all 65535 TCP ports of 127.0.0.1 and ::1 and prints what is\n"
	"open, with a ShieldsUP-style profile (Open / Closed / Stealth) per address.\n";

int cmd_check(int argc, char **argv)
{
	static const char *const loopback[] = {"127.0.0.1", "::1"};
	struct scan_job job;
	struct ps_diag diag = {{0}};
	enum ps_err err = PS_OK;
	size_t i;
	int rc;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			fputs(check_usage, stdout);
			return CLI_EXIT_OK;
		}
		cli_error("check takes no arguments (see 'portsight check --help')");
		return CLI_EXIT_USAGE;
	}
	rc = scan_job_init(&job);
	if (rc)
		return rc;
	job.ports_spec = "all";
	portset_clear(&job.ports);
	portset_add_range(&job.ports, 1, PORTSET_MAX_PORT);
	for (i = 0; !err && i < sizeof(loopback) / sizeof(loopback[0]); i++)
		err = target_list_add_spec(&job.targets, loopback[i], NULL, NULL, &diag);
	if (!err)
		err = target_list_finish(&job.targets, NULL, 2, &diag);
	if (err)
		rc = cli_fail(err, &diag);
	else
		rc = scan_job_run(&job);
	scan_job_release(&job);
	return rc;
}
