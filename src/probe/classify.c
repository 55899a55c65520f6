/* SPDX-License-Identifier: MIT */
/* What an identification means next to what the port number promises. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe_internal.h"

/* "ssl/imap" -> "imap": the tunnel does not change what the service is. */
static const char *strip_tls(const char *name)
{
	return strncmp(name, "ssl/", 4) ? name : name + 4;
}

static bool same_family(const struct probe_db *db, const char *a, const char *b)
{
	return !strcasecmp(pdb_family(db, strip_tls(a)), pdb_family(db, strip_tls(b)));
}

/* Compares names ignoring case and everything but letters and digits ("Back Orifice"). */
static bool loose_equal(const char *a, const char *b)
{
	for (;;) {
		while (*a && !isalnum((unsigned char)*a))
			a++;
		while (*b && !isalnum((unsigned char)*b))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (tolower((unsigned char)*a++) != tolower((unsigned char)*b++))
			return false;
	}
}

/* Does the banner carry the name (case-insensitive)? Short names would match by chance. */
static bool banner_names(const void *banner, size_t len, const char *name)
{
	size_t n = strlen(name), i;
	const char *s = banner;

	if (n < 4 || n > len)
		return false;
	for (i = 0; i + n <= len; i++)
		if (!strncasecmp(s + i, name, n))
			return true;
	return false;
}

void probe_classify(const struct probe_db *db, const struct probe_lore *lore, uint16_t port,
		    uint8_t proto, const void *banner, size_t banner_len, bool match_backdoor,
		    struct service_info *svc)
{
	const char *expected = NULL;
	const char *const *trojans = NULL;
	size_t ntrojans = 0, i;
	bool matched = svc->confidence == SERVICE_MATCHED && svc->name[0];

	if (lore && lore->service_name)
		expected = lore->service_name(lore->ctx, port, proto);
	if (lore && lore->trojans)
		ntrojans = lore->trojans(lore->ctx, port, proto, &trojans);
	if (match_backdoor)
		svc->flags |= SERVICE_FLAG_BACKDOOR;
	for (i = 0; i < ntrojans && banner; i++)
		if (trojans[i] && banner_names(banner, banner_len, trojans[i]))
			svc->flags |= SERVICE_FLAG_BACKDOOR;
	if (matched) {
		/* A port nobody registered promises nothing, so any service there is unexpected. */
		if (!expected || !same_family(db, expected, svc->name))
			svc->flags |= SERVICE_FLAG_UNEXPECTED;
		return;
	}
	/*
	 * Nothing matched: the name is a guess from the port. When the port's only registered
	 * use is a backdoor, an unidentified listener there deserves the flag too.
	 */
	svc->confidence = SERVICE_GUESSED;
	if (!svc->name[0])
		snprintf(svc->name, sizeof(svc->name), "%s", expected ? expected : "unknown");
	if (ntrojans && !expected)
		svc->flags |= SERVICE_FLAG_BACKDOOR;
	for (i = 0; i < ntrojans && expected; i++)
		if (trojans[i] && loose_equal(trojans[i], expected))
			svc->flags |= SERVICE_FLAG_BACKDOOR;
}
