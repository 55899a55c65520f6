#!/bin/bash
# `portsight` with no arguments, run inside a namespace of our own whose listeners and firewall
# we set up: the loopback scan and the listener audit must agree with that truth, per port.
# The firewall lets loopback in (as most rulesets do), so the loopback scan sees every listener.
#   P_LO   listens on 127.0.0.1 only       -> open on 127.0.0.1, REACH loopback, OUTSIDE -
#   P_ALL  listens on 0.0.0.0 and ::       -> open on both, REACH all, OUTSIDE Open
#   P_DROP listens on :: (dual stack), nft drops it -> OUTSIDE Stealth
#   P_REJ  listens on 0.0.0.0, nft rejects it       -> OUTSIDE Closed
set -u
ps=$1
listen=$2
LAB_PREFIX=pschk$$
. "$LAB_DIR/lab.sh"
lab_require_root
trap lab_cleanup EXIT
lab_netns_add "$LAB_S" || exit 1
ip -n "$LAB_S" link set lo up

P_LO=4101 P_ALL=4102 P_DROP=4103 P_REJ=4104
# Each listener is a python3 process so the audit has a program name to find.
serve() { # serve PORT ADDR [v6only]
	lab_spawn "$LAB_S" python3 -c '
import socket, sys, time
port, addr = int(sys.argv[1]), sys.argv[2]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(sys.argv[3]))
s.bind((addr, port)); s.listen(16)
while True:
    c, _ = s.accept(); c.close()
' "$@"
}
serve $P_LO 127.0.0.1
serve $P_ALL 0.0.0.0
serve $P_ALL :: 1
serve $P_DROP :: 0
serve $P_REJ 0.0.0.0
# python3 on Back Orifice's port, loopback only: not exposed, but a program where a backdoor
# used to be is a warning, and the check must show it.
P_BO=31337
serve $P_BO 127.0.0.1
lab_nft "$LAB_S" "table inet chk {
	chain in { type filter hook input priority 0; policy accept;
		iifname \"lo\" accept
		tcp dport $P_DROP drop
		tcp dport $P_REJ reject with tcp reset
	}
}"
for p in $P_LO $P_ALL $P_REJ $P_BO; do lab_wait_port "$LAB_S" 127.0.0.1 $p || exit 1; done
lab_wait_port "$LAB_S" ::1 $P_ALL || exit 1

out=$(lab_in "$LAB_S" "$ps" 2>&1)
rc=$?
echo "$out"
row() { grep -E "^$1/tcp " <<<"$out" | tr -s ' '; }
# EXPOSED is a finding: exit 1, as for local.
lab_check "exit code" 1 "$rc"
lab_check "loopback-only port" "open closed 127.0.0.1 loopback" "$(row $P_LO | cut -d' ' -f2,3,5,6)"
lab_check "loopback-only port's program" "python3" "$(row $P_LO | cut -d' ' -f4 | cut -d[ -f1)"
lab_check "loopback-only port is not for outsiders" "-" "$(row $P_LO | cut -d' ' -f8)"
lab_check "all-interfaces port open on both" "open open" "$(row $P_ALL | cut -d' ' -f2,3)"
lab_check "all-interfaces port is Open outside" "Open" "$(row $P_ALL | cut -d' ' -f8)"
lab_check "dropped port is Stealth outside" "Stealth" "$(row $P_DROP | cut -d' ' -f8)"
lab_check "rejected port is Closed outside" "Closed" "$(row $P_REJ | cut -d' ' -f8)"
lab_check "no other port is listed" 5 "$(grep -cE '^[0-9]+/tcp ' <<<"$out")"
lab_check "profile of 127.0.0.1" "5 open, 65530 closed, 0 stealth" \
	"$(grep -oE '127.0.0.1 +[0-9]+ open, [0-9]+ closed, [0-9]+ stealth' <<<"$out" | tr -s ' ' | cut -d' ' -f2-)"
# One vocabulary: the profile lines are counts, not verdicts; the verdict's numbers are the
# OUTSIDE column's, and it says where the other open ports went.
lab_check "no verdict word on the profile lines" 0 \
	"$(grep -cE '^  (127\.0\.0\.1|::1) .*(EXPOSED|CLOSED|STEALTH)' <<<"$out")"
lab_check "verdict" "Verdict: EXPOSED: 1 port reachable from other hosts (tcp/$P_ALL); of 5 ports listening, 2 loopback-only, 1 Stealth, 1 Closed to other hosts; 1 warning (above)" \
	"$(grep '^Verdict' <<<"$out")"
lab_check "the warning counted is shown" "1 1" \
	"$(grep -c "^warning: tcp/$P_BO: port $P_BO is known from the backdoor" <<<"$out") $(grep -c ' 1 with warnings;' <<<"$out")"
lab_check "advice names the exposed port" "1" "$(grep -c "^  $P_ALL/tcp:" <<<"$out")"

# Unprivileged: the ruleset cannot be read, so nothing is judged Open: UNKNOWN, with the reason,
# and no finding (exit 0); the owners are not visible either, so no warning.
out=$(lab_in "$LAB_S" setpriv --reuid=65534 --regid=65534 --clear-groups "$ps" 2>&1)
rc=$?
lab_check "unprivileged: exit code" 0 "$rc"
lab_check "unprivileged: UNKNOWN with its reason" 1 \
	"$(grep -cE '^Verdict: UNKNOWN: 3 ports listen for other hosts \(tcp/[0-9, tcp/]+\) and the firewall could not be judged: .+' <<<"$out")"
lab_check "unprivileged: no warning" 0 "$(grep -c '^warning:' <<<"$out")"

# Without the all-interfaces listeners and the one on 31337: NOT EXPOSED, nothing found, exit 0.
kill "${LAB_PIDS[1]}" "${LAB_PIDS[2]}" "${LAB_PIDS[5]}"
wait "${LAB_PIDS[1]}" "${LAB_PIDS[2]}" "${LAB_PIDS[5]}" 2>/dev/null
out=$(lab_in "$LAB_S" "$ps" 2>&1)
rc=$?
lab_check "not exposed: exit code" 0 "$rc"
lab_check "not exposed: verdict" "Verdict: NOT EXPOSED: no port is reachable from other hosts; of 3 ports listening, 1 loopback-only, 1 Stealth, 1 Closed to other hosts" \
	"$(grep '^Verdict' <<<"$out")"
serve $P_ALL 0.0.0.0
serve $P_ALL :: 1
lab_wait_port "$LAB_S" 127.0.0.1 $P_ALL || exit 1
lab_wait_port "$LAB_S" ::1 $P_ALL || exit 1

# The connect scan of loopback (what an unprivileged check uses) finds exactly the listeners:
# a socket the kernel happened to connect to itself must not pass for an open port.
open_ports=$(lab_in "$LAB_S" "$ps" scan -sT --no-db -p- 127.0.0.1 ::1 --format jsonl |
	python3 -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin if "port" in l and "summary" not in l]
print(" ".join("%s:%d" % (r["ip"], r["port"]) for r in sorted(rows, key=lambda r: (r["ip"], r["port"]))))')
lab_check "connect scan of loopback: open ports" \
	"127.0.0.1:$P_LO 127.0.0.1:$P_ALL 127.0.0.1:$P_DROP 127.0.0.1:$P_REJ ::1:$P_ALL ::1:$P_DROP" \
	"$open_ports"
# The ShieldsUP sections: UPnP, file sharing, ping, judged from the sockets, the firewall and
# the kernel's echo setting. Without the all-interfaces TCP listeners again, so a finding can
# only come from a section.
kill "${LAB_PIDS[-1]}" "${LAB_PIDS[-2]}"
wait "${LAB_PIDS[-1]}" "${LAB_PIDS[-2]}" 2>/dev/null
sec() { grep -E "^  $1" <<<"$out" | sed -E 's/^  [^:]+: +//'; }
out=$(lab_in "$LAB_S" "$ps" 2>&1)
rc=$?
lab_check "sections: no UDP listener, exit 0" 0 "$rc"
lab_check "sections: UPnP, nothing listens" "nothing listens for other hosts" "$(sec 'UPnP')"
lab_check "sections: file sharing not reachable" "139/tcp nothing listens for other hosts, 445/tcp nothing listens for other hosts, 137/udp nothing listens for other hosts: not reachable" "$(sec 'File sharing')"
lab_check "sections: the kernel answers ping" 1 "$(sec 'Ping' | grep -c 'the kernel answers echo requests')"
udp_serve() { # udp_serve PORT: a python3 UDP socket on 0.0.0.0
	lab_spawn "$LAB_S" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
time.sleep(600)
' "$1" >/dev/null
}
udp_serve 1900
udp_serve 137
for _ in $(seq 50); do
	[ "$(lab_in "$LAB_S" ss -Hlun 'sport = :1900 or sport = :137' | wc -l)" = 2 ] && break
	sleep 0.1
done
out=$(lab_in "$LAB_S" "$ps" 2>&1)
rc=$?
lab_check "sections: UPnP reachable is a finding (exit 1)" 1 "$rc"
lab_check "sections: UPnP exposed" "Open: EXPOSED, other hosts can ask it to open ports" "$(sec 'UPnP')"
lab_check "sections: the name service makes file sharing reachable" 1 \
	"$(sec 'File sharing' | grep -c '137/udp Open: REACHABLE from other hosts')"
lab_nft "$LAB_S" "table inet chku {
	chain in { type filter hook input priority 0; policy accept;
		udp dport { 137, 1900 } drop
	}
}"
lab_in "$LAB_S" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
out=$(lab_in "$LAB_S" "$ps" 2>&1)
rc=$?
lab_check "sections: dropped by the firewall, exit 0" 0 "$rc"
lab_check "sections: UPnP Stealth" "Stealth" "$(sec 'UPnP')"
lab_check "sections: 137 Stealth" 1 "$(sec 'File sharing' | grep -c '137/udp Stealth: not reachable')"
lab_check "sections: ping ignored by the kernel" \
	"no reply: the kernel ignores echo requests (icmp_echo_ignore_all = 1)" "$(sec 'Ping')"
lab_check "sections: TruStealth not judged from the inside" 1 \
	"$(sec 'TruStealth' | grep -c 'not judged from the inside')"
lab_done
