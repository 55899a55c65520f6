#!/bin/bash
# bench/serve.sh BUILD_DIR: portsight serve under load. The server in the lab's scanner
# namespace (192.0.2.1), visitors in the target namespace: 20 of them (192.0.2.10-29) each run
# the all-service-ports test (1055 ports, followed live over SSE, checked exact against the
# target's listeners) while wrk loads the consent page, then a finished result page. Goal: at
# least 5000 requests/s with p99 under 20 ms on 2 cores.
set -u
BUILD=${1:?usage: bench/serve.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"
PS=$BUILD/src/cli/portsight
LISTEN=$BUILD/tests/net/lab_listen
command -v wrk >/dev/null || die "wrk not installed (scripts/bootstrap)"
W=$(mktemp -d)
lab_init || die "no lab"
trap 'lab_cleanup; rm -rf "$W"' EXIT
SCANS=20 DURATION=${SERVE_BENCH_SECONDS:-5} CONNS=${SERVE_BENCH_CONNS:-32}
OPEN="22 80 443 1023"
for i in $(seq 10 $((10 + SCANS - 1))); do
	ip -n "$LAB_T" addr add 192.0.2.$i/24 dev vt
done
lab_spawn "$LAB_T" "$LISTEN" $OPEN >/dev/null
lab_guard "$LAB_S" || die "lab"
# 1000 probes/s shared by 20 scans: each takes about 20 s, so they run through both loads.
ip netns exec "$LAB_S" "$PS" serve --listen 192.0.2.1:8080 --max-scans $SCANS --quota 64 \
	--max-rate 1000 --per-ip-connections 0 --max-connections 1024 --no-db 2>"$W/serve.log" &
LAB_PIDS+=($!)
lab_wait_port "$LAB_T" 192.0.2.1 8080 || die "server did not start"

# One result page to load: a finished scan of 192.0.2.2.
lab_t curl -s -c "$W/jar" -b "$W/jar" http://192.0.2.1:8080/ -o "$W/c.html"
tok=$(grep -o 'name="token" value="[0-9a-f]*"' "$W/c.html" | sed 's/.*value="//; s/"$//')
lab_t curl -s -c "$W/jar" -b "$W/jar" -d "token=$tok&test=port&port=22" \
	http://192.0.2.1:8080/scan -o "$W/r.html"
RID=$(grep -o '/scan/[0-9a-f]\{32\}/report.html' "$W/r.html" | head -1 | cut -d/ -f3)
[ -n "$RID" ] || die "no result page"

# The 20 visitors, each following its scan's event stream to the end.
for i in $(seq 10 $((10 + SCANS - 1))); do
	a=192.0.2.$i
	lab_t curl -s --interface $a -c "$W/j$i" -b "$W/j$i" http://192.0.2.1:8080/ -o "$W/c$i.html"
	t=$(grep -o 'name="token" value="[0-9a-f]*"' "$W/c$i.html" | sed 's/.*value="//; s/"$//')
	lab_t curl -s --interface $a -c "$W/j$i" -b "$W/j$i" \
		-d "token=$t&test=service&port=&live=1" http://192.0.2.1:8080/scan -o "$W/l$i.json"
	id=$(jq -r .id "$W/l$i.json")
	lab_guard "$LAB_T" || die "lab"
	ip netns exec "$LAB_T" curl -s -N --interface $a -m 120 \
		"http://192.0.2.1:8080/scan/$id/events" -o "$W/e$i.txt" &
	LAB_PIDS+=($!)
done

# wrk_run PATH: "req/s p50 p90 p99" (ms) of DURATION s with CONNS connections.
wrk_run() {
	lab_t wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://192.0.2.1:8080$1" >"$W/wrk.txt"
	python3 - "$W/wrk.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(p):
    m = re.search(r'^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$' % p, t, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == 'us' else v * 1000 if u == 's' else v
rps = float(re.search(r'Requests/sec:\s+([\d.]+)', t).group(1))
errs = re.search(r'Non-2xx or 3xx responses: (\d+)', t)
print('%.0f %.2f %.2f %.2f %s' % (rps, ms(50), ms(90), ms(99), errs.group(1) if errs else 0))
PY
}
sleep 1
running_before=$(lab_t curl -s http://192.0.2.1:8080/metrics | sed -n 's/^portsight_serve_scans_running //p')
read -r page_rps page_p50 page_p90 page_p99 page_err < <(wrk_run /)
read -r res_rps res_p50 res_p90 res_p99 res_err < <(wrk_run /scan/$RID)
LOAD=$(cut -d' ' -f1 /proc/loadavg)
running_after=$(lab_t curl -s http://192.0.2.1:8080/metrics | sed -n 's/^portsight_serve_scans_running //p')

# Every scan exact: 1055 results, the open ones the listeners.
for n in $(seq 120); do
	[ "$(grep -l '^event: done' "$W"/e*.txt 2>/dev/null | wc -l)" -ge $SCANS ] && break
	sleep 1
done
exact=0
for i in $(seq 10 $((10 + SCANS - 1))); do
	got=$(grep -A1 '^event: port' "$W/e$i.txt" | grep -c '^data: ')
	open=$(grep -A1 '^event: port' "$W/e$i.txt" | sed -n 's/^data: \([0-9]*\) o$/\1/p' | sort -n |
		tr '\n' ' ' | sed 's/ $//')
	[ "$got" = 1055 ] && [ "$open" = "$OPEN" ] && exact=$((exact + 1))
done
echo "with scans: page: $page_rps req/s p50 $page_p50 ms p99 $page_p99 ms; result: $res_rps req/s p99 $res_p99 ms; scans running $running_before -> $running_after, exact $exact/$SCANS" >&2

# The same loads once the scans are over: what the server does on its own (the machine is
# shared, so both are reported).
idle_running=$(lab_t curl -s http://192.0.2.1:8080/metrics | sed -n 's/^portsight_serve_scans_running //p')
read -r ipage_rps ipage_p50 ipage_p90 ipage_p99 ipage_err < <(wrk_run /)
read -r ires_rps ires_p50 ires_p90 ires_p99 ires_err < <(wrk_run /scan/$RID)
ILOAD=$(cut -d' ' -f1 /proc/loadavg)
echo "no scans: page: $ipage_rps req/s p50 $ipage_p50 ms p99 $ipage_p99 ms; result: $ires_rps req/s p99 $ires_p99 ms" >&2

bench_record "portsight serve under load (wrk)" \
"The consent page and a finished result page of \`portsight serve\` (release build, libmicrohttpd, an epoll thread pool with one thread per core) loaded with \`wrk -t2 -cCONNS -d${DURATION}s --latency\` from a visitor namespace, while $SCANS visitors (one address each) run the all-service-ports test (1055 ports, SYN, 1000 probes/s shared) and follow it over SSE, then again once those scans are over (scans running: 0). scans = running at the start -> end of the loads; exact = scans whose 1055 results and open ports match the target's listeners. Goal: 5000 req/s on the page with p99 < 20 ms on 2 cores. Command: \`bench/serve.sh BUILD_DIR\` (root)." \
"| date (UTC) | machine | load avg | wrk conns | scans running | page req/s | page p50 / p90 / p99 ms | result page req/s | result p50 / p90 / p99 ms | non-2xx | scans exact |" \
"| $(date -u '+%Y-%m-%d %H:%M') | $(bench_machine) | $LOAD | $CONNS | $running_before -> $running_after | $page_rps | $page_p50 / $page_p90 / $page_p99 | $res_rps | $res_p50 / $res_p90 / $res_p99 | $page_err / $res_err | $exact/$SCANS |
| $(date -u '+%Y-%m-%d %H:%M') | $(bench_machine) | $ILOAD | $CONNS | $idle_running | $ipage_rps | $ipage_p50 / $ipage_p90 / $ipage_p99 | $ires_rps | $ires_p50 / $ires_p90 / $ires_p99 | $ipage_err / $ires_err | - |"
