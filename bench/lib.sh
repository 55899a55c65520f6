#!/bin/bash
# Common helpers for the side-by-side benchmarks. A section script (bench/<name>.sh BUILD_DIR)
# sources this file, builds its lab with bench_port_lab, times each tool with bench_measure and
# records one row per run with bench_record under its own "## <section>" in bench/RESULTS.md.
#
# Safety: everything runs inside the namespaces tests/net/lab.sh creates (192.0.2.0/24,
# 2001:db8::/64, no route out). Never point a benchmark anywhere else.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_ROOT=$(dirname "$BENCH_DIR")
BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}
LAB_PREFIX=${LAB_PREFIX:-psbench$$}
. "$BENCH_ROOT/tests/net/lab.sh"

# The reference port lab, shared by every section so the numbers compare:
# 17 listening ports, 1100 silently dropped, 5 rejected with ICMP admin-prohibited, the rest
# closed (kernel RST). The truth is in BENCH_OPEN, BENCH_CLOSED, BENCH_FILTERED.
BENCH_OPEN_PORTS="1 7 22 80 443 1023 1024 3306 5432 8080 8443 20000 31337 40000 50000 60999 65535"
BENCH_REJECTED_PORTS="23 139 445 3389 5900"
BENCH_DROPPED_RANGES="10000-10999, 62000-62099"
BENCH_OPEN=17
BENCH_FILTERED=$((1100 + 5))
BENCH_CLOSED=$((65535 - BENCH_OPEN - BENCH_FILTERED))

die() {
	echo "bench: $*" >&2
	exit 1
}

# bench_port_lab LISTEN_BINARY: lab_init plus the reference target.
bench_port_lab() {
	lab_init || die "cannot create the namespace lab"
	# Per-peer ICMP rate limiting would hide admin-prohibited answers from every tool alike.
	lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
	lab_nft "$LAB_T" "table inet bench_filter {
		set dropped { type inet_service; flags interval; elements = { $BENCH_DROPPED_RANGES } }
		set rejected { type inet_service; elements = { ${BENCH_REJECTED_PORTS// /, } } }
		chain in { type filter hook input priority 0; policy accept;
			tcp dport @dropped drop
			meta nfproto ipv4 tcp dport @rejected reject with icmp type admin-prohibited
			meta nfproto ipv6 tcp dport @rejected reject with icmpv6 type admin-prohibited
		}
	}" || die "cannot load the target's ruleset"
	lab_spawn "$LAB_T" "$1" $BENCH_OPEN_PORTS >/dev/null
	lab_wait_port "$LAB_T" 127.0.0.1 65535 || die "the listener did not start"
}

# bench_loss PERCENT: random loss each way (0 removes it).
bench_loss() {
	local ns
	for ns in "$LAB_S" "$LAB_T"; do
		ip netns exec "$ns" nft delete table inet lab_loss 2>/dev/null
		[ "$1" = 0 ] || lab_loss "$ns" "$1" || die "cannot add loss"
	done
}

# bench_measure CMD...: runs CMD under GNU time; sets BENCH_WALL (s) and BENCH_RSS (KiB) and
# returns CMD's exit code. CMD's stdout goes where the caller sends it.
bench_measure() {
	local tv rc
	# Every measured command runs in the scanner namespace: check it is sealed first.
	lab_guard "$LAB_S" || return 97
	tv=$(mktemp)
	/usr/bin/time -v -o "$tv" "$@"
	rc=$?
	BENCH_RSS=$(sed -n 's/^\tMaximum resident set size (kbytes): //p' "$tv")
	BENCH_WALL=$(sed -n 's/^\tElapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tv" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }')
	rm -f "$tv"
	return $rc
}

bench_ratio() { # bench_ratio A B: A / B with two decimals
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

bench_machine() {
	local cpu
	cpu=$(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1)
	echo "${cpu:-unknown cpu}, $(nproc) cores, Linux $(uname -r)"
}

# bench_record SECTION INTRO HEADER ROW: appends ROW (a markdown table row) to the table under
# "## SECTION" in RESULTS.md, creating the section (INTRO paragraph, HEADER row) if needed.
# Other sections are left as they are.
bench_record() {
	python3 - "$BENCH_RESULTS" "$@" <<'PY'
import os, sys
path, section, intro, header, row = sys.argv[1:6]
text = open(path).read() if os.path.exists(path) else \
    "# Benchmarks\n\nWritten by `bench/run.sh BUILD_DIR` (root); one section per script.\n"
lines = text.rstrip("\n").split("\n")
title = "## " + section
if title not in lines:
    ncols = header.count("|") - 1
    lines += ["", title, "", intro, "", header, "|" + "---|" * ncols]
start = lines.index(title)
end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
last_row = max(i for i in range(start, end) if lines[i].startswith("|"))
lines.insert(last_row + 1, row)
open(path, "w").write("\n".join(lines) + "\n")
PY
}
