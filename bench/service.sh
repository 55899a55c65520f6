#!/bin/bash
# Service identification, side by side: `portsight scan -sV` and `nmap -sV -n -Pn` against the
# same namespace lab (tests/net/service_lab.py: 21 open ports, 17 of them real-looking servers,
# plus a silent, an endless-banner, a garbage and an unknown-protocol port). One run each.
# The endless banner (an endlessh-style tarpit, port 7778) is timed on its own: nmap -sV did
# not finish on it in 29 minutes, so it gets a 120 s limit there and the main comparison
# covers the other 20 ports.
# Counts an identification when the tool matched a reply (portsight: confidence "matched";
# nmap: <service method="probed"> with a name other than unknown/tcpwrapped), and writes the
# section "## Service identification" of bench/RESULTS.md (replacing an older one).
# usage: bench/service.sh [BUILD_DIR]   (root; default BUILD_DIR = build)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
PORTSIGHT=$BUILD/src/cli/portsight
RESULTS=$ROOT/bench/RESULTS.md
LAB_PREFIX=psprobebench$$
LAB_DIR=$ROOT/tests/net
. "$LAB_DIR/lab.sh"
. "$LAB_DIR/service_lab.sh"

[ -x "$PORTSIGHT" ] || { echo "bench: build portsight first ($PORTSIGHT)" >&2; exit 1; }
for tool in nmap jq python3 openssl; do
	command -v $tool >/dev/null || { echo "bench: $tool not installed" >&2; exit 1; }
done

lab_init || exit 1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; lab_cleanup' EXIT
service_lab_start "$WORK" || exit 1

now() { date +%s.%N; }

TARPIT=7778
PORTS=$(echo "$SERVICE_LAB_PORTS" | tr ',' '\n' | grep -vx "$TARPIT" | paste -sd,)
NPORTS=$(echo "$PORTS" | tr ',' '\n' | wc -l)

t0=$(now)
lab_s "$PORTSIGHT" scan -sV -p "$PORTS" --format jsonl -o "$WORK/ps.jsonl" \
	"$LAB_V4_T" 2>"$WORK/ps.err" || { cat "$WORK/ps.err"; exit 1; }
t1=$(now)
lab_s nmap -sV -n -Pn -p "$PORTS" -oX "$WORK/nmap.xml" "$LAB_V4_T" >/dev/null 2>&1 ||
	{ echo "bench: nmap failed" >&2; exit 1; }
t2=$(now)

# The tarpit alone.
t3=$(now)
lab_s "$PORTSIGHT" scan -sV -p "$TARPIT" --format jsonl "$LAB_V4_T" >/dev/null 2>&1
t4=$(now)
lab_s timeout 120 nmap -sV -n -Pn -p "$TARPIT" "$LAB_V4_T" >/dev/null 2>&1
nmap_tarpit_rc=$?
t5=$(now)
ps_tarpit=$(printf '%.2f s' "$(echo "$t4 - $t3" | bc -l)")
if [ "$nmap_tarpit_rc" -eq 124 ]; then
	nmap_tarpit="did not finish within 120 s (stopped)"
else
	nmap_tarpit=$(printf '%.2f s' "$(echo "$t5 - $t4" | bc -l)")
fi

ps_s=$(echo "$t1 - $t0" | bc -l)
nmap_s=$(echo "$t2 - $t1" | bc -l)
ps_ids=$(jq -r 'select(.service.confidence == "matched") | .port' "$WORK/ps.jsonl" | wc -l)
nmap_ids=$(python3 - "$WORK/nmap.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
n = 0
for port in ET.parse(sys.argv[1]).iter("port"):
    svc = port.find("service")
    if svc is not None and svc.get("method") == "probed" and \
       svc.get("name") not in ("unknown", "tcpwrapped"):
        n += 1
print(n)
PY
)
ratio=$(echo "$ps_s / $nmap_s" | bc -l)

# Per-port lines for the record: what each tool called it.
python3 - "$WORK/ps.jsonl" "$WORK/nmap.xml" >"$WORK/table" <<'PY'
import json, sys, xml.etree.ElementTree as ET
ps = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "port" in o:
        s = o.get("service", {})
        ps[o["port"]] = (s.get("name", "-") + " " + s.get("product", "") + " " +
                         s.get("version", "")).strip() + ("" if s.get("confidence") == "matched"
                                                          else " (guess)")
nm = {}
for port in ET.parse(sys.argv[2]).iter("port"):
    s = port.find("service")
    if s is None:
        nm[int(port.get("portid"))] = "-"
        continue
    text = " ".join(x for x in (s.get("name"), s.get("product"), s.get("version")) if x)
    nm[int(port.get("portid"))] = text + ("" if s.get("method") == "probed" else " (table)")
for p in sorted(set(ps) | set(nm)):
    print(f"| {p} | {ps.get(p, '-')} | {nm.get(p, '-')} |")
PY

section=$(
	printf '## Service identification\n\n'
	printf 'bench/service.sh, %s, one run each against the namespace lab of\n' "$(date -u +%Y-%m-%d)"
	printf 'tests/net/service_lab.py: %s open ports (17 real-looking servers, a silent port,\n' \
		"$NPORTS"
	printf 'binary garbage, an unknown protocol). Identified = a reply matched (portsight\n'
	printf '"matched"; nmap method="probed", not unknown/tcpwrapped). Machine: 2 shared cores.\n\n'
	printf '| tool | command | time (s) | identified |\n|---|---|---|---|\n'
	printf '| portsight | `portsight scan -sV -p <ports>` | %.2f | %s |\n' "$ps_s" "$ps_ids"
	printf '| nmap %s | `nmap -sV -n -Pn -p <ports>` | %.2f | %s |\n' \
		"$(nmap --version | awk 'NR==1 {print $3}')" "$nmap_s" "$nmap_ids"
	printf '\nTime ratio portsight/nmap: **%.3f** (goal <= 0.1); identifications %s vs %s.\n\n' \
		"$ratio" "$ps_ids" "$nmap_ids"
	printf 'Endless banner (port %s, a tarpit line every 100 ms), on its own: portsight %s,\n' \
		"$TARPIT" "$ps_tarpit"
	printf 'nmap %s.\n(At full speed, before the lab throttled it, nmap -sV grew past\n' \
		"$nmap_tarpit"
	printf '1.9 GB of memory in 12 minutes on that port and was stopped; portsight caps each\n'
	printf 'reply at 16 KiB.)\n\n'
	printf '| port | portsight | nmap |\n|---|---|---|\n'
	cat "$WORK/table"
)

# Replace our section (up to the next "## ") or append it.
touch "$RESULTS"
python3 - "$RESULTS" "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2].rstrip("\n") + "\n"
text = open(path).read()
pattern = re.compile(r"^## Service identification\n.*?(?=^## |\Z)", re.S | re.M)
if pattern.search(text):
    text = pattern.sub(lambda m: section + "\n", text, count=1)
else:
    text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + section
open(path, "w").write(text)
PY
echo "$section"
