/* SPDX-License-Identifier: MIT */
/*
 * Feeds synthetic port results through one output format (or the history store) and prints
 * the time taken, the output size and the peak RSS. Results come in a shuffled order, as the
 * SYN engine delivers them, which is the worst case for formats that group by host.
 *
 *   report_bench FORMAT|db HOSTS PORTS_PER_HOST OUTFILE [sequential]
 *
 * Environment, for the history query bench: REPORT_BENCH_APPEND=1 keeps an existing database
 * (one more scan in it); REPORT_BENCH_DRIFT=N turns about one pair in 1000 open <-> closed,
 * a different set for each N, so that two scans have changes to find.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "report/report.h"
#include "store/store.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t drift;

static void make_result(uint64_t idx, uint32_t ports, struct port_result *res,
			const struct service_info *svc)
{
	uint32_t host = (uint32_t)(idx / ports), port = (uint32_t)(idx % ports) + 1;

	memset(res, 0, sizeof(*res));
	res->addr.family = AF_INET;
	res->addr.bytes[0] = 198;
	res->addr.bytes[1] = 18 + (uint8_t)(host >> 16 & 1);
	res->addr.bytes[2] = (uint8_t)(host >> 8);
	res->addr.bytes[3] = (uint8_t)host;
	res->port = (uint16_t)port;
	res->proto = IPPROTO_TCP;
	res->tries = 1;
	/* About 1% open (with a service), 60% closed, the rest silent. */
	switch (port % 100) {
	case 0:
		res->state = PORT_OPEN;
		res->reason = REASON_SYN_ACK;
		res->service = svc;
		res->rtt_us = 120;
		break;
	case 1 ... 60:
		res->state = PORT_CLOSED;
		res->reason = REASON_RESET;
		res->rtt_us = 110;
		break;
	default:
		res->state = PORT_FILTERED;
		res->reason = REASON_NO_RESPONSE;
	}
	if (drift && (idx * 0x9e3779b97f4a7c15ull + drift * 0xbf58476d1ce4e5b9ull) >> 54 == 0) {
		int open = res->state != PORT_OPEN;

		res->state = open ? PORT_OPEN : PORT_CLOSED;
		res->reason = open ? REASON_SYN_ACK : REASON_RESET;
		res->service = open ? svc : NULL;
		res->rtt_us = 115;
	}
}

int main(int argc, char **argv)
{
	struct service_info svc = {
	    .name = "http", .product = "nginx", .version = "1.25.3", .confidence = SERVICE_MATCHED};
	struct portset ports;
	struct report_meta meta;
	struct report r;
	struct report_summary sum = {0};
	const struct report_format *fmt = NULL;
	struct store *st = NULL;
	struct rusage ru;
	struct stat sb;
	uint64_t *order, total, i, t0, t1;
	uint32_t hosts, nports;
	FILE *out = NULL;
	int db, sequential;

	if (argc < 5) {
		fprintf(stderr, "usage: %s FORMAT|db HOSTS PORTS OUTFILE [sequential]\n", argv[0]);
		return 2;
	}
	db = !strcmp(argv[1], "db");
	hosts = (uint32_t)atoi(argv[2]);
	nports = (uint32_t)atoi(argv[3]);
	sequential = argc > 5 && !strcmp(argv[5], "sequential");
	drift = getenv("REPORT_BENCH_DRIFT") ? strtoull(getenv("REPORT_BENCH_DRIFT"), NULL, 10) : 0;
	if (!db && !(fmt = report_format_find(argv[1]))) {
		fprintf(stderr, "unknown format %s\n", argv[1]);
		return 2;
	}
	if (!hosts || !nports || nports > 65535 || hosts > 131072)
		return 2;
	total = (uint64_t)hosts * nports;
	order = malloc(total * sizeof(*order));
	if (!order)
		return 3;
	for (i = 0; i < total; i++)
		order[i] = i;
	for (i = total - 1; !sequential && i > 0; i--) {
		uint64_t j = rng() % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	portset_clear(&ports);
	portset_add_range(&ports, 1, (uint16_t)nports);
	meta = (struct report_meta){.args = "report_bench",
				    .engine = "syn",
				    .ports_spec = "bench",
				    .ports = &ports,
				    .targets = hosts,
				    .start = time(NULL)};
	if (!db || !getenv("REPORT_BENCH_APPEND"))
		remove(argv[4]);
	t0 = ps_now_ns();
	if (db) {
		struct store_scan_params p = {.args = "report_bench",
					      .engine = "syn",
					      .targets = hosts,
					      .start = time(NULL),
					      .ports = &ports};

		if (store_open(argv[4], &st, NULL) || store_scan_begin(st, &p, NULL, NULL))
			return 3;
	} else {
		out = fopen(argv[4], "w");
		if (!out || report_begin(&r, fmt, out, NULL, REPORT_SHOW_ALL, &meta))
			return 3;
	}
	for (i = 0; i < total; i++) {
		struct port_result res;

		make_result(order[i], nports, &res, &svc);
		sum.open += res.state == PORT_OPEN;
		sum.closed += res.state == PORT_CLOSED;
		sum.filtered += res.state == PORT_FILTERED;
		if (db ? store_scan_port(st, &res, NULL) != PS_OK : report_port(&r, &res) != PS_OK)
			return 3;
	}
	sum.targets = hosts;
	sum.hosts_up = hosts;
	sum.ports_scanned = total;
	if (db) {
		struct store_scan_totals t = {.hosts_up = hosts,
					      .ports_scanned = total,
					      .open = sum.open,
					      .closed = sum.closed,
					      .filtered = sum.filtered};

		if (store_scan_end(st, &t, NULL))
			return 3;
		store_close(st);
	} else {
		if (report_end(&r, &sum))
			return 3;
		report_release(&r);
		fclose(out);
	}
	t1 = ps_now_ns();
	getrusage(RUSAGE_SELF, &ru);
	stat(argv[4], &sb);
	/* The order array is the driver's own: 8 bytes per result, reported so it can be
	 * subtracted. */
	printf("%-6s results=%llu order=%s time_s=%.3f rate_per_s=%.0f out_mb=%.1f maxrss_mb=%.1f "
	       "driver_mb=%.1f\n",
	       argv[1], (unsigned long long)total, sequential ? "sequential" : "shuffled",
	       (double)(t1 - t0) / 1e9, (double)total / ((double)(t1 - t0) / 1e9),
	       (double)sb.st_size / 1048576.0, (double)ru.ru_maxrss / 1024.0,
	       (double)total * 8 / 1048576.0);
	free(order);
	return 0;
}
