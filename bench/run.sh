#!/bin/bash
# bench/run.sh BUILD_DIR [SECTION...]: runs every benchmark section (bench/<section>.sh), or only
# the ones named, from the repository's top directory. Each section writes its own "## ..."
# part of bench/RESULTS.md. Root only (network namespaces).
#
# Adding a section: write bench/<name>.sh taking BUILD_DIR (network sections: source
# bench/lib.sh for the namespace lab, GNU time and bench_record) and list it in SECTIONS below
# (order = run order).
set -u
SECTIONS="connect syn udp discovery service local report history history_query shards watch serve"

BUILD=${1:?usage: bench/run.sh BUILD_DIR [SECTION...]}
shift
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE/.." || exit 1
./scripts/bootstrap || exit 1
[ $# -gt 0 ] && SECTIONS="$*"

failed=0
for section in $SECTIONS; do
	echo "== bench: $section" >&2
	if ! "$HERE/$section.sh" "$BUILD"; then
		echo "bench: $section failed" >&2
		failed=1
	fi
done
exit $failed
