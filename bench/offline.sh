#!/bin/bash
# The SYN generator alone (--offline): probes built per second of CPU on one core, for this
# build and, given a second build directory, for a baseline (the same command, the same way).
# The CPU time is the process's user+system time minus that of a one-probe run (start-up:
# the knowledge base, the targets), so the figure holds whatever else loads the machine.
# Nothing is sent: --offline opens no socket, and every run is inside an empty network
# namespace (unshare -n) all the same.
# usage: bench/offline.sh BUILD_DIR [BASELINE_BUILD_DIR] [RUNS]
set -u
build=${1:?usage: bench/offline.sh BUILD_DIR [BASELINE_BUILD_DIR] [RUNS]}
base=${2:-}
runs=${3:-5}
ARGS="--offline --seed 1 -p 1-64 198.18.0.0/16" # 4,194,304 probes
PROBES=4194304

cpu_of() { # cpu_of BINARY ARGS...: user+system seconds of one run
	local t
	TIMEFORMAT='%U %S'
	t=$( { time unshare -n "$@" >/dev/null 2>&1; } 2>&1)
	echo "$t" | awk '{ printf "%.3f", $1 + $2 }'
}

measure() { # measure BUILD: one line per run, then the best
	local ps=$1/src/cli/portsight i startup total best=0
	startup=$(cpu_of "$ps" scan --offline --seed 1 -p 1 198.18.0.1)
	for i in $(seq "$runs"); do
		total=$(cpu_of "$ps" scan $ARGS)
		awk -v t="$total" -v s="$startup" -v n=$PROBES \
			'BEGIN { printf "  %s: %.3f s CPU (start-up %.3f s): %.2f Mpps\n", "'"$1"'", t, s, n / (t - s) / 1e6 }'
	done
}

echo "offline generation: portsight scan $ARGS (load: $(cut -d' ' -f1-3 /proc/loadavg))"
[ -n "$base" ] && { echo "baseline:"; measure "$base"; }
echo "this build:"
measure "$build"
echo "this build's own figure (CPU time of the generating thread):"
unshare -n "$build/src/cli/portsight" scan $ARGS
