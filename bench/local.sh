#!/bin/bash
# bench/local.sh [BUILD_DIR]: `portsight local` against ss -tlnp, netstat -tlnp and
# lsof -iTCP -sTCP:LISTEN in a throwaway namespace holding 5000 listening sockets (5 processes,
# 1000 ports each). Checks completeness (every port found, with the right pid), then measures
# wall time (median of RUNS) and peak RSS, and writes a "## Local audit" section to
# bench/RESULTS.md (replacing an older one of ours, leaving other sections alone).
# Self-contained: needs root, iproute2, python3, ss/netstat/lsof, and BUILD_DIR's portsight.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
PORTSIGHT=$PWD/$BUILD/src/cli/portsight
RUNS=${RUNS:-7}
NPROCS=${NPROCS:-5}
PER_PROC=${PER_PROC:-1000}
BASE_PORT=20000
RESULTS=bench/RESULTS.md

[ "$(id -u)" -eq 0 ] || { echo "bench/local.sh: needs root (network namespaces)" >&2; exit 1; }
for f in "$PORTSIGHT" /usr/bin/python3; do
	[ -x "$f" ] || { echo "bench/local.sh: $f missing; build first (ninja -C $BUILD)" >&2; exit 1; }
done

NS=audbench$$
WORK=$(mktemp -d)
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
ulimit -n 8192

# The listeners: python processes holding PER_PROC dual-stack sockets each, started from a
# script file so their cmdline stays short, as a real daemon's is.
cat >"$WORK/listen.py" <<'PY'
import socket, sys, time
first, count = int(sys.argv[1]), int(sys.argv[2])
socks = []
for port in range(first, first + count):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(64)
    socks.append(s)
print("ready", flush=True)
while True:
    time.sleep(3600)
PY
# Ground truth: which pid holds which port.
: >"$WORK/truth"
for i in $(seq 0 $((NPROCS - 1))); do
	first=$((BASE_PORT + i * PER_PROC))
	ip netns exec "$NS" /usr/bin/python3 "$WORK/listen.py" "$first" "$PER_PROC" >"$WORK/ready.$i" &
	pid=$!
	PIDS+=("$pid")
	seq "$first" $((first + PER_PROC - 1)) | sed "s/\$/ $pid/" >>"$WORK/truth"
done
for i in $(seq 0 $((NPROCS - 1))); do
	for _ in $(seq 100); do
		grep -q ready "$WORK/ready.$i" 2>/dev/null && break
		sleep 0.1
	done
	grep -q ready "$WORK/ready.$i" || { echo "listener $i did not start" >&2; exit 1; }
done
TOTAL=$((NPROCS * PER_PROC))

# A host-firewall-sized ruleset for portsight_fw to judge every socket against: established,
# lo, 100 service ports, one source-restricted port, policy accept.
{
	echo 'table inet bench {'
	echo ' chain in { type filter hook input priority 0; policy accept;'
	echo '  ct state vmap { established : accept, related : accept, invalid : drop }'
	echo '  iif lo accept'
	for p in $(seq 1000 1099); do echo "  tcp dport $p accept"; done
	echo '  ip saddr 198.18.0.0/15 tcp dport 2000 accept'
	echo ' }'
	echo '}'
} | ip netns exec "$NS" nft -f - || exit 1
sort -n "$WORK/truth" -o "$WORK/truth"

# Each tool's output reduced to "port pid" lines, for the completeness check.
extract() { # TOOL OUTFILE
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, re, sys
tool, path = sys.argv[1], sys.argv[2]
pairs = set()
for line in open(path, errors="replace"):
    if tool == "skip":
        continue
    if tool == "portsight":
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if r.get("type") != "socket" or r["proto"] != "tcp":
            continue
        for p in r["processes"] or [{"pid": 0}]:
            pairs.add((r["port"], p["pid"]))
    elif tool == "ss":
        m = re.search(r"\]?:(\d+)\s+\S+\s+users:\(\(\"[^\"]*\",pid=(\d+)", line)
        if m:
            pairs.add((int(m.group(1)), int(m.group(2))))
    elif tool == "netstat":
        m = re.match(r"tcp6?\s+\d+\s+\d+\s+\S*:(\d+)\s+\S+\s+LISTEN\s+(\d+)/", line)
        if m:
            pairs.add((int(m.group(1)), int(m.group(2))))
    elif tool == "lsof":
        f = line.split()
        m = re.search(r":(\d+) \(LISTEN\)", line)
        if m and len(f) > 1 and f[1].isdigit():
            pairs.add((int(m.group(1)), int(f[1])))
for port, pid in sorted(pairs):
    print(port, pid)
PY
}

declare -A CMD=(
	[portsight]="$PORTSIGHT local --tcp --no-firewall --no-kb --format jsonl"
	[portsight_text]="$PORTSIGHT local --tcp --no-firewall --no-kb"
	[portsight_fw]="$PORTSIGHT local --tcp --format jsonl"
	[portsight_setns]="$PORTSIGHT local --netns $NS --tcp --no-firewall --no-kb --format jsonl"
	[ss]="ss -tlnp"
	[netstat]="netstat -tlnp"
	[lsof]="lsof -nP -iTCP -sTCP:LISTEN"
)
ORDER=(portsight portsight_text portsight_fw portsight_setns ss netstat lsof)

# The timer runs inside the namespace (so `ip netns exec` is counted for no one) and takes the
# tools round-robin, RUNS rounds: on a shared machine a burst of load then hits every tool
# alike instead of whichever happened to run during it. GNU time reports each tool's peak RSS
# (a child forked from python would inherit python's RSS as its high-water mark); CPU is the
# rusage of time and its child (time's own share is well under a millisecond).
for t in "${ORDER[@]}"; do
	printf '%s\t%s\n' "$t" "${CMD[$t]}"
done >"$WORK/tools"
ip netns exec "$NS" /usr/bin/python3 - "$RUNS" "$WORK" <<'PY' >"$WORK/timings"
import os, statistics, subprocess, sys, time
runs, work = int(sys.argv[1]), sys.argv[2]
tools = [l.rstrip("\n").split("\t") for l in open(f"{work}/tools")]
walls = {n: [] for n, _ in tools}
cpus = {n: [] for n, _ in tools}
rss = {n: 0 for n, _ in tools}
for _ in range(runs):
    for name, cmd in tools:
        with open(f"{work}/out.{name}", "wb") as f:
            t0 = time.perf_counter()
            p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", f"{work}/rusage"] +
                                 cmd.split(), stdout=f, stderr=subprocess.DEVNULL)
            # wait4 on time counts its waited-for child: microsecond CPU times.
            _, _, ru = os.wait4(p.pid, 0)
            walls[name].append(time.perf_counter() - t0)
        cpus[name].append(ru.ru_utime + ru.ru_stime)
        rss[name] = max(rss[name], int(open(f"{work}/rusage").read().split()[-1]))
for name, _ in tools:
    print(name, f"{statistics.median(walls[name]):.4f}", f"{statistics.median(cpus[name]):.4f}",
          rss[name])
PY

declare -A TIME CPU RSS FOUND
while read -r t w c m; do
	TIME[$t]=$w
	CPU[$t]=$c
	RSS[$t]=$m
done <"$WORK/timings"
for t in "${ORDER[@]}"; do
	kind=$t
	case $t in portsight*) kind=portsight ;; esac
	[ "$t" = portsight_text ] && kind=skip
	extract "$kind" "$WORK/out.$t" >"$WORK/found.$t"
	FOUND[$t]=$(comm -12 "$WORK/truth" <(sort -u "$WORK/found.$t" | sort -n) | wc -l)
	[ "$kind" = skip ] && FOUND[$t]="-"
	printf '%-16s wall %7ss  cpu %7ss  %7s KiB  %6s/%s sockets with the right pid\n' "$t" \
		"${TIME[$t]}" "${CPU[$t]}" "${RSS[$t]}" "${FOUND[$t]}" "$TOTAL"
done

ratio() { /usr/bin/python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}x' if b else '-')" "$1" "$2"; }

{
	echo "## Local audit"
	echo
	echo "\`bench/local.sh\` on $(date -u +%Y-%m-%d), $(nproc) CPUs, kernel $(uname -r):"
	echo "one namespace, $TOTAL listening TCP sockets held by $NPROCS processes; $(ls /proc | grep -c '^[0-9]') processes on the machine."
	echo "Median of $RUNS rounds (tools taken round-robin), timed inside the namespace (portsight_setns"
	echo "also enters it itself with \`--netns\`). Complete = sockets found with the right pid. A ratio above 1 means portsight"
	echo "(or that row's tool) is faster than \`ss -tlnp\`. CPU is user+sys from wait4."
	echo "The listeners are python processes with short cmdlines; portsight's JSON repeats each"
	echo "owner's cmdline (capped at 4 KiB) for every socket it holds, so a process with a 4 KiB"
	echo "cmdline and 1000 sockets costs it 4 MB of output."
	echo
	echo "| tool | command | wall | CPU (user+sys) | peak RSS | complete | ss wall / tool wall | ss CPU / tool CPU |"
	echo "|---|---|---|---|---|---|---|---|"
	for t in "${ORDER[@]}"; do
		cmd=${CMD[$t]//$PWD\//}
		cmd=${cmd//$NS/NAME}
		echo "| $t | \`$cmd\` | ${TIME[$t]} s | ${CPU[$t]} s | ${RSS[$t]} KiB | ${FOUND[$t]/#-/- (text)}/$TOTAL | $(ratio "${TIME[ss]}" "${TIME[$t]}") | $(ratio "${CPU[ss]}" "${CPU[$t]}") |"
	done
	echo
	echo "portsight_fw also runs \`nft -j list ruleset\` and judges every socket against a ruleset of"
	echo "104 rules (vmap, lo, 100 ports, one source-restricted port)."
	echo
} >"$WORK/section"

# Replace our section (up to the next "## " heading) or append it.
touch "$RESULTS"
/usr/bin/python3 - "$RESULTS" "$WORK/section" <<'PY'
import sys
path, section = sys.argv[1], open(sys.argv[2]).read()
lines = open(path).read().splitlines(keepends=True)
out, skip = [], False
for l in lines:
    if l.startswith("## "):
        skip = l.strip() == "## Local audit"
        if skip:
            continue
    if not skip:
        out.append(l)
text = "".join(out)
if text and not text.endswith("\n\n"):
    text += "\n" if text.endswith("\n") else "\n\n"
if not text:
    text = "# Benchmarks\n\n"
open(path, "w").write(text + section)
PY
echo "wrote the Local audit section of $RESULTS"
