#!/bin/bash
# nmap's everyday flags, with nmap's meaning, against a lab whose truth this script sets up:
# -F and --top-ports choose the knowledge base's most exposed ports, -T presets, --open,
# --reason, -n, -Pn, -d, --excludefile and --max-rate are accepted and the results stay exact.
# usage: test_nmap_flags.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=psnmf$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"

OPEN="22 80 443 8080"
lab_init || exit 1
W=$(mktemp -d)
trap 'rm -rf "$W"; lab_cleanup' EXIT
lab_spawn "$LAB_T" "$LISTEN" $OPEN >/dev/null
lab_wait_port "$LAB_T" "$LAB_V4_T" 8080 || exit 1

# summary FILE KEY: a number from the JSON Lines summary.
summary() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["summary"][sys.argv[2]])' "$1" "$2"; }
# ports FILE [STATE]: the listed ports, ascending.
ports() { python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if "\"port\"" in l]
print(" ".join(str(p) for p in sorted(r["port"] for r in rows
                                      if len(sys.argv) < 3 or r["state"] == sys.argv[2])))' "$@"; }

lab_s "$PORTSIGHT" scan -sT --no-db -F --format jsonl "$LAB_V4_T" >"$W/f.jsonl"
lab_check "-F: exit 0" 0 $?
lab_check "-F scans the top 100" 100 "$(summary "$W/f.jsonl" ports_scanned)"
lab_check "-F finds the listeners among them" "$OPEN" "$(ports "$W/f.jsonl" open)"

# The first three of the ranking are 80, 443 and 22 (src/kb/ports.kb's first "rank" line).
first3=$(sed -n 's/^rank //p' "$LAB_DIR/../../src/kb/ports.kb" | head -1 | awk '{print $1, $2, $3}' |
	tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')
lab_s "$PORTSIGHT" scan -sT --no-db --top-ports 3 --show all --format jsonl "$LAB_V4_T" >"$W/t3.jsonl"
lab_check "--top-ports 3: exactly the three most exposed ports" "$first3" "$(ports "$W/t3.jsonl")"
lab_s "$PORTSIGHT" scan -sT --no-db --top-ports 1010 --format jsonl "$LAB_V4_T" >"$W/t1010.jsonl"
lab_check "--top-ports 1010: past the ranking, still 1010 ports" 1010 \
	"$(summary "$W/t1010.jsonl" ports_scanned)"

for t in 4 5 aggressive; do
	lab_s "$PORTSIGHT" scan -sT --no-db -T$t -p 1-9000 --format jsonl "$LAB_V4_T" >"$W/t.jsonl"
	lab_check "-T$t: exit 0" 0 $?
	lab_check "-T$t: exact open ports" "$OPEN" "$(ports "$W/t.jsonl" open)"
	lab_check "-T$t: every other port closed" $((9000 - 4)) "$(summary "$W/t.jsonl" closed)"
done

lab_s "$PORTSIGHT" scan -sT --no-db -n -Pn --open --reason -d --max-rate 5000 -p 1-1000 \
	--format jsonl "$LAB_V4_T" >"$W/misc.jsonl" 2>"$W/misc.err"
lab_check "-n -Pn --open --reason -d --max-rate: exit 0" 0 $?
lab_check "--open lists only open ports" "22 80 443" "$(ports "$W/misc.jsonl")"

printf '# not this one\n192.0.2.3\n' >"$W/exclude"
lab_s "$PORTSIGHT" scan -sT --no-db --excludefile "$W/exclude" -p 22 --format jsonl \
	192.0.2.2-3 >"$W/ex.jsonl"
lab_check "--excludefile (nmap's spelling): one target left" 1 "$(summary "$W/ex.jsonl" targets)"
lab_done
