#!/bin/bash
# Faults of the sending side and of memory (issue 15), in a lab of their own:
#   - a queue on the scanner's link that refuses frames (ENOBUFS): the rate backs off, the
#     scan says so and stays exact;
#   - a memory cap: one clear error line, exit 3, no report written, no file touched.
# usage: test_send_faults.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=psnmq$$
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

# --- the device queue refuses frames (issue 15): a token bucket of 1 Mbit/s with room for two
# frames on the scanner's own link. A qdisc someone set up is obeyed (no PACKET_QDISC_BYPASS),
# so the raw sender meets ENOBUFS: it backs off, sends every refused probe again, and says so;
# the results stay exact.
for qdisc in "tbf rate 1mbit burst 1600 limit 3000" "tbf rate 4mbit burst 1600 limit 1600"; do
	lab_s tc qdisc add dev vs root $qdisc || exit 1
	lab_s "$PORTSIGHT" scan -sS --no-db -p 1-2000 --max-retries 2 --initial-rtt-timeout 200 \
		--max-rtt-timeout 400 --format jsonl $LAB_V4_T >"$W/q.jsonl" 2>"$W/q.err"
	lab_check "$qdisc: exit 0" 0 $?
	lab_check "$qdisc: exact open ports" "$OPEN" "$(open_ports "$W/q.jsonl")"
	lab_check "$qdisc: exact closed count" $((2000 - 4 - 10)) "$(summary "$W/q.jsonl" closed)"
	lab_check "$qdisc: exact filtered count" 10 "$(summary "$W/q.jsonl" filtered)"
	lab_check "$qdisc: the back-off is reported" 1 \
		"$(grep -c 'queue refused [1-9][0-9]* sends (ENOBUFS/EAGAIN); the rate backed off [1-9]' "$W/q.err")"
	sed 's/^/# /' "$W/q.err"
	lab_s tc qdisc del dev vs root
done

# --- a memory cap (issue 15): an allocation that fails is one clear line and exit 3, never a
# crash, a partial report or a touched output file. A sanitizer build cannot run under
# RLIMIT_AS (its shadow memory alone is terabytes of address space): there, the allocator
# refuses any single allocation above 2 MB instead.
if grep -q __asan_init "$PORTSIGHT"; then
	capped() { env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:max_allocation_size_mb=2" "$@"; }
	CAP="any allocation above 2 MB fails"
else
	capped() { bash -c 'ulimit -v 300000 && exec "$@"' capped "$@"; }
	CAP="ulimit -v 300000"
fi
lab_t ip route add local 198.18.0.0/16 dev lo
lab_s ip route add 198.18.0.0/15 via $LAB_V4_T
# memcase NAME ARGS...: the scan under the cap (-Pn: no discovery, whose note would be a line
# more); one line (a sanitizer's own warnings aside).
memcase() {
	local name=$1
	shift
	echo keep >"$W/keep.xml"
	lab_guard "$LAB_S" || exit 1
	capped ip netns exec "$LAB_S" "$PORTSIGHT" scan --no-db -Pn -oX "$W/keep.xml" "$@" \
		>"$W/mem.out" 2>"$W/mem.err"
	lab_check "$CAP, $name: exit 3" 3 $?
	grep -v '^==[0-9]*==' "$W/mem.err" >"$W/mem.lines"
	lab_check "$CAP, $name: one error line" 1 "$(wc -l <"$W/mem.lines")"
	lab_check "$CAP, $name: it says out of memory" 1 "$(grep -c '^portsight: .*out of memory' "$W/mem.lines")"
	lab_check "$CAP, $name: nothing on stdout" 0 "$(wc -c <"$W/mem.out")"
	lab_check "$CAP, $name: the existing -oX file untouched" keep "$(cat "$W/keep.xml")"
	sed 's/^/# /' "$W/mem.lines"
}
# 2^17 addresses x 32768 ports: the SYN and UDP engines' one bit per probe is 512 MB.
memcase "SYN, 2^32 probes" -sS --allow-large -p 1-32768 198.18.0.0/15
memcase "UDP, 2^32 probes" -sU --allow-large -p U:1-32768 198.18.0.0/15
if grep -q __asan_init "$PORTSIGHT"; then
	# A /16 that answers everywhere: the results outgrow what the reports may hold.
	memcase "connect, a /16's results" -sT -p 1-4 198.18.0.0/16
	memcase "SYN, a /16's results" -sS -p 1-4 198.18.0.0/16
	memcase "connect, --host-timeout's timers for 2^17 hosts" -sT --allow-large --host-timeout 1m \
		-p 1 198.18.0.0/15
fi
lab_s ip route del 198.18.0.0/15 via $LAB_V4_T

lab_done
