#!/bin/bash
# What a scan shows while it runs: on a terminal (a pty from script(1)) a status line redrawn in
# place and, with -v, each open port as it is found; on a pipe nothing unless asked
# (--stats-every, SIGUSR1). The lab: 3 listeners, a band of dropped ports that keeps the scan
# busy long enough to be watched.
# usage: test_progress.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=psprg$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
command -v script >/dev/null || { echo "SKIP: script(1) missing" >&2; exit 77; }

OPEN="22 80 8080"
lab_init || exit 1
W=$(mktemp -d)
trap 'rm -rf "$W"; lab_cleanup' EXIT
lab_nft "$LAB_T" "table inet lab_slow {
	chain in { type filter hook input priority 0; policy accept; tcp dport 9000-9999 drop; }
}" || exit 1
lab_spawn "$LAB_T" "$LISTEN" $OPEN >/dev/null
lab_wait_port "$LAB_T" "$LAB_V4_T" 8080 || exit 1
SLOW="-sT --no-db -p 1-10000 --max-retries 1 --min-rtt-timeout 600 --max-rtt-timeout 600"

# On a terminal. script(1) gives the scanner a pty for stdin, stdout and stderr alike.
lab_guard "$LAB_S" || exit 1
script -qfec "ip netns exec $LAB_S $PORTSIGHT scan $SLOW -v $LAB_V4_T" "$W/tty.log" >/dev/null
lab_check "on a terminal: exit 0" 0 $?
tr '\r' '\n' <"$W/tty.log" >"$W/tty.lines"
lab_check "on a terminal: a status line with percent, rate and ETA" yes \
	"$(grep -qE '^.\[Kportsight: +[0-9.]+% done, [0-9]+/10000 ports, [0-9]+/s, .*ETA' "$W/tty.lines" && echo yes || echo no)"
lab_check "on a terminal: the status line is redrawn in place (several draws)" yes \
	"$([ "$(grep -c '% done' "$W/tty.lines")" -ge 2 ] && echo yes || echo no)"
lab_check "-v: each open port once, as found" "22 80 8080" \
	"$(grep -o 'Discovered open port [0-9]*/tcp on 192.0.2.2' "$W/tty.lines" |
		awk '{print $4}' | cut -d/ -f1 | sort -n | tr '\n' ' ' | sed 's/ $//')"
# The report comes after the status line is gone: no status text on a report line.
lab_check "on a terminal: the report is not mixed with the status line" 0 \
	"$(grep -E 'PORT|Profile' "$W/tty.lines" | grep -c 'done,')"
lab_check "on a terminal: the report lists the open ports" 3 \
	"$(grep -cE '^(22|80|8080)/tcp +open' "$W/tty.lines")"

# On a pipe: no status line at all.
lab_s "$PORTSIGHT" scan $SLOW "$LAB_V4_T" >"$W/pipe.out" 2>"$W/pipe.err"
lab_check "on a pipe: exit 0" 0 $?
lab_check "on a pipe: nothing on stderr" "" "$(cat "$W/pipe.err")"
lab_check "on a pipe: no Discovered lines without -v" 0 "$(grep -c Discovered "$W/pipe.out")"

# --stats-every: plain lines, one per period, on a pipe.
lab_s "$PORTSIGHT" scan $SLOW --stats-every 200ms "$LAB_V4_T" >/dev/null 2>"$W/stats.err"
lab_check "--stats-every: several plain status lines" yes \
	"$([ "$(grep -cE '^portsight: +[0-9.]+% done' "$W/stats.err")" -ge 2 ] && echo yes || echo no)"
lab_check "--stats-every: no terminal control sequences" 0 "$(grep -c $'\e' "$W/stats.err")"

# SIGUSR1: one status line now, and the scan goes on to the end.
ip netns exec "$LAB_S" "$PORTSIGHT" scan $SLOW "$LAB_V4_T" >"$W/usr1.out" 2>"$W/usr1.err" &
pid=$!
sleep 0.5
kill -USR1 $pid
wait $pid
lab_check "SIGUSR1: the scan finishes normally" 0 $?
lab_check "SIGUSR1: exactly one status line" 1 "$(grep -c '% done' "$W/usr1.err")"
lab_check "SIGUSR1: the report is complete" 3 "$(grep -cE '^(22|80|8080)/tcp +open' "$W/usr1.out")"
lab_done
