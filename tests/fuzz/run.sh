#!/bin/sh
# run.sh HARNESS CORPUS_DIR SECONDS: a short fuzz run in CI. libFuzzer writes new inputs into
# its first directory, so that is a scratch copy; the checked-in corpus stays as it is.
set -eu
harness=$1 corpus=$2 seconds=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$harness" "$scratch" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=0 2>&1 | tail -n 5
