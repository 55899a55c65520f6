#!/bin/bash
# bench/history_query.sh BUILD_DIR: history and diff on a 10 M-row database, SQLite (the
# default) and PostgreSQL (Debian's server, started here on a temporary data directory, unix
# socket only, stopped by its PID). Ten scans of 65536 hosts x 16 ports (1,048,576 results
# each: the 16 ports closed, a different 1 pair in 1024 flipped open <-> closed in each scan, so
# two scans differ in about 2000 pairs) are written with bench/report_bench.c; then, best of 3:
#   portsight history -n 0      every scan listed
#   portsight diff              the last two scans (the default pair)
#   portsight diff 1 10         the first against the last
# Rows go to the "## History queries on 10 M rows" section of bench/RESULTS.md. Goal (issue
# 12): each under 1 s. No network: nothing here sends a packet.
set -u
build=${1:-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
ps=$(realpath "$build/src/cli/portsight")
. "$here/lib.sh"
scans=${BENCH_QUERY_SCANS:-10}
label=${BENCH_LABEL:-$(git -C "$root" describe --always --dirty 2>/dev/null || echo "?")}
hosts=65536
ports=16
tmp=$(mktemp -d /tmp/portsight-hq.XXXXXX)
pg_pid=
cleanup() {
	if [ -n "$pg_pid" ]; then
		kill -TERM "$pg_pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -x "$ps" ] || die "build first: $ps"

libs=""
for l in report store kb core; do
	a=$(find "$build/src/$l" -maxdepth 1 -name "libps_$l.a" 2>/dev/null | head -n 1)
	[ -n "$a" ] && libs="$libs $a"
done
# shellcheck disable=SC2086
cc -O2 -std=c17 -D_GNU_SOURCE -DPS_VERSION='"bench"' -I"$root/src" "$here/report_bench.c" \
	-Wl,--start-group $libs -Wl,--end-group \
	$(pkg-config --libs libxml-2.0 sqlite3 jansson libcrypto) $(pkg-config --libs libpq 2>/dev/null) \
	-o "$tmp/report_bench" || die "cannot build report_bench against $build"

# best CMD...: "WALL / CPU" of the run with the best wall time of 3 runs of CMD, in seconds
# (CPU = user + system: on shared cores other work only adds wall time); dies when CMD fails
# (diff's exit 1, "changes found", is its normal answer here).
best() {
	local i t c b= bc=
	for i in 1 2 3; do
		/usr/bin/time -f '%e %U %S' -o "$tmp/t" "$@" >"$tmp/out" 2>"$tmp/err"
		[ $? -le 1 ] || die "$*: $(tail -n 1 "$tmp/err")"
		read -r t c <<<"$(tail -n 1 "$tmp/t" | awk '{ printf "%s %.2f", $1, $2 + $3 }')"
		if [ -z "$b" ] || [ "$(awk -v a="$t" -v b="$b" 'BEGIN { print (a < b) }')" = 1 ]; then
			b=$t bc=$c
		fi
	done
	echo "$b / $bc"
}

ROWS=()
measure() { # measure BACKEND LOCATION
	local name=$1 db=$2 i w write_total=0 h d1 dn changes
	for i in $(seq "$scans"); do
		w=$(REPORT_BENCH_APPEND=1 REPORT_BENCH_DRIFT=$i "$tmp/report_bench" db $hosts $ports "$db" |
			sed -n 's/.* time_s=\([0-9.]*\) .*/\1/p' | head -n 1)
		[ -n "$w" ] || die "$name: writing scan $i failed"
		write_total=$(awk -v a="$write_total" -v b="$w" 'BEGIN { print a + b }')
	done
	[ "$("$ps" history --db "$db" -n 0 | grep -c ' done ')" -eq "$scans" ] ||
		die "$name: history does not list $scans finished scans"
	h=$(best "$ps" history --db "$db" -n 0)
	d1=$(best "$ps" diff --db "$db")
	changes=$("$ps" diff --db "$db" | grep -cE '^[+-] ')
	dn=$(best "$ps" diff --db "$db" 1 "$scans")
	ROWS+=("| $name | $label | $scans x $((hosts * ports)) = $((scans * hosts * ports)) | $write_total | $h | $d1 ($changes lines) | $dn |")
	echo "$name: write $write_total s, history $h s, diff $d1 s ($changes lines), diff 1 $scans $dn s" >&2
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
measure SQLite "$tmp/history.db"

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ "$(id -u)" = 0 ] && [ -n "$pgbin" ] && id postgres >/dev/null 2>&1; then
	chown postgres "$tmp" && chmod 700 "$tmp"
	runuser -u postgres -- "$pgbin/initdb" -D "$tmp/data" -A trust -U portsight >/dev/null 2>&1 ||
		die "initdb failed"
	runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w \
		-o "-k $tmp -c listen_addresses=''" start >/dev/null || die "PostgreSQL did not start"
	pg_pid=$(head -n 1 "$tmp/data/postmaster.pid")
	runuser -u postgres -- "$pgbin/createdb" -h "$tmp" -U portsight bench || die "createdb"
	measure "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}')" \
		"postgresql:///bench?host=$tmp&user=portsight"
else
	echo "bench/history_query: PostgreSQL skipped (needs root, the postgres user, Debian's postgresql)" >&2
fi

section="History queries on 10 M rows"
intro="\`bench/history_query.sh BUILD_DIR\`: $scans scans of 65536 hosts x 16 ports written into one database with bench/report_bench.c (16 ports: all closed at first; in each scan a different 1 pair in 1024 flipped open <-> closed, about 2000 changes between two scans), then the best of 3 wall times (with that run's CPU time, user + system) of \`portsight history -n 0\`, \`portsight diff\` (the last two scans) and \`portsight diff 1 $scans\`. Goal (issue 12): every query under 1 s."
header="| backend | build | results | writing, all scans s | history -n 0 s (wall / CPU) | diff, the last two s (wall / CPU) | diff 1 $scans s (wall / CPU) |"
for r in "${ROWS[@]}"; do
	bench_record "$section" "$intro" "$header" "$r"
done
echo "bench/history_query: run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(bench_machine), load before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)" >&2
