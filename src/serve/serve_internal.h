/* SPDX-License-Identifier: MIT */
#ifndef PS_SERVE_INTERNAL_H
#define PS_SERVE_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "core/dynbuf.h"
#include "form.h"
#include "limits.h"
#include "run/shieldsup.h"
#include "serve.h"

/* What a grid cell shows; the values are what state[] holds per port. */
enum serve_cell { CELL_PENDING, CELL_OPEN, CELL_CLOSED, CELL_STEALTH };

#define SERVE_ID_LEN   32   /* hex digits of a scan id (128 random bits) */
#define SERVE_GRID_MAX 1056 /* more ports than this get a list instead of a grid */

struct serve_view;

/* One visitor's scan: written by its run's thread, read by its viewers (lock). */
struct serve_scan {
	char id[SERVE_ID_LEN + 1];
	struct ps_addr client;
	char client_text[PS_ADDR_STRLEN];
	char server_text[PS_ADDR_STRLEN];
	enum serve_test test;
	uint16_t port; /* SERVE_TEST_PORT */
	char spec[24];
	struct portset ports;
	uint32_t nports;
	uint8_t state[65536];  /* enum serve_cell by port */
	uint16_t order[65536]; /* ports in the order results came */
	uint32_t nresults, nopen, nclosed, nstealth;
	time_t started;
	volatile sig_atomic_t stop;
	bool done, live, ever_viewed;
	unsigned viewers;
	struct serve_view *waiting; /* views suspended until there is news */
	uint64_t woken_ms;	    /* when they were last resumed for a result */
	unsigned refs; /* under the server's lock */
	struct serve_scan *launch_next; /* waiting for its thread (the server's lock) */
	struct report_summary sum;
	char engine[16];
	char error[PS_DIAG_MAX];
	/* SERVE_TEST_SHIELDSUP: the ports fed in as they come, then UPnP, file sharing, ping */
	struct shieldsup_result *ss;
	struct shieldsup_verdict ssv; /* once done */
	char *html, *jsonl; /* the downloads, once done */
	size_t html_len, jsonl_len;
	pthread_mutex_t lock;
	struct serve *srv;
};

/* Pages (page.c): each appends to a capped buffer. */
enum ps_err serve_page_head(struct dynbuf *b, const char *title);
enum ps_err serve_page_foot(struct dynbuf *b);
enum ps_err serve_page_consent(struct dynbuf *b, const struct serve_opts *o, const char *client,
			       const char *server, const char *token, const uint32_t *counts);
enum ps_err serve_page_port(struct dynbuf *b, const struct kb *kb, uint16_t port);
enum ps_err serve_page_error(struct dynbuf *b, unsigned status, const char *msg);
/* The result of a finished scan (without head and foot). */
enum ps_err serve_page_result(struct dynbuf *b, const struct kb *kb, const struct serve_scan *s);
/* The streamed page's opening, before any result (without head). */
enum ps_err serve_page_stream_intro(struct dynbuf *b, const struct serve_scan *s);
enum ps_err serve_html_text(struct dynbuf *b, const char *s);

#endif
