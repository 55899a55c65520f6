#!/bin/bash
# Reports and history against a lab whose truth this script sets up: 3 listening ports, 7 closed,
# 2 silently dropped, 1 rejected with ICMP admin-prohibited. One scan writes every format at
# once; each is read back by an independent parser (python3 json/xml.etree/csv, xmllint with
# nmap's DTD, nmap's own ndiff against nmap -sT of the same lab, headless Chromium for HTML)
# and compared with the truth. Then diff's exit codes across a changed lab, a scan killed
# with SIGKILL must leave a database that SQLite calls intact and that history reads, and an
# interrupted scan is compared only on the ports it reached.
# usage: test_reports.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=psrep$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"

OPEN="22 80 8080"
CLOSED="21 23 81 82 83 84 85"
DROPPED="9000 9001"
REJECTED="9002"
PORTS="21-23,80-85,8080,9000-9002"
TARGET=$LAB_V4_T
# Short timeouts: the two dropped ports decide how long each scan takes.
TIMING="--max-retries 1 --initial-rtt-timeout 200 --max-rtt-timeout 300"

lab_init || exit 1
W=$(mktemp -d)
trap 'rm -rf "$W"; lab_cleanup' EXIT
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0
lab_nft "$LAB_T" "table inet lab_filter {
	chain in { type filter hook input priority 0; policy accept;
		tcp dport { ${DROPPED// /, } } drop
		tcp dport $REJECTED reject with icmpx type admin-prohibited
	}
}" || exit 1
lab_spawn "$LAB_T" "$LISTEN" $OPEN >/dev/null
LISTENER=${LAB_PIDS[-1]}
lab_wait_port "$LAB_T" 127.0.0.1 8080 || exit 1

# truth PORT: the state the lab gives PORT.
cat >"$W/truth.py" <<PY
OPEN = {int(p) for p in "$OPEN".split()}
CLOSED = {int(p) for p in "$CLOSED".split()}
FILTERED = {int(p) for p in "$DROPPED $REJECTED".split()}
def truth(port):
    return "open" if port in OPEN else "closed" if port in CLOSED else \
        "filtered" if port in FILTERED else None
ALL = OPEN | CLOSED | FILTERED
PY

DB=$W/history.db
lab_s "$PORTSIGHT" scan -sT $TIMING -p "$PORTS" --show all --db "$DB" "$TARGET" \
	-oX "$W/scan1.xml" -oG "$W/scan1.gnmap" -oJ "$W/scan1.jsonl" -oN "$W/scan1.txt" \
	--output-csv "$W/scan1.csv" --output-html "$W/scan1.html" >"$W/stdout1" 2>"$W/stderr1"
lab_check "scan with six outputs exits 0" 0 $?
lab_check "stdout is the text report, same as -oN" "$(cat "$W/scan1.txt")" "$(cat "$W/stdout1")"

# -oA BASE: nmap's three files and our JSON Lines, renamed into place whole (no temporary left).
lab_s "$PORTSIGHT" scan -sT $TIMING -p "$PORTS" --no-db -oA "$W/all" "$TARGET" >"$W/stdout_all" 2>&1
lab_check "-oA exits 0" 0 $?
lab_check "-oA writes BASE.nmap .xml .gnmap .jsonl" "all.gnmap all.jsonl all.nmap all.xml" \
	"$(cd "$W" && ls all.* | tr '\n' ' ' | sed 's/ $//')"
lab_check "-oA: stdout is the text report, same as BASE.nmap" "$(cat "$W/all.nmap")" \
	"$(cat "$W/stdout_all")"
lab_check "-oA: the JSON Lines summary counts every port" \
	"$(python3 -c 'import sys; print(sum(int(b) - int(a) + 1 for a, _, b in (r.partition("-") if "-" in r else (r, "", r) for r in sys.argv[1].split(","))))' "$PORTS")" \
	"$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["summary"]["ports_scanned"])' "$W/all.jsonl")"
lab_check "-oA: no temporary file left" "" "$(ls -A "$W" | grep '^\.' )"

# --- XML: nmap's DTD, then our ports against the truth with xml.etree
if command -v xmllint >/dev/null && [ -r /usr/share/nmap/nmap.dtd ]; then
	xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$W/scan1.xml" 2>"$W/xmllint.err"
	lab_check "XML valid against nmap.dtd" 0 $?
else
	echo "SKIP - xmllint or /usr/share/nmap/nmap.dtd missing"
fi
lab_check "XML ports match the truth" "ok" "$(python3 - "$W/scan1.xml" "$TARGET" <<PY
import sys, xml.etree.ElementTree as ET
exec(open("$W/truth.py").read())
root = ET.parse(sys.argv[1]).getroot()
hosts = root.findall("host")
assert len(hosts) == 1, len(hosts)
assert hosts[0].find("address").get("addr") == sys.argv[2]
seen = {}
for p in hosts[0].iter("port"):
    seen[int(p.get("portid"))] = p.find("state").get("state")
folded = sum(int(e.get("count")) for e in hosts[0].iter("extraports"))
assert folded == 0, folded  # 13 ports: nmap lists every one
bad = {p: (s, truth(p)) for p, s in seen.items() if s != truth(p)}
assert not bad and set(seen) == ALL, (bad, sorted(set(seen) ^ ALL))
r = root.find("runstats/hosts")
assert r.get("up") == "1" and r.get("total") == "1"
print("ok")
PY
)"

# xml_addresses FILE: "type=addr" of each <address> of each host, in order.
xml_addresses() { python3 -c '
import sys, xml.etree.ElementTree as ET
for h in ET.parse(sys.argv[1]).getroot().findall("host"):
    print(" ".join("%s=%s" % (a.get("addrtype"), a.get("addr")) for a in h.findall("address")))' "$1"; }
# The target's MAC is known: the lab's veth. As nmap does, the XML has it after the IPv4
# address when the scan sent raw frames (SYN), not for a connect scan (nmap -sT has none).
MAC=$(ip -n "$LAB_T" link show vt | awk '/link\/ether/ { print toupper($2) }')
lab_check "XML (connect): no MAC, as nmap -sT" "ipv4=$TARGET" "$(xml_addresses "$W/scan1.xml")"
lab_s "$PORTSIGHT" scan -sS $TIMING -p "$PORTS" --no-db -oX "$W/syn.xml" "$TARGET" >/dev/null 2>&1
lab_check "XML (SYN): the on-link target's MAC after its IPv4 address" \
	"ipv4=$TARGET mac=$MAC" "$(xml_addresses "$W/syn.xml")"
lab_s "$PORTSIGHT" scan -sS $TIMING -p 22 --no-db -oX "$W/lo.xml" 127.0.0.1 >/dev/null 2>&1
lab_check "XML (SYN): no MAC for a host not on a link (loopback)" "ipv4=127.0.0.1" \
	"$(xml_addresses "$W/lo.xml")"
if command -v xmllint >/dev/null && [ -r /usr/share/nmap/nmap.dtd ]; then
	xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$W/syn.xml" 2>"$W/xmllint-syn.err"
	lab_check "XML with the MAC valid against nmap.dtd" 0 $?
fi

# --- nmap on the same lab, compared by nmap's own ndiff (service names are each tool's own
# port table, so both files lose <service> first; states, reasons and hosts stay).
if command -v nmap >/dev/null && command -v ndiff >/dev/null; then
	lab_s nmap -sT -n -Pn --max-retries 1 -p "$PORTS" -oX "$W/nmap.xml" "$TARGET" >/dev/null 2>&1
	# Default options too: nmap lists a state of 25 ports or fewer as <port> elements.
	lab_s "$PORTSIGHT" scan -sT $TIMING -p "$PORTS" --no-db -oX "$W/default.xml" "$TARGET" \
		>/dev/null 2>&1
	for f in nmap scan1 default; do
		python3 - "$W/$f.xml" "$W/$f.noservice.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
tree = ET.parse(sys.argv[1])
for port in tree.getroot().iter("port"):
    for s in port.findall("service"):
        port.remove(s)
tree.write(sys.argv[2])
PY
	done
	ndiff "$W/nmap.noservice.xml" "$W/scan1.noservice.xml" >"$W/ndiff.out"
	rc=$?
	lab_check "ndiff: no host or port differences from nmap -sT" 0 $rc
	[ $rc -eq 0 ] || cat "$W/ndiff.out"
	ndiff "$W/nmap.noservice.xml" "$W/default.noservice.xml" >"$W/ndiff-default.out"
	rc=$?
	lab_check "ndiff, default options: every port nmap lists, we list (no extraports fold)" 0 $rc
	[ $rc -eq 0 ] || cat "$W/ndiff-default.out"
	# nmap -sS writes the MAC of a host on its link after the IPv4 address; so do we.
	lab_s nmap -sS -n -Pn --max-retries 1 -p "$PORTS" -oX "$W/nmap-syn.xml" "$TARGET" >/dev/null 2>&1
	lab_check "XML -sS: the same <address> elements as nmap -sS" \
		"$(xml_addresses "$W/nmap-syn.xml")" "$(xml_addresses "$W/syn.xml")"
	# And our own diff reads nmap's file as it is and agrees: port-table names (nmap's
	# http-proxy, our knowledge base's) are not compared, only what a probe identified.
	"$PORTSIGHT" diff "$W/nmap.xml" "$W/scan1.xml" >"$W/diff-nmap.out"
	lab_check "portsight diff nmap.xml ours.xml: no changes" 0 $?
else
	echo "SKIP - nmap/ndiff missing"
fi

# --- grepable, CSV, JSON Lines: independent readers against the truth
lab_check "grepable ports match the truth" "ok" "$(python3 - "$W/scan1.gnmap" "$TARGET" <<PY
import sys
exec(open("$W/truth.py").read())
seen = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or "\tPorts: " not in line:
        continue
    assert line.startswith("Host: %s ()" % sys.argv[2]), line
    ports = line.split("\tPorts: ")[1].split("\t")[0]
    for item in ports.split(", "):
        f = item.split("/")
        assert len(f) == 8 and f[2] == "tcp", item
        seen[int(f[0])] = f[1]
bad = {p: s for p, s in seen.items() if s != truth(p)}
assert not bad and set(seen) == ALL, (bad, sorted(set(seen) ^ ALL))
print("ok")
PY
)"
lab_check "CSV rows match the truth" "ok" "$(python3 - "$W/scan1.csv" "$TARGET" <<PY
import csv, sys
exec(open("$W/truth.py").read())
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
seen = {int(r["port"]): r["state"] for r in rows}
assert len(rows) == len(ALL) and all(r["address"] == sys.argv[2] for r in rows)
bad = {p: s for p, s in seen.items() if s != truth(p)}
assert not bad and set(seen) == ALL, bad
assert {r["reason"] for r in rows if int(r["port"]) in OPEN} == {"syn-ack"}
print("ok")
PY
)"
lab_check "JSON Lines ports match the truth" "ok" "$(python3 - "$W/scan1.jsonl" <<PY
import json, sys
exec(open("$W/truth.py").read())
seen = {}
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "port" in o:
        seen[o["port"]] = o["state"]
bad = {p: s for p, s in seen.items() if s != truth(p)}
assert not bad and set(seen) == ALL, bad
print("ok")
PY
)"

# --- HTML: no external references, then what Chromium renders
lab_check "HTML has no external references" "ok" "$(python3 - "$W/scan1.html" <<'PY'
import re, sys
html = open(sys.argv[1]).read()
assert "default-src 'none'" in html
assert not re.search(r'(src|href)\s*=|url\(|@import|<script|<link|<img', html, re.I)
print("ok")
PY
)"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
	# In a namespace with no network at all: the browser's own background requests go nowhere.
	lab_s timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --no-first-run --user-data-dir="$W/chromium" \
		--dump-dom "file://$W/scan1.html" >"$W/dom.html" 2>/dev/null
	lab_s timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --no-first-run --user-data-dir="$W/chromium" \
		--window-size=1000,1400 --screenshot="$W/shot.png" "file://$W/scan1.html" \
		>/dev/null 2>&1
	lab_check "Chromium: grid, verdict and open-port table as rendered" "ok" \
		"$(python3 - "$W/dom.html" "$W/shot.png" "$TARGET" <<PY
import sys, struct, zlib
from html.parser import HTMLParser
exec(open("$W/truth.py").read())
kind = {"open": "o", "closed": "c"}
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.cells = {}; s.li = None; s.text = ""; s.rows = 0
        s.in_verdict = False; s.verdict = ""; s.in_open = False
    def handle_starttag(s, tag, a):
        a = dict(a)
        if tag == "li" and "title" in a:
            s.li = a; s.text = ""
        if tag == "p" and "verdict" in (a.get("class") or ""):
            s.in_verdict = True
        if tag == "tbody":
            s.in_open = True
        if tag == "tr" and s.in_open:
            s.rows += 1
    def handle_endtag(s, tag):
        if tag == "li" and s.li:
            port = int(s.li["title"].split(":")[0])
            s.cells[port] = (s.li["class"], s.text.split())
            s.li = None
        if tag == "p": s.in_verdict = False
        if tag == "tbody": s.in_open = False
    def handle_data(s, d):
        if s.li is not None: s.text += d
        if s.in_verdict: s.verdict += d
p = P(); p.feed(open(sys.argv[1]).read())
assert set(p.cells) == ALL, sorted(p.cells)
for port, (cls, words) in p.cells.items():
    t = truth(port)
    want = "o" if t == "open" else "c" if t == "closed" or port in {int(x) for x in "$REJECTED".split()} else "s"
    assert cls == want, (port, cls, want)
    # Readable without colour: the port, a letter and the word.
    assert words[:2] == [str(port), want.upper()], (port, words)
assert p.verdict.startswith("EXPOSED: 3 open ports"), p.verdict
assert p.rows == len(OPEN), p.rows
# The screenshot: a PNG with the open cells' red in it (RGB 198,40,40).
data = open(sys.argv[2], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6)
        bpp = 3 if ctype == 2 else 4
    elif typ == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, prev, red = zlib.decompress(idat), w * bpp, bytearray(w * bpp), 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    red += sum(1 for i in range(0, stride, bpp) if abs(line[i] - 198) < 8 and line[i + 1] < 60 and line[i + 2] < 60)
    prev = line
assert red > 200, red
print("ok")
PY
)"
else
	echo "SKIP (LOUD) - chromium not installed: the HTML rendering check did not run"
fi

# --- diff across a changed lab: 80 stops listening, 83 starts; then nothing changes.
"$PORTSIGHT" diff --db "$DB" >"$W/diff0.out" 2>&1
lab_check "diff with one scan in history: usage error" 2 $?
kill "$LISTENER"
wait "$LISTENER" 2>/dev/null
lab_spawn "$LAB_T" "$LISTEN" 22 83 8080 >/dev/null
lab_wait_port "$LAB_T" 127.0.0.1 83 || exit 1
lab_s "$PORTSIGHT" scan -sT $TIMING -p "$PORTS" --db "$DB" -oX "$W/scan2.xml" "$TARGET" \
	>/dev/null 2>&1
lab_check "second scan exits 0" 0 $?
"$PORTSIGHT" diff --db "$DB" >"$W/diff1.out"
lab_check "diff of the last two scans: exit 1 (changed)" 1 $?
lab_check "diff text: 80 closed, 83 opened" \
	"+ $TARGET 83/tcp opened;- $TARGET 80/tcp closed" \
	"$(grep -E '^[-+] ' "$W/diff1.out" | grep -v -E '^(---|\+\+\+)' | awk '{print $1, $2, $3, $4}' | LC_ALL=C sort | paste -sd';')"
"$PORTSIGHT" diff --db "$DB" --format jsonl >"$W/diff1.jsonl"
lab_check "diff jsonl: the same two changes" "80:closed:open:closed 83:opened:closed:open" \
	"$(python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join("%d:%s:%s:%s" % (r["port"], r["change"], r["old_state"], r["new_state"]) for r in sorted(rows, key=lambda r: r["port"])))
' "$W/diff1.jsonl")"
"$PORTSIGHT" diff "$W/scan1.xml" "$W/scan2.xml" >/dev/null
lab_check "diff of the two XML files: exit 1" 1 $?
lab_s "$PORTSIGHT" scan -sT $TIMING -p "$PORTS" --db "$DB" "$TARGET" >/dev/null 2>&1
"$PORTSIGHT" diff --db "$DB" >"$W/diff2.out"
lab_check "diff after an unchanged lab: exit 0" 0 $?
"$PORTSIGHT" diff --db "$DB" 1 3 >/dev/null
lab_check "diff 1 3 by id: exit 1" 1 $?
"$PORTSIGHT" diff --db "$DB" 1 >/dev/null
lab_check "diff 1 (against the newest): exit 1" 1 $?
"$PORTSIGHT" diff --db "$DB" 2 >/dev/null
lab_check "diff 2 (is the newest's state): exit 0" 0 $?
"$PORTSIGHT" diff --db "$DB" "$W/nope.xml" 1 >/dev/null 2>&1
lab_check "diff with a missing file: usage error" 2 $?
"$PORTSIGHT" diff --db "$DB" 1 999 >/dev/null 2>&1
lab_check "diff with an unknown id: usage error" 2 $?
lab_check "history lists three finished scans" 3 \
	"$("$PORTSIGHT" history --db "$DB" | grep -c ' done ')"

# --- the default database: under $HOME (here a scratch one), created on first use.
mkdir "$W/home"
HOME=$W/home XDG_STATE_HOME= lab_s "$PORTSIGHT" scan -sT $TIMING -p 22 "$TARGET" >/dev/null 2>&1
lab_check "default history database created under HOME" yes \
	"$([ -s "$W/home/.local/state/portsight/history.db" ] && echo yes || echo no)"
lab_check "history reads the default database" 1 \
	"$(HOME=$W/home XDG_STATE_HOME= "$PORTSIGHT" history | grep -c ' done ')"
HOME=$W/home XDG_STATE_HOME= lab_s "$PORTSIGHT" scan -sT --no-db -p 22 "$TARGET" >/dev/null 2>&1
lab_check "--no-db records nothing" 1 \
	"$(HOME=$W/home XDG_STATE_HOME= "$PORTSIGHT" history | grep -c ' done ')"

# --- kill -9 in the middle of a long scan: every port of the target, most of them dropped.
lab_nft "$LAB_T" "table inet lab_slow {
	chain in { type filter hook input priority -10; policy accept;
		tcp dport 30000-65535 drop
	}
}"
KDB=$W/killed.db
# Long timeouts and few probes in flight: the dropped ports keep this scan busy for minutes.
lab_guard "$LAB_S" || exit 1 # the background job must be the scanner itself, to kill -9 it
ip netns exec "$LAB_S" "$PORTSIGHT" scan -sT --max-retries 5 --min-rtt-timeout 500 \
	--max-inflight 256 -p 1-65535 --db "$KDB" "$TARGET" >/dev/null 2>&1 &
SCAN=$!
# Kill it once results are being committed (or after 10 s), mid-batch.
for _ in $(seq 100); do
	python3 -c 'import sqlite3, sys; sys.exit(sqlite3.connect(sys.argv[1]).execute("SELECT coalesce(max(recorded), 0) FROM scans").fetchone()[0] < 200)' "$KDB" 2>/dev/null && break
	sleep 0.1
done
sleep 0.3
lab_check "the scan is still running when killed" yes "$(kill -0 "$SCAN" 2>/dev/null && echo yes || echo no)"
kill -9 "$SCAN"
wait "$SCAN" 2>/dev/null
lab_check "killed scan: SQLite integrity_check" "ok" \
	"$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$KDB")"
# Results are runs per host (schema 3): what the committed checkpoints recorded.
ROWS=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT coalesce(max(recorded), 0) FROM scans WHERE EXISTS (SELECT 1 FROM hosts)").fetchone()[0])' "$KDB")
lab_check "killed scan: committed batches are there" yes "$([ "$ROWS" -gt 0 ] && echo yes || echo "no ($ROWS)")"
"$PORTSIGHT" history --db "$KDB" >"$W/history-killed.out"
lab_check "history reads the killed scan's database" 0 $?
lab_check "history shows it incomplete with its results" "incomplete $ROWS" \
	"$(awk 'NR == 2 {print $11, $7}' "$W/history-killed.out")"

# --- an interrupted scan compares only what it reached: Ctrl-C in the middle of the same job
# as a finished scan, then diff of the pair is "no changes" (it used to list every port the
# interrupted scan never reached as closed).
PDB=$W/partial.db
lab_s "$PORTSIGHT" scan -sT --max-retries 0 --max-rtt-timeout 300 --max-inflight 512 \
	-p 1-31000 --db "$PDB" "$TARGET" >/dev/null 2>&1
lab_check "full scan of 1-31000 exits 0" 0 $?
lab_guard "$LAB_S" || exit 1 # the background job must be the scanner itself, to signal it
ip netns exec "$LAB_S" "$PORTSIGHT" scan -sT --max-retries 5 --min-rtt-timeout 2000 \
	--max-inflight 256 -p 1-31000 --db "$PDB" "$TARGET" >/dev/null 2>&1 &
SCAN=$!
for _ in $(seq 100); do
	python3 -c 'import sqlite3, sys; sys.exit(sqlite3.connect(sys.argv[1]).execute("SELECT coalesce(max(recorded), 0) FROM scans WHERE id = 2").fetchone()[0] < 200)' "$PDB" 2>/dev/null && break
	sleep 0.1
done
kill -INT "$SCAN"
wait "$SCAN"
lab_check "interrupted scan exits 130" 130 $?
lab_check "history: the second scan is interrupted, the first done" "interrupted done" \
	"$("$PORTSIGHT" history --db "$PDB" | awk 'NR > 1 {print $11}' | paste -sd' ')"
REACHED=$("$PORTSIGHT" history --db "$PDB" | awk 'NR == 2 {print $7}')
lab_check "interrupted scan recorded part of the ports" yes \
	"$([ "$REACHED" -gt 0 ] && [ "$REACHED" -lt 31000 ] && echo yes || echo "no ($REACHED)")"
"$PORTSIGHT" diff --db "$PDB" >"$W/diff-partial.out"
lab_check "diff full vs interrupted of an unchanged lab: exit 0" 0 $?
lab_check "diff full vs interrupted: No changes." "No changes." "$(tail -n 1 "$W/diff-partial.out")"
lab_done
