#!/bin/bash
# The connect scan against a target whose truth this script sets up: 17 listening ports, 1100
# ports silently dropped, 5 rejected with ICMP admin-prohibited, the rest closed (kernel RST).
# Every case scans all 65535 ports and compares the exact counts, the exact set of open ports
# and the exact set of rejected ports with that truth. Cases: IPv4, a hostname, IPv6, and IPv4
# with 1% random loss each way (no open port may be lost, no closed port turned filtered).
# usage: test_connect.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=psconn$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"

OPEN_PORTS="1 7 22 80 443 1023 1024 3306 5432 8080 8443 20000 31337 40000 50000 60999 65535"
REJECTED_PORTS="23 139 445 3389 5900"
DROPPED_RANGES="10000-10999, 62000-62099" # 1100 ports
DROPPED_COUNT=1100
CLOSED_COUNT=$((65535 - 17 - 5 - DROPPED_COUNT))

lab_init || exit 1
HOSTS_DIR=/etc/netns/$LAB_S
trap 'rm -rf "$HOSTS_DIR"; lab_cleanup' EXIT

# The target's kernel rate-limits ICMP errors per peer (1/s after a burst of 6); the lab turns
# that off so every rejected port gets its ICMP answer and the reasons can be compared exactly.
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
lab_nft "$LAB_T" "table inet lab_filter {
	set dropped { type inet_service; flags interval; elements = { $DROPPED_RANGES } }
	set rejected { type inet_service; elements = { ${REJECTED_PORTS// /, } } }
	chain in { type filter hook input priority 0; policy accept;
		tcp dport @dropped drop
		meta nfproto ipv4 tcp dport @rejected reject with icmp type admin-prohibited
		meta nfproto ipv6 tcp dport @rejected reject with icmpv6 type admin-prohibited
	}
}" || exit 1
lab_spawn "$LAB_T" "$LISTEN" $OPEN_PORTS >/dev/null
lab_wait_port "$LAB_T" 127.0.0.1 65535 || exit 1
# A fresh veth needs a moment before neighbour discovery works; until then every IPv6 probe
# would go unanswered. Wait for one IPv6 handshake from the scanner (aborted with an RST, so
# it leaves no TIME_WAIT behind for the checks below).
lab_s python3 -c '
import socket, struct, sys, time
end = time.time() + 5
while time.time() < end:
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.settimeout(0.2)
    try:
        s.connect((sys.argv[1], 65535))
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
    finally:
        s.close()
sys.exit("lab: no IPv6 path to " + sys.argv[1])' "$LAB_V6_T" || exit 1

# The scanner resolves "labhost" through its own /etc/hosts: ip netns exec bind-mounts
# /etc/netns/<ns>/hosts over /etc/hosts for the commands it runs.
mkdir -p "$HOSTS_DIR"
printf '%s labhost\n' "$LAB_V4_T" >"$HOSTS_DIR/hosts"

OUT=$(mktemp)
trap 'rm -rf "$HOSTS_DIR" "$OUT"; lab_cleanup' EXIT

# summarize EXPECTED_IP EXPECTED_HOSTNAME < jsonl: one "key=value" line per fact checked.
summarize() {
	python3 - "$1" "$2" "$OUT" <<'PY'
import collections, json, sys
want_ip, want_name, path = sys.argv[1], sys.argv[2], sys.argv[3]
seen = collections.Counter()
states, reasons = collections.Counter(), collections.Counter()
open_ports, rejected, bad = [], [], 0
for line in open(path):
    obj = json.loads(line)
    if "summary" in obj:
        continue
    if obj.get("ip") != want_ip or obj.get("proto") != "tcp" or \
       (want_name != "-" and obj.get("hostname") != want_name):
        bad += 1
    seen[obj["port"]] += 1
    states[obj["state"]] += 1
    reasons[obj["reason"]] += 1
    if obj["state"] == "open":
        open_ports.append(obj["port"])
    if obj["reason"] == "icmp-admin-prohibited":
        rejected.append(obj["port"])
print("ports=%d" % len(seen))
print("duplicates=%d" % sum(1 for n in seen.values() if n > 1))
print("wrong_ip_or_name=%d" % bad)
for s in ("open", "closed", "filtered"):
    print("%s=%d" % (s, states[s]))
print("no_response=%d" % reasons["no-response"])
print("open_ports=%s" % " ".join(map(str, sorted(open_ports))))
print("rejected_ports=%s" % " ".join(map(str, sorted(rejected))))
PY
}

# check_scan LABEL TARGET EXPECTED_IP EXPECTED_HOSTNAME
check_scan() {
	local label=$1 target=$2 facts start end
	start=$(date +%s.%N)
	lab_s "$PORTSIGHT" scan -sT --no-db -p 1-65535 "$target" --format jsonl --show all >"$OUT"
	lab_check "$label: exit code" 0 $?
	end=$(date +%s.%N)
	echo "# $label: $(python3 -c "print(round($end - $start, 2))") s"
	facts=$(summarize "$3" "$4")
	get() { sed -n "s/^$1=//p" <<<"$facts"; }
	lab_check "$label: every port reported" 65535 "$(get ports)"
	lab_check "$label: no port reported twice" 0 "$(get duplicates)"
	lab_check "$label: address and hostname" 0 "$(get wrong_ip_or_name)"
	lab_check "$label: open count" 17 "$(get open)"
	lab_check "$label: closed count" $CLOSED_COUNT "$(get closed)"
	lab_check "$label: filtered count" $((DROPPED_COUNT + 5)) "$(get filtered)"
	lab_check "$label: no-response count" $DROPPED_COUNT "$(get no_response)"
	lab_check "$label: open ports" "$OPEN_PORTS" "$(get open_ports)"
	lab_check "$label: admin-prohibited ports" "$REJECTED_PORTS" "$(get rejected_ports)"
	# Every accepted connection must have been aborted with an RST, not closed into TIME_WAIT.
	lab_check "$label: no TIME_WAIT left behind" 0 "$(lab_s ss -Htan state time-wait | wc -l)"
}

check_scan ipv4 "$LAB_V4_T" "$LAB_V4_T" -
check_scan hostname labhost "$LAB_V4_T" labhost
check_scan ipv6 "$LAB_V6_T" "$LAB_V6_T" -

# Both families in one scan: sockets of either family are reused side by side.
lab_s "$PORTSIGHT" scan -sT --no-db -p 20-25,80,10000,65535 "$LAB_V4_T" "$LAB_V6_T" --format jsonl \
	--show all >"$OUT"
lab_check "mixed families: exit code" 0 $?
mixed=$(python3 -c '
import json, sys
seen = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "ip" in o:
        seen[(o["ip"], o["port"])] = "%s/%s" % (o["state"], o["reason"])
for ip in sys.argv[2:]:
    ports = (20, 22, 23, 80, 10000, 65535)
    print(ip, " ".join("%d=%s" % (p, seen.get((ip, p), "missing")) for p in ports))
' "$OUT" "$LAB_V4_T" "$LAB_V6_T")
for ip in "$LAB_V4_T" "$LAB_V6_T"; do
	lab_check "mixed families: $ip" "$ip 20=closed/conn-refused 22=open/syn-ack \
23=filtered/icmp-admin-prohibited 80=open/syn-ack 10000=filtered/no-response 65535=open/syn-ack" \
		"$(grep "^$ip " <<<"$mixed")"
done
lab_check "mixed families: pairs reported" 18 "$(grep -c '"ip"' "$OUT")"

# Local routes answer before any packet leaves: connect() fails at once. 198.18.3.1 has no
# route at all: not scanned (test_noroute.sh), so it has no rows.
ip -n "$LAB_S" route add prohibit 198.18.0.0/24
ip -n "$LAB_S" route add unreachable 198.18.1.0/24
ip -n "$LAB_S" route add blackhole 198.18.2.0/24
lab_s "$PORTSIGHT" scan -sT -Pn --no-db -p 80,443 198.18.0.1 198.18.1.1 198.18.2.1 198.18.3.1 \
	--format jsonl --show all >"$OUT"
lab_check "local routes: exit code" 0 $?
lab_check "local routes: reasons" \
	"198.18.0.1 local-prohibited 2 198.18.1.1 host-unreach 2 \
198.18.2.1 net-unreach 2" \
	"$(python3 -c '
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "ip" in o:
        c[(o["ip"], o["state"] + "/" + o["reason"])] += 1
print(" ".join("%s %s %d" % (ip, r.split("/")[1], n) for (ip, r), n in sorted(c.items())
               if r.startswith("filtered/")))' "$OUT")"

# Ctrl-C: a scan that would wait 5 s on every dropped port stops at once, exits 130, says it
# was interrupted and reports no dropped port (their verdict was still pending).
lab_guard "$LAB_S" || exit 1 # the background job must be the scanner, which gets the SIGINT
ip netns exec "$LAB_S" "$PORTSIGHT" scan -sT --no-db -p 10000-10999,80 "$LAB_V4_T" \
	--min-rtt-timeout 5000 --format jsonl --show all >"$OUT" &
scan_pid=$!
sleep 0.5
start=$(date +%s%N)
kill -INT $scan_pid
wait $scan_pid
lab_check "interrupt: exit code" 130 $?
# Not a benchmark: without the stop the scan needs two 5 s timeouts, so 3 s tells them apart.
lab_check "interrupt: stopped long before the timeouts" 1 $((($(date +%s%N) - start) < 3000000000))
lab_check "interrupt: no dropped port reported" 0 "$(grep -c '"port":10[0-9][0-9][0-9],' "$OUT")"
lab_check "interrupt: summary says interrupted" 1 "$(grep -c '"interrupted":true' "$OUT")"

lab_loss "$LAB_S" 1
lab_loss "$LAB_T" 1
check_scan "ipv4, 1% loss each way" "$LAB_V4_T" "$LAB_V4_T" -

lab_done
