#!/bin/bash
# Scans under starved resources and faults, against a lab whose truth this script sets up:
#   - 64 file descriptors (RLIMIT_NOFILE): the connect scan is slower but exact;
#   - the link to the target deleted in the middle of a scan (as when its namespace goes): the
#     scan ends by itself, says so, and keeps what it found, marked partial.
# (A refusing device queue and a memory cap: test_send_faults.sh, a lab of their own.)
# usage: test_faults.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=psflt$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"

OPEN="22 80 443 1999"
lab_init || exit 1
W=$(mktemp -d)
trap 'rm -rf "$W"; lab_cleanup' EXIT
lab_spawn "$LAB_T" "$LISTEN" $OPEN >/dev/null
lab_wait_port "$LAB_T" "$LAB_V4_T" 1999 || exit 1
lab_nft "$LAB_T" "table inet lab_drop {
	chain in { type filter hook input priority 0; policy accept; tcp dport 1500-1509 drop; }
}" || exit 1

summary() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["summary"][sys.argv[2]])' "$1" "$2"; }
open_ports() { python3 -c '
import json, sys
print(" ".join(str(p) for p in sorted(json.loads(l)["port"] for l in open(sys.argv[1])
                                      if "\"port\"" in l and "\"open\"" in l)))' "$1"; }

# --- 64 descriptors: stdin/out/err, the epoll, the kb... and what is left for probes.
lab_s bash -c "ulimit -n 64 && exec \"\$0\" scan -sT --no-db -p 1-2000 --max-retries 2 \
	--initial-rtt-timeout 200 --max-rtt-timeout 400 --format jsonl $LAB_V4_T" "$PORTSIGHT" \
	>"$W/nofile.jsonl" 2>"$W/nofile.err"
lab_check "RLIMIT_NOFILE 64: exit 0" 0 $?
lab_check "RLIMIT_NOFILE 64: exact open ports" "$OPEN" "$(open_ports "$W/nofile.jsonl")"
lab_check "RLIMIT_NOFILE 64: exact closed count" $((2000 - 4 - 10)) "$(summary "$W/nofile.jsonl" closed)"
lab_check "RLIMIT_NOFILE 64: exact filtered count" 10 "$(summary "$W/nofile.jsonl" filtered)"

# --- the target goes away mid-scan: every port of it, most of them dropped, so the scan is
# still busy when its namespace (and the veth pair with it) is deleted.
lab_nft "$LAB_T" "table inet lab_slow {
	chain in { type filter hook input priority -10; policy accept; tcp dport 3000-65535 drop; }
}" || exit 1
for engine in -sS -sT; do
	lab_guard "$LAB_S" || exit 1 # the background job must be the scanner itself
	ip netns exec "$LAB_S" "$PORTSIGHT" scan $engine --no-db -p 1-65535 --max-retries 3 \
		--min-rtt-timeout 800 --format jsonl --show all "$LAB_V4_T" >"$W/gone$engine.jsonl" \
		2>"$W/gone$engine.err" &
	pid=$!
	sleep 2
	# A namespace lives on while a process is inside it: deleting the veth pair is what takes
	# the target away from under the scan.
	ip -n "$LAB_S" link del vs
	# Bounded: a scan that hung on the vanished link would be killed here and fail.
	for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -9 $pid 2>/dev/null
	wait $pid
	rc=$?
	lab_check "target gone ($engine): the scan ends by itself (not killed)" yes \
		"$([ $rc -ne 137 ] && echo yes || echo "no (rc $rc)")"
	# SYN has asked every port within the first second; connect may not have reached them.
	[ "$engine" = -sS ] && lab_check "target gone ($engine): the open ports found before are kept" yes \
		"$(for p in 22 80 443; do grep -q "\"port\":$p,.*\"open\"" "$W/gone$engine.jsonl" || echo missing; done | grep -q missing && echo no || echo yes)"
	lab_check "target gone ($engine): the results say they are partial, or every port has its answer" yes \
		"$(python3 - "$W/gone$engine.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).readlines()
last = json.loads(lines[-1]) if lines else {}
s = last.get("summary")
print("yes" if s and (s["interrupted"] or s["ports_scanned"] == 65535) else "no")
PY
)"
	# The link again, for the next engine.
	ip -n "$LAB_S" link add vs type veth peer name vt netns "$LAB_T"
	ip -n "$LAB_S" addr add $LAB_V4_S/24 dev vs
	ip -n "$LAB_T" addr add $LAB_V4_T/24 dev vt
	ip -n "$LAB_S" link set vs up
	ip -n "$LAB_T" link set vt up
	# (Not lab_wait_port: the scans above filled the listener's accept queue, nobody accepts.)
done
lab_done
