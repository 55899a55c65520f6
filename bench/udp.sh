#!/bin/bash
# bench/udp.sh BUILD_DIR: -sU against a target with the kernel's default ICMP limits
# (net.ipv4.icmp_ratelimit 1000 ms: 6 port unreachables, then 1/s per peer), side by side with
# nmap -sU, masscan and zmap's udp module. The lab (tests/net/lab.sh namespaces only): UDP
# services on 53, 123, 161, 1900, 5353, 11211 and a Back Orifice responder on 31337
# (tests/net/udp_lab.py), 600-609 dropped, the rest closed; ports 1-1000 plus the four above
# 1000. portsight runs with one source address and with a range of 64; the one-source run and
# nmap go at the same time, from different addresses (the target's limits are per peer, so
# neither slows the other). Rows go to the "## UDP scan" section of bench/RESULTS.md.
set -u
build=${1:-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
ps=$(realpath "$build/src/cli/portsight")
results=${BENCH_RESULTS:-$here/RESULTS.md}
truth_py=$here/udp_truth.py
LAB_PREFIX=udpbench$$
. "$root/tests/net/lab.sh"
tmp=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$tmp"' EXIT
die() {
	echo "bench/udp: $*" >&2
	exit 1
}
have() { command -v "$1" >/dev/null; }
[ -x "$ps" ] || die "build first: $ps"

PORTS=1-1000,1900,5353,11211,31337
lab_init || die "cannot create the lab"
[ "$(lab_t sysctl -n net.ipv4.icmp_ratelimit)" = 1000 ] || die "target: not the default limit"
lab_guard "$LAB_T" || exit 1
ip netns exec "$LAB_T" python3 "$root/tests/net/udp_lab.py" $LAB_V4_T dns:53 ntp:123 snmp:161 \
	ssdp:1900 mdns:5353 memcached:11211 bo:31337 >"$tmp/lab.out" 2>&1 &
LAB_PIDS+=($!)
for i in $(seq 50); do grep -q ready "$tmp/lab.out" && break; sleep 0.1; done
lab_nft "$LAB_T" "table inet udpbench {
	chain in { type filter hook input priority 0; policy accept;
		udp dport 600-609 drop
	}
}" || die "ruleset"
# The scanner's other addresses: 64 for the range, one for the one-source run, one for masscan.
for i in $(seq 100 163) 200 250; do lab_s ip addr add 192.0.2.$i/24 dev vs; done
for i in $(seq 100 163) 200; do lab_t ping -c1 -W1 192.0.2.$i >/dev/null; done
TARGET_MAC=$(ip -n "$LAB_T" -br link show vt | awk '{print $3}')
S="ip netns exec $LAB_S"

measure() { # measure NAME CMD...
	local name=$1
	shift
	lab_guard "$LAB_S" || return 97
	/usr/bin/time -f '%e %M' -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}
wall() { tail -n 1 "$tmp/$1.time" | awk '{print $1}'; }
ROWS=()
row() { # row TOOL COMMAND NAME FORMAT FILE
	local tool=$1 cmd=$2 w r right missed kinds
	w=$(wall "$3")
	r=$(python3 "$truth_py" "$4" "$5")
	right=$(echo "$r" | cut -d' ' -f1)
	missed=$(echo "$r" | cut -d' ' -f3)
	kinds=$(echo "$r" | cut -d' ' -f4- | sed 's/|/\\|/g') # a table cell holds no bare |
	ROWS+=("| $tool | \`$cmd\` | $w | $right/1004 | $missed | $kinds |")
	echo "$tool: ${w}s, $right/1004 right, missed open: $missed, $kinds" >&2
}

# 64 sources first (fast), then masscan and zmap, then the two slow ones together.
measure ps64 $S "$ps" scan -sU --no-db --format jsonl --show all -p $PORTS -S 192.0.2.100-163 \
	$LAB_V4_T
row portsight "portsight scan -sU -p $PORTS -S 192.0.2.100-163" ps64 jsonl "$tmp/ps64.out"
NOTE64=$(grep -o 'limits ICMP.*paced to [0-9]*/s' "$tmp/ps64.err")
if have masscan; then
	measure masscan $S masscan -pU:1-1000,U:1900,U:5353,U:11211,U:31337 $LAB_V4_T --rate 1000 \
		--wait 3 --router-mac "$TARGET_MAC" --adapter vs --source-ip 192.0.2.250 \
		-oL "$tmp/masscan.txt"
	row masscan "masscan -pU:<ports> --rate 1000 --wait 3" masscan list "$tmp/masscan.txt"
fi
if have zmap; then
	# zmap scans one port per run; its udp module sends one payload: 53 with a DNS query.
	: >"$tmp/empty.conf"
	measure zmap $S zmap -M udp -p 53 --probe-args=hex:abcd01000001000000000000076578616d706c6503636f6d0000010001 \
		$LAB_V4_T/32 -i vs -G "$TARGET_MAC" -S $LAB_V4_S -b "$tmp/empty.conf" -c 2 \
		-o "$tmp/zmap.txt"
	ZMAP="$(sort -u "$tmp/zmap.txt" | grep -c .) of 1 host answered on 53 in $(wall zmap)s"
fi
measure ps1 $S "$ps" scan -sU --no-db --format jsonl --show all -p $PORTS -S 192.0.2.200 \
	$LAB_V4_T &
ps1_pid=$!
if have nmap; then
	measure nmap timeout 3000 $S nmap -sU -p $PORTS -n -Pn -oX "$tmp/nmap.xml" $LAB_V4_T
	row nmap "nmap -sU -p $PORTS -n -Pn" nmap xml "$tmp/nmap.xml"
fi
wait $ps1_pid
row portsight "portsight scan -sU -p $PORTS -S 192.0.2.200 (one source)" ps1 jsonl "$tmp/ps1.out"
NOTE1=$(grep -o 'limits ICMP.*paced to [0-9]*/s' "$tmp/ps1.err")

when=$(date -u '+%Y-%m-%d %H:%M')
python3 - "$results" "$when" "$NOTE64" "$NOTE1" "${ZMAP:-zmap not run}" "${ROWS[@]}" <<'PY'
import sys
path, when, note64, note1, zmap, rows = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
text = open(path).read().rstrip("\n")
section = ["## UDP scan", "",
    "One namespace target with the kernel's default ICMP limits (6 port unreachables, then 1/s per peer): UDP services on 53, 123, 161, 1900, 5353, 11211 and a Back Orifice responder on 31337 (tests/net/udp_lab.py), 600-609 dropped, the rest closed. 1004 ports (1-1000 and the four above), truth: 7 open, 10 open|filtered, 987 closed. `bench/udp.sh BUILD_DIR` (root). right = ports whose state matches the truth (masscan reports open only, the rest counted as not reported).",
    "", "Run " + when + " UTC, AMD EPYC, 2 shared cores. portsight measured: " + note64 + " (64 sources); " + note1 + " (one source). zmap (udp module, one port per run): " + zmap + ".",
    "", "| tool | command | wall s | right | open missed | wrong (truth->reported) |", "|---|---|---|---|---|---|"] + rows
lines = text.split("\n")
if "## UDP scan" in lines:
    start = lines.index("## UDP scan")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    lines[start:end] = section + [""]
else:
    lines += [""] + section
open(path, "w").write("\n".join(lines).rstrip("\n") + "\n")
PY
echo "bench/udp: results in $results" >&2
