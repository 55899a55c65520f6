#!/bin/bash
# bench/discovery.sh BUILD_DIR: host discovery on a sparse network. 198.18.0.0/16 behind the
# target namespace (AnyIP), 5% of the addresses live (3277 hosts: 8% of their 16 ports open,
# 2% ICMP admin-prohibited, the rest closed with RST, one host answering on 443 only; they
# answer ping like any Linux host), the other 95% dropped without a word by nftables, as a
# dark address is. 16 TCP ports.
#   portsight with its default discovery (a network: echo, SYN 443, ACK 80, timestamp, then
#   the port scan of the hosts up) against portsight -Pn (every pair probed), and nmap -sS
#   (its own discovery) when installed; each checked: every open pair of the live hosts
#   found. Goal (issue 10): discovery in at most 1/3 of the -Pn time.
# Rows go to the "## Host discovery" section of bench/RESULTS.md.
set -u
build=${1:-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
ps=$(realpath "$build/src/cli/portsight")
listen=$(realpath "$build/tests/net/lab_listen")
results=${BENCH_RESULTS:-$here/RESULTS.md}
truth_py=$root/tests/net/syn_truth.py
LAB_PREFIX=dscbench$$
. "$root/tests/net/lab.sh"
tmp=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$tmp"' EXIT
RUNS=${DISCOVERY_RUNS:-3}

die() {
	echo "bench/discovery: $*" >&2
	exit 1
}
[ -x "$ps" ] && [ -x "$listen" ] || die "build first: $ps, $listen"
have() { command -v "$1" >/dev/null; }

PORTS16=21,22,23,25,53,80,110,143,443,445,993,995,3306,3389,5432,8080
NLIVE=3276 # with the one below, 3277: 5% of 65536

lab_init || die "cannot create the lab"
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
	net.ipv4.icmp_msgs_burst=1000000
python3 "$truth_py" gen16 11 $NLIVE 1 $PORTS16 "$tmp/16.truth" "$tmp/16.nft" || die "gen16"
lab_t ip route add local 198.18.0.0/16 dev lo
lab_s ip route add 198.18.0.0/16 via $LAB_V4_T
lab_t nft -f "$tmp/16.nft" || die "cannot load the /16 ruleset"
lab_spawn "$LAB_T" "$listen" ${PORTS16//,/ } >/dev/null
lab_wait_port "$LAB_T" $LAB_V4_T 8080 || die "listener did not start"
lab_wait_port "$LAB_S" $LAB_V4_T 22 || die "the target is not reachable"
OPEN16=$(grep -c ' open ' "$tmp/16.truth")
S="ip netns exec $LAB_S"

# measure NAME CMD...: GNU time around CMD (stdout to $tmp/NAME.out); sets WALL and RSS_MB.
measure() {
	local name=$1
	shift
	lab_guard "$LAB_S" || return 97
	/usr/bin/time -f '%e %M %U %S' -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	local rc=$?
	WALL=$(tail -n 1 "$tmp/$name.time" | awk '{print $1}')
	CPU=$(tail -n 1 "$tmp/$name.time" | awk '{printf "%.2f", $3 + $4}')
	RSS_MB=$(awk -v k="$(tail -n 1 "$tmp/$name.time" | awk '{print $2}')" \
		'BEGIN { printf "%.1f", k / 1024 }')
	return $rc
}

# open_found FILE: how many of the truth's open pairs portsight's JSON Lines lists as open.
open_found() {
	python3 - "$tmp/16.truth" "$1" <<'PY'
import json, sys
want = {(l.split()[0], int(l.split()[1])) for l in open(sys.argv[1]) if " open " in l}
got = set()
for line in open(sys.argv[2]):
    r = json.loads(line)
    if "port" in r and r["state"] == "open":
        got.add((r["ip"], r["port"]))
print(len(want & got), len(got - want))
PY
}

# nmap_found FILE: the same from nmap's grepable output.
nmap_found() {
	python3 - "$tmp/16.truth" "$1" <<'PY'
import re, sys
want = {(l.split()[0], int(l.split()[1])) for l in open(sys.argv[1]) if " open " in l}
got = set()
for line in open(sys.argv[2]):
    m = re.match(r"Host: (\S+) .*Ports: (.*)", line)
    if m:
        for p in m.group(2).split(", "):
            f = p.split("/")
            if len(f) > 1 and f[1] == "open":
                got.add((m.group(1), int(f[0])))
print(len(want & got), len(got - want))
PY
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

ROWS=()
row() { # row TOOL COMMAND WALL RSS FOUND NOTE
	ROWS+=("| $1 | \`$2\` | $3 | $4 | $5 | $6 |")
	echo "$1: ${3}s, ${4} MiB, $5 ($6)" >&2
}

# run_ps NAME ARGS...: RUNS alternating-order runs; sets MED (median wall), FOUND, FALSE, RSS.
declare -A WALLS CPUS
ps_run() {
	local name=$1 found
	shift
	measure "$name" $S "$ps" scan --syn --no-db -p $PORTS16 --format jsonl "$@" 198.18.0.0/16 ||
		die "$name: portsight failed: $(tail -2 "$tmp/$name.err")"
	WALLS[$name]="${WALLS[$name]:-} $WALL"
	CPUS[$name]="${CPUS[$name]:-} $CPU"
	found=$(open_found "$tmp/$name.out")
	[ "${found%% *}" = "$OPEN16" ] && [ "${found##* }" = 0 ] ||
		echo "bench/discovery: $name found ${found%% *}/$OPEN16 open, ${found##* } false" >&2
	eval "FOUND_$name='$found'"
	eval "RSS_$name='$RSS_MB'"
}
for i in $(seq "$RUNS"); do
	# Alternate the order: a loaded machine slows whichever runs second.
	if [ $((i % 2)) = 1 ]; then ps_run disc; ps_run pn -Pn; else ps_run pn -Pn; ps_run disc; fi
done
disc_wall=$(tr ' ' '\n' <<<"${WALLS[disc]}" | grep . | median)
pn_wall=$(tr ' ' '\n' <<<"${WALLS[pn]}" | grep . | median)
ratio=$(awk -v a="$disc_wall" -v b="$pn_wall" 'BEGIN { printf "%.2f", a / b }')
# CPU time (user + system) says the same with less of the other tenants' noise.
disc_cpu=$(tr ' ' '\n' <<<"${CPUS[disc]}" | grep . | median)
pn_cpu=$(tr ' ' '\n' <<<"${CPUS[pn]}" | grep . | median)
cpu_ratio=$(awk -v a="$disc_cpu" -v b="$pn_cpu" 'BEGIN { printf "%.2f", a / b }')
up=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if "summary" in r: print(r["summary"].get("hosts_up"), r["summary"].get("hosts_down"))' \
	"$tmp/disc.out")
row "portsight (default discovery)" "portsight scan --syn --no-db -p <16 ports> 198.18.0.0/16" \
	"$disc_wall" "$RSS_disc" "${FOUND_disc%% *}/$OPEN16 open, ${FOUND_disc##* } false" \
	"median of $RUNS (walls:${WALLS[disc]}); hosts up/down: ${up/ //}; $ratio of the -Pn time (goal <= 0.33); CPU ${disc_cpu} s, $cpu_ratio of -Pn's"
row "portsight -Pn" "portsight scan --syn -Pn --no-db -p <16 ports> 198.18.0.0/16" \
	"$pn_wall" "$RSS_pn" "${FOUND_pn%% *}/$OPEN16 open, ${FOUND_pn##* } false" \
	"median of $RUNS (walls:${WALLS[pn]}); every pair probed; CPU ${pn_cpu} s"
if have nmap; then
	measure nmap timeout 900 $S nmap -sS -n -T4 --min-rate 20000 -p $PORTS16 -oG "$tmp/nmap.gnmap" \
		198.18.0.0/16
	found=$(nmap_found "$tmp/nmap.gnmap")
	nup=$(grep -o '([0-9]* hosts up)' "$tmp/nmap.out" | tr -dc 0-9)
	row "nmap -sS (its discovery)" "nmap -sS -n -T4 --min-rate 20000 -p <16 ports> 198.18.0.0/16" \
		"$WALL" "$RSS_MB" "${found%% *}/$OPEN16 open, ${found##* } false" \
		"one run; hosts up: ${nup:-?}; $(awk -v a="$WALL" -v b="$disc_wall" 'BEGIN { printf "%.1fx", a / b }') portsight's discovery time"
fi

python3 - "$results" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	"$(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1), $(nproc) cores, Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)" \
	"${ROWS[@]}" <<'PY'
import os, sys
path, when, machine, rows = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
lines = text.rstrip("\n").split("\n")
title = "## Host discovery"
header = ["| tool | command | wall s | peak RSS MiB | found | notes |",
          "|---|---|---|---|---|---|"]
if title not in lines:
    lines += ["", title, "",
              "`bench/discovery.sh BUILD_DIR`: 198.18.0.0/16 AnyIP behind the target namespace, "
              "5% live (3277 hosts, seed 11 of tests/net/syn_truth.py: 8% of their 16 ports open, "
              "2% ICMP admin-prohibited, the rest RST; they answer ICMP like any Linux host), "
              "the other 95% dropped silently by nftables. 16 TCP ports. \"found\": the truth's "
              "open pairs listed open, and open pairs the truth does not have. portsight runs "
              "alternate (default, -Pn) so load hits both alike; the median is shown (and each run's "
              "wall), with the median user + system time of portsight's processes (the kernel's "
              "packet work in softirq is mostly not in it)."]
start = lines.index(title)
end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
block = ["", f"Run of {when} on {machine}:", ""] + header + rows
lines[end:end] = block
open(path, "w").write("\n".join(lines) + "\n")
PY
echo "bench/discovery: results appended to $results" >&2
