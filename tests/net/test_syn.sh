#!/bin/bash
# SYN engine against a namespace lab whose answers the test decided itself:
#   single host, all 65535 ports, IPv4 (lossless, then 1% loss each way) and IPv6;
#   a /16 of AnyIP hosts (198.18.0.0/16 routed to the target) over 16 ports.
# Every pair must be reported exactly once with the state and reason the lab dictates.
ps=$1
listen=$2
LAB_PREFIX=syn$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
truth_py="${LAB_DIR:-$(dirname "$0")}/syn_truth.py"
tmp=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$tmp"' EXIT

lab_init || exit 1
# ICMP errors are rate limited per destination (6 then 1/s); the lab wants every one.
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
	net.ipv4.icmp_msgs_burst=1000000 net.ipv6.icmp.ratelimit=0

OPEN="1 22 80 443 3306 8080 31337 50000 65535"
listen_single() {
	lab_spawn "$LAB_T" "$listen" $OPEN 2000 2001 2002 >"$tmp/listen.out"
	single_pid=${LAB_PIDS[-1]}
	for p in $OPEN; do lab_wait_port "$LAB_T" $LAB_V4_T "$p" || exit 1; done
}
stop_listener() {
	kill "$1"
	wait "$1" 2>/dev/null
}
listen_single
# 135-139, 445, 2000-2002 (listening!) and 1000-1099 are dropped; 23, 25, 3389, 5900-5909 rejected.
cat >"$tmp/syn1.nft" <<'NFT'
table inet syn1 {
	chain in { type filter hook input priority 0; policy accept;
		tcp dport { 135-139, 445, 1000-1099, 2000-2002 } drop
		tcp dport { 23, 25, 3389, 5900-5909 } reject with icmpx type admin-prohibited
	}
}
NFT
lab_t nft -f "$tmp/syn1.nft" || exit 1

single_truth() { # single_truth ADDR
	for p in $OPEN; do echo "$1 $p open syn-ack"; done
	for p in 135 136 137 138 139 445 $(seq 1000 1099) 2000 2001 2002; do
		echo "$1 $p filtered no-response"
	done
	for p in 23 25 3389 $(seq 5900 5909); do echo "$1 $p filtered icmp-admin-prohibited"; done
	echo "$1 * closed reset"
}

scan_check() { # scan_check NAME MODE ADDR_COUNT PORTS TRUTH ARGS...
	local name=$1 mode=$2 count=$3 ports=$4 truth=$5 start end
	shift 5
	start=$(date +%s.%N)
	lab_s "$ps" scan --syn -Pn --no-db --format jsonl --show all -p "$ports" "$@" >"$tmp/$name.jsonl" \
		2>"$tmp/$name.err"
	local rc=$?
	end=$(date +%s.%N)
	echo "# $name: exit $rc in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')s"
	sed 's/^/#   /' "$tmp/$name.err"
	lab_check "$name: exit code" 0 "$rc"
	python3 "$truth_py" check "$tmp/$name.jsonl" "$truth" "$count" "$ports" "$mode" \
		>"$tmp/$name.check"
	sed 's/^/#   /' "$tmp/$name.check"
	lab_check "$name: result" "RESULT pass" "$(tail -n 1 "$tmp/$name.check")"
}

single_truth $LAB_V4_T >"$tmp/v4.truth"
single_truth $LAB_V6_T >"$tmp/v6.truth"
scan_check v4-all-ports exact 1 1-65535 "$tmp/v4.truth" $LAB_V4_T
# A fresh namespace needs a moment before IPv6 neighbour discovery answers (link-local
# addresses); the IPv4 scan above found its neighbour from a cold cache by itself.
lab_wait_port "$LAB_S" $LAB_V6_T 22 || exit 1
scan_check v6-all-ports exact 1 1-65535 "$tmp/v6.truth" $LAB_V6_T

# Loopback in the scanner's namespace: sent through raw IP sockets, seen on lo.
lab_spawn "$LAB_S" "$listen" 7 8080 >"$tmp/listen-lo.out"
lo_pid=${LAB_PIDS[-1]}
lab_wait_port "$LAB_S" 127.0.0.1 8080 || exit 1
printf '%s\n' "127.0.0.1 7 open syn-ack" "127.0.0.1 8080 open syn-ack" "127.0.0.1 * closed reset" \
	"::1 7 open syn-ack" "::1 8080 open syn-ack" "::1 * closed reset" >"$tmp/lo.truth"
scan_check loopback exact 2 1-9000 "$tmp/lo.truth" 127.0.0.1 ::1
stop_listener $lo_pid

# The /16: thousands of answering hosts, some that answer on one port only, the rest dark.
PORTS16=21,22,23,25,53,80,110,143,443,445,993,995,3306,3389,5432,8080
python3 "$truth_py" gen16 7 3000 200 $PORTS16 "$tmp/16.truth" "$tmp/16.nft" || exit 1
lab_t ip route add local 198.18.0.0/16 dev lo
lab_s ip route add 198.18.0.0/16 via $LAB_V4_T
lab_t nft -f "$tmp/16.nft" || exit 1
lab_t nft delete table inet syn1
# Every one of the 16 ports listens; the ruleset alone decides who answers what.
stop_listener $single_pid
lab_spawn "$LAB_T" "$listen" ${PORTS16//,/ } >"$tmp/listen16.out"
net16_pid=${LAB_PIDS[-1]}
lab_wait_port "$LAB_T" $LAB_V4_T 5432 || exit 1
scan_check net16 exact 65536 $PORTS16 "$tmp/16.truth" 198.18.0.0/16
# Ctrl-C ends a long scan promptly (exit 130). The packets are parsed in a child process
# (the only child of portsight) that holds no capabilities at all.
lab_guard "$LAB_S" || exit 1 # a background job must be the scanner itself, not a shell
ip netns exec "$LAB_S" "$ps" scan --syn -Pn --no-db --rate 20000 -p $PORTS16 198.18.0.0/16 >/dev/null 2>&1 &
scan_pid=$!
sleep 1
child=$(cat /proc/$scan_pid/task/*/children 2>/dev/null | tr -d ' ')
cap_eff=$(sed -n 's/^CapEff:\t//p' /proc/${child:-none}/status 2>/dev/null)
cap_prm=$(sed -n 's/^CapPrm:\t//p' /proc/${child:-none}/status 2>/dev/null)
lab_check "scanning child: effective capabilities" 0000000000000000 "$cap_eff"
lab_check "scanning child: permitted capabilities" 0000000000000000 "$cap_prm"
t0=$(date +%s%N)
kill -INT $scan_pid
wait $scan_pid
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# stopped in ${ms} ms"
lab_check "Ctrl-C exit code" 130 "$rc"
lab_check "Ctrl-C stops within a second" yes "$([ $ms -lt 1000 ] && echo yes || echo "no: $ms ms")"
stop_listener $net16_pid
lab_t nft delete table inet syn16
lab_t nft -f "$tmp/syn1.nft"
listen_single

# 1% loss each way. lab_loss drops at the IP input hook; a packet socket sees frames before
# that hook, so the scanner's own input loss would never touch the engine: the target also
# drops 1% of what it sends.
lab_loss "$LAB_S" 1
lab_loss "$LAB_T" 1
lab_nft "$LAB_T" 'table inet syn_egress_loss {
	chain out { type filter hook output priority -300; policy accept;
		numgen random mod 100 < 1 drop; }
}'
scan_check v4-all-ports-loss exact 1 1-65535 "$tmp/v4.truth" $LAB_V4_T

lab_done
