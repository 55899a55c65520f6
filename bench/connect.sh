#!/bin/bash
# bench/connect.sh BUILD_DIR: portsight's connect scan against `nmap -sT -T4 -p- -n -Pn` on the
# reference 65535-port lab (bench/lib.sh), clean and with 1% random loss each way. Both tools
# run alternately, BENCH_RUNS times each on the clean path (default 3) and BENCH_LOSS_RUNS times
# with loss (default 1: nmap needs minutes there); the median wall time and the largest peak RSS
# are recorded, and the counts of every run are checked against the lab's truth.
set -u
BUILD=$(cd "${1:?usage: bench/connect.sh BUILD_DIR}" && pwd)
. "$(dirname "$0")/lib.sh"
PORTSIGHT=$BUILD/src/cli/portsight
LISTEN=$BUILD/tests/net/lab_listen
RUNS=${BENCH_RUNS:-3}
LOSS_RUNS=${BENCH_LOSS_RUNS:-1}
SECTION="connect scan: portsight -sT vs nmap -sT"
INTRO="65535 TCP ports of one namespace target: 17 open, 1100 silently dropped, 5 rejected with ICMP admin-prohibited, 64413 closed. \`portsight scan -sT -p 1-65535\` as a user gets it (history recorded into a fresh default database, the text report; rows before 2026-12-01 used \`--no-db --format jsonl\`) vs \`nmap -sT -T4 -p- -n -Pn -oX\`, alternately (runs = how many times each), median wall time, largest peak RSS (GNU time). counts = open/closed/filtered, checked against the lab's truth. speedup = nmap time / portsight time."
HEADER="| date (UTC) | machine | loss each way | runs | portsight s | portsight RSS MiB | portsight counts | nmap s | nmap RSS MiB | nmap counts | speedup |"

[ -x "$PORTSIGHT" ] || die "no $PORTSIGHT (build first)"
[ -x "$LISTEN" ] || die "no $LISTEN (build with tests enabled)"
command -v nmap >/dev/null || die "nmap is missing (scripts/bootstrap installs it)"
[ -x /usr/bin/time ] || die "GNU time is missing (scripts/bootstrap installs it)"

bench_port_lab "$LISTEN"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; lab_cleanup' EXIT
TRUTH="$BENCH_OPEN/$BENCH_CLOSED/$BENCH_FILTERED"

portsight_counts() { # open/closed/filtered from the text report's closing line
	sed -n 's/.* ports scanned in [0-9.]*s: \([0-9]*\) open, \([0-9]*\) closed, \([0-9]*\) filtered$/\1\/\2\/\3/p' "$1" |
		tail -1
}

nmap_counts() { # open/closed/filtered from nmap's XML: listed ports plus "extraports"
	python3 -c '
import collections, sys, xml.etree.ElementTree as ET
n = collections.Counter()
root = ET.parse(sys.argv[1]).getroot()
for e in root.iter("extraports"):
    n[e.get("state")] += int(e.get("count"))
for p in root.iter("port"):
    n[p.find("state").get("state")] += 1
print("%d/%d/%d" % (n["open"], n["closed"], n["filtered"]))' "$1"
}

median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mib() { tr ' ' '\n' | sort -n | tail -1 | awk '{ printf "%.1f", $1 / 1024 }'; }
mark() { [ "$1" = "$TRUTH" ] && echo "$1 exact" || echo "**$1 WRONG**"; }

for loss in 0 1; do
	bench_loss "$loss"
	ps_t="" ps_r="" nm_t="" nm_r="" ps_c="" nm_c=""
	runs=$RUNS
	[ "$loss" = 0 ] || runs=$LOSS_RUNS
	for i in $(seq "$runs"); do
		rm -rf "$WORK/state"
		XDG_STATE_HOME=$WORK/state bench_measure ip netns exec "$LAB_S" "$PORTSIGHT" scan -sT \
			-p 1-65535 "$LAB_V4_T" >"$WORK/ps.txt" || die "portsight failed"
		ps_t="$ps_t $BENCH_WALL" ps_r="$ps_r $BENCH_RSS"
		c=$(portsight_counts "$WORK/ps.txt")
		[ -z "$ps_c" ] || [ "$c" != "$TRUTH" ] && ps_c=$c
		bench_measure ip netns exec "$LAB_S" nmap -sT -T4 -p- -n -Pn -oX "$WORK/nmap.xml" \
			"$LAB_V4_T" >/dev/null || die "nmap failed"
		nm_t="$nm_t $BENCH_WALL" nm_r="$nm_r $BENCH_RSS"
		c=$(nmap_counts "$WORK/nmap.xml")
		[ -z "$nm_c" ] || [ "$c" != "$TRUTH" ] && nm_c=$c
		echo "loss $loss% run $i: portsight $(echo $ps_t | awk '{print $NF}') s ($ps_c)," \
			"nmap $(echo $nm_t | awk '{print $NF}') s ($nm_c)" >&2
	done
	ps_med=$(echo $ps_t | median)
	nm_med=$(echo $nm_t | median)
	row="| $(date -u '+%Y-%m-%d %H:%M') | $(bench_machine) | $loss% | $runs | $ps_med | $(echo $ps_r | mib)"
	row="$row | $(mark "$ps_c") | $nm_med | $(echo $nm_r | mib) | $(mark "$nm_c")"
	row="$row | $(bench_ratio "$nm_med" "$ps_med")x |"
	bench_record "$SECTION" "$INTRO" "$HEADER" "$row"
	echo "$row"
done
