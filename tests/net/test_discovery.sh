#!/bin/bash
# Host discovery: every reason from ground truth the lab sets up. Behind the target namespace
# (routed, AnyIP) each address of 198.18.0.10-17 answers exactly one kind of probe (nftables
# drops the rest); 2001:db8:1::10 answers ICMPv6 echo only; on the veth link 192.0.2.2 and
# 2001:db8::2 exist and .3 / ::3 do not (ARP / neighbour discovery). Checked: -sn with the
# default probes and with each -P probe alone, every output format's status and reason, the
# port scan after discovery (down hosts not scanned) against -Pn and a single host, and the
# unprivileged path (capabilities dropped: connect() to 80 and 443).
# usage: test_discovery.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=dscd$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"

lab_init || exit 1
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"; lab_cleanup' EXIT

lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
lab_t ip route add local 198.18.0.0/24 dev lo
lab_s ip route add 198.18.0.0/24 via $LAB_V4_T
lab_t ip -6 route add local 2001:db8:1::/64 dev lo
lab_s ip -6 route add 2001:db8:1::/64 via $LAB_V6_T
lab_nft "$LAB_T" "table inet dsc {
	chain in {
		type filter hook input priority 0; policy accept;
		ip daddr 198.18.0.10 icmp type echo-request accept
		ip daddr 198.18.0.10 drop
		ip daddr 198.18.0.11 tcp dport 443 tcp flags & (syn | ack) == syn reject with tcp reset
		ip daddr 198.18.0.11 drop
		ip daddr 198.18.0.12 icmp type timestamp-request accept
		ip daddr 198.18.0.12 drop
		ip daddr 198.18.0.13 tcp dport 80 tcp flags & (syn | ack) == ack accept
		ip daddr 198.18.0.13 drop
		ip daddr 198.18.0.14 udp dport 40125 accept
		ip daddr 198.18.0.14 drop
		ip daddr 198.18.0.15 tcp dport 443 accept
		ip daddr 198.18.0.15 drop
		ip daddr 198.18.0.16-198.18.0.17 drop
		ip6 daddr 2001:db8:1::10 icmpv6 type echo-request accept
		ip6 daddr 2001:db8:1::/64 drop
	}
}" || exit 1
lab_spawn "$LAB_T" "$LISTEN" 443 >/dev/null
lab_wait_port "$LAB_S" 198.18.0.15 443 || exit 1
RANGE=198.18.0.10-17

# statuses JSONL: "ip status reason" of every host record, sorted.
statuses() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "status" in o:
        print(o["host"], o["status"], o["reason"])' "$1" | sort -V
}

# discover NAME ARGS...: -sn -v (every host listed, down ones too) as JSON Lines.
discover() {
	local name=$1
	shift
	lab_s "$PORTSIGHT" scan -sn -v --no-db --format jsonl "$@" >"$OUT/$name.jsonl" \
		2>"$OUT/$name.err"
	echo $?
}

truth_default="198.18.0.10 up echo-reply
198.18.0.11 up reset
198.18.0.12 up timestamp-reply
198.18.0.13 up reset
198.18.0.14 down no-response
198.18.0.15 up syn-ack
198.18.0.16 down no-response
198.18.0.17 down no-response"
lab_check "-sn exits 0" 0 "$(discover default $RANGE)"
lab_check "-sn, default probes (echo, SYN 443, ACK 80, timestamp): every host's reason" \
	"$truth_default" "$(statuses "$OUT/default.jsonl")"

# only PROBE_FLAGS UP_LINES: with those probes alone, these hosts up (and the rest down).
only() {
	local flags=$1 want=$2 name got
	name=p$(echo "$flags" | tr -dc 'A-Za-z0-9')
	discover "$name" $flags $RANGE >/dev/null
	got=$(statuses "$OUT/$name.jsonl" | grep ' up ')
	lab_check "-sn $flags: the hosts up and why" "$want" "$got"
	lab_check "-sn $flags: every other host down" $((8 - $(grep -c . <<<"$want"))) \
		"$(statuses "$OUT/$name.jsonl" | grep -c ' down no-response')"
}
only "-PE" "198.18.0.10 up echo-reply"
only "-PP" "198.18.0.12 up timestamp-reply"
only "-PS" "198.18.0.11 up reset
198.18.0.15 up syn-ack"
only "-PS443" "198.18.0.11 up reset
198.18.0.15 up syn-ack"
only "-PA" "198.18.0.13 up reset"
only "-PU" "198.18.0.14 up port-unreach"
only "-PU40125 -PE" "198.18.0.10 up echo-reply
198.18.0.14 up port-unreach"
only "-PE -PP" "198.18.0.10 up echo-reply
198.18.0.12 up timestamp-reply"

# ICMPv6 echo behind a router, and the neighbours of the link: ARP, ND, our own address.
discover v6 -PE 2001:db8:1::10-11 >/dev/null
lab_check "-PE over IPv6: ICMPv6 echo" "2001:db8:1::10 up echo-reply
2001:db8:1::11 down no-response" "$(statuses "$OUT/v6.jsonl")"
discover link 192.0.2.1-3 2001:db8::2-3 >/dev/null
lab_check "on-link targets: ARP, neighbour discovery, this machine's own address" \
	"192.0.2.1 up localhost-response
192.0.2.2 up arp-response
192.0.2.3 down no-response
2001:db8::2 up nd-response
2001:db8::3 down no-response" "$(statuses "$OUT/link.jsonl")"
discover nolink --disable-arp-ping -PE 192.0.2.2-3 >/dev/null
lab_check "--disable-arp-ping: the on-link host gets the echo" "192.0.2.2 up echo-reply
192.0.2.3 down no-response" "$(statuses "$OUT/nolink.jsonl" | sed 's/ host-unreach$/ no-response/')"
discover lo 127.0.0.1-2 >/dev/null
lab_check "loopback: localhost-response" "127.0.0.1 up localhost-response
127.0.0.2 up localhost-response" "$(statuses "$OUT/lo.jsonl")"

# XML: <status state reason reason_ttl> of each host (down ones only with -v, as nmap).
lab_s "$PORTSIGHT" scan -sn --no-db --format xml $RANGE >"$OUT/sn.xml" 2>/dev/null
lab_s "$PORTSIGHT" scan -sn -v --no-db -oX "$OUT/snv.xml" --format grep $RANGE \
	>"$OUT/snv.gnmap" 2>/dev/null
xml_status() {
	python3 -c 'import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for h in root.findall("host"):
    s = h.find("status"); a = h.find("address")
    print(a.get("addr"), s.get("state"), s.get("reason"), s.get("reason_ttl"), len(h.findall("ports")))
hs = root.find("runstats/hosts")
print("hosts", hs.get("up"), hs.get("down"))' "$1" | sort -V
}
lab_check "XML -sn: the hosts up, <status reason reason_ttl>, no <ports>" \
	"198.18.0.10 up echo-reply 64 0
198.18.0.11 up reset 64 0
198.18.0.12 up timestamp-reply 64 0
198.18.0.13 up reset 64 0
198.18.0.15 up syn-ack 64 0
hosts 5 3" "$(xml_status "$OUT/sn.xml")"
lab_check "XML -sn -v: the hosts down too" \
	"198.18.0.14 down no-response 0 0 198.18.0.16 down no-response 0 0 198.18.0.17 down no-response 0 0" \
	"$(xml_status "$OUT/snv.xml" | grep ' down ' | tr '\n' ' ' | sed 's/ $//')"
lab_check "grepable -sn -v: a Status line per host" "5 3" \
	"$(grep -c $'\tStatus: Up$' "$OUT/snv.gnmap") $(grep -c $'\tStatus: Down$' "$OUT/snv.gnmap")"
lab_s "$PORTSIGHT" scan -sn --no-db $RANGE >"$OUT/sn.txt" 2>/dev/null
lab_check "text -sn: the echo host and why" "Host 198.18.0.10 is up (echo-reply, ttl 64" \
	"$(grep -o '^Host 198.18.0.10 is up (echo-reply, ttl 64' "$OUT/sn.txt")"
lab_check "text -sn: the summary" "8 addresses: 5 hosts up, 3 down (host discovery only)" \
	"$(grep -o '^8 addresses: 5 hosts up, 3 down (host discovery only)' "$OUT/sn.txt")"
lab_s "$PORTSIGHT" scan -sn --no-db --format csv $RANGE >"$OUT/sn.csv" 2>/dev/null
lab_check "CSV -sn: a host row with state and reason" "198.18.0.12,,,,up,timestamp-reply,64" \
	"$(grep -o '^198.18.0.12,,,,up,timestamp-reply,64' "$OUT/sn.csv")"
lab_s "$PORTSIGHT" scan -sn --no-db --format html $RANGE >"$OUT/sn.html" 2>/dev/null
lab_check "HTML -sn: the discovery table" "<tr><td>198.18.0.11</td><td></td><td>up</td><td>reset</td>" \
	"$(grep -o '<tr><td>198.18.0.11</td><td></td><td>up</td><td>reset</td>' "$OUT/sn.html")"

# The port scan after discovery: down hosts are not scanned; -Pn scans all; one host is
# scanned without discovery.
port_hosts() { # JSONL: the addresses with port rows, sorted
	python3 -c 'import json, sys
print(" ".join(sorted({json.loads(l)["ip"] for l in open(sys.argv[1]) if "port" in json.loads(l)})))' "$1"
}
lab_s "$PORTSIGHT" scan --no-db --show all --format jsonl -p 443 $RANGE >"$OUT/scan.jsonl" \
	2>"$OUT/scan.err"
lab_check "a network: discovery first, only the hosts up are scanned" \
	"198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13 198.18.0.15" "$(port_hosts "$OUT/scan.jsonl")"
lab_check "the scan says how many were down" 1 \
	"$(grep -c 'host discovery: 5 of 8 hosts up; the 3 down are not scanned' "$OUT/scan.err")"
lab_check "443 open on the SYN-ACK host" 1 \
	"$(grep -c '"ip":"198.18.0.15","port":443,"proto":"tcp","state":"open"' "$OUT/scan.jsonl")"
lab_check "JSON Lines: the host record before its ports" \
	'{"host":"198.18.0.15","status":"up","reason":"syn-ack","reason_ttl":64' \
	"$(grep -o '^{"host":"198.18.0.15","status":"up","reason":"syn-ack","reason_ttl":64' "$OUT/scan.jsonl")"
lab_s "$PORTSIGHT" scan --no-db --show all --format jsonl -Pn -p 443 $RANGE >"$OUT/pn.jsonl" \
	2>/dev/null
lab_check "-Pn: every address is scanned, no host record" \
	"198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13 198.18.0.14 198.18.0.15 198.18.0.16 198.18.0.17 0" \
	"$(port_hosts "$OUT/pn.jsonl") $(grep -c '"status"' "$OUT/pn.jsonl")"
lab_s "$PORTSIGHT" scan --no-db --show all -oX "$OUT/one.xml" --format jsonl -p 443 198.18.0.16 \
	>"$OUT/one.jsonl" 2>/dev/null
lab_check "a single host: scanned without discovery (user-set)" "198.18.0.16 up user-set 0 1" \
	"$(xml_status "$OUT/one.xml" | grep -v ^hosts)"
lab_s "$PORTSIGHT" scan --no-db --show all -oX "$OUT/onepe.xml" --format jsonl -PE -p 443 \
	198.18.0.16 >/dev/null 2>&1
lab_check "a single host with -PE: discovered, down, not scanned" "hosts 0 1" \
	"$(xml_status "$OUT/onepe.xml")"
lab_s "$PORTSIGHT" scan --no-db -oX "$OUT/scanv.xml" -v -p 443 $RANGE >/dev/null 2>&1
lab_check "XML of a scan with -v: down hosts listed with their reason, no ports" \
	"198.18.0.14 down no-response 0 0" "$(xml_status "$OUT/scanv.xml" | grep '^198.18.0.14 ')"
lab_check "XML of a scan: the up host carries discovery's reason and its ports" \
	"198.18.0.10 up echo-reply 64 1" "$(xml_status "$OUT/scanv.xml" | grep '^198.18.0.10 ')"

# Without CAP_NET_RAW: connect() to 80 and 443; a refusal is a host as much as a handshake.
unpriv() {
	lab_guard "$LAB_S" || return 97
	ip netns exec "$LAB_S" setpriv --inh-caps=-all --bounding-set=-all -- "$@"
}
unpriv "$PORTSIGHT" scan -sn -v --no-db --format jsonl $RANGE >"$OUT/unpriv.jsonl" \
	2>"$OUT/unpriv.err"
lab_check "unprivileged -sn: connect() to 80/443" "198.18.0.11 up conn-refused
198.18.0.15 up syn-ack" "$(statuses "$OUT/unpriv.jsonl" | grep ' up ')"
unpriv "$PORTSIGHT" scan --no-db --show all --format jsonl -p 443 $RANGE >"$OUT/unpriv_scan.jsonl" \
	2>/dev/null
lab_check "unprivileged scan of a network: the connect engine scans the hosts up only" \
	"198.18.0.11 198.18.0.15" "$(port_hosts "$OUT/unpriv_scan.jsonl")"
unpriv "$PORTSIGHT" scan -sn --no-db -PE $RANGE >/dev/null 2>"$OUT/unpriv_pe.err"
lab_check "unprivileged -PE: refused, one line" "1 1" \
	"$(grep -c 'CAP_NET_RAW' "$OUT/unpriv_pe.err") $(wc -l <"$OUT/unpriv_pe.err")"

# Bad combinations: one line, exit 2.
bad() { # bad DESCRIPTION ARGS...
	local d=$1 rc
	shift
	lab_s "$PORTSIGHT" scan --no-db "$@" >/dev/null 2>"$OUT/bad.err"
	rc=$?
	lab_check "$d: exit 2, one line" "2 1" "$rc $(wc -l <"$OUT/bad.err")"
}
bad "-sn -Pn" -sn -Pn $RANGE
bad "-Pn -PE" -Pn -PE $RANGE
bad "-sn -p" -sn -p 80 $RANGE
bad "-PM" -PM $RANGE
bad "-PX" -PX $RANGE
bad "-PE22" -PE22 $RANGE
bad "-PS with a bad port" -PS99999 $RANGE
lab_done
