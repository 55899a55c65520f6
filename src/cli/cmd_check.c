/* SPDX-License-Identifier: MIT */
#include "cli.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("check: not built yet");
	return CLI_EXIT_FAILURE;
}
