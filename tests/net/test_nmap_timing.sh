#!/bin/bash
# nmap's timing and tracing flags (issue 14), each shown to change what reaches the target:
#   --scan-delay     at least the delay between two probes to one host (both engines), seen
#                    in the trace's timestamps and in a capture at the target;
#   --packet-trace   one SENT line per probe (the capture's SYNs, exactly), one RCVD per
#                    answer; connect: CONN lines;
#   --host-timeout   a host that does not finish in time is skipped like nmap does it (text,
#                    XML timedout="true", grepable "Status: Timeout"), the other host is
#                    reported whole (both engines);
#   --min-rate       a link whose queue (tbf, on the scanner's side) keeps refusing frames
#                    makes the rate back off, never below --min-rate: the capture's lowest
#                    rate stays above it, and the scan stays exact; --max-scan-delay raises
#                    the same floor; the connect engine opens its window at once.
# usage: test_nmap_timing.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=psnmt$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
CAPTURE="${LAB_DIR:-$(dirname "$0")}/syn_capture.py"

lab_init || exit 1
W=$(mktemp -d)
trap 'rm -rf "$W"; lab_cleanup' EXIT
lab_t ip addr add 192.0.2.3/24 dev vt
lab_spawn "$LAB_T" "$LISTEN" 22 >/dev/null
lab_wait_port "$LAB_T" "$LAB_V4_T" 22 || exit 1

# cap_start FILE / cap_stop: every TCP segment arriving at the target's end of the link.
cap_start() {
	rm -f "$1" "$1.ready"
	lab_spawn "$LAB_T" python3 "$CAPTURE" capture "$1" vt || exit 1
	CAP_PID=${LAB_PIDS[-1]}
	for _ in $(seq 100); do [ -e "$1.ready" ] && return 0; sleep 0.05; done
	echo "capture did not start" >&2
	exit 1
}
cap_stop() { kill "$CAP_PID"; wait "$CAP_PID"; }
# sent_syns TRACE: "port seq" of every SYN the trace says went out, sorted.
sent_syns() { awk '$1 == "SENT" && $7 == "S" { split($6, d, ":"); sub("seq=", "", $10); print d[2], $10 }' "$1" | sort; }
# cap_syns CAPTURE: the same, as the target saw them.
cap_syns() { awk '$4 == "S" { split($3, d, ":"); print d[2], $5 }' "$1" | sort; }
# gaps FILE COLUMN: the smallest gap and the whole span between the times in COLUMN (seconds,
# "(0.1234s)" or plain), "min span".
gaps() { python3 -c '
import sys
ts = sorted(float(l.split()[int(sys.argv[2])].strip("()s")) for l in open(sys.argv[1]) if l.strip())
print("%.3f %.3f" % (min(b - a for a, b in zip(ts, ts[1:])), ts[-1] - ts[0]))' "$1" "$2"; }
at_least() { python3 -c 'import sys; print("yes" if float(sys.argv[1]) >= float(sys.argv[2]) else "no (%s)" % sys.argv[1])' "$1" "$2"; }

# --- --scan-delay and --packet-trace, SYN engine: 10 ports of one host, 100 ms apart.
cap_start "$W/syn.cap"
lab_s "$PORTSIGHT" scan -sS --no-db --scan-delay 100ms --packet-trace -p 15-24 --format jsonl \
	"$LAB_V4_T" >"$W/syn.jsonl" 2>"$W/syn.trace"
lab_check "-sS --scan-delay: exit 0" 0 $?
cap_stop
grep '^SENT .* S ttl' "$W/syn.trace" >"$W/syn.sent"
lab_check "--packet-trace: one SENT line per probe" 10 "$(wc -l <"$W/syn.sent")"
lab_check "--packet-trace: one RCVD line per answer" 10 \
	"$(grep -c "^RCVD .* TCP $LAB_V4_T:[0-9]* > $LAB_V4_S:[0-9]* \(SA\|RA\) " "$W/syn.trace")"
lab_check "--packet-trace: the SYNs traced are the SYNs the target saw" "$(cap_syns "$W/syn.cap")" \
	"$(sent_syns "$W/syn.trace")"
lab_check "--packet-trace: the capture missed nothing" "stats drops=0" "$(tail -1 "$W/syn.cap")"
read -r min span <<<"$(gaps "$W/syn.sent" 1)"
lab_check "-sS --scan-delay 100ms: >= 0.1 s between two probes (trace)" yes "$(at_least "$min" 0.0995)"
lab_check "-sS --scan-delay 100ms: 10 probes span >= 0.9 s (trace)" yes "$(at_least "$span" 0.9)"
grep ' S ' "$W/syn.cap" >"$W/syn.capsyn"
read -r min span <<<"$(gaps "$W/syn.capsyn" 0)"
lab_check "-sS --scan-delay 100ms: >= 0.09 s apart at the target" yes "$(at_least "$min" 0.09)"
lab_check "-sS --scan-delay: still exact" 1 "$(grep -c '"state":"open"' "$W/syn.jsonl")"
# Without it the same probes leave at once: the delay is the flag's doing.
lab_s "$PORTSIGHT" scan -sS --no-db --packet-trace -p 15-24 --format jsonl "$LAB_V4_T" \
	>/dev/null 2>"$W/fast.trace"
grep '^SENT .* S ttl' "$W/fast.trace" >"$W/fast.sent"
read -r min span <<<"$(gaps "$W/fast.sent" 1)"
lab_check "-sS without --scan-delay: the 10 probes within 0.9 s" no "$(at_least "$span" 0.9 | cut -c1-2)"

# --- the connect engine: CONN lines, and the delay seen at the target.
cap_start "$W/conn.cap"
lab_s "$PORTSIGHT" scan -sT --no-db --scan-delay 100ms --packet-trace -p 15-24 --format jsonl \
	"$LAB_V4_T" >"$W/conn.jsonl" 2>"$W/conn.trace"
lab_check "-sT --scan-delay: exit 0" 0 $?
cap_stop
grep "^CONN .* > $LAB_V4_T:[0-9]* => Operation now in progress" "$W/conn.trace" >"$W/conn.sent"
lab_check "-sT --packet-trace: one CONN line per connect()" 10 "$(wc -l <"$W/conn.sent")"
lab_check "-sT --packet-trace: one CONN line per outcome" 10 \
	"$(grep -c '=> \(Connected\|Connection refused\)' "$W/conn.trace")"
read -r min span <<<"$(gaps "$W/conn.sent" 1)"
lab_check "-sT --scan-delay 100ms: >= 0.1 s between two connects (trace)" yes "$(at_least "$min" 0.0995)"
grep ' S ' "$W/conn.cap" >"$W/conn.capsyn"
lab_check "-sT --scan-delay: the target saw 10 SYNs" 10 "$(wc -l <"$W/conn.capsyn")"
read -r min span <<<"$(gaps "$W/conn.capsyn" 0)"
lab_check "-sT --scan-delay 100ms: >= 0.09 s apart at the target" yes "$(at_least "$min" 0.09)"
lab_check "-sT --scan-delay 100ms: span >= 0.9 s at the target" yes "$(at_least "$span" 0.9)"

# --- --host-timeout: 192.0.2.3 answers nothing, and the RTT floor keeps its ports undecided
# for at least 1.5 s; 192.0.2.2 answers every port at once.
lab_nft "$LAB_T" "table inet slow {
	chain in { type filter hook input priority -300; policy accept;
		ip daddr 192.0.2.3 tcp dport 1-50 drop; }
}" || exit 1
xmlview() { python3 -c '
import sys, xml.etree.ElementTree as ET
for h in ET.parse(sys.argv[1]).getroot().findall("host"):
    print(h.find("address").get("addr"), h.get("timedout", "-"), len(h.findall("ports/port")))' "$1"; }
for eng in -sS -sT; do
	lab_s "$PORTSIGHT" scan $eng --no-db --host-timeout 300ms --min-rtt-timeout 1500 \
		--initial-rtt-timeout 1500 -p 1-50 --show all -oX "$W/ht.xml" -oG "$W/ht.gnmap" \
		--output-jsonl "$W/ht.jsonl" 192.0.2.2-3 >"$W/ht.txt" 2>"$W/ht.err"
	lab_check "$eng --host-timeout: exit 0" 0 $?
	lab_check "$eng --host-timeout: the slow host skipped, like nmap" 1 \
		"$(grep -c '^Skipping host 192.0.2.3 due to host timeout$' "$W/ht.txt")"
	lab_check "$eng --host-timeout: the fast host is not" 0 "$(grep -c 'Skipping host 192.0.2.2' "$W/ht.txt")"
	lab_check "$eng --host-timeout: XML: the fast host whole, the slow one timedout, no ports" \
		"192.0.2.2 - 50
192.0.2.3 true 0" "$(xmlview "$W/ht.xml")"
	if command -v xmllint >/dev/null && [ -r /usr/share/nmap/nmap.dtd ]; then
		xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$W/ht.xml" 2>/dev/null
		lab_check "$eng --host-timeout: the XML valid against nmap.dtd" 0 $?
	fi
	lab_check "$eng --host-timeout: grepable Status: Timeout" 1 \
		"$(grep -c "^Host: 192.0.2.3 ()	Status: Timeout$" "$W/ht.gnmap")"
	lab_check "$eng --host-timeout: no port row of the slow host" 0 \
		"$(grep '"port"' "$W/ht.jsonl" | grep -c '192.0.2.3')"
	lab_check "$eng --host-timeout: counted" 1 \
		"$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["summary"].get("timed_out"))' "$W/ht.jsonl")"
	# Without it the slow host is waited for and reported, filtered.
	lab_s "$PORTSIGHT" scan $eng --no-db --min-rtt-timeout 1500 --initial-rtt-timeout 1500 \
		--max-retries 1 -p 1-50 --show all -oX "$W/noht.xml" 192.0.2.2-3 >/dev/null 2>&1
	lab_check "$eng without --host-timeout: the slow host is reported" "192.0.2.2 - 50
192.0.2.3 - 50" "$(xmlview "$W/noht.xml")"
done
lab_t nft delete table inet slow

# --- --min-rate, connect engine: its only brake is the window of handshakes in flight, which
# grows by one per finished probe (slow start). 3000 silent ports never finish within 1.5 s:
# without --min-rate 64 SYNs go out in the first half second, with it the whole window.
lab_nft "$LAB_T" "table inet silent {
	chain in { type filter hook input priority -300; policy accept; tcp dport 1000-3999 drop; }
}" || exit 1
early_syns() { python3 -c '
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if not l.startswith("stats") and l.split()[3] == "S"]
print(sum(1 for x in t if x - t[0] < 0.5))' "$1"; }
for mr in "" "--min-rate 2000"; do
	cap_start "$W/cw.cap"
	lab_s timeout 2 "$PORTSIGHT" scan -sT --no-db $mr --initial-rtt-timeout 1500 -p 1000-3999 \
		"$LAB_V4_T" >/dev/null 2>&1
	cap_stop
	n=$(early_syns "$W/cw.cap")
	if [ -z "$mr" ]; then
		lab_check "-sT without --min-rate: slow start, the first 0.5 s sends <= 100 SYNs" yes \
			"$(at_least 100 "$n")"
	else
		lab_check "-sT --min-rate 2000: the first 0.5 s sends >= 2000 SYNs" yes "$(at_least "$n" 2000)"
	fi
done
lab_t nft delete table inet silent

# --- --min-rate under loss: a token bucket of 2 Mbit/s (about 4300 SYNs/s) with a queue of
# two frames on the scanner's own link refuses most of a fast scan's frames (ENOBUFS).
lab_s tc qdisc add dev vs root tbf rate 2mbit burst 1600 limit 3000 || exit 1
lowest() { sed -n 's/.*to \([0-9]*\)\/s at the lowest.*/\1/p' "$1"; }
lab_s "$PORTSIGHT" scan -sS --no-db -p 1-6000 --format jsonl "$LAB_V4_T" >"$W/tbf.jsonl" 2>"$W/tbf.err"
lab_check "tbf: exit 0" 0 $?
lab_check "tbf: the scan says the rate backed off" 1 "$(grep -c 'queue refused' "$W/tbf.err")"
lab_check "tbf without --min-rate: the rate backs off below 2000/s" yes \
	"$(at_least 1999 "$(lowest "$W/tbf.err")")"
cap_start "$W/minrate.cap"
lab_s "$PORTSIGHT" scan -sS --no-db -p 1-6000 --min-rate 2000 --format jsonl "$LAB_V4_T" \
	>"$W/minrate.jsonl" 2>"$W/minrate.err"
lab_check "--min-rate 2000 under tbf: exit 0" 0 $?
cap_stop
lab_check "--min-rate 2000: the rate backs off, never below 2000/s" 2000 "$(lowest "$W/minrate.err")"
lab_check "--min-rate 2000: the lowest rate the target saw (100 ms windows) >= 1800/s" yes \
	"$(at_least "$(python3 "$CAPTURE" rate "$W/minrate.cap" 100)" 1800)"
lab_check "--min-rate 2000: every port answered" "1 5999" \
	"$(python3 -c 'import json,sys; s=json.loads(open(sys.argv[1]).readlines()[-1])["summary"]; print(s["open"], s["closed"])' "$W/minrate.jsonl")"
lab_s "$PORTSIGHT" scan -sS --no-db -p 1-6000 --max-scan-delay 1ms --format jsonl "$LAB_V4_T" \
	>/dev/null 2>"$W/msd.err"
lab_check "--max-scan-delay 1ms (one host): the rate never below 1000/s" yes \
	"$(at_least "$(lowest "$W/msd.err")" 1000)"
lab_done
