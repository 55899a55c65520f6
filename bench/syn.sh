#!/bin/bash
# bench/syn.sh BUILD_DIR: the raw SYN engine side by side with nmap -sS, masscan and zmap, on
# namespace labs this script builds (tests/net/lab.sh: 192.0.2.0/24, 198.18.0.0/16 behind the
# target, no route out). One run of each; wall time and peak RSS from GNU time, and whether
# each tool found what the lab holds. Rows go to the "## SYN scan" section of bench/RESULTS.md.
#
#   single host, all 65535 ports: portsight --syn, nmap -sS -T4 -p- -n -Pn, masscan (at the
#     fastest rate of a short sweep that still finds every open port)
#   the same with 1% random loss each way: portsight, nmap
#   198.18.0.0/16 (AnyIP; 3000 answering hosts, 200 answering on 443 only, the rest dark):
#     one port (443): portsight, zmap, masscan; 16 ports: portsight, masscan
set -u
build=${1:-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
ps=$(realpath "$build/src/cli/portsight")
listen=$(realpath "$build/tests/net/lab_listen")
results=${BENCH_RESULTS:-$here/RESULTS.md}
truth_py=$root/tests/net/syn_truth.py
LAB_PREFIX=synbench$$
. "$root/tests/net/lab.sh"
tmp=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$tmp"' EXIT

die() {
	echo "bench/syn: $*" >&2
	exit 1
}
[ -x "$ps" ] && [ -x "$listen" ] || die "build first: $ps, $listen"
have() { command -v "$1" >/dev/null; }

# The reference port lab (the same shape as bench/lib.sh's, so sections compare).
OPEN_PORTS="1 7 22 80 443 1023 1024 3306 5432 8080 8443 20000 31337 40000 50000 60999 65535"
REJECTED_PORTS="23 139 445 3389 5900"
DROPPED="10000-10999, 62000-62099"
N_OPEN=17
N_FILTERED=$((1100 + 5))
N_CLOSED=$((65535 - N_OPEN - N_FILTERED))

lab_init || die "cannot create the lab"
# Per-peer ICMP rate limiting would hide admin-prohibited answers from every tool alike.
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
	net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000
lab_nft "$LAB_T" "table inet bench_filter {
	set dropped { type inet_service; flags interval; elements = { $DROPPED } }
	set rejected { type inet_service; elements = { ${REJECTED_PORTS// /, } } }
	chain in { type filter hook input priority 0; policy accept;
		ip daddr 198.18.0.0/16 accept
		tcp dport @dropped drop
		tcp dport @rejected reject with icmpx type admin-prohibited
	}
}" || die "cannot load the target ruleset"
lab_spawn "$LAB_T" "$listen" $OPEN_PORTS >/dev/null
lab_wait_port "$LAB_T" $LAB_V4_T 65535 || die "listener did not start"
TARGET_MAC=$(ip -n "$LAB_T" -br link show vt | awk '{print $3}')
# One connection from the scanner fills its neighbour cache, so no tool pays for ARP alone.
lab_wait_port "$LAB_S" $LAB_V4_T 22 || die "the target is not reachable"
lab_wait_port "$LAB_S" $LAB_V6_T 22 || die "the target is not reachable over IPv6"
S="ip netns exec $LAB_S"

# measure NAME CMD...: GNU time around CMD (stdout to $tmp/NAME.out); sets WALL and RSS_MB.
measure() {
	local name=$1
	shift
	lab_guard "$LAB_S" || return 97 # $S enters it; check it is sealed first
	/usr/bin/time -f '%e %M' -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	local rc=$?
	WALL=$(tail -n 1 "$tmp/$name.time" | awk '{print $1}')
	RSS_KB=$(tail -n 1 "$tmp/$name.time" | awk '{print $2}')
	RSS_MB=$(awk -v k="$RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }')
	return $rc
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }

ROWS=()
row() { # row CASE TOOL COMMAND FOUND NOTE [BASE_WALL]
	local vs="1.0x"
	[ -n "${6:-}" ] && vs=$(ratio "$WALL" "$6")
	ROWS+=("| $1 | $2 | \`$3\` | $WALL | $RSS_MB | $4 | $vs | $5 |")
	echo "$1 / $2: ${WALL}s, ${RSS_MB} MiB, found $4 ($5), vs portsight $vs" >&2
}

# jsonl_counts FILE: "open closed filtered" from portsight's JSON Lines summary.
jsonl_counts() {
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l)
    if "summary" in r:
        s=r["summary"]; print(s["open"], s["closed"], s["filtered"])' "$1"
}

# text_counts FILE: open closed filtered from the text report's closing line.
text_counts() {
	sed -n 's/.* ports scanned in [0-9.]*s: \([0-9]*\) open, \([0-9]*\) closed, \([0-9]*\) filtered$/\1 \2 \3/p' "$1" | tail -1
}

# What a user gets by default: no engine flag (SYN as root), the text report, the history on
# (a fresh default database under a scratch XDG_STATE_HOME).
default_row() { # default_row CASE PORTS TARGET TRUTH_COUNTS BASE
	local counts exact
	rm -rf "$tmp/state"
	measure psdef env XDG_STATE_HOME="$tmp/state" $S "$ps" scan -p "$2" "$3"
	counts=$(text_counts "$tmp/psdef.out")
	exact="exact"
	[ -z "$4" ] || [ "$counts" = "$4" ] || exact="NOT exact: $counts"
	row "$1" "portsight (defaults)" "portsight scan -p $2 $3" "${counts%% *} open" \
		"history on, text report; open/closed/filtered $exact" "$5"
}

# --- single host, all ports -------------------------------------------------------------------
single_host() { # single_host CASE
	local c=$1 counts base exact
	measure ps $S "$ps" scan --syn --no-db -p- --format jsonl $LAB_V4_T
	counts=$(jsonl_counts "$tmp/ps.out")
	exact="exact"
	[ "$counts" = "$N_OPEN $N_CLOSED $N_FILTERED" ] || exact="NOT exact: $counts"
	base=$WALL
	row "$c" portsight "portsight scan --syn --no-db -p- $LAB_V4_T" "${counts%% *}/$N_OPEN open" \
		"open/closed/filtered $exact"
	if have nmap; then
		# nmap backs off hard on random loss; the cap keeps the bench bounded.
		measure nmap timeout 600 $S nmap -sS -T4 -p- -n -Pn $LAB_V4_T
		local nopen nclosed
		nopen=$(grep -c '^[0-9]*/tcp  *open ' "$tmp/nmap.out")
		nclosed=$(grep -o '[0-9]* closed tcp ports' "$tmp/nmap.out" | tr -dc 0-9)
		row "$c" nmap "nmap -sS -T4 -p- -n -Pn" "$nopen/$N_OPEN open" \
			"closed ${nclosed:-?} (truth $N_CLOSED)" "$base"
	fi
	default_row "$c" - $LAB_V4_T "$N_OPEN $N_CLOSED $N_FILTERED" "$base"
	SINGLE_BASE=$base
}

single_host "1 host x 65535 ports"

MASSCAN_RATE=""
# masscan runs its own TCP stack; with the kernel's own address as source it lost open ports
# at every rate here (the kernel's RSTs race it), so it gets an address of its own, as its
# documentation recommends (it answers ARP for it itself).
MASSCAN_SRC=192.0.2.100
if have masscan; then
	# Fastest rate of the sweep that still finds every open port (masscan reports open only).
	best_wall="" best_rss="" best_rate="" misses=""
	for rate in 100000 250000 1000000; do
		measure masscan $S masscan -p1-65535 $LAB_V4_T --rate $rate --wait 1 \
			--router-mac "$TARGET_MAC" --adapter vs --source-ip $MASSCAN_SRC -oL "$tmp/m.txt"
		found=$(grep -c '^open' "$tmp/m.txt" 2>/dev/null)
		echo "masscan --rate $rate: ${WALL}s, $found/$N_OPEN open" >&2
		if [ "$found" = "$N_OPEN" ]; then
			if [ -z "$best_wall" ] || awk -v a="$WALL" -v b="$best_wall" 'BEGIN{exit !(a<b)}'
			then
				best_wall=$WALL best_rss=$RSS_MB best_rate=$rate
			fi
		else
			misses="$misses $rate:$found"
		fi
	done
	if [ -n "$best_rate" ]; then
		WALL=$best_wall RSS_MB=$best_rss MASSCAN_RATE=$best_rate
		row "1 host x 65535 ports" masscan \
			"masscan -p1-65535 --rate $best_rate --wait 1 --router-mac MAC" \
			"$N_OPEN/$N_OPEN open" "fastest of rates 100k/250k/1M finding all; missed at:${misses:- none}" \
			"$SINGLE_BASE"
	else
		WALL=0 RSS_MB=0
		row "1 host x 65535 ports" masscan "masscan -p1-65535 --wait 1" "never all" \
			"every rate missed open ports:$misses"
	fi
fi

# --- the same under 1% loss each way ------------------------------------------------------------
# lab_loss drops at the IP input hook, after packet sockets have seen the frame; the target
# therefore also drops 1% of what it sends, so raw scanners feel the loss too.
lab_loss "$LAB_S" 1
lab_loss "$LAB_T" 1
lab_nft "$LAB_T" 'table inet bench_egress_loss {
	chain out { type filter hook output priority -300; policy accept;
		numgen random mod 100 < 1 drop; }
}'
single_host "1 host x 65535 ports, 1% loss each way"
for ns in "$LAB_S" "$LAB_T"; do ip netns exec "$ns" nft delete table inet lab_loss; done
lab_t nft delete table inet bench_egress_loss

# --- a /16 ----------------------------------------------------------------------------------
PORTS16=21,22,23,25,53,80,110,143,443,445,993,995,3306,3389,5432,8080
python3 "$truth_py" gen16 7 3000 200 $PORTS16 "$tmp/16.truth" "$tmp/16.nft" || die "gen16"
lab_t ip route add local 198.18.0.0/16 dev lo
lab_s ip route add 198.18.0.0/16 via $LAB_V4_T
lab_t nft -f "$tmp/16.nft" || die "cannot load the /16 ruleset"
# The /16 hosts need listeners on all 16 ports; the reference listener has a few of them.
lab_spawn "$LAB_T" "$listen" 21 23 25 53 110 143 445 993 995 3389 >/dev/null
lab_wait_port "$LAB_T" $LAB_V4_T 995 || die "listener did not start"
OPEN443=$(grep -c ' 443 open' "$tmp/16.truth")
OPEN16=$(grep -c ' open ' "$tmp/16.truth")

measure ps16a $S "$ps" scan --syn -Pn --no-db -p 443 --format jsonl 198.18.0.0/16
found=$(jsonl_counts "$tmp/ps16a.out" | awk '{print $1}')
base=$WALL
row "/16 x 1 port (443)" portsight "portsight scan --syn -Pn --no-db -p 443 198.18.0.0/16" \
	"$found/$OPEN443 open" "65536 probes + retransmissions"
if have zmap; then
	: >"$tmp/empty.conf"
	# zmap's default blocklist holds 198.18.0.0/15 (benchmarking): give it an empty one.
	measure zmap $S zmap -p 443 198.18.0.0/16 -i vs -G "$TARGET_MAC" -S $LAB_V4_S \
		-r 200000 -c 1 -b "$tmp/empty.conf" -o "$tmp/z.txt"
	row "/16 x 1 port (443)" zmap "zmap -p 443 -r 200000 -c 1 -G MAC -b empty" \
		"$(sort -u "$tmp/z.txt" | wc -l)/$OPEN443 open" "cooldown 1 s (default 8)" "$base"
fi
if [ -n "$MASSCAN_RATE" ]; then
	measure masscan16a $S masscan -p443 198.18.0.0/16 --rate $MASSCAN_RATE --wait 1 \
		--router-mac "$TARGET_MAC" --adapter vs --source-ip $MASSCAN_SRC -oL "$tmp/m16a.txt"
	row "/16 x 1 port (443)" masscan "masscan -p443 --rate $MASSCAN_RATE --wait 1" \
		"$(grep -c '^open' "$tmp/m16a.txt")/$OPEN443 open" "rate from the sweep" "$base"
fi

measure ps16 $S "$ps" scan --syn -Pn --no-db -p $PORTS16 --format jsonl --show all 198.18.0.0/16
python3 "$truth_py" check "$tmp/ps16.out" "$tmp/16.truth" 65536 $PORTS16 exact >"$tmp/ps16.chk"
found=$(jsonl_counts "$tmp/ps16.out" | awk '{print $1}')
base=$WALL
row "/16 x 16 ports" portsight "portsight scan --syn -Pn --no-db -p <16 ports> 198.18.0.0/16" \
	"$found/$OPEN16 open" "every pair checked: $(tail -n 1 "$tmp/ps16.chk")"
default_row "/16 x 16 ports" $PORTS16 198.18.0.0/16 "" "$base"
if [ -n "$MASSCAN_RATE" ]; then
	measure masscan16 $S masscan -p$PORTS16 198.18.0.0/16 --rate $MASSCAN_RATE --wait 1 \
		--router-mac "$TARGET_MAC" --adapter vs --source-ip $MASSCAN_SRC -oL "$tmp/m16.txt"
	row "/16 x 16 ports" masscan "masscan -p<16 ports> --rate $MASSCAN_RATE --wait 1" \
		"$(grep -c '^open' "$tmp/m16.txt")/$OPEN16 open" "rate from the sweep" "$base"
fi

# --- record -----------------------------------------------------------------------------------
python3 - "$results" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	"$(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1), $(nproc) cores, Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)" \
	"${ROWS[@]}" <<'PY'
import os, sys
path, when, machine, rows = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
lines = text.rstrip("\n").split("\n")
title = "## SYN scan"
header = ["| case | tool | command | wall s | peak RSS MiB | found | time vs portsight | notes |",
          "|---|---|---|---|---|---|---|---|"]
if title not in lines:
    lines += ["", title, "",
              "`bench/syn.sh BUILD_DIR`: one run per tool on namespace labs (veth, no route out). "
              "Single host: 17 open, 1105 filtered (1100 dropped, 5 ICMP admin-prohibited), the "
              "rest closed. /16: 198.18.0.0/16 AnyIP behind the target, 3000 hosts answering on "
              "16 ports (8% open, 2% admin-prohibited), 200 answering on 443 only, the rest dark. "
              "\"time vs portsight\" is the tool's wall time over portsight's in the same case "
              "(above 1 means portsight was faster). portsight runs with --no-db (the other tools keep "
              "no history; recording 65535 rows in SQLite adds about 0.2 s).",
              "",
              "Notes: masscan gets a source address of its own (192.0.2.100, which it answers ARP for): with the kernel's address it lost open ports at every rate; its wall time includes an end-of-scan stall past --wait (its status line counts negative seconds). nmap under random loss slows down by design (its congestion control takes drops for congestion) and still gets the exact answer. zmap sends one port per run. portsight sends from two threads where it has two CPUs; the kernel's per-probe work (and on these labs, the target's) is most of its CPU time."]
start = lines.index(title)
end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
block = ["", f"Run of {when} on {machine}:", ""] + header + rows
lines[end:end] = block
open(path, "w").write("\n".join(lines) + "\n")
PY
echo "bench/syn: results appended to $results" >&2
