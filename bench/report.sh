#!/bin/sh
# bench/report.sh [BUILDDIR]: writes 1M synthetic port results through every output format
# and into the history database; prints time, throughput, output size and peak RSS for each.
# Results arrive shuffled (the SYN engine's order): the worst case for host-grouped formats.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

libs=""
for l in report store kb core; do
	a=$(find "$build/src/$l" -maxdepth 1 -name "libps_$l.a" 2>/dev/null | head -n 1)
	[ -n "$a" ] && libs="$libs $a"
done
# shellcheck disable=SC2086
cc -O2 -std=c17 -D_GNU_SOURCE -DPS_VERSION='"bench"' -I"$root/src" "$here/report_bench.c" \
	-Wl,--start-group $libs -Wl,--end-group $(pkg-config --libs libxml-2.0 sqlite3 jansson libcrypto) $(pkg-config --libs libpq 2>/dev/null) \
	-o "$out/report_bench"

hosts=${BENCH_HOSTS:-16}
ports=${BENCH_PORTS:-65535}
echo "# $((hosts * ports)) results: $hosts hosts x $ports ports, 1% open, 60% closed, rest silent"
for fmt in ${BENCH_FORMATS:-text jsonl xml grep csv html db}; do
	"$out/report_bench" "$fmt" "$hosts" "$ports" "$out/out.$fmt" || echo "$fmt: failed"
	rm -f "$out/out.$fmt" "$out/out.$fmt-wal" "$out/out.$fmt-shm"
done
