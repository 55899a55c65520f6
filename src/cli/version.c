/* SPDX-License-Identifier: MIT */
/*
 * portsight --version: the build's features, so a bug report says what was running. The
 * library versions are asked of the libraries at run time (the shared object actually loaded,
 * not the header the build saw); the build options come from meson (src/cli/meson.build).
 */
#include <jansson.h>
#include <libxml/parser.h>
#include <openssl/crypto.h>
#include <seccomp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cli.h"

#ifndef PS_BUILD_TYPE
#define PS_BUILD_TYPE "unknown"
#endif
#ifndef PS_BUILD_SANITIZE
#define PS_BUILD_SANITIZE "none"
#endif
#ifndef PS_BUILD_FUZZ
#define PS_BUILD_FUZZ 0
#endif

static void pcre2_text(char *buf, size_t len)
{
	char version[32] = "?";
	uint32_t jit = 0;

	pcre2_config(PCRE2_CONFIG_VERSION, version);
	if (pcre2_config(PCRE2_CONFIG_JIT, &jit) < 0)
		jit = 0;
	snprintf(buf, len, "pcre2 %s (JIT %s)", version, jit ? "on" : "off");
}

/* libxml2 says 20914 for 2.9.14. */
static void libxml2_text(char *buf, size_t len)
{
	long v = strtol(xmlParserVersion, NULL, 10);

	snprintf(buf, len, "libxml2 %ld.%ld.%ld", v / 10000, v / 100 % 100, v % 100);
}

/* The packet reader's sandbox (src/net/sandbox.c). */
static void seccomp_text(char *buf, size_t len)
{
	const struct scmp_version *v = seccomp_version();

	if (v)
		snprintf(buf, len, "libseccomp %u.%u.%u", v->major, v->minor, v->micro);
	else
		snprintf(buf, len, "libseccomp ?");
}

void cli_print_version(FILE *out)
{
	char pcre2[64], libxml2[32], seccomp[32], compiler[32];

	pcre2_text(pcre2, sizeof(pcre2));
	libxml2_text(libxml2, sizeof(libxml2));
	seccomp_text(seccomp, sizeof(seccomp));
#ifdef __clang__
	snprintf(compiler, sizeof(compiler), "clang %d.%d.%d", __clang_major__, __clang_minor__,
		 __clang_patchlevel__);
#else
	snprintf(compiler, sizeof(compiler), "gcc %d.%d.%d", __GNUC__, __GNUC_MINOR__,
		 __GNUC_PATCHLEVEL__);
#endif
	fprintf(out, "portsight %s\n", PS_VERSION);
	fprintf(out, "build: %s, %s, sanitizers: %s, fuzz harnesses: %s\n", PS_BUILD_TYPE, compiler,
		strcmp(PS_BUILD_SANITIZE, "none") ? PS_BUILD_SANITIZE : "off",
		PS_BUILD_FUZZ ? "libFuzzer" : "replay only");
	fprintf(out, "libraries: %s, %s, SQLite %s, jansson %s, %s, %s\n", pcre2,
		OpenSSL_version(OPENSSL_VERSION), sqlite3_libversion(), jansson_version_str(),
		libxml2, seccomp);
	fprintf(out, "data: knowledge base and probe database compiled in; --probes adds a "
		     "user's nmap-service-probes file\n");
}
