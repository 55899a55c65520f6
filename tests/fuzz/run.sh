#!/bin/sh
# run.sh HARNESS CORPUS_DIR SECONDS: a short fuzz run in CI. libFuzzer writes new inputs into
# its first directory, so that is a scratch copy; the checked-in corpus stays as it is.
# The harness's own exit status is the test's result (a pipe into tail would hide a crash);
# libFuzzer's default for a crash, 77, is what meson reads as "skipped", hence 1.
set -eu
harness=$1 corpus=$2 seconds=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
"$harness" "$scratch" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=0 >"$scratch/log" 2>&1 || status=$?
# On a crash, enough of the log to show the report and the input.
if [ $status -eq 0 ]; then tail -n 5 "$scratch/log"; else tail -n 80 "$scratch/log"; fi
exit $status
