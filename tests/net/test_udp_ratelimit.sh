#!/bin/bash
# -sU against a target with the kernel's default ICMP limits (net.ipv4.icmp_ratelimit 1000 ms:
# 6 port unreachables at once, then one a second per peer). The scan must measure that rate,
# pace the unanswered ports to it and still get every closed port right; several source
# addresses (-S a range) multiply the rate, since Linux keeps the limit per peer.
ps=$1
LAB_PREFIX=udprl$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
udp_lab="${LAB_DIR:-$(dirname "$0")}/udp_lab.py"
tmp=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$tmp"' EXIT

lab_init || exit 1
lab_check "target: default per-peer ICMP limit" 1000 "$(lab_t sysctl -n net.ipv4.icmp_ratelimit)"
lab_guard "$LAB_T" || exit 1
ip netns exec "$LAB_T" python3 "$udp_lab" $LAB_V4_T dns:53 >"$tmp/lab.out" 2>&1 &
LAB_PIDS+=($!)
for i in $(seq 50); do grep -q ready "$tmp/lab.out" && break; sleep 0.1; done
lab_t nft -f - <<'NFT' || exit 1
table inet udprl {
	chain in { type filter hook input priority 0; policy accept;
		udp dport 60-64 drop
	}
}
NFT
# 16 more addresses of the scanner's own on the lab link.
for i in $(seq 100 115); do lab_s ip addr add 192.0.2.$i/24 dev vs; done
# The target learns their MACs first: a reply held for ARP to a brand-new neighbour must not
# be what the first pass measures (once, every reply of a first pass was queued that way).
for i in $(seq 100 115); do lab_t ping -c1 -W1 192.0.2.$i >/dev/null; done

truth() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
got = {}
for l in open(sys.argv[1]):
    if l.startswith('{"ip"'):
        r = json.loads(l)
        got[r["port"]] = (r["state"], r["reason"])
bad = 0
lo, hi = int(sys.argv[2]), int(sys.argv[3])
for p in range(lo, hi + 1):
    want = ("closed", "icmp-port-unreachable")
    if p == 53:
        want = ("open", "udp-response")
    elif 60 <= p <= 64:
        want = ("open|filtered", "no-response")
    if got.get(p) != want:
        bad += 1
        if bad <= 5:
            print("port", p, "want", want, "got", got.get(p))
print("RESULT", "pass" if not bad and len(got) == hi - lo + 1 else "fail")
PY
}
run() { # run NAME LO HI ARGS...
	local name=$1 lo=$2 hi=$3 t0 t1
	shift 3
	t0=$(date +%s.%N)
	lab_s "$ps" scan -sU --no-db --format jsonl --show all -p $lo-$hi "$@" $LAB_V4_T \
		>"$tmp/$name.jsonl" 2>"$tmp/$name.err"
	lab_check "$name: exit code" 0 "$?"
	t1=$(date +%s.%N)
	echo "# $name: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s"
	sed 's/^/#   /' "$tmp/$name.err"
	truth "$tmp/$name.jsonl" $lo $hi >"$tmp/$name.check"
	sed 's/^/#   /' "$tmp/$name.check"
	lab_check "$name: every state exact" "RESULT pass" "$(tail -n 1 "$tmp/$name.check")"
}
# One source: ~1 error/s measured, 25 closed ports paced to it.
run one-source 50 80
lab_check "one-source: rate measured and reported" 1 \
	"$(grep -cE 'limits ICMP errors to (0\.9|1\.0|1\.1)[0-9]*/s per source' "$tmp/one-source.err")"
# Sixteen sources: sixteen times the rate, the same answers.
run sixteen-sources 1 100 -S 192.0.2.100-115
lab_check "sixteen-sources: paced to ~16/s" 1 \
	"$(grep -cE 'paced to 1[3-7]/s' "$tmp/sixteen-sources.err")"
lab_done
