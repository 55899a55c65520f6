#!/bin/bash
# bench/soak.sh BUILD_DIR [SECONDS]: the /16 x 16 ports SYN lab of bench/syn.sh scanned again
# and again for SECONDS (default 600) under 2% random loss at both ends while two busy loops
# hog the CPUs. Every run is checked pair by pair against the lab's truth (syn_truth.py exact);
# the scanner's peak RSS comes from the kernel (GNU time's %M: the largest of the scanner and its
# packet reader child), its open descriptors (the two summed) are sampled every 0.2 s. Per run: wall time, peak RSS, peak descriptors, exact or not; then the
# least-squares slope of peak RSS and peak descriptors over the runs. A row goes to the
# "## Soak" section of bench/RESULTS.md.
# Environment: SOAK_NET, a part of the /16 to scan (default all of it: 198.18.0.0/16);
# SOAK_LOSS, the random loss at each end in percent (default 2);
# SOAK_CHECK=1 makes the soak a test (tests/net/test_soak.sh, the shortened form CI runs): exit
# 1 unless every run is exact with exit 0, the peak descriptors never vary by more than 2 and,
# over 3 runs or more, peak RSS grows by less than 1% of the smallest peak per run.
set -u
build=${1:-build}
seconds=${2:-600}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
ps=$(realpath "$build/src/cli/portsight")
listen=$(realpath "$build/tests/net/lab_listen")
results=${BENCH_RESULTS:-$here/RESULTS.md}
truth_py=$root/tests/net/syn_truth.py
LAB_PREFIX=soak$$
. "$root/tests/net/lab.sh"
tmp=$(mktemp -d)
HOGS=()
stop_hogs() {
	local p
	for p in "${HOGS[@]}"; do kill "$p" 2>/dev/null; done
	HOGS=()
}
trap 'stop_hogs; lab_cleanup; rm -rf "$tmp"' EXIT
die() {
	echo "bench/soak: $*" >&2
	exit 1
}
[ -x "$ps" ] && [ -x "$listen" ] || die "build first: $ps, $listen"

PORTS16=21,22,23,25,53,80,110,143,443,445,993,995,3306,3389,5432,8080
lab_init || die "cannot create the lab"
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
	net.ipv4.icmp_msgs_burst=1000000
python3 "$truth_py" gen16 7 3000 200 $PORTS16 "$tmp/16.truth" "$tmp/16.nft" || die "gen16"
net=${SOAK_NET:-198.18.0.0/16}
# The truth of the part scanned, and its address count.
naddrs=$(python3 - "$net" "$tmp/16.truth" <<'PY'
import ipaddress, sys
net = ipaddress.ip_network(sys.argv[1])
if not net.subnet_of(ipaddress.ip_network("198.18.0.0/16")):
    sys.exit("SOAK_NET must be inside 198.18.0.0/16")
lines = [l for l in open(sys.argv[2]) if ipaddress.ip_address(l.split()[0]) in net]
open(sys.argv[2], "w").writelines(lines)
print(net.num_addresses)
PY
) || die "bad SOAK_NET: $net"
lab_t ip route add local 198.18.0.0/16 dev lo
lab_s ip route add 198.18.0.0/16 via $LAB_V4_T
lab_t nft -f "$tmp/16.nft" || die "cannot load the /16 ruleset"
lab_spawn "$LAB_T" "$listen" 21 22 23 25 53 80 110 143 443 445 993 995 3306 3389 5432 8080 \
	>/dev/null
lab_wait_port "$LAB_T" $LAB_V4_T 8080 || die "listener did not start"
lab_wait_port "$LAB_S" $LAB_V4_T 22 || die "the target is not reachable"
loss=${SOAK_LOSS:-2}
lab_loss "$LAB_S" "$loss"
lab_loss "$LAB_T" "$loss"

# proc_fds PID: the open descriptors of the scanner under PID (GNU time's child) and of its
# packet reader child, summed.
proc_fds() {
	local p fds=0 scanner kids
	scanner=$(cat /proc/"$1"/task/*/children 2>/dev/null)
	kids=$(for p in $scanner; do cat /proc/"$p"/task/*/children; done 2>/dev/null)
	for p in $scanner $kids; do
		fds=$((fds + $(ls /proc/"$p"/fd 2>/dev/null | wc -l)))
	done
	echo "$fds"
}

for _ in 1 2; do
	sh -c 'while :; do :; done' &
	HOGS+=($!)
done
end=$(($(date +%s) + seconds))
run=0
: >"$tmp/runs"
while [ "$(date +%s)" -lt "$end" ]; do
	run=$((run + 1))
	lab_guard "$LAB_S" || exit 1 # the background job must be the scanner itself, to sample it
	t0=$(date +%s.%N)
	# Peak RSS from the kernel's own count (GNU time: the largest of the scanner and the
	# children it reaped), not from samples that can miss a short peak.
	ip netns exec "$LAB_S" /usr/bin/time -f %M -o "$tmp/maxrss" \
		"$ps" scan --syn -Pn --no-db -p $PORTS16 --format jsonl --show all \
		"$net" >"$tmp/run.jsonl" 2>"$tmp/run.err" &
	pid=$!
	peak_fds=0
	while kill -0 "$pid" 2>/dev/null; do
		fds=$(proc_fds "$pid")
		[ "${fds:-0}" -gt "$peak_fds" ] && peak_fds=$fds
		sleep 0.2
	done
	wait "$pid"
	rc=$?
	peak_rss=$(tail -1 "$tmp/maxrss" 2>/dev/null)
	case $peak_rss in '' | *[!0-9]*) peak_rss=0 ;; esac
	wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	if python3 "$truth_py" check "$tmp/run.jsonl" "$tmp/16.truth" "$naddrs" $PORTS16 exact \
		>"$tmp/run.chk"; then exact=exact; else exact="NOT exact"; fi
	printf '%d %.1f %d %d %d %s | %s\n' "$run" "$wall" "$peak_rss" "$peak_fds" "$rc" "$exact" \
		"$(grep '^open found' "$tmp/run.chk")" | tee -a "$tmp/runs" >&2
	if [ "$exact" != exact ]; then # what was wrong, and what the scanner said of its run
		sed 's/^/    /' "$tmp/run.chk" >&2
		sed -n 's/^  e.g. \([0-9.]*\):\([0-9]*\) .*/"ip":"\1","port":\2,/p' "$tmp/run.chk" |
			while read -r pat; do grep -F "$pat" "$tmp/run.jsonl"; done | sed 's/^/    /' >&2
		tail -n 5 "$tmp/run.err" | sed 's/^/    stderr: /' >&2
	fi
done
stop_hogs

python3 - "$results" "$tmp/runs" "$seconds" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	"$(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1), $(nproc) cores, Linux $(uname -r), load before the hogs $(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import os, sys
path, runs_path, seconds, when, machine = sys.argv[1:6]
runs = []
for line in open(runs_path):
    head, check = line.split(" | ", 1)
    f = head.split(" ", 5)
    runs.append((int(f[0]), float(f[1]), int(f[2]), int(f[3]), int(f[4]), f[5], check.strip()))
def slope(ys):
    n = len(ys)
    if n < 2:
        return 0.0
    xs = range(n)
    mx, my = sum(xs) / n, sum(ys) / n
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
rss = [r[2] for r in runs]
fds = [r[3] for r in runs]
nexact = sum(1 for r in runs if r[5] == "exact" and r[4] == 0)
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
lines = text.rstrip("\n").split("\n")
title = "## Soak"
if title not in lines:
    lines += ["", title, "",
              "`bench/soak.sh BUILD_DIR [SECONDS]`: the /16 x 16 ports SYN lab of bench/syn.sh "
              "(198.18.0.0/16, 3000 hosts answering on 16 ports, 200 on 443 only) scanned again and "
              "again with `portsight scan --syn -Pn --no-db --show all` under 2% random loss at both "
              "ends, two busy loops hogging the CPUs. Every run checked pair by pair "
              "(tests/net/syn_truth.py exact); peak RSS from GNU time (%M: the largest of the scanner "
              "and its packet reader), descriptors of the two summed, sampled every 0.2 s; the "
              "slopes are least squares over the runs' peaks."]
end = next((i for i in range(lines.index(title) + 1, len(lines)) if lines[i].startswith("## ")),
           len(lines))
net = os.environ.get("SOAK_NET", "198.18.0.0/16")
loss = os.environ.get("SOAK_LOSS", "2")
block = ["", f"Run of {when} ({seconds} s, {net}, {loss}% loss at each end) on {machine}:", "",
         f"{len(runs)} runs, {nexact} exact with exit 0; peak RSS {min(rss)}-{max(rss)} KiB, "
         f"slope {slope(rss):+.1f} KiB per run; peak descriptors {min(fds)}-{max(fds)}, "
         f"slope {slope(fds):+.2f} per run.", "",
         "| run | wall s | peak RSS KiB | peak fds | exit | check |", "|---:|---:|---:|---:|---:|---|"]
block += [f"| {r[0]} | {r[1]:.1f} | {r[2]} | {r[3]} | {r[4]} | {r[5]}: {r[6]} |" for r in runs]
lines[end:end] = block
open(path, "w").write("\n".join(lines) + "\n")
if os.environ.get("SOAK_CHECK") == "1":
    bad = []
    if nexact != len(runs) or not runs:
        bad.append(f"{len(runs) - nexact} of {len(runs)} runs not exact or not exit 0")
    if runs and max(fds) - min(fds) > 2:
        bad.append(f"peak descriptors vary {min(fds)}-{max(fds)}")
    if len(runs) >= 3 and slope(rss) >= 0.01 * min(rss):
        bad.append(f"peak RSS grows {slope(rss):+.1f} KiB per run (min {min(rss)} KiB)")
    print(f"soak: {len(runs)} runs, {nexact} exact; RSS {min(rss)}-{max(rss)} KiB slope "
          f"{slope(rss):+.1f}/run; fds {min(fds)}-{max(fds)} slope {slope(fds):+.2f}/run")
    for b in bad:
        print("soak: FAIL: " + b)
    sys.exit(1 if bad else 0)
PY
rc=$?
echo "bench/soak: results appended to $results" >&2
exit $rc
