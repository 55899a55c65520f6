#!/bin/bash
# bench/history.sh BUILD_DIR: what recording a scan in the history costs. Side by side in one
# run, on the namespace labs of bench/syn.sh (tests/net/lab.sh, no route out):
#
#   1 host x 65535 ports: portsight scan --syn -p- with the default history (a fresh --db
#     file in a temp dir, what a user gets) and with --no-db
#   198.18.0.0/16 x 16 ports (AnyIP, 3000 answering hosts): the same two
#   database growth: the file size after N scans of each case into one file, / N
#
# Each pair runs alternately BENCH_HISTORY_RUNS times (default 5); the minimum wall time counts
# (other work on shared cores only adds to it), with the median and CPU time beside it.
# Rows go to the "## History" section of bench/RESULTS.md; BENCH_LABEL names the build in them
# (e.g. "main" for a before/after comparison; default: git describe of the tree).
set -u
build=${1:-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
ps=$(realpath "$build/src/cli/portsight")
listen=$(realpath "$build/tests/net/lab_listen")
truth_py=$root/tests/net/syn_truth.py
runs=${BENCH_HISTORY_RUNS:-5}
label=${BENCH_LABEL:-$(git -C "$root" describe --always --dirty 2>/dev/null || echo "?")}
LAB_PREFIX=histbench$$
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$tmp"' EXIT
[ -x "$ps" ] && [ -x "$listen" ] || die "build first: $ps, $listen"

# The reference host of bench/syn.sh, with the /16 behind it passed through its filter.
DROPPED="10000-10999, 62000-62099"
lab_init || die "cannot create the lab"
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
	net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000
lab_nft "$LAB_T" "table inet bench_filter {
	set dropped { type inet_service; flags interval; elements = { $DROPPED } }
	set rejected { type inet_service; elements = { ${BENCH_REJECTED_PORTS// /, } } }
	chain in { type filter hook input priority 0; policy accept;
		ip daddr 198.18.0.0/16 accept
		tcp dport @dropped drop
		tcp dport @rejected reject with icmpx type admin-prohibited
	}
}" || die "cannot load the target ruleset"
lab_spawn "$LAB_T" "$listen" $BENCH_OPEN_PORTS >/dev/null
lab_wait_port "$LAB_T" $LAB_V4_T 65535 || die "listener did not start"
lab_wait_port "$LAB_S" $LAB_V4_T 22 || die "the target is not reachable"

PORTS16=21,22,23,25,53,80,110,143,443,445,993,995,3306,3389,5432,8080
python3 "$truth_py" gen16 7 3000 200 $PORTS16 "$tmp/16.truth" "$tmp/16.nft" || die "gen16"
lab_t ip route add local 198.18.0.0/16 dev lo
lab_s ip route add 198.18.0.0/16 via $LAB_V4_T
lab_t nft -f "$tmp/16.nft" || die "cannot load the /16 ruleset"
lab_spawn "$LAB_T" "$listen" 21 23 25 53 110 143 445 993 995 3389 >/dev/null
lab_wait_port "$LAB_T" $LAB_V4_T 995 || die "listener did not start"

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
minimum() { sort -g | head -n 1; }
db_bytes() { # db_bytes FILE: the database with its WAL, as it sits on disk
	local total=0 f
	for f in "$1" "$1-wal"; do
		[ -e "$f" ] && total=$((total + $(stat -c %s "$f")))
	done
	echo $total
}

# timed CMD...: GNU time around CMD in the (checked) scanner namespace; sets WALL, CPU (user +
# system s) and RSS_KB. On 2 shared cores other work only ever adds wall time, so the
# minimum of the runs is the estimate of what a scan costs, and CPU time the cross-check.
timed() {
	lab_guard "$LAB_S" || return 97
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" ip netns exec "$LAB_S" "$@" \
		>"$tmp/out" 2>"$tmp/err"
	local rc=$?
	read -r WALL user sys RSS_KB <"$tmp/time"
	CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	return $rc
}

# pair CASE TARGET PORTS: alternating runs of --no-db and a fresh history; sets NODB_MIN,
# NODB_MED, HIST_MIN, HIST_MED (wall s), NODB_CPU, HIST_CPU (median s) and HIST_RSS (KiB).
pair() {
	local c=$1 target=$2 ports=$3 i
	local nodb=() hist=() nodb_cpu=() hist_cpu=() rss=()
	for i in $(seq "$runs"); do
		timed "$ps" scan --syn -Pn --no-db -p "$ports" "$target" ||
			die "$c --no-db: $(tail -n 1 "$tmp/err")"
		nodb+=("$WALL") nodb_cpu+=("$CPU")
		rm -rf "$tmp/fresh" && mkdir "$tmp/fresh"
		timed "$ps" scan --syn -Pn --db "$tmp/fresh/history.db" -p "$ports" "$target" ||
			die "$c history: $(tail -n 1 "$tmp/err")"
		hist+=("$WALL") hist_cpu+=("$CPU") rss+=("$RSS_KB")
		echo "$c run $i: --no-db ${nodb[-1]} s (cpu ${nodb_cpu[-1]}), history ${hist[-1]} s (cpu ${hist_cpu[-1]})" >&2
	done
	NODB_MIN=$(printf '%s\n' "${nodb[@]}" | minimum)
	NODB_MED=$(printf '%s\n' "${nodb[@]}" | median)
	HIST_MIN=$(printf '%s\n' "${hist[@]}" | minimum)
	HIST_MED=$(printf '%s\n' "${hist[@]}" | median)
	NODB_CPU=$(printf '%s\n' "${nodb_cpu[@]}" | median)
	HIST_CPU=$(printf '%s\n' "${hist_cpu[@]}" | median)
	HIST_RSS=$(printf '%s\n' "${rss[@]}" | median)
}

# growth TARGET PORTS N: bytes per scan after N scans into one new file. A scan leaves its
# WAL for later (bounded, 1 MiB); the history listing after them folds it in on close, as any
# user's `portsight history` does, so what is measured is what stays.
growth() {
	local i db=$tmp/growth.db
	rm -f "$db" "$db-wal" "$db-shm"
	for i in $(seq "$3"); do
		lab_s "$ps" scan --syn -Pn --db "$db" -p "$2" "$1" >/dev/null 2>&1 || die "growth scan"
	done
	"$ps" history --db "$db" >/dev/null || die "history"
	echo $(($(db_bytes "$db") / $3))
}

ROWS=()
measure_case() { # measure_case CASE TARGET PORTS PORTS_SHOWN N_GROWTH
	local per
	pair "$1" "$2" "$3"
	per=$(growth "$2" "$3" "$5")
	ROWS+=("| $1 | $label | \`portsight scan --syn -p $4 $2\` | $NODB_MIN / $NODB_MED | $HIST_MIN / $HIST_MED | $(bench_ratio "$HIST_MIN" "$NODB_MIN")x | $NODB_CPU / $HIST_CPU ($(bench_ratio "$HIST_CPU" "$NODB_CPU")x) | $(awk -v b="$per" 'BEGIN { printf "%.1f", b / 1024 }') | $(awk -v k="$HIST_RSS" 'BEGIN { printf "%.1f", k / 1024 }') |")
	echo "$1: --no-db $NODB_MIN/$NODB_MED s, history $HIST_MIN/$HIST_MED s, cpu $NODB_CPU/$HIST_CPU s, $per bytes per scan" >&2
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
measure_case "1 host x 65535 ports" $LAB_V4_T - - 5
measure_case "/16 x 16 ports" 198.18.0.0/16 $PORTS16 "<16 ports>" 3

section="History"
intro="\`bench/history.sh BUILD_DIR\`: the cost of recording a scan in the history database, on the namespace labs of bench/syn.sh (single host: 17 open, 1105 filtered, the rest closed; /16: 198.18.0.0/16 AnyIP, 3000 answering hosts on 16 ports, 200 on 443 only, the rest dark). \"history\" is the default recording into a fresh \`--db\` file in a temp dir, \"--no-db\" records nothing; alternating runs. The machine's 2 cores are shared, so other work only adds wall time: the minimum is the estimate, the median and the CPU time (user + system, GNU time) show the spread. growth = database size (with its WAL) after N scans into one file and a \`portsight history\` (which folds the WAL in), / N (N = 5 single-host, 3 /16)."
header="| case | build | command | --no-db wall s (min / median) | history wall s (min / median) | history / --no-db (min) | CPU s --no-db / history (median) | growth KiB per scan | history peak RSS MiB |"
for r in "${ROWS[@]}"; do
	bench_record "$section" "$intro" "$header" "$r"
done
note="Run of $(date -u '+%Y-%m-%d %H:%M UTC'), build $label, $runs runs per pair: $(bench_machine), load before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)."
python3 - "$BENCH_RESULTS" "## $section" "$note" <<'PY'
import sys
path, title, note = sys.argv[1:4]
lines = open(path).read().rstrip("\n").split("\n")
start = lines.index(title)
end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
while end > start and not lines[end - 1].strip():
    end -= 1
lines[end:end] = [note] if lines[end - 1].startswith("Run of") else ["", note]
open(path, "w").write("\n".join(lines) + "\n")
PY
echo "bench/history: results appended to $BENCH_RESULTS" >&2
