/* SPDX-License-Identifier: MIT */
/*
 * --webhook URL: each event POSTed as JSON by libcurl on a worker thread. The watch loop only
 * queues (a bounded queue: when a dead endpoint lets it fill, the oldest event is dropped and
 * counted), so a server that hangs or answers 500 never slows the loop. Failed attempts are
 * retried with a doubling pause; 4xx other than 408/429 is final (the request itself is wrong).
 * On close the queue gets one attempt timeout to drain, then whatever is in flight is aborted.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "watch.h"

struct webhook {
	char *url;
	double timeout;
	unsigned retries;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	char **queue; /* ring of JSON bodies */
	size_t head, n, cap;
	bool closing;
	double abort_at; /* monotonic; 0 until close sets it */
	pthread_t thread;
	bool thread_started;
	/* counters, under lock */
	size_t delivered, failed, dropped;
	char last_error[128];
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool aborting(struct webhook *h)
{
	bool stop;

	pthread_mutex_lock(&h->lock);
	stop = h->abort_at > 0 && mono_now() >= h->abort_at;
	pthread_mutex_unlock(&h->lock);
	return stop;
}

/* libcurl's write callback type takes a char *. */
// NOLINTNEXTLINE(readability-non-const-parameter)
static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * nmemb;
}

static int progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return aborting(ud) ? 1 : 0;
}

/* One attempt. Returns 0 delivered, 1 worth retrying, 2 final failure; why gets the reason. */
static int post(struct webhook *h, CURL *curl, const char *body, char *why, size_t whylen)
{
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	long status = 0;
	CURLcode rc;
	int result;

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, h->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(h->timeout * 1000));
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "portsight/" PS_VERSION);
	rc = curl_easy_perform(curl);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return 1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return 0;
	snprintf(why, whylen, "HTTP %ld", status);
	result = status >= 500 || status == 408 || status == 429 ? 1 : 2;
	return result;
}

/* Waits up to seconds, or less when close asks us to hurry; false when aborting. */
static bool pause_for(struct webhook *h, double seconds)
{
	double until = mono_now() + seconds;
	bool go_on = true;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		double now = mono_now(), end = until;
		struct timespec ts;

		if (h->abort_at > 0 && h->abort_at < end)
			end = h->abort_at;
		if (now >= end)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(end - now);
		ts.tv_nsec += (long)(((end - now) - (double)(time_t)(end - now)) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->wake, &h->lock, &ts);
	}
	go_on = !(h->abort_at > 0 && mono_now() >= h->abort_at);
	pthread_mutex_unlock(&h->lock);
	return go_on;
}

static void *worker(void *arg)
{
	struct webhook *h = arg;
	CURL *curl = curl_easy_init();

	for (;;) {
		char why[128] = "", *body;
		unsigned attempt;
		int result = 1;

		pthread_mutex_lock(&h->lock);
		while (!h->n && !h->closing)
			pthread_cond_wait(&h->wake, &h->lock);
		if (!h->n) {
			pthread_mutex_unlock(&h->lock);
			break;
		}
		body = h->queue[h->head];
		h->head = (h->head + 1) % h->cap;
		h->n--;
		pthread_mutex_unlock(&h->lock);
		for (attempt = 0; curl && attempt <= h->retries && !aborting(h); attempt++) {
			if (attempt && !pause_for(h, 0.25 * (double)(1u << (attempt - 1))))
				break;
			result = post(h, curl, body, why, sizeof(why));
			if (result != 1)
				break;
		}
		if (!curl)
			snprintf(why, sizeof(why), "libcurl could not start");
		free(body);
		pthread_mutex_lock(&h->lock);
		if (result == 0) {
			h->delivered++;
		} else {
			h->failed++;
			snprintf(h->last_error, sizeof(h->last_error), "%s", why);
		}
		pthread_mutex_unlock(&h->lock);
	}
	if (curl)
		curl_easy_cleanup(curl);
	return NULL;
}

static void webhook_free(struct webhook *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->queue[(h->head + i) % h->cap]);
	free(h->queue);
	free(h->url);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static enum ps_err webhook_open(void **ctx, const struct watch_channel_opts *o,
				struct ps_diag *diag)
{
	struct webhook *h;

	if (!o->target || (strncmp(o->target, "http://", 7) && strncmp(o->target, "https://", 8)))
		return ps_fail(diag, PS_ERR_INVALID,
			       "--webhook: '%s' is not an http:// or "
			       "https:// URL",
			       o->target ? o->target : "");
	/* Before any thread exists: curl_global_init is not thread-safe in every build. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return ps_fail(diag, PS_ERR_SYSTEM, "--webhook: libcurl did not initialise");
	h = calloc(1, sizeof(*h));
	if (!h)
		return PS_ERR_NOMEM;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->wake, NULL);
	h->url = strdup(o->target);
	h->timeout = o->timeout > 0 ? o->timeout : 5.0;
	h->retries = o->retries;
	h->cap = o->queue_max ? o->queue_max : 1024;
	h->queue = calloc(h->cap, sizeof(*h->queue));
	if (!h->url || !h->queue) {
		webhook_free(h);
		return PS_ERR_NOMEM;
	}
	if (pthread_create(&h->thread, NULL, worker, h)) {
		webhook_free(h);
		return ps_fail(diag, PS_ERR_SYSTEM, "--webhook: cannot start its thread");
	}
	h->thread_started = true;
	*ctx = h;
	return PS_OK;
}

static enum ps_err webhook_emit(void *ctx, const struct watch_event *ev, const char *json,
				struct ps_diag *diag)
{
	struct webhook *h = ctx;
	char *body = strdup(json);

	(void)ev;
	(void)diag;
	if (!body)
		return PS_ERR_NOMEM;
	pthread_mutex_lock(&h->lock);
	if (h->n == h->cap) {
		free(h->queue[h->head]);
		h->head = (h->head + 1) % h->cap;
		h->n--;
		h->dropped++;
	}
	h->queue[(h->head + h->n) % h->cap] = body;
	h->n++;
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->lock);
	return PS_OK;
}

static void webhook_stop(struct webhook *h)
{
	if (!h->thread_started)
		return;
	pthread_mutex_lock(&h->lock);
	h->closing = true;
	h->abort_at = mono_now() + h->timeout;
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	h->thread_started = false;
	h->failed += h->n; /* left in the queue when time ran out */
}

static void webhook_summary(void *ctx, char *buf, size_t len)
{
	struct webhook *h = ctx;

	webhook_stop(h);
	buf[0] = '\0';
	if (h->failed || h->dropped)
		snprintf(buf, len, "--webhook: %zu of %zu events not delivered (%s)%s",
			 h->failed + h->dropped, h->failed + h->dropped + h->delivered,
			 h->last_error[0] ? h->last_error : "queue full",
			 h->dropped ? ", some dropped from a full queue" : "");
}

static void webhook_close(void *ctx)
{
	struct webhook *h = ctx;

	webhook_stop(h);
	webhook_free(h);
	curl_global_cleanup();
}

const struct watch_channel watch_chan_webhook = {
    .name = "webhook",
    .open = webhook_open,
    .emit = webhook_emit,
    .summary = webhook_summary,
    .close = webhook_close,
};
