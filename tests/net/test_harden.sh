#!/bin/bash
# portsight harden against a target namespace with listeners and a ruleset of its own, judged
# from the scanner namespace: the exact state of every port before, while the table is in,
# and after; rollback when --confirm does not come; --undo leaves `nft list ruleset` byte for
# byte as it was; bad input is one line and changes nothing.
# usage: test_harden.sh PORTSIGHT LAB_LISTEN   (env LAB_DIR: where lab.sh lives)
set -u
PORTSIGHT=$1
LISTEN=$2
export LAB_PREFIX=hard$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
PY=/usr/bin/python3
command -v $PY >/dev/null || { echo "SKIP: $PY missing" >&2; exit 77; }
lab_init || exit 1
WORK=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$WORK"' EXIT
STATE=$WORK/state

TCP_PORTS="22 443 7001 8080 31337"
lab_spawn "$LAB_T" "$LISTEN" $TCP_PORTS >/dev/null
lab_spawn "$LAB_T" $PY -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7006))
time.sleep(3600)'
for p in $TCP_PORTS; do lab_wait_port "$LAB_T" 127.0.0.1 "$p" || exit 1; done
# The ruleset already there: another table that drops 9999 (nothing listens there).
lab_nft "$LAB_T" 'table inet existing {
	set never { type inet_service; elements = { 9, 10 } }
	chain in { type filter hook input priority 0; policy accept;
		tcp dport @never drop
		tcp dport 9999 drop
	}
}' || exit 1
# The ruleset as a hash of its exact bytes: equal hashes, byte-identical rulesets.
ruleset() { lab_t nft list ruleset | sha256sum | cut -c1-16; }
BEFORE=$(ruleset)
EXISTING=$(lab_t nft list table inet existing | sha256sum)

# states TARGET: "port:state/reason ..." for the TCP ports, scanned from the scanner namespace.
states() {
	lab_s "$PORTSIGHT" scan -sT --no-db -p 22,443,7001,8080,9999,31337 "$1" --format jsonl \
		--show all >"$WORK/scan.jsonl" 2>"$WORK/scan.err"
	$PY -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join("%d:%s/%s" % (o["port"], o["state"], o["reason"]) for o in sorted(
    (o for o in r if "port" in o), key=lambda o: o["port"])))' "$WORK/scan.jsonl"
}
OPEN_ALL="22:open/syn-ack 443:open/syn-ack 7001:open/syn-ack 8080:open/syn-ack 9999:filtered/no-response 31337:open/syn-ack"
HARD="22:open/syn-ack 443:open/syn-ack 7001:filtered/no-response 8080:open/syn-ack 9999:filtered/no-response 31337:filtered/no-response"
REJ="22:open/syn-ack 443:open/syn-ack 7001:closed/conn-refused 8080:open/syn-ack 9999:filtered/no-response 31337:closed/conn-refused"
# profile TARGET: the text report's verdict for the ports harden is to close.
profile() {
	lab_s "$PORTSIGHT" scan -sT --no-db -p 7001,31337 "$1" 2>&1 | grep -oE '(EXPOSED|CLOSED|STEALTH)\b' | head -n1
}
lab_check "before: v4" "$OPEN_ALL" "$(states $LAB_V4_T)"
lab_check "before: the profile of 7001,31337" EXPOSED "$(profile $LAB_V4_T)"
lab_check "before: v6" "$OPEN_ALL" "$(states $LAB_V6_T)"

# wait_table PRESENT: until table inet portsight is (1) or is not (0) in the ruleset.
wait_table() {
	local i
	for i in $(seq 100); do
		lab_t nft list table inet portsight >/dev/null 2>&1
		[ $(( $? == 0 )) -eq "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
row() { awk -v p="$1" '$1 == p { print $4, $5 }' "$WORK/dry.out"; }

# ---- dry run -----------------------------------------------------------------------------
lab_t "$PORTSIGHT" harden --allow 443,8080/tcp >"$WORK/dry.out" 2>"$WORK/dry.err"
lab_check "dry run: exit 1 (ports would change)" 1 $?
lab_check "dry run: 7001 Open -> Stealth" "Open Stealth" "$(row 7001/tcp)"
lab_check "dry run: 31337 Open -> Stealth" "Open Stealth" "$(row 31337/tcp)"
lab_check "dry run: 7006/udp Open -> Stealth" "Open Stealth" "$(row 7006/udp)"
lab_check "dry run: ssh kept" "Open Open" "$(row 22/tcp)"
lab_check "dry run: 443 allowed" "Open Open" "$(row 443/tcp)"
lab_check "dry run: 8080 allowed" "Open Open" "$(row 8080/tcp)"
lab_check "dry run: the tcp rule" 1 "$(grep -cx $'\t\ttcp dport { 7001, 31337 } drop' "$WORK/dry.out")"
lab_check "dry run: the udp rule" 1 "$(grep -cx $'\t\tudp dport { 7006 } drop' "$WORK/dry.out")"
lab_check "dry run: loopback and established left alone" 2 \
	"$(grep -cxE $'\t\t(iif "lo" accept|ct state established,related accept)' "$WORK/dry.out")"
lab_check "dry run: nothing on stderr" "" "$(cat "$WORK/dry.err")"
lab_check "dry run: ruleset untouched" "$BEFORE" "$(ruleset)"

# ---- apply, confirm, undo ------------------------------------------------------------------
lab_spawn "$LAB_T" "$PORTSIGHT" harden --allow 443,8080/tcp --apply --timeout 30 \
	--state-dir "$STATE" >"$WORK/apply.out" 2>"$WORK/apply.err"
APPLY=${LAB_PIDS[-1]}
wait_table 1 || { echo "FAIL - table never appeared: $(cat "$WORK/apply.err")"; exit 1; }
lab_check "applied: v4 from outside" "$HARD" "$(states $LAB_V4_T)"
lab_check "applied: v6 from outside" "$HARD" "$(states $LAB_V6_T)"
lab_check "applied: the profile of 7001,31337" STEALTH "$(profile $LAB_V4_T)"
lab_check "applied: the v6 profile of 7001,31337" STEALTH "$(profile $LAB_V6_T)"
lab_check "applied: udp 7006 dropped (audit)" drop \
	"$(lab_t "$PORTSIGHT" local --udp --format jsonl | $PY -c '
import json, sys
print([r["firewall"] for r in map(json.loads, sys.stdin) if r.get("port") == 7006][0])')"
lab_check "applied: the other table untouched" "$EXISTING" \
	"$(lab_t nft list table inet existing | sha256sum)"
lab_t "$PORTSIGHT" harden --confirm --state-dir "$STATE" >"$WORK/confirm.out"
lab_check "--confirm: exit 0" 0 $?
wait "$APPLY"
lab_check "--apply confirmed: exit 0" 0 $?
lab_check "--apply: audit agreed" 1 "$(grep -c 'audit of the new ruleset agrees on 6 of 6 ports' "$WORK/apply.out")"
lab_check "--apply: says confirmed" 1 "$(grep -c '^confirmed: table inet portsight stays' "$WORK/apply.out")"
lab_check "confirmed: still hardened" "$HARD" "$(states $LAB_V4_T)"
lab_check "no pending file left" "" "$(ls "$STATE")"
lab_t "$PORTSIGHT" harden --undo >"$WORK/undo.out"
lab_check "--undo: exit 0" 0 $?
lab_check "--undo: ruleset byte-identical to before" "$BEFORE" "$(ruleset)"
lab_check "undone: open again" "$OPEN_ALL" "$(states $LAB_V4_T)"
lab_t "$PORTSIGHT" harden --undo >"$WORK/undo2.out"
lab_check "--undo twice: exit 0, says so" "0 no table inet portsight: nothing to undo" "$? $(cat "$WORK/undo2.out")"

# ---- rollback when unconfirmed (reject mode) ----------------------------------------------
lab_spawn "$LAB_T" "$PORTSIGHT" harden --allow 443,8080/tcp --apply --mode reject --timeout 6 \
	--state-dir "$STATE" >"$WORK/rb.out" 2>&1
APPLY=${LAB_PIDS[-1]}
wait_table 1 || { echo "FAIL - table never appeared: $(cat "$WORK/rb.out")"; exit 1; }
lab_check "reject mode: Closed from outside" "$REJ" "$(states $LAB_V4_T)"
lab_check "reject mode: the profile of 7001,31337" CLOSED "$(profile $LAB_V4_T)"
wait "$APPLY"
lab_check "unconfirmed: exit 1" 1 $?
lab_check "unconfirmed: says rolled back" 1 "$(grep -c 'not confirmed within 6 s: rolled back' "$WORK/rb.out")"
lab_check "rolled back: ruleset byte-identical" "$BEFORE" "$(ruleset)"
lab_check "rolled back: open again" "$OPEN_ALL" "$(states $LAB_V4_T)"

# ---- a hang-up while waiting rolls back at once -------------------------------------------
lab_spawn "$LAB_T" "$PORTSIGHT" harden --apply --timeout 60 --state-dir "$STATE" >"$WORK/hup.out" 2>&1
APPLY=${LAB_PIDS[-1]}
wait_table 1 || exit 1
kill -HUP "$APPLY"
wait "$APPLY"
lab_check "SIGHUP: exit 1, rolled back" "1 1" "$? $(grep -c '^interrupted (Hangup): rolled back' "$WORK/hup.out")"
lab_check "SIGHUP: ruleset byte-identical" "$BEFORE" "$(ruleset)"

# ---- ssh, the session's port, stealth ping --------------------------------------------------
lab_t env SSH_CONNECTION="$LAB_V4_S 40000 $LAB_V4_T 7001" "$PORTSIGHT" harden --refuse 7001,ssh \
	>"$WORK/dry.out"
lab_check "session port kept even when refused" "Open Open" "$(row 7001/tcp)"
lab_check "session port: the reason" 1 "$(grep -c '^7001/tcp .*the SSH session in use' "$WORK/dry.out")"
lab_check "--refuse ssh closes 22" "Open Stealth" "$(row 22/tcp)"
lab_s ping -c 1 -W 1 $LAB_V4_T >/dev/null 2>&1
lab_check "ping answered before" 0 $?
lab_t "$PORTSIGHT" harden --allow 443,8080/tcp --stealth-ping --apply --timeout 0 >"$WORK/ping.out"
lab_check "--timeout 0: applied, exit 0" 0 $?
lab_s ping -c 1 -W 1 $LAB_V4_T >/dev/null 2>&1
lab_check "--stealth-ping: no answer to ping" 1 $?
lab_s ping -c 1 -W 1 $LAB_V6_T >/dev/null 2>&1
lab_check "--stealth-ping: no answer to ping6" 1 $?
lab_t "$PORTSIGHT" harden --allow 443,8080/tcp --apply --timeout 0 >/dev/null
lab_check "re-apply replaces the table in one go" 0 "$(lab_t nft list table inet portsight | grep -c echo-request)"
lab_t "$PORTSIGHT" harden --undo >/dev/null
lab_check "undo after re-apply: byte-identical" "$BEFORE" "$(ruleset)"

# ---- bad input: one line, nothing changed --------------------------------------------------
bad() { # LABEL EXIT ARGS...: exit code and one line on stderr, ruleset untouched
	local label=$1 want=$2
	shift 2
	lab_t "$PORTSIGHT" harden "$@" >"$WORK/bad.out" 2>"$WORK/bad.err"
	lab_check "$label: exit $want" "$want" $?
	lab_check "$label: one line" 1 "$(wc -l <"$WORK/bad.err")"
	lab_check "$label: ruleset untouched" "$BEFORE" "$(ruleset)"
}
bad "unknown service" 2 --allow nosuchthing --apply --timeout 0
lab_check "unknown service named" 1 "$(grep -c "unknown service 'nosuchthing'" "$WORK/bad.err")"
bad "bad mode" 2 --mode loud --apply
bad "bad timeout" 2 --apply --timeout soon
bad "apply and undo" 2 --apply --undo
bad "confirm with nothing waiting" 3 --confirm --state-dir "$STATE"
lab_in "$LAB_T" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$PORTSIGHT" harden --apply --timeout 0 >"$WORK/bad.out" 2>"$WORK/bad.err"
lab_check "unprivileged --apply: exit 3" 3 $?
lab_check "unprivileged --apply: one line" "portsight: changing the nftables ruleset needs root (CAP_NET_ADMIN)" \
	"$(cat "$WORK/bad.err")"
lab_check "unprivileged --apply: ruleset untouched" "$BEFORE" "$(ruleset)"
lab_done
