#!/bin/bash
# UDP engine (-sU) against a namespace lab: real UDP services (udp_lab.py) that echo the
# request's id, an open port that never answers, dropped and rejected ports. Every state and
# reason must be the one the lab set up, and each service's facts must come out of its reply.
ps=$1
LAB_PREFIX=udp$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
udp_lab="${LAB_DIR:-$(dirname "$0")}/udp_lab.py"
tmp=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$tmp"' EXIT

lab_init || exit 1
# This test is about states: every closed port's ICMP error is wanted (no per-peer limit).
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
	net.ipv4.icmp_msgs_burst=1000000 net.ipv6.icmp.ratelimit=0

SERVICES="dns:53 ntp:123 nbns:137 snmp:161 ssdp:1900 mdns:5353 memcached:11211 bo:31337 silent:7000"
lab_guard "$LAB_T" || exit 1
ip netns exec "$LAB_T" python3 "$udp_lab" $LAB_V4_T $SERVICES >"$tmp/lab4.out" 2>&1 &
LAB_PIDS+=($!)
ip netns exec "$LAB_T" python3 "$udp_lab" $LAB_V6_T $SERVICES >"$tmp/lab6.out" 2>&1 &
LAB_PIDS+=($!)
for i in $(seq 50); do
	[ "$(cat "$tmp/lab4.out" "$tmp/lab6.out" | grep -c ready)" = 2 ] && break
	sleep 0.1
done
lab_t nft -f - <<'NFT' || exit 1
table inet udp1 {
	chain in { type filter hook input priority 0; policy accept;
		udp dport 1000-1009 drop
		udp dport 2000 reject with icmpx type admin-prohibited
		udp dport 2001 reject with icmpx type host-unreachable
	}
}
NFT

PORTS=1-2100,5353,7000,11211,31337
check_scan() { # check_scan NAME ADDR
	local name=$1 addr=$2
	lab_s "$ps" scan -sU --no-db --format jsonl --show all -p $PORTS "$addr" \
		>"$tmp/$name.jsonl" 2>"$tmp/$name.err"
	lab_check "$name: exit code" 0 "$?"
	sed 's/^/#   /' "$tmp/$name.err"
	python3 - "$tmp/$name.jsonl" "$addr" >"$tmp/$name.check" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"ip"')]
got = {r["port"]: r for r in rows}
want = {}
for p in list(range(1, 2101)) + [5353, 7000, 11211, 31337]:
    want[p] = ("closed", "icmp-port-unreachable")
for p in (53, 123, 137, 161, 1900, 5353, 11211, 31337):
    want[p] = ("open", "udp-response")
for p in list(range(1000, 1010)) + [7000]:
    want[p] = ("open|filtered", "no-response")
want[2000] = ("filtered", "icmp-admin-prohibited")
want[2001] = ("filtered", "icmp-host-unreachable")
bad = [p for p in want if (got.get(p, {}).get("state"), got.get(p, {}).get("reason")) != want[p]]
for p in bad[:10]:
    print("port", p, "want", want[p], "got", got.get(p))
if len(rows) != len(want):
    print("rows", len(rows), "want", len(want))
    bad.append(-1)
if any(r["proto"] != "udp" or r["ip"] != sys.argv[2] for r in rows):
    print("a row that is not udp to the target")
    bad.append(-2)
facts = {
    53: ("domain", "version", "9.18.24-lab"),
    123: ("ntp", "info", "stratum 2"),
    137: ("netbios-ns", "info", "LABHOST<00>,WORKGROUP<00>,LABHOST<20>"),
    161: ("snmp", "info", "Linux lab 6.1.0 #1 SMP x86_64"),
    1900: ("upnp", "product", "Linux/6.1 UPnP/1.1 MiniUPnPd/2.3.3"),
    5353: ("domain", None, None),
    11211: ("memcached", "version", "1.6.21"),
    31337: ("backorifice", "version", "1.20"),
}
for p, (name, field, value) in facts.items():
    svc = got.get(p, {}).get("service") or {}
    if svc.get("name") != name or (field and svc.get(field) != value):
        print("port", p, "service", svc, "want", name, field, value)
        bad.append(p)
bo = got.get(31337, {}).get("service") or {}
if "backdoor" not in json.dumps(bo):
    print("31337: not flagged backdoor:", bo)
    bad.append(31337)
print("RESULT", "pass" if not bad else "fail")
PY
	sed 's/^/#   /' "$tmp/$name.check"
	lab_check "$name: states, reasons, facts" "RESULT pass" "$(tail -n 1 "$tmp/$name.check")"
}
check_scan v4 $LAB_V4_T
lab_wait_v6() { for i in $(seq 30); do lab_s ping -6 -c1 -W1 $LAB_V6_T >/dev/null 2>&1 && return; done; }
lab_wait_v6
check_scan v6 $LAB_V6_T

# nmap's mixed spec: -sS -sU -p U:53,T:80 is one scan of two protocols, one report.
lab_s "$ps" scan -sS -sU --no-db --format jsonl --show all -p U:53,161,7000,T:80 $LAB_V4_T \
	-oX "$tmp/mixed.xml" >"$tmp/mixed.jsonl" 2>"$tmp/mixed.err"
lab_check "mixed: exit code" 0 "$?"
lab_check "mixed: rows" "tcp 80 closed
udp 161 open
udp 53 open
udp 7000 open|filtered" "$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    if l.startswith("{\"ip\""):
        r = json.loads(l); print(r["proto"], r["port"], r["state"])' "$tmp/mixed.jsonl" | sort)"
# nmap XML: a scaninfo per protocol, UDP ports with nmap's states and reasons.
lab_check "xml: udp scaninfo" 1 "$(grep -c '<scaninfo type="udp" protocol="udp" numservices="3" services="53,161,7000"' "$tmp/mixed.xml")"
lab_check "xml: tcp scaninfo" 1 "$(grep -c '<scaninfo type="syn" protocol="tcp" numservices="1"' "$tmp/mixed.xml")"
flat=$(tr -d '\n' <"$tmp/mixed.xml" | sed 's/> *</></g')
lab_check "xml: one host for both protocols" 1 "$(grep -o '<host ' <<<"$flat" | wc -l)"
lab_check "xml: udp open port" 1 "$(grep -c '<port protocol="udp" portid="53"><state state="open" reason="udp-response"' <<<"$flat")"
lab_check "xml: open|filtered" 1 "$(grep -c 'portid="7000"><state state="open|filtered" reason="no-response"' <<<"$flat")"
if command -v xmllint >/dev/null && [ -f /usr/share/nmap/nmap.dtd ]; then
	lab_check "xml: valid against nmap.dtd" 0 \
		"$(xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$tmp/mixed.xml" >/dev/null 2>&1; echo $?)"
fi
# The text report lists open|filtered when asked and counts it in the summary.
lab_s "$ps" scan -sU --no-db --show open-filtered -p 7000,53 $LAB_V4_T >"$tmp/text.out" 2>&1
lab_check "text: open|filtered listed" 1 "$(grep -c '^7000/udp *open|filtered' "$tmp/text.out")"
lab_check "text: summary counts it" 1 "$(grep -c '1 open|filtered' "$tmp/text.out")"
# History: two scans of the same UDP ports are no change (open|filtered kept as itself), and a
# port that starts answering is.
for i in 1 2; do
	lab_s "$ps" scan -sU --db "$tmp/h.db" -p 53,7000,7001 $LAB_V4_T >/dev/null 2>&1
done
lab_s "$ps" diff --db "$tmp/h.db" >"$tmp/diff1.out" 2>&1
lab_check "history: same UDP scan twice, no change" 0 "$?"
lab_guard "$LAB_T" || exit 1
ip netns exec "$LAB_T" python3 "$udp_lab" $LAB_V4_T echo:7001 >"$tmp/lab7001.out" 2>&1 &
LAB_PIDS+=($!)
for i in $(seq 50); do grep -q ready "$tmp/lab7001.out" && break; sleep 0.1; done
lab_s "$ps" scan -sU --db "$tmp/h.db" -p 53,7000,7001 $LAB_V4_T >/dev/null 2>&1
lab_s "$ps" diff --db "$tmp/h.db" >"$tmp/diff2.out" 2>&1
lab_check "history: a UDP port that opened is a change" 1 "$?"
lab_check "history: the diff names it" 1 "$(grep -c '7001/udp' "$tmp/diff2.out")"
sed 's/^/#   /' "$tmp/diff2.out"
lab_done
