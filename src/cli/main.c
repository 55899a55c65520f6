/* SPDX-License-Identifier: MIT */
/*
 * portsight's entry point: one table of subcommands (git's builtin table), each in its own
 * cmd_<name>.c. This directory is the only place that prints to the user or exits.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_command commands[] = {
	{"check", cmd_check, CMD_NEEDS_RAW_OR_FALLBACK,
	 "check this machine: loopback scan and listening programs (default)"},
	{"scan", cmd_scan, CMD_NEEDS_RAW_OR_FALLBACK, "find the open ports of hosts and networks"},
	{"explain", cmd_explain, 0, "what a port is for, its risks, trojans that used it"},
	{"local", cmd_local, 0, "which programs listen here and who can reach them"},
	{"history", cmd_history, 0, "list the scans recorded in the history database"},
	{"diff", cmd_diff, 0, "compare two scans (history ids or XML files); exit 1 on change"},
	{"watch", cmd_watch, 0, "watch the listening ports and alert on each change"},
	{"harden", cmd_harden, 0, "close what should not be open: a table of portsight's own"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: portsight [COMMAND [OPTIONS] [ARGS]]\n\n"
		     "With no command, portsight checks this machine.\n\nCommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'portsight COMMAND --help' describes a command.\n"
		     "Exit codes: 0 ok, 1 findings (diff: changes), 2 usage error, 3 failure, "
		     "130 interrupted.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return cmd_check(1, (char *[]){"check", NULL});
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		cli_print_version(stdout);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	/* nmap's habit: `portsight 192.0.2.7` or `portsight -p 22 host` mean a scan. */
	if (argv[1][0] == '-' || strpbrk(argv[1], ".:/") || isdigit((unsigned char)argv[1][0]))
		cli_error("unknown command '%s': to scan, say 'portsight scan %s%s' (see "
			  "'portsight --help')",
			  argv[1], argv[1], argc > 2 ? " ..." : "");
	else
		cli_error("unknown command '%s' (see 'portsight --help')", argv[1]);
	return CLI_EXIT_USAGE;
}
