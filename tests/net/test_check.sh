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
lab_nft "$LAB_S" "table inet chk {
	chain in { type filter hook input priority 0; policy accept;
		iifname \"lo\" accept
		tcp dport $P_DROP drop
		tcp dport $P_REJ reject with tcp reset
	}
}"
for p in $P_LO $P_ALL $P_REJ; do lab_wait_port "$LAB_S" 127.0.0.1 $p || exit 1; done
lab_wait_port "$LAB_S" ::1 $P_ALL || exit 1

out=$(lab_in "$LAB_S" "$ps" 2>&1)
rc=$?
echo "$out"
row() { grep -E "^$1/tcp " <<<"$out" | tr -s ' '; }
lab_check "exit code" 0 "$rc"
lab_check "loopback-only port" "open closed 127.0.0.1 loopback" "$(row $P_LO | cut -d' ' -f2,3,5,6)"
lab_check "loopback-only port's program" "python3" "$(row $P_LO | cut -d' ' -f4 | cut -d[ -f1)"
lab_check "loopback-only port is not for outsiders" "-" "$(row $P_LO | cut -d' ' -f8)"
lab_check "all-interfaces port open on both" "open open" "$(row $P_ALL | cut -d' ' -f2,3)"
lab_check "all-interfaces port is Open outside" "Open" "$(row $P_ALL | cut -d' ' -f8)"
lab_check "dropped port is Stealth outside" "Stealth" "$(row $P_DROP | cut -d' ' -f8)"
lab_check "rejected port is Closed outside" "Closed" "$(row $P_REJ | cut -d' ' -f8)"
lab_check "no other port is listed" 4 "$(grep -cE '^[0-9]+/tcp ' <<<"$out")"
lab_check "profile of 127.0.0.1" "4 open, 65531 closed, 0 stealth" \
	"$(grep -oE '127.0.0.1 +[0-9]+ open, [0-9]+ closed, [0-9]+ stealth' <<<"$out" | tr -s ' ' | cut -d' ' -f2-)"
lab_check "verdict" "Verdict: EXPOSED: 1 TCP port reachable from other hosts" \
	"$(grep '^Verdict' <<<"$out")"
lab_check "advice names the exposed port" "1" "$(grep -c "^  $P_ALL/tcp:" <<<"$out")"

# The connect scan of loopback (what an unprivileged check uses) finds exactly the listeners:
# a socket the kernel happened to connect to itself must not pass for an open port.
open_ports=$(lab_in "$LAB_S" "$ps" scan -sT --no-db -p- 127.0.0.1 ::1 --format jsonl |
	python3 -c 'import json, sys
rows = [json.loads(l) for l in sys.stdin if "port" in l and "summary" not in l]
print(" ".join("%s:%d" % (r["ip"], r["port"]) for r in sorted(rows, key=lambda r: (r["ip"], r["port"]))))')
lab_check "connect scan of loopback: open ports" \
	"127.0.0.1:$P_LO 127.0.0.1:$P_ALL 127.0.0.1:$P_DROP 127.0.0.1:$P_REJ ::1:$P_ALL ::1:$P_DROP" \
	"$open_ports"
lab_done
