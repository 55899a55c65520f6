#!/bin/bash
# The history database killed with SIGKILL at 20 random points while a scan writes it: after
# every kill SQLite's integrity_check says ok, the killed scan is there and marked incomplete
# (history says so), and every earlier scan (one complete, then the killed ones before) is
# byte for byte what it was: its scans row and all its hosts, ports and dark_hosts rows.
# usage: test_history_kill.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
# env KILLS (default 20)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=pshk$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
KILLS=${KILLS:-20}

lab_init || exit 1
W=$(mktemp -d)
trap 'rm -rf "$W"; lab_cleanup' EXIT
lab_spawn "$LAB_T" "$LISTEN" 22 80 8080 >/dev/null
lab_wait_port "$LAB_T" "$LAB_V4_T" 8080 || exit 1
DB=$W/history.db

# db.py DB digest ID: a digest of every row of the scans before ID (all tables), one line.
# db.py DB last: "ID FINISHED" of the newest scan (FINISHED "null" when it never ended).
cat >"$W/db.py" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
if sys.argv[2] == "integrity":
    print(db.execute("PRAGMA integrity_check").fetchone()[0])
elif sys.argv[2] == "count":
    print(db.execute("SELECT count(*) FROM scans").fetchone()[0])
elif sys.argv[2] == "last":
    r = db.execute("SELECT id, finished FROM scans ORDER BY id DESC LIMIT 1").fetchone()
    print(r[0], "null" if r[1] is None else r[1])
else:
    below, h = int(sys.argv[3]), hashlib.sha256()
    for q in ("SELECT * FROM scans WHERE id < ? ORDER BY id",
              "SELECT * FROM hosts WHERE scan_id < ? ORDER BY scan_id, host_no",
              "SELECT * FROM ports WHERE scan_id < ? ORDER BY scan_id, family, addr, proto, port",
              "SELECT * FROM dark_hosts WHERE scan_id < ? ORDER BY scan_id, family, proto, addrs"):
        for row in db.execute(q, (below,)):
            h.update(repr(row).encode())
    print(h.hexdigest())
PY
dbq() { python3 "$W/db.py" "$DB" "$@" 2>/dev/null; }

# A complete scan first: the one that must never change.
lab_s "$PORTSIGHT" scan -sT -p 1-1000 --db "$DB" "$LAB_V4_T" >/dev/null 2>&1
lab_check "the first scan completes" "1 done" "$(dbq last | awk '{print $1, ($2 == "null" ? "incomplete" : "done")}')"

# The scan to kill: every port, most of them dropped, so it writes for a long while.
lab_nft "$LAB_T" "table inet lab_slow {
	chain in { type filter hook input priority 0; policy accept; tcp dport 20000-65535 drop; }
}" || exit 1
bad=0
for k in $(seq "$KILLS"); do
	scans=$(dbq count)
	before=$(dbq digest $((scans + 1)))
	lab_guard "$LAB_S" || exit 1 # the background job must be the scanner itself, to kill -9 it
	ip netns exec "$LAB_S" "$PORTSIGHT" scan -sT --max-retries 5 --min-rtt-timeout 500 \
		--max-inflight 256 -p 1-65535 --db "$DB" "$LAB_V4_T" >/dev/null 2>&1 &
	SCAN=$!
	# Once its scans row is there (it is writing), a random point in the next 1.5 s.
	for _ in $(seq 100); do
		[ "$(dbq count)" -gt "$scans" ] && break
		sleep 0.05
	done
	delay=$(python3 -c 'import random; print(f"{random.uniform(0, 1.5):.3f}")')
	sleep "$delay"
	alive=$(kill -0 "$SCAN" 2>/dev/null && echo yes || echo no)
	kill -9 "$SCAN" 2>/dev/null
	wait "$SCAN" 2>/dev/null
	integrity=$(dbq integrity)
	last=$(dbq last)
	after=$(dbq digest $((scans + 1)))
	hist=$("$PORTSIGHT" history --db "$DB" 2>&1 | awk -v id="${last%% *}" '$1 == id' | grep -c incomplete)
	echo "kill $k after ${delay}s: alive $alive, integrity $integrity, last scan $last," \
		"earlier scans $([ "$before" = "$after" ] && echo unchanged || echo CHANGED)"
	if [ "$alive" != yes ] || [ "$integrity" != ok ] || [ "${last%% *}" != $((scans + 1)) ] ||
		[ "${last#* }" != null ] || [ "$hist" != 1 ] || [ "$before" != "$after" ]; then
		bad=$((bad + 1))
	fi
done
lab_check "$KILLS kills: integrity ok, killed scan incomplete, earlier scans untouched" 0 "$bad"
lab_check "the first scan is still complete" "1" \
	"$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM scans WHERE id = 1 AND finished IS NOT NULL").fetchone()[0])' "$DB")"
lab_done
