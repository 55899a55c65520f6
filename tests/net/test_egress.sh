#!/bin/bash
# Proof by capture that a scan never leaves its targets: every packet the scanner namespace
# sends during a run is recorded where it arrives, on the far end of the scanner's only link
# (lab_guard checks it has no other), and must go
# to an address the run was asked to scan, minus its exclusions, or be the ARP/NDP that finds a
# target or the next hop. Runs: connect with exclusions that split a range, SYN over IPv4 and
# IPv6 (routed ranges, an exclude file), UDP over both, the two shards of a sharded scan,
# host discovery alone (-sn, routed and on the link,
# with exclusions), -sV, a hostname with several addresses, the defaults (history on),
# --shieldsup (SYN, SSDP, NetBIOS, ping), and a SYN scan interrupted and resumed (--resume).
# Any other packet fails the test and is printed.
# usage: test_egress.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=psegr$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
EGRESS=$LAB_DIR/egress.py

lab_init || exit 1
W=$(mktemp -d)
export XDG_STATE_HOME=$W/state # the defaults run writes its own history, nobody else's
HOSTS_DIR=/etc/netns/$LAB_S
trap 'rm -rf "$W" "$HOSTS_DIR"; lab_cleanup' EXIT
# Targets: 192.0.2.2-12 on the link, 198.18.0.0/16 and 2001:db8:1::/64 routed through the target.
for i in $(seq 3 12); do lab_t ip addr add 192.0.2.$i/24 dev vt; done
lab_t ip route add local 198.18.0.0/16 dev lo
lab_s ip route add 198.18.0.0/16 via $LAB_V4_T
lab_t ip -6 route add local 2001:db8:1::/64 dev lo
lab_s ip -6 route add 2001:db8:1::/64 via $LAB_V6_T
lab_spawn "$LAB_T" "$LISTEN" 22 80 443 >/dev/null
lab_wait_port "$LAB_T" "$LAB_V4_T" 443 || exit 1
mkdir -p "$HOSTS_DIR"
printf '192.0.2.3 multi\n192.0.2.7 multi\n' >"$HOSTS_DIR/hosts"
lab_s ping -c1 -W1 $LAB_V4_T >/dev/null 2>&1 # the neighbour entry of the next hop, before
sleep 1 # the kernel's own link chatter settles before the first capture

# The scanner namespace forgets its neighbours before each capture: the kernel's own probe of a
# neighbour an earlier run talked to (a unicast ARP some seconds later) is not this run's.
forget_neighbours() {
	ip -n "$LAB_S" -4 neigh flush dev vs
	ip -n "$LAB_S" -6 neigh flush dev vs
}

# egress NAME ALLOWED NEXTHOPS EXCLUDED MIN_PACKETS -- SCAN ARGS...: one captured run.
egress() {
	local name=$1 allowed=$2 hops=$3 excluded=$4 min=$5 cap pid n
	shift 6
	cap=$W/$name.cap
	forget_neighbours
	lab_spawn "$LAB_T" python3 "$EGRESS" capture "$cap" vt
	pid=${LAB_PIDS[-1]}
	for _ in $(seq 50); do [ -e "$cap.ready" ] && break; sleep 0.1; done
	lab_s "$PORTSIGHT" scan "$@" >"$W/$name.out" 2>"$W/$name.err"
	lab_check "$name: the scan exits ${EGRESS_RC:-0}" "${EGRESS_RC:-0}" $?
	sleep 0.3 # the last replies' answers (RSTs) leave too
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	n=$(grep -vc "^stats " "$cap")
	lab_check "$name: the capture saw the scan (at least $min packets)" yes \
		"$([ "$n" -ge "$min" ] && echo yes || echo "no ($n)")"
	python3 "$EGRESS" check "$cap" "$allowed" "$hops" "$excluded" >"$W/$name.check"
	lab_check "$name: every packet went to a target (or found one)" 0 $?
	grep VIOLATION "$W/$name.check" | head -5
}

egress connect 192.0.2.2-192.0.2.12 "" 192.0.2.5,192.0.2.8-192.0.2.9 800 -- \
	-sT --no-db -p 1-100 192.0.2.2-12 --exclude 192.0.2.5,192.0.2.8-9
printf '198.18.1.64/26\n198.18.1.200\n' >"$W/exclude"
egress syn4 198.18.1.0/24 $LAB_V4_T 198.18.1.64/26,198.18.1.200 1000 -- \
	-sS --no-db -p 20-30 198.18.1.0/24 --exclude-file "$W/exclude"
egress syn6 2001:db8:1::1-2001:db8:1::40 $LAB_V6_T 2001:db8:1::10-2001:db8:1::1f 200 -- \
	-sS --no-db -p 20-30 2001:db8:1::1-2001:db8:1::40 --exclude 2001:db8:1::10-2001:db8:1::1f
# UDP (payloads for 53 and 161, an empty datagram for 40000) over IPv4 and IPv6, split ranges.
egress udp4 198.18.3.0/27 $LAB_V4_T 198.18.3.8-198.18.3.11 84 -- \
	-sU --no-db -p 53,161,40000 198.18.3.0/27 --exclude 198.18.3.8-198.18.3.11
egress udp6 2001:db8:1::101-2001:db8:1::120 $LAB_V6_T 2001:db8:1::108-2001:db8:1::10b 84 -- \
	-sU --no-db -p 53,161,40000 2001:db8:1::101-2001:db8:1::120 --exclude 2001:db8:1::108-2001:db8:1::10b
# Both shards of a sharded scan, each in a capture of its own: each keeps to the targets.
for i in 0 1; do
	egress shard$i 198.18.4.0/24 $LAB_V4_T 198.18.4.128/25 128 -- -sS --no-db -p 80,443 \
		198.18.4.0/24 --exclude 198.18.4.128/25 --shards 2 --shard $i --seed 7
	grep -o 'dst=198\.18\.4\.[0-9]* proto=6 dport=[0-9]*' "$W/shard$i.cap" | sort -u \
		>"$W/shard$i.pairs"
done
# ...and between them they asked every pair once: no pair in both, none in neither.
lab_check "shards: no pair probed by both" 0 "$(comm -12 "$W/shard0.pairs" "$W/shard1.pairs" | wc -l)"
lab_check "shards: every pair probed by one" $((128 * 2)) "$(sort -u "$W"/shard?.pairs | wc -l)"
# Host discovery alone (-sn): routed (echo, SYN, ACK, timestamp probes) and on the link (ARP,
# neighbour discovery), ranges split by exclusions; and every probe kind at once over IPv6.
egress discover4 198.18.2.0/24 $LAB_V4_T 198.18.2.64/26,198.18.2.200 300 -- \
	-sn --no-db 198.18.2.0/24 --exclude 198.18.2.64/26,198.18.2.200
egress discover-link 192.0.2.2-192.0.2.12,2001:db8::2-2001:db8::8 "" 192.0.2.5,192.0.2.8-192.0.2.9 8 -- \
	-sn --no-db 192.0.2.2-12 2001:db8::2-8 --exclude 192.0.2.5,192.0.2.8-9
egress discover6 2001:db8:1::1-2001:db8:1::40 $LAB_V6_T 2001:db8:1::10-2001:db8:1::1f 40 -- \
	-sn --no-db -PE -PS22,443 -PA80 -PU -PP 2001:db8:1::1-2001:db8:1::40 \
	--exclude 2001:db8:1::10-2001:db8:1::1f
egress service $LAB_V4_T "" "" 6 -- -sV --no-db -p 22,80,443 $LAB_V4_T
egress hostname 192.0.2.3,192.0.2.7 "" "" 4 -- -sT --no-db -p 79-80 multi
egress defaults $LAB_V4_T "" "" 1000 -- -p 1-1000 $LAB_V4_T
# A SYN scan stopped by Ctrl-C and resumed from its checkpoint (--resume): both runs in one
# capture, which must hold the probes of the targets minus the exclusions and nothing else.
cap=$W/resume.cap
forget_neighbours
lab_spawn "$LAB_T" python3 "$EGRESS" capture "$cap" vt
cpid=${LAB_PIDS[-1]}
for _ in $(seq 50); do [ -e "$cap.ready" ] && break; sleep 0.1; done
lab_guard "$LAB_S" || exit 1
ip netns exec "$LAB_S" "$PORTSIGHT" scan -sS --no-db --rate 3000 -p 20-40 198.18.2.0/24 \
	--exclude 198.18.2.128/27 --resume "$W/ck" >/dev/null 2>"$W/resume1.err" &
spid=$!
for _ in $(seq 100); do [ -s "$W/ck" ] && break; sleep 0.05; done
sleep 0.5
kill -INT $spid
wait $spid
lab_check "resume: the first run was interrupted, its checkpoint left running" "130 running" \
	"$? $(sed -n 's/^state //p' "$W/ck")"
lab_s "$PORTSIGHT" scan --resume "$W/ck" --format jsonl --show all >"$W/resume.out" \
	2>"$W/resume2.err"
lab_check "resume: the resumed run exits 0, checkpoint complete" "0 complete" \
	"$? $(sed -n 's/^state //p' "$W/ck")"
lab_check "resume: every pair of the targets reported once" $(((256 - 32) * 21)) \
	"$(grep -c '"ip"' "$W/resume.out")"
sleep 0.3
kill -TERM "$cpid"
wait "$cpid" 2>/dev/null
n=$(grep -vc "^stats " "$cap")
lab_check "resume: the capture saw both runs (at least 4704 packets)" yes \
	"$([ "$n" -ge 4704 ] && echo yes || echo "no ($n)")"
python3 "$EGRESS" check "$cap" 198.18.2.0/24 $LAB_V4_T 198.18.2.128/27 >"$W/resume.check"
lab_check "resume: every packet of both runs went to a target (or found one)" 0 $?
grep VIOLATION "$W/resume.check" | head -5
# --shieldsup: the 26 SYN probes, the M-SEARCH (unicast to the target, never the SSDP
# multicast group), the NetBIOS request and the echo; it fails TruStealth (22, 80, 443 open).
EGRESS_RC=1 egress shieldsup $LAB_V4_T "" "" 29 -- --shieldsup --no-db $LAB_V4_T
lab_check "shieldsup: the capture holds the M-SEARCH, the node status and the echo" "1 1 1" \
	"$(grep -c "dst=$LAB_V4_T proto=17 dport=1900" "$W/shieldsup.cap") $(grep -c \
	"dst=$LAB_V4_T proto=17 dport=137" "$W/shieldsup.cap") $(grep -c \
	"dst=$LAB_V4_T proto=1 icmp=8" "$W/shieldsup.cap")"
lab_check "shieldsup: port 0 probed" 1 "$(grep -c "dst=$LAB_V4_T proto=6 dport=0\$" \
	"$W/shieldsup.cap")"
# The check itself can fail: the last capture, judged as if only 192.0.2.3 had been asked for.
python3 "$EGRESS" check "$W/defaults.cap" 192.0.2.3 "" "" >"$W/negative.check"
lab_check "negative control: a scan of 192.0.2.2 judged against 192.0.2.3 is caught" 1 $?
lab_check "defaults: history recorded (the scan is the one a user gets)" 1 \
	"$("$PORTSIGHT" history 2>/dev/null | grep -c ' done ')"
lab_done
