#!/bin/bash
# portsight watch in a namespace of our own: listeners we start and stop ourselves (wildcard,
# loopback-only, v6only, UDP, a trojan port held by "nc"), a restart with a new PID, a takeover
# by another program, and 5000 listeners at once. Every event is checked against what we did:
# its fields, its latency (< 1 s), and that it fires exactly once. Alerts go to stdout, --exec,
# a webhook on 127.0.0.1 inside the namespace (and to one answering 500 and one that hangs:
# watch must keep going), and a Prometheus textfile. Then --once --baseline exit codes.
# usage: test_watch.sh PORTSIGHT LAB_LISTEN   (env LAB_DIR: where lab.sh lives)
set -u
PORTSIGHT=$1
LISTEN=$2
export LAB_PREFIX=watch$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
lab_require_root
PY=/usr/bin/python3
command -v $PY >/dev/null || { echo "SKIP: $PY missing" >&2; exit 77; }

NS=$LAB_T
WORK=$(mktemp -d)
trap 'lab_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
lab_netns_add "$NS" || exit 1
ip -n "$NS" link set lo up
ip -n "$NS" link add va type veth peer name vb || exit 1
ip -n "$NS" addr add $LAB_V4_T/24 dev va
ip -n "$NS" link set va up
ip -n "$NS" link set vb up

# listener NAME FAMILY PROTO ADDR PORT V6ONLY [PROGRAM]: one python process, one socket;
# $WORK/ready.NAME once it listens, $WORK/pid.NAME its pid.
PYLISTEN='
import socket, sys, time
name, fam, proto, addr, port, v6only, ready = sys.argv[1:8]
f = socket.AF_INET6 if fam == "6" else socket.AF_INET
t = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
s = socket.socket(f, t)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if f == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
s.bind((addr, int(port)))
if t == socket.SOCK_STREAM:
    s.listen(16)
open(ready, "w").close()
while True:
    time.sleep(60)
'
listener() {
	local name=$1 prog=${7:-$PY}
	rm -f "$WORK/ready.$name"
	lab_spawn "$NS" "$prog" -c "$PYLISTEN" "${@:1:6}" "$WORK/ready.$name"
	echo "${LAB_PIDS[-1]}" >"$WORK/pid.$name"
	wait_file "$WORK/ready.$name" || { echo "FAIL - listener $name did not start"; exit 1; }
}
stop() { # NAME: kill the listener, wait until it is gone
	local pid
	pid=$(cat "$WORK/pid.$1")
	kill "$pid"
	wait "$pid" 2>/dev/null
}
wait_file() {
	local i
	for i in $(seq 100); do
		[ -s "$1" ] || [ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# wait_lines FILE N: until FILE has at least N lines (10 s at most).
wait_lines() {
	local i
	for i in $(seq 200); do
		[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# A program called nc on the trojan port: a symlink keeps the kernel's comm "nc".
ln -s $PY "$WORK/nc"

# Webhook receivers on 127.0.0.1 inside the namespace: one that answers 200, one 500, one that
# never answers. Each appends the bodies it gets to its file.
cat >"$WORK/recv.py" <<'PYEOF'
import http.server, sys, time
mode, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "ab") as f:
            f.write(body + b"\n")
        if mode == "hang":
            time.sleep(3600)
        self.send_response(200 if mode == "ok" else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PYEOF
for spec in ok:8091 err:8092 hang:8093; do
	lab_spawn "$NS" $PY "$WORK/recv.py" "${spec%:*}" "${spec#*:}" "$WORK/hook.${spec%:*}"
	lab_wait_port "$NS" 127.0.0.1 "${spec#*:}" || exit 1
done
listener old 6 tcp :: 7105 0 # replaced by another program later

# The watches: the main one with every channel; two more whose webhooks fail.
lab_spawn "$NS" "$PORTSIGHT" watch --format jsonl --interval 0.2 --grace 1.5 \
	--webhook http://127.0.0.1:8091/hook --prom "$WORK/prom.txt" \
	--exec "cat >>'$WORK/exec.jsonl'; echo \"\$PORTSIGHT_EVENT \$PORTSIGHT_PROTO \$PORTSIGHT_PORT \$PORTSIGHT_PROGRAM\" >>'$WORK/exec.env'; exec grep -E '^Sig(Blk|Ign)' /proc/self/status >>'$WORK/exec.sig'" \
	>"$WORK/events.jsonl" 2>"$WORK/watch.err"
WATCH=${LAB_PIDS[-1]}
lab_spawn "$NS" "$PORTSIGHT" watch --format jsonl --interval 0.2 --grace 1.5 \
	--webhook http://127.0.0.1:8092/ --webhook-retries 1 --webhook-timeout 2 \
	>"$WORK/events500.jsonl" 2>"$WORK/watch500.err"
WATCH500=${LAB_PIDS[-1]}
lab_spawn "$NS" "$PORTSIGHT" watch --format jsonl --interval 0.2 --grace 1.5 \
	--webhook http://127.0.0.1:8093/ --webhook-retries 0 --webhook-timeout 1 \
	>"$WORK/eventshang.jsonl" 2>"$WORK/watchhang.err"
WATCHHANG=${LAB_PIDS[-1]}
# The Prometheus file appears after the first look: from then on every change is an event.
wait_file "$WORK/prom.txt" || { echo "FAIL - watch did not start: $(cat "$WORK/watch.err")"; exit 1; }
sleep 0.5

listener wild4 4 tcp 0.0.0.0 7101 0
listener loop4 4 tcp 127.0.0.1 7102 0
listener v6only 6 tcp :: 7103 1
listener udp4 4 udp 0.0.0.0 7104 0
listener nc 4 tcp 0.0.0.0 31337 0 "$WORK/nc"
wait_lines "$WORK/events.jsonl" 5

# The restart: same address, new PID, back well within the grace period: no event.
OLDPID=$(cat "$WORK/pid.wild4")
cp -p "$WORK/ready.wild4" "$WORK/ready.wild4first" # the event's moment is the first start's
stop wild4
listener wild4 4 tcp 0.0.0.0 7101 0
lab_check "restart got a new PID" true "$([ "$(cat "$WORK/pid.wild4")" != "$OLDPID" ] && echo true)"
# The takeover: python on 7105 replaced by another program on the same address.
stop old
lab_spawn "$NS" "$LISTEN" 7105 >/dev/null
echo "${LAB_PIDS[-1]}" >"$WORK/pid.new"
lab_wait_port "$NS" 127.0.0.1 7105 || exit 1
# A close: loopback-only 7102 goes away for good.
stop loop4
wait_lines "$WORK/events.jsonl" 7
sleep 2.5 # past the grace period: a late close or open of the restarted 7101 would show now

# ev PORT PROTO KIND EXPR: python EXPR over the one matching event e (or "<N events>").
ev() {
	$PY - "$WORK/events.jsonl" "$@" <<'PYEOF'
import json, sys
path, port, proto, kind, expr = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
evs = [json.loads(l) for l in open(path)]
m = [e for e in evs if e["port"] == port and e["proto"] == proto and e["event"] == kind]
if len(m) != 1:
    print(f"<{len(m)} events>")
    sys.exit(0)
e = m[0]
v = eval(expr)
print(json.dumps(v) if not isinstance(v, str) else v)
PYEOF
}
# Latency: from the moment the listener announced itself (its ready file, written after
# listen()) to the event's time stamp.
latency_ok() { # NAME PORT PROTO: "true", or the latency measured
	local ready
	ready=$(stat -c %.3Y "$WORK/ready.$1")
	ev "$2" "$3" open "(lambda d: 'true' if -0.3 <= d < 1.0 else 'latency %.3f s' % d)(__import__('datetime').datetime.strptime(e['time'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=__import__('datetime').timezone.utc).timestamp() - $ready)"
}
check_open() { # NAME PORT PROTO ADDR EXPOSURE [PROGRAM]
	local pid
	pid=$(cat "$WORK/pid.$1")
	local ready=$1
	[ "$1" = wild4 ] && pid=$OLDPID ready=wild4first # the event was the first start's
	lab_check "$1 open: address" "$4" "$(ev "$2" "$3" open 'e["addr"]')"
	lab_check "$1 open: exposure" "$5" "$(ev "$2" "$3" open 'e["exposure"]')"
	lab_check "$1 open: pid" "$pid" "$(ev "$2" "$3" open 'e["pid"]')"
	lab_check "$1 open: program" "${6:-python3}" "$(ev "$2" "$3" open 'e["program"]')"
	lab_check "$1 open: exe" "/usr/bin/python3.11" "$(ev "$2" "$3" open 'e["exe"]')"
	lab_check "$1 open: user" "root" "$(ev "$2" "$3" open 'e["user"]')"
	lab_check "$1 open: netns" "null" "$(ev "$2" "$3" open 'e["netns"]')"
	lab_check "$1 open: firewall" "$([ "$5" = loopback ] && echo n/a || echo accept)" \
		"$(ev "$2" "$3" open 'e["firewall"]')"
	lab_check "$1 open: latency < 1 s" true "$(latency_ok "$ready" "$2" "$3")"
}
check_open wild4 7101 tcp 0.0.0.0 all
check_open loop4 7102 tcp 127.0.0.1 loopback
check_open v6only 7103 tcp :: all
check_open udp4 7104 udp 0.0.0.0 all
check_open nc 31337 tcp 0.0.0.0 all nc
lab_check "nc on 31337: ad-hoc warning" true "$(ev 31337 tcp open '"adhoc" in e["warnings"]')"
lab_check "nc on 31337: trojan warning" true "$(ev 31337 tcp open '"trojan" in e["warnings"]')"
lab_check "nc on 31337: warning text" true "$(ev 31337 tcp open 'len(e["warning"] or "") > 10')"
lab_check "python on 7101: no warning" "[]" "$(ev 7101 tcp open 'e["warnings"]')"
lab_check "7102 close: pid" "$(cat "$WORK/pid.loop4")" "$(ev 7102 tcp close 'e["pid"]')"
lab_check "7102 close: after the grace period, not before" true \
	"$(ev 7102 tcp close "__import__('datetime').datetime.strptime(e['time'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=__import__('datetime').timezone.utc).timestamp() - $(date +%s) < 0")"
lab_check "7105 change: new program" lab_listen "$(ev 7105 tcp change 'e["program"]')"
lab_check "7105 change: old program" python3 "$(ev 7105 tcp change 'e["was_program"]')"
lab_check "7105 change: new pid" "$(cat "$WORK/pid.new")" "$(ev 7105 tcp change 'e["pid"]')"
lab_check "7105: no open or close" "<0 events>/<0 events>" \
	"$(ev 7105 tcp open 1)/$(ev 7105 tcp close 1)"
lab_check "7101 restart: no close" "<0 events>" "$(ev 7101 tcp close 1)"
# Exactly these events, each once: five opens, one change, one close.
lab_check "events, each once" "31337/tcp open,7101/tcp open,7102/tcp close,7102/tcp open,7103/tcp open,7104/udp open,7105/tcp change" \
	"$($PY -c '
import json, sys
print(",".join(sorted("%d/%s %s" % (e["port"], e["proto"], e["event"]) for e in map(json.loads, open(sys.argv[1])))))' "$WORK/events.jsonl")"

# The same events reached every channel.
events_set() { $PY -c '
import json, sys
print(sorted((e["event"], e["port"], e["proto"], e["pid"]) for e in map(json.loads, open(sys.argv[1])) if e))' "$1"; }
wait_lines "$WORK/hook.ok" 7
lab_check "webhook got every event" "$(events_set "$WORK/events.jsonl")" "$(events_set "$WORK/hook.ok")"
wait_lines "$WORK/exec.jsonl" 7
lab_check "--exec got every event on stdin" "$(events_set "$WORK/events.jsonl")" "$(events_set "$WORK/exec.jsonl")"
lab_check "--exec environment" "open tcp 31337 nc" "$(grep -c . "$WORK/exec.env" >/dev/null; grep ' 31337 ' "$WORK/exec.env")"
# The watch ignores SIGPIPE (and blocks the signals it reads from a signalfd; dash unblocks
# those itself, so only SIGPIPE is checked): a command it runs must get the defaults back.
sigbits() { # FIELD MASK: how many commands had any of MASK's bits set in FIELD
	local n=0 v
	for v in $(awk -v f="$1:" '$1 == f { print $2 }' "$WORK/exec.sig"); do
		(( 0x$v & $2 )) && n=$((n + 1))
	done
	echo $n
}
lab_check "--exec: commands ran" 7 "$(grep -c '^SigBlk' "$WORK/exec.sig")"
lab_check "--exec: SIGPIPE not ignored" 0 "$(sigbits SigIgn 0x1000)"
lab_check "prom: 7101 listening" 1 "$(grep -c 'port="7101",program="python3",exposure="all",firewall="accept"} 1' "$WORK/prom.txt")"
lab_check "prom: closed 7102 gone" 0 "$(grep -c 'port="7102"' "$WORK/prom.txt")"
lab_check "prom: no temporary file left" "" "$(ls "$WORK" | grep tmp)"

# The failing webhooks did not hold their watches back: same events, on time.
lab_check "watch with a webhook answering 500: same events" \
	"$(events_set "$WORK/events.jsonl")" "$(events_set "$WORK/events500.jsonl")"
lab_check "watch with a hanging webhook: same events" \
	"$(events_set "$WORK/events.jsonl")" "$(events_set "$WORK/eventshang.jsonl")"
lab_check "500 webhook was retried (2 attempts per event)" 14 "$(wc -l <"$WORK/hook.err")"
lab_check "hanging webhook was sent events" true "$([ "$(wc -l <"$WORK/hook.hang")" -ge 1 ] && echo true)"

# SIGTERM (systemd stop): exit 0, even with a webhook that hangs; the 500 one says so.
kill -TERM "$WATCH" "$WATCH500"
wait "$WATCH"
lab_check "watch exits 0 on SIGTERM" 0 $?
wait "$WATCH500"
lab_check "watch with a 500 webhook exits 0" 0 $?
lab_check "undelivered events named in one line" 1 \
	"$(grep -c 'webhook: .* events not delivered (HTTP 500)' "$WORK/watch500.err")"
start=$(date +%s.%N)
kill -TERM "$WATCHHANG"
wait "$WATCHHANG"
lab_check "hanging webhook: exit 0" 0 $?
lab_check "hanging webhook: stopped within 3 s" true \
	"$($PY -c "import sys; print('true' if $(date +%s.%N) - $start < 3 else 'false')")"
lab_check "main watch wrote no errors" "" "$(cat "$WORK/watch.err")"

# 5000 listeners at once: all reported, each once.
lab_spawn "$NS" "$PORTSIGHT" watch --format jsonl --interval 0.2 >"$WORK/burst.jsonl"
WATCH=${LAB_PIDS[-1]}
sleep 1.5 # primed: the first look of a watch without a baseline only learns
lab_spawn "$NS" "$LISTEN" $(seq 20000 22499) >"$WORK/l1.out"
lab_spawn "$NS" "$LISTEN" $(seq 22500 24999) >"$WORK/l2.out"
wait_lines "$WORK/burst.jsonl" 5000
sleep 1
lab_check "5000 listeners: one open each" 5000 "$($PY -c '
import json, sys
print(len({e["port"] for e in map(json.loads, open(sys.argv[1])) if e["event"] == "open" and 20000 <= e["port"] <= 24999}))' "$WORK/burst.jsonl")"
lab_check "5000 listeners: no other event" 5000 "$(wc -l <"$WORK/burst.jsonl")"
kill -TERM "$WATCH"
wait "$WATCH"


# --once --baseline: a missing file is written (exit 0), the same state again is 0, a new
# listener is 1 with its event printed, a corrupt file is one line and exit 2.
B=$WORK/baseline.json
lab_in "$NS" "$PORTSIGHT" watch --once --baseline "$B" >"$WORK/once1.out" 2>"$WORK/once1.err"
lab_check "--once, no baseline yet: exit 0" 0 $?
lab_check "baseline written" true "$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print("true" if d["portsight_baseline"] == 1 and len(d["listeners"]) > 5000 else "false")' "$B")"
lab_in "$NS" "$PORTSIGHT" watch --once --baseline "$B" --format jsonl >"$WORK/once2.out" 2>&1
lab_check "--once, nothing changed: exit 0" 0 $?
lab_check "--once, nothing changed: no events" "" "$(cat "$WORK/once2.out")"
listener late 6 udp :: 7199 1
stop v6only
lab_in "$NS" "$PORTSIGHT" watch --once --baseline "$B" --format jsonl >"$WORK/once3.out" 2>&1
lab_check "--once, deviation: exit 1" 1 $?
lab_check "--once, deviation: the events" "close 7103,open 7199" \
	"$($PY -c 'import json,sys; print(",".join(sorted(e["event"] + " " + str(e["port"]) for e in map(json.loads, open(sys.argv[1])))))' "$WORK/once3.out")"
# --format table: a header, then one row per event.
lab_in "$NS" "$PORTSIGHT" watch --once --baseline "$B" --format table >"$WORK/table.out" 2>&1
lab_check "table: header" "TIME EVENT PROTO ADDRESS EXPOSURE FW PID PROGRAM NOTE" \
	"$(head -n1 "$WORK/table.out" | tr -s ' ')"
# A close against the baseline knows what the file knows: the program, no pid, no verdict.
lab_check "table: the close row" "close tcp [::]:7103 all n/a - python3" \
	"$(awk '$2 == "close" { print $2, $3, $4, $5, $6, $7, $8 }' "$WORK/table.out")"
lab_check "table: the open row" "open udp [::]:7199 all accept $(cat "$WORK/pid.late") python3" \
	"$(awk '$2 == "open" { print $2, $3, $4, $5, $6, $7, $8 }' "$WORK/table.out")"

# --syslog: in a mount namespace of its own with a tmpfs on /dev, /dev/log is our receiver.
cat >"$WORK/syslog.py" <<'PYEOF2'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")
PYEOF2
lab_in "$NS" unshare -m --propagation private sh -c '
	mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 || exit 99
	'$PY' "$1" /dev/log "$2" &
	for i in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
	"$3" watch --once --syslog --quiet --baseline "$4"
	rc=$?
	sleep 0.3
	kill $!
	exit $rc' sh "$WORK/syslog.py" "$WORK/syslog.out" "$PORTSIGHT" "$B"
lab_check "--syslog --once: exit 1" 1 $?
lab_check "--syslog: one message per event" 2 "$(grep -c 'portsight\[[0-9]*\]: ' "$WORK/syslog.out")"
lab_check "--syslog: the close, in words" 1 \
	"$(grep -c "close tcp/7103 on :: by python3 (pid 0), exposure all, firewall n/a {" "$WORK/syslog.out")"
lab_check "--syslog: priority warning for an open (daemon.warning = <28>)" 1 \
	"$(grep -c '^<28>.*open udp/7199' "$WORK/syslog.out")"

# --netns from outside the namespace: the same look, each listener named by its namespace.
# (Reading sockets only: nothing is sent anywhere.)
B2=$WORK/baseline-netns.json
"$PORTSIGHT" watch --once --baseline "$B2" --netns "$NS" 2>/dev/null
lab_check "--netns: baseline written" 0 $?
lab_check "--netns: every listener named by its namespace" "[\"$NS\"]" \
	"$($PY -c 'import json,sys; print(json.dumps(sorted({l["netns"] for l in json.load(open(sys.argv[1]))["listeners"]})))' "$B2")"
stop late
"$PORTSIGHT" watch --once --baseline "$B2" --netns "$NS" --format jsonl >"$WORK/once4.out" 2>&1
lab_check "--netns: deviation, exit 1" 1 $?
lab_check "--netns: the event names the namespace" "close 7199 $NS" \
	"$($PY -c 'import json,sys; print(" ".join("%s %d %s" % (e["event"], e["port"], e["netns"]) for e in map(json.loads, open(sys.argv[1]))))' "$WORK/once4.out")"
"$PORTSIGHT" watch --once --baseline "$B2" --netns nosuch$$ >/dev/null 2>"$WORK/nons.err"
lab_check "--netns of a namespace that does not exist: exit 2, one line" "2 1" "$? $(wc -l <"$WORK/nons.err")"
printf '{"portsight_baseline": 1, "listeners": [{"proto": "tcp", "port": 22}]}' >"$WORK/bad.json"
lab_in "$NS" "$PORTSIGHT" watch --once --baseline "$WORK/bad.json" >"$WORK/bad.out" 2>"$WORK/bad.err"
lab_check "corrupt baseline: exit 2" 2 $?
lab_check "corrupt baseline: one line" "portsight: baseline $WORK/bad.json: listeners[0]: no \"addr\"" "$(cat "$WORK/bad.err")"
lab_check "corrupt baseline: nothing on stdout" "" "$(cat "$WORK/bad.out")"
lab_in "$NS" "$PORTSIGHT" watch --once >/dev/null 2>"$WORK/usage.err"
lab_check "--once without --baseline: exit 2" 2 $?
lab_in "$NS" "$PORTSIGHT" watch --webhook ftp://x/ >/dev/null 2>"$WORK/usage.err"
lab_check "webhook that is not http: exit 2" 2 $?
lab_done
