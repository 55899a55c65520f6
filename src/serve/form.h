/* SPDX-License-Identifier: MIT */
#ifndef PS_SERVE_FORM_H
#define PS_SERVE_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* The tests a visitor may ask for; none of them names an address (there is no such field). */
enum serve_test {
	SERVE_TEST_NONE,
	SERVE_TEST_COMMON,  /* the kb's "common" preset */
	SERVE_TEST_SERVICE, /* 1-1055: ShieldsUP's "all service ports" */
	SERVE_TEST_ALL,	    /* 1-65535 */
	SERVE_TEST_PORT,    /* the one port typed */
	SERVE_TEST_TROJANS, /* the kb's trojan ports */
	SERVE_TEST_SHIELDSUP, /* TruStealth: ShieldsUP's common ports, UPnP, file sharing, ping */
	SERVE_TEST_COUNT
};

#define SERVE_TOKEN_MAX 64
#define SERVE_BODY_MAX	2048 /* a scan request is a few dozen bytes */
#define SERVE_FIELD_MAX 64

/* A POST /scan body, application/x-www-form-urlencoded. */
struct serve_form {
	char token[SERVE_TOKEN_MAX + 1];
	enum serve_test test;
	uint16_t port; /* SERVE_TEST_PORT */
	bool live;     /* the page's script asks for an id and follows the events itself */
};

/* "common", "service", "all", "port", "trojans", "shieldsup"; SERVE_TEST_NONE when unknown. */
enum serve_test serve_test_parse(const char *name);
const char *serve_test_name(enum serve_test test);
/* The port spec a test scans ("common", "1-1055", "1-65535", "443", "trojans",
 * "shieldsup-common"). */
const char *serve_test_spec(enum serve_test test, uint16_t port, char *buf, size_t len);

/* "1".."65535" without sign, space or leading zeros beyond one digit. */
bool serve_port_parse(const char *text, uint16_t *port);

/*
 * Parses body. Every field must be one this form has (token, test, port, live), each at most
 * once: a field naming a target ("target", "ip", "host"...) or anything else is
 * PS_ERR_INVALID, which the server answers with 400. A missing token or test is also invalid.
 */
enum ps_err serve_form_parse(const char *body, size_t len, struct serve_form *out,
			     struct ps_diag *diag);

/* Decodes one percent-encoded form component ('+' is a space) into out (size outsz). */
enum ps_err serve_form_decode(const char *in, size_t n, char *out, size_t outsz, size_t *outlen);

#endif
