#!/bin/bash
# bench/run.sh BUILD_DIR [SECTION...]: runs every benchmark section (bench/<section>.sh), or only
# the ones named, each in its own namespace lab. Each section appends its rows to its own
# "## ..." part of bench/RESULTS.md. Root only (network namespaces).
#
# Adding a section: write bench/<name>.sh taking BUILD_DIR, source bench/lib.sh, and record
# with bench_record; list it in SECTIONS below (order = run order).
set -u
SECTIONS="connect"

BUILD=${1:?usage: bench/run.sh BUILD_DIR [SECTION...]}
shift
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/../scripts/bootstrap" || exit 1
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
