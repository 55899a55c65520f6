#!/bin/bash
# Targets the kernel has no route to (issue 14): nmap's "no route" hosts. Only 198.18/16 is
# routed here (through the target); 198.19/16 is not. Such a host is skipped and said once, is
# never up, never Stealth or Closed, has no port rows, is a down host with reason no-route in
# the XML; routing is checked for every target range (and inside a range), and the SYN/connect
# choice is made on the routable rest.
# usage: test_noroute.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=psnr$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"

lab_init || exit 1
W=$(mktemp -d)
trap 'rm -rf "$W"; lab_cleanup' EXIT
lab_t ip route add local 198.18.0.0/16 dev lo
lab_s ip route add 198.18.0.0/16 via $LAB_V4_T
lab_spawn "$LAB_T" "$LISTEN" 22 >/dev/null
lab_wait_port "$LAB_T" 198.18.0.1 22 || exit 1

summary() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["summary"][sys.argv[2]])' "$1" "$2"; }
# rows FILE: "ip port state/reason" of every listed port, sorted.
rows() { python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if "\"port\"" in l]
print(" ".join(sorted("%s:%d=%s/%s" % (o["ip"], o["port"], o["state"], o["reason"]) for o in r)))' "$1"; }
# xmlhosts FILE: "addr state reason" of every <host>, in order.
xmlhosts() { python3 -c '
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot()
print(" ".join("%s:%s/%s" % (h.find("address").get("addr"), h.find("status").get("state"),
                             h.find("status").get("reason")) for h in t.findall("host")))
hs = t.find("runstats/hosts")
print("up=%s down=%s total=%s" % (hs.get("up"), hs.get("down"), hs.get("total")))' "$1"; }

# The default engine (SYN as root): the unroutable range first, then a routable host.
lab_s "$PORTSIGHT" scan --no-db -p 22 --show all --format jsonl -oX "$W/a.xml" \
	198.19.0.0/30 198.18.0.1 >"$W/a.jsonl" 2>"$W/a.err"
lab_check "unroutable first: exit 0" 0 $?
lab_check "unroutable first: SYN still chosen for the routable rest" syn \
	"$(python3 -c 'import sys,xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().find("scaninfo").get("type"))' "$W/a.xml" | sed 's/^syn$/syn/')"
lab_check "unroutable first: only the routable host has rows" "198.18.0.1:22=open/syn-ack" \
	"$(rows "$W/a.jsonl")"
lab_check "unroutable first: never up" 1 "$(summary "$W/a.jsonl" hosts_up)"
lab_check "unroutable first: counted as no-route" 4 "$(summary "$W/a.jsonl" no_route)"
lab_check "unroutable first: targets still 5" 5 "$(summary "$W/a.jsonl" targets)"
lab_check "unroutable first: said once" 1 "$(grep -c 'no route to' "$W/a.err")"
lab_check "unroutable first: no connect fallback" 0 "$(grep -c 'connect scan' "$W/a.err")"
lab_check "unroutable first: XML hosts" \
"198.18.0.1:up/user-set 198.19.0.0:down/no-route 198.19.0.1:down/no-route 198.19.0.2:down/no-route 198.19.0.3:down/no-route
up=1 down=4 total=5" "$(xmlhosts "$W/a.xml")"

# -sS with the unroutable address first: no abort, a whole -oX.
lab_s "$PORTSIGHT" scan --no-db -sS -p 22 -oX "$W/s.xml" 198.19.0.1 198.18.0.1 >"$W/s.txt" 2>&1
lab_check "-sS unroutable first: exit 0" 0 $?
lab_check "-sS unroutable first: XML whole" "198.18.0.1:up/user-set 198.19.0.1:down/no-route
up=1 down=1 total=2" "$(xmlhosts "$W/s.xml")"
lab_check "-sS: the profile does not call it closed" 0 "$(grep -c 'CLOSED' "$W/s.txt")"
lab_check "-sS: the text report says why" 1 "$(grep -c '1 address not scanned: no route' "$W/s.txt")"

# One merged range across the route's edge: the unroutable half is not Stealth.
for eng in -sS -sT; do
	lab_s "$PORTSIGHT" scan -Pn --no-db $eng -p 22 --show all --format jsonl \
		198.18.255.0/24 198.19.0.0/24 >"$W/e.jsonl" 2>"$W/e.err"
	lab_check "$eng edge: exit 0" 0 $?
	lab_check "$eng edge: the routed half scanned" 256 "$(summary "$W/e.jsonl" ports_scanned)"
	lab_check "$eng edge: the unrouted half no-route" 256 "$(summary "$W/e.jsonl" no_route)"
	lab_check "$eng edge: no row for 198.19" 0 "$(grep -c '"198\.19\.' "$W/e.jsonl")"
	lab_check "$eng edge: note names the range" 1 \
		"$(grep -c 'no route to 256 addresses (198.19.0.0 ... 198.19.0.255)' "$W/e.err")"
done

# Nothing routable: the reports still begin and end, nothing is up.
lab_s "$PORTSIGHT" scan --no-db -sT -p 22 --format jsonl 198.19.0.0/30 >"$W/n.jsonl" 2>/dev/null
lab_check "nothing routable: exit 0" 0 $?
lab_check "nothing routable: nothing scanned" 0 "$(summary "$W/n.jsonl" ports_scanned)"
lab_check "nothing routable: none up" 0 "$(summary "$W/n.jsonl" hosts_up)"
lab_done
