#!/bin/bash
# scan --shieldsup against a namespace lab: every TruStealth outcome (a target that drops
# everything; one that drops every port but answers ping; closed and open ports), the UPnP
# test against a real SSDP responder (exposed: headers shown; silent: 10 M-SEARCH, 0.5 s
# apart, counted at the target), file sharing (a listener on 445 and a NetBIOS responder on
# 137, and neither), port 0 with -sS, the JSON Lines and XML outputs, and the refusals.
ps=$1
listen=$2
LAB_PREFIX=shu$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
udp_lab="${LAB_DIR:-$(dirname "$0")}/udp_lab.py"
tmp=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$tmp"' EXIT

lab_init || exit 1
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
	net.ipv4.icmp_msgs_burst=1000000 net.ipv6.icmp.ratelimit=0
T=$LAB_V4_T

# udp_start NAME KIND:PORT...: a udp_lab.py in the target, its output in $tmp/NAME.udp.
udp_start() {
	local name=$1 i
	shift
	lab_guard "$LAB_T" || exit 1
	ip netns exec "$LAB_T" python3 "$udp_lab" $T "$@" >"$tmp/$name.udp" 2>&1 &
	UDP_PID=$!
	LAB_PIDS+=($UDP_PID)
	for i in $(seq 50); do
		grep -q ready "$tmp/$name.udp" && return 0
		sleep 0.1
	done
	echo "udp_lab did not start" >&2
	exit 1
}
udp_stop() { kill "$UDP_PID" 2>/dev/null; wait "$UDP_PID" 2>/dev/null; }
firewall() { # firewall RULES: the target's input chain, policy drop, RULES accepted
	lab_t nft delete table inet shu 2>/dev/null
	lab_t nft -f - <<<"table inet shu {
		chain in { type filter hook input priority 0; policy drop; $1; }
	}" || exit 1
}
no_firewall() { lab_t nft delete table inet shu 2>/dev/null; }
# shieldsup NAME ARGS...: one run, text in $tmp/NAME.out, its exit code in $tmp/NAME.rc
shieldsup() {
	local name=$1
	shift
	lab_s "$ps" scan --no-db "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
	sed 's/^/#   /' "$tmp/$name.err"
}
has() { grep -qF -- "$2" "$tmp/$1.out" && echo yes || echo no; }

# ---- TruStealth PASSED: the target drops everything, ping included ----
udp_start pass ssdplog:1900 nbns:137
firewall ""
shieldsup pass --shieldsup $T
lab_check "drop all: exit 0 (passed)" 0 "$(cat "$tmp/pass.rc")"
lab_check "drop all: TruStealth passed" yes "$(has pass 'TruStealth: PASSED')"
lab_check "drop all: no solicited packet" yes "$(has pass 'Solicited packets:   none')"
lab_check "drop all: ping not answered" yes "$(has pass 'Ping reply:          no reply')"
lab_check "drop all: 26 ports, port 0 among them" yes \
	"$(has pass '26 TCP ports tested, port 0 among them')"
lab_check "drop all: every port stealth" yes "$(has pass '0 open, 0 closed, 26 stealth')"
lab_check "drop all: UPnP not exposed" yes "$(has pass 'Not exposed: 10 M-SEARCH sent, no reply.')"
lab_check "drop all: the firewall kept every M-SEARCH from the responder" 0 \
	"$(grep -c '^msearch' "$tmp/pass.udp")"
lab_check "drop all: no unsolicited packet" yes \
	"$(has pass 'Unsolicited packets: none: the host sent nothing we did not ask for')"
udp_stop

# ---- FAILED by unsolicited packets: a host that drops everything but pings the tester ----
lab_spawn "$LAB_T" ping -q -i 0.2 $LAB_V4_S >/dev/null || exit 1
PING_PID=${LAB_PIDS[-1]}
shieldsup unsol --shieldsup $T
kill "$PING_PID"
wait "$PING_PID" 2>/dev/null
lab_check "unsolicited: exit 1" 1 "$(cat "$tmp/unsol.rc")"
lab_check "unsolicited: the echo requests counted and named" 1 \
	"$(grep -cE '^Unsolicited packets: [0-9]+ packets \(first: ICMP type 8 \(an echo request: the host pinged us back\)\)' "$tmp/unsol.out")"
lab_check "unsolicited: the reason" 1 \
	"$(grep -cE '^TruStealth: FAILED: the host sent [0-9]+ unsolicited packets' "$tmp/unsol.out")"
lab_check "unsolicited: nothing solicited answered" yes "$(has unsol 'Solicited packets:   none')"

# ---- the same over IPv6: all dropped but neighbour discovery ----
firewall "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept"
shieldsup pass6 --shieldsup $LAB_V6_T
lab_check "IPv6 drop all: exit 0" 0 "$(cat "$tmp/pass6.rc")"
lab_check "IPv6 drop all: TruStealth passed" yes "$(has pass6 'TruStealth: PASSED')"
lab_check "IPv6 drop all: no unsolicited packet (NDP is the link's upkeep)" yes \
	"$(has pass6 'Unsolicited packets: none')"
firewall "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, echo-request } accept"
shieldsup ping6 --shieldsup $LAB_V6_T
lab_check "IPv6 ping only: failed because of the ping" yes \
	"$(has ping6 'TruStealth: FAILED: every port tested is stealth, but the host answered a ping')"

# ---- FAILED by the ping alone: every port dropped, echo requests accepted ----
firewall "icmp type echo-request accept"
shieldsup pingonly --shieldsup $T
lab_check "ping only: exit 1 (failed)" 1 "$(cat "$tmp/pingonly.rc")"
lab_check "ping only: failed because of the ping" yes \
	"$(has pingonly 'TruStealth: FAILED: every port tested is stealth, but the host answered a ping')"
lab_check "ping only: the ping is the one solicited answer" yes \
	"$(has pingonly 'Solicited packets:   1 answer: ping echo reply')"
lab_check "ping only: every port stealth" yes "$(has pingonly '0 open, 0 closed, 26 stealth')"
lab_check "ping only: echo reply shown" yes "$(has pingonly 'Ping reply:          echo reply (')"

# ---- UPnP: a silent responder counts the M-SEARCH it gets (ShieldsUP's timing) ----
firewall "udp dport 1900 accept"
udp_start timing ssdplog:1900
shieldsup timing --shieldsup $T
udp_stop
python3 - "$tmp/timing.udp" >"$tmp/timing.check" <<'PY'
import sys
t = [float(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("msearch")]
gaps = [b - a for a, b in zip(t, t[1:])]
print(len(t))
# Never faster than one every 0.5 s (a lower bound the sender guarantees); the upper bound
# only says "about", loosely, for a loaded machine.
print("spaced" if gaps and min(gaps) >= 0.45 and max(gaps) < 2.0 else "gaps %s" % gaps)
sts = set(l.split(None, 2)[2].strip() for l in open(sys.argv[1]) if l.startswith("msearch"))
print(" ".join(sorted(sts)))
PY
lab_check "UPnP silent: the responder got 10 M-SEARCH" 10 "$(sed -n 1p "$tmp/timing.check")"
lab_check "UPnP silent: one every 0.5 s" spaced "$(sed -n 2p "$tmp/timing.check")"
lab_check "UPnP silent: they are M-SEARCH requests" "M-SEARCH * HTTP/1.1" \
	"$(sed -n 3p "$tmp/timing.check")"
lab_check "UPnP silent: not exposed" yes "$(has timing 'Not exposed: 10 M-SEARCH sent, no reply.')"
lab_check "UPnP silent: still stealth otherwise" yes "$(has timing 'TruStealth: PASSED')"

# ---- UPnP exposed, file sharing reachable: SSDP and NetBIOS responders, SMB on 445 ----
no_firewall
udp_start exposed ssdp:1900 nbns:137
lab_spawn "$LAB_T" "$listen" 445 >"$tmp/listen.out" || exit 1
LISTEN_PID=${LAB_PIDS[-1]}
lab_wait_port "$LAB_T" $T 445 || exit 1
shieldsup exposed --shieldsup -sS -oJ "$tmp/exposed.jsonl" -oX "$tmp/exposed.xml" $T
lab_check "exposed: exit 1" 1 "$(cat "$tmp/exposed.rc")"
lab_check "exposed: UPnP exposed at the first M-SEARCH" yes \
	"$(has exposed 'EXPOSED: M-SEARCH 1 of 10 drew a reply')"
lab_check "exposed: the reply's status line shown" yes "$(has exposed '    HTTP/1.1 200 OK')"
lab_check "exposed: the SERVER header shown" yes \
	"$(has exposed '    SERVER: Linux/6.1 UPnP/1.1 MiniUPnPd/2.3.3')"
lab_check "exposed: the USN header shown" yes \
	"$(has exposed '    USN: uuid:00000000-0000-0000-0000-00000000cafe::upnp:rootdevice')"
lab_check "exposed: 445 open" yes "$(has exposed '445/tcp SMB over TCP               Open')"
lab_check "exposed: 139 closed" yes "$(has exposed '139/tcp NetBIOS session (SMB)      Closed')"
lab_check "exposed: NetBIOS names shown" yes \
	"$(has exposed 'answered the node status request: LABHOST<00>,WORKGROUP<00>,LABHOST<20>')"
lab_check "exposed: file sharing reachable" yes "$(has exposed 'REACHABLE: this host')"
lab_check "exposed: port 0 closed (RST) with -sS" yes \
	"$(grep -E '^  0/tcp +Closed +reset' "$tmp/exposed.out" >/dev/null && echo yes || echo no)"
lab_check "exposed: SYN-ACK, SSDP and NetBIOS replies are answers" yes \
	"$(has exposed 'Unsolicited packets: none')"
lab_check "exposed: failed with the open port and UPnP" yes \
	"$(has exposed 'TruStealth: FAILED: 1 port open; 25 ports answered')"
python3 - "$tmp/exposed.jsonl" >"$tmp/exposed.check" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ports = {l["port"]: l["state"] for l in lines if "port" in l}
rec = [l["shieldsup"] for l in lines if "shieldsup" in l]
print(ports.get(445), len(rec))
s = rec[0]
print(s["upnp"]["exposed"], s["upnp"]["msearch_sent"],
      "SERVER: Linux/6.1 UPnP/1.1 MiniUPnPd/2.3.3" in s["upnp"]["headers"])
print(s["file_sharing"]["tcp_445"], s["file_sharing"]["netbios_137"]["names"])
print(s["ports"]["tested"], s["ports"]["port0_tested"], s["truestealth"], s["ping"]["answer"])
PY
lab_check "exposed, JSON Lines: the port line and one ShieldsUP record" "open 1" \
	"$(sed -n 1p "$tmp/exposed.check")"
lab_check "exposed, JSON Lines: UPnP with its headers" "True 1 True" \
	"$(sed -n 2p "$tmp/exposed.check")"
lab_check "exposed, JSON Lines: file sharing" "open LABHOST<00>,WORKGROUP<00>,LABHOST<20>" \
	"$(sed -n 3p "$tmp/exposed.check")"
lab_check "exposed, JSON Lines: ports, verdict, ping" "26 True FAILED answered" \
	"$(sed -n 4p "$tmp/exposed.check")"
python3 - "$tmp/exposed.xml" >"$tmp/exposed.xcheck" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ports = {p.get("portid"): p.find("state").get("state") for p in root.iter("port")}
print(ports.get("445"), root.find("scaninfo").get("services").split(",")[0])
PY
lab_check "exposed, XML: the port part is there, port 0 among the services" "open 0" \
	"$(cat "$tmp/exposed.xcheck")"
udp_stop
kill "$LISTEN_PID"
wait "$LISTEN_PID" 2>/dev/null

# ---- closed ports and no file sharing: nothing listens, nothing filtered ----
shieldsup closed --shieldsup $T
lab_check "closed: exit 1" 1 "$(cat "$tmp/closed.rc")"
lab_check "closed: failed because ports answered" yes \
	"$(has closed 'TruStealth: FAILED: 26 ports answered (closed or an ICMP error): the host is visible')"
lab_check "closed: UPnP answered with an ICMP error only" yes "$(has closed 'Not exposed, but visible')"
lab_check "closed: file sharing not reachable" yes "$(has closed 'Not reachable: no file sharing')"
lab_check "closed: 137 sent port unreachable" yes "$(has closed 'an ICMP error came back (no name service')"
lab_check "closed: the verdict names both ICMP errors" yes \
	"$(has closed 'UDP 1900 answered with an ICMP error; UDP 137 answered with an ICMP error')"
lab_check "closed: RSTs and ICMP errors are answers, not unsolicited" yes \
	"$(has closed 'Unsolicited packets: none')"

# ---- the connect engine cannot send to port 0, and says so ----
shieldsup connect --shieldsup -sT $T
lab_check "connect: 25 ports tested" yes "$(has connect '(25 TCP ports tested)')"
lab_check "connect: port 0 not tested, said" yes \
	"$(has connect 'port 0 not tested: the connect engine cannot send to it')"
lab_check "connect: the connections' own packets are answers" yes \
	"$(has connect 'Unsolicited packets: none')"

# ---- all service ports: 0-1055, only the ones that answered listed ----
firewall "tcp dport { 22, 1055 } reject with tcp reset"
shieldsup all --shieldsup=all $T
lab_check "all: 1056 ports" yes "$(has all '1056 TCP ports tested, port 0 among them')"
lab_check "all: two closed, the rest stealth" yes "$(has all '0 open, 2 closed, 1054 stealth')"
lab_check "all: 1055 listed" 1 "$(grep -cE '^  1055/tcp +Closed' "$tmp/all.out")"

# ---- refusals: one clear line, exit 2, nothing sent ----
shieldsup both -p 80 --shieldsup $T
lab_check "-p with --shieldsup: exit 2" 2 "$(cat "$tmp/both.rc")"
lab_check "-p with --shieldsup: said" 1 "$(grep -c 'do not go together' "$tmp/both.err")"
shieldsup two --shieldsup $T $LAB_V4_S
lab_check "two hosts: exit 2" 2 "$(cat "$tmp/two.rc")"
shieldsup bad --shieldsup=most $T
lab_check "--shieldsup=most: exit 2" 2 "$(cat "$tmp/bad.rc")"
shieldsup fmt --shieldsup --format xml $T
lab_check "--format xml: exit 2" 2 "$(cat "$tmp/fmt.rc")"
shieldsup share --shieldsup -oX - $T
lab_check "-oX - beside the report on stdout: exit 2" 2 "$(cat "$tmp/share.rc")"

# ---- the history: port 0 stays out of its rows (1-65535), the rest is diffed ----
lab_s "$ps" scan --db "$tmp/h.db" --shieldsup $T >/dev/null 2>&1
lab_s "$ps" scan --db "$tmp/h.db" --shieldsup $T >/dev/null 2>&1
"$ps" diff --db "$tmp/h.db" >"$tmp/diff.out" 2>&1
lab_check "history: two --shieldsup scans diff cleanly" 0 "$?"
sed 's/^/#   /' "$tmp/diff.out"
lab_done
