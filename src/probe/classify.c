/* SPDX-License-Identifier: MIT */
/* What an identification means next to what the port number promises. */
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

void probe_classify(const struct probe_db *db, const struct probe_lore *lore, uint16_t port,
		    uint8_t proto, bool match_backdoor, struct service_info *svc)
{
	const char *expected = NULL;
	bool matched = svc->confidence == SERVICE_MATCHED && svc->name[0];

	if (lore && lore->service_name)
		expected = lore->service_name(lore->ctx, port, proto);
	/*
	 * BACKDOOR means a backdoor's own protocol answered: a match line marked as one. A trojan's
	 * port number, a name in a banner or the kb's name for the port are guesses, and a flag
	 * that fires on them cries wolf on every sshd the Adore rootkit once imitated.
	 */
	if (match_backdoor)
		svc->flags |= SERVICE_FLAG_BACKDOOR;
	if (matched) {
		/* A port nobody registered promises nothing, so any service there is unexpected. */
		if (!expected || !same_family(db, expected, svc->name))
			svc->flags |= SERVICE_FLAG_UNEXPECTED;
		return;
	}
	/* Nothing matched: the name is a guess from the port, and marked as one. */
	svc->confidence = SERVICE_GUESSED;
	if (!svc->name[0])
		snprintf(svc->name, sizeof(svc->name), "%s", expected ? expected : "unknown");
}
