#!/bin/bash
# The PostgreSQL history against a real server: Debian's postgresql, started by this test on a
# temporary data directory as the postgres user, listening on a unix socket in that directory
# only (listen_addresses=''), stopped by its PID at the end.
#   1. test_store's history and diff checks, the same test bodies as on SQLite;
#   2. the CLI: a scan and its 4 shards (of 127.0.0.1, in an empty network namespace) into
#      PostgreSQL and into SQLite: history lists the same scans, diff says the same;
#   3. bad states: the server gone, a schema newer than this build: one line, exit 3.
# Exit 77 (skipped) without root, the server binaries or libpq in the build.
ps=$1
test_store=$2
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ "$(id -u)" != 0 ] || [ -z "$pgbin" ] || ! id postgres >/dev/null 2>&1; then
	echo "# skipped: needs root, the postgres user and $pgbin/initdb (apt-get install postgresql)"
	exit 77
fi
if "$ps" history --db 'postgresql:///x?host=/nonexistent-portsight-dir' 2>&1 |
	grep -q 'not supported by this build'; then
	echo "# skipped: portsight was built without libpq (apt-get install libpq-dev)"
	exit 77
fi
fails=0
check() { # check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" == "$3" ]; then
		echo "ok - $1 ($3)"
	else
		echo "FAIL - $1: expected '$2', got '$3'"
		fails=$((fails + 1))
	fi
}

tmp=$(mktemp -d /tmp/portsight-pg.XXXXXX)
chown postgres "$tmp"
chmod 700 "$tmp"
pg_pid=
cleanup() {
	if [ -n "$pg_pid" ]; then
		kill -TERM "$pg_pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
as_pg() { runuser -u postgres -- "$@"; }

as_pg "$pgbin/initdb" -D "$tmp/data" -A trust -U portsight >"$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log"; exit 1; }
as_pg "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w \
	-o "-k $tmp -c listen_addresses='' -c fsync=off" start >/dev/null || { cat "$tmp/server.log"; exit 1; }
pg_pid=$(head -n 1 "$tmp/data/postmaster.pid")
echo "# PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on $tmp (pid $pg_pid)"
psql() { as_pg "$pgbin/../bin/psql" -h "$tmp" -U portsight -d postgres -qtA "$@"; }
PATH=$pgbin:$PATH
for db in units cli; do
	as_pg "$pgbin/createdb" -h "$tmp" -U portsight $db || exit 1
done
url() { echo "postgresql:///$1?host=$tmp&user=portsight"; }

# 1. The unit test bodies.
PORTSIGHT_TEST_PG=$(url units) "$test_store" >"$tmp/unit.log" 2>&1
rc=$?
grep -E '^\[ *(OK|FAILED|PASSED) *\]|^#' "$tmp/unit.log" | sed 's/^/#   /'
check "test_store on SQLite and PostgreSQL: exit code" 0 $rc
check "test_store: the PostgreSQL group ran" 1 "$(grep -c 'PASSED  \] 7 test' "$tmp/unit.log")"

# 2. The CLI on both backends. Scans go to 127.0.0.1 inside an empty network namespace.
scan() { unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$ps" scan "$@"; }
run_all() { # run_all DB
	scan --db "$1" --seed 9 -p 1-200 127.0.0.1 >/dev/null || return 1
	for i in 0 1 2 3; do
		scan --db "$1" --seed 9 --shards 4 --shard $i -p 1-200 127.0.0.1 >/dev/null || return 1
	done
	# Shard 2 once more: it replaces its rows.
	scan --db "$1" --seed 9 --shards 4 --shard 2 -p 1-200 127.0.0.1 >/dev/null
}
PG=$(url cli)
SQ=sqlite:$tmp/history.db
run_all "$PG"
check "scans into PostgreSQL" 0 $?
run_all "$SQ"
check "scans into SQLite" 0 $?
# history: the same columns but the start times and the command lines (which name the db).
hist() { "$ps" history --db "$1" | awk 'NR > 1 { print $1, $5, $6, $7, $8, $9, $10, $11, $12 }'; }
hist "$PG" >"$tmp/pg.hist"
hist "$SQ" >"$tmp/sq.hist"
sed 's/^/#   /' "$tmp/pg.hist"
check "history: PostgreSQL = SQLite" same "$(cmp -s "$tmp/pg.hist" "$tmp/sq.hist" && echo same ||
	diff "$tmp/pg.hist" "$tmp/sq.hist" | head -3)"
check "history: the 4 shards are one scan" 2 "$(wc -l <"$tmp/pg.hist")"
check "history: the shard run twice is there once" 4 \
	"$(psql -d cli -c "SELECT count(*) FROM scans WHERE fleet IS NOT NULL")"
check "history: 200 results in the sharded scan" 200 "$(awk 'NR == 1 { print $4 }' "$tmp/pg.hist")"
for fmt in text jsonl; do
	"$ps" diff --db "$PG" --format $fmt 2>&1 | grep -v '^---\|^+++' >"$tmp/pg.diff"
	"$ps" diff --db "$SQ" --format $fmt 2>&1 | grep -v '^---\|^+++' >"$tmp/sq.diff"
	check "diff --format $fmt: PostgreSQL = SQLite" same \
		"$(cmp -s "$tmp/pg.diff" "$tmp/sq.diff" && echo same || echo differ)"
done
check "diff: the full scan and the fleet agree" "No changes." "$("$ps" diff --db "$PG" | tail -n 1)"
PORTSIGHT_DB=$PG "$ps" history >/dev/null
check "PORTSIGHT_DB names the database" 0 $?

# 3. Bad states: one line each, exit 3, nothing written.
out=$(psql -d cli -c "UPDATE portsight_schema SET version = 99" 2>&1)
err=$("$ps" history --db "$PG" 2>&1 >/dev/null)
check "newer schema: exit code" 3 $?
check "newer schema: one line" 1 "$(printf '%s\n' "$err" | wc -l)"
check "newer schema: says so" yes "$([[ $err == *"schema 99, newer than this portsight"* ]] &&
	echo yes || echo "no: $err")"
psql -d cli -c "UPDATE portsight_schema SET version = 4"
before=$(psql -d cli -c "SELECT count(*) FROM scans")
kill -TERM "$pg_pid"
for _ in $(seq 100); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
pg_pid=
# History is best-effort for a scan (main's rule): the scan goes on, one warning says why.
err=$(scan --db "$PG" --seed 9 -p 1-10 127.0.0.1 2>&1 >/dev/null)
check "server gone: the scan still runs (exit code)" 0 $?
check "server gone: one line" 1 "$(printf '%s\n' "$err" | wc -l)"
check "server gone: says so" yes "$([[ $err == *"cannot connect"*"not recorded"* ]] && echo yes ||
	echo "no: $err")"
err=$("$ps" history --db "$PG" 2>&1 >/dev/null)
check "server gone: history exit code" 3 $?
check "server gone: history says so in one line" yes \
	"$([[ $err == *"cannot connect"* && $(printf '%s\n' "$err" | wc -l) == 1 ]] && echo yes ||
		echo "no: $err")"
as_pg "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w \
	-o "-k $tmp -c listen_addresses=''" start >/dev/null
pg_pid=$(head -n 1 "$tmp/data/postmaster.pid")
check "server gone: nothing written" "$before" "$(psql -d cli -c "SELECT count(*) FROM scans")"

[ $fails = 0 ] && echo "# all passed" && exit 0
echo "# $fails failed"
exit 1
