/* SPDX-License-Identifier: MIT */
/* watch --baseline reads a file people edit by hand (or anyone who can write it). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "watch/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_snapshot s, empty;
	struct watch_events ev;
	struct ps_diag diag;
	size_t i;

	if (watch_baseline_parse((const char *)data, size, &s, &diag) != PS_OK)
		return 0;
	/* Whatever was read must also survive the diff and the event and metrics writers. */
	watch_snapshot_init(&empty);
	watch_events_init(&ev);
	if (watch_diff(&s, &empty, 0, &ev) == PS_OK) {
		for (i = 0; i < ev.n; i++)
			free(watch_event_json(&ev.v[i]));
	}
	free(watch_prom_text(&s));
	watch_events_release(&ev);
	watch_snapshot_release(&s);
	return 0;
}
