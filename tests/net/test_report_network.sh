#!/bin/bash
# Reports of a network: a /16 of AnyIP hosts (198.18.0.0/16 routed to the target namespace)
# over 4 ports, whose truth this script sets up with nftables: most hosts alike (22 and 80
# open), one /24 with 80 dropped, one /24 silent. The HTML page must group hosts by profile,
# start with the per-port summary, stay small, and say the same as the truth when Chromium
# renders it.
# usage: test_report_network.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=psrnet$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"

lab_init || exit 1
W=$(mktemp -d)
trap 'rm -rf "$W"; lab_cleanup' EXIT
lab_t ip route add local 198.18.0.0/16 dev lo
lab_s ip route add 198.18.0.0/16 via $LAB_V4_T
lab_nft "$LAB_T" "table inet lab_net {
	chain in { type filter hook input priority 0; policy accept;
		ip daddr 198.18.5.0/24 tcp dport 80 drop
		ip daddr 198.18.9.0/24 drop
	}
}" || exit 1
lab_spawn "$LAB_T" "$LISTEN" 22 80 >/dev/null
lab_wait_port "$LAB_T" "$LAB_V4_T" 80 || exit 1

lab_s "$PORTSIGHT" scan -Pn --no-db -p 22,80,443,8080 --format html \
	-o "$W/net.html" 198.18.0.0/16 2>"$W/err"
lab_check "a /16 x 4 ports: exit 0" 0 $?
size=$(stat -c %s "$W/net.html")
lab_check "the page stays small (under 5 MB; was 120 MB for a /16 x 4)" yes \
	"$([ "$size" -lt 5000000 ] && echo yes || echo "no ($size bytes)")"

check_html() { # check_html FILE: what the page says, against the truth
	python3 - "$1" <<'PY'
import re, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.sections = []; s.stack = []; s.text = {}; s.cur = None
    def handle_starttag(s, tag, a):
        a = dict(a)
        if tag == "section":
            s.cur = {"class": a.get("class"), "text": ""}; s.sections.append(s.cur)
    def handle_data(s, d):
        if s.cur is not None:
            s.cur["text"] += d + " "
p = P(); p.feed(open(sys.argv[1]).read())
kinds = [x["class"] for x in p.sections]
assert kinds[0] == "ports", kinds
summary = re.sub(r"\s+", " ", p.sections[0]["text"])
assert "22/tcp 65280 hosts" in summary, summary
assert "80/tcp 65024 hosts" in summary, summary
assert "443/tcp" not in summary and "8080/tcp" not in summary, summary
groups = [re.sub(r"\s+", " ", x["text"]).strip() for x in p.sections if x["class"] == "host"]
assert len(groups) == 2, len(groups)
assert groups[0].startswith("65024 hosts alike"), groups[0][:80]
assert "198.18.0.0 – 198.18.4.255 (1280)" in groups[0], groups[0][:300]
assert groups[1].startswith("256 hosts alike 198.18.5.0 – 198.18.5.255 (256)"), groups[1][:80]
quiet = [re.sub(r"\s+", " ", x["text"]) for x in p.sections if x["class"] == "quiet"]
assert len(quiet) == 1 and "256" in quiet[0] and "198.18.9.0 – 198.18.9.255" in quiet[0], quiet
print("ok")
PY
}
lab_check "the page: per-port summary first, hosts grouped by profile, silent /24 in one row" \
	ok "$(check_html "$W/net.html" 2>&1 | tail -1)"

# The text report of a network ends with the same per-port summary.
lab_s "$PORTSIGHT" scan -Pn --no-db -p 22,80,443,8080 198.18.0.0/16 >"$W/net.txt"
lab_check "text: the per-port summary closes the report" \
	"Open ports across the network:|  22/tcp      open on 65280 hosts  ssh|  80/tcp      open on 65024 hosts  http" \
	"$(sed -n '/^Open ports across the network:/,/^$/p' "$W/net.txt" | head -3 | tr '\n' '|' | sed 's/|$//')"

# JSON Lines and CSV rows come by address, then port, though the engine finds them in a
# random order over the whole space; unknown ttl and rtt are empty CSV cells, never 0.
lab_s "$PORTSIGHT" scan -Pn --no-db -p 22,80,443,8080 --show all --format jsonl \
	-oX "$W/net1k.xml" --output-csv "$W/net1k.csv" 198.18.4.0/22 >"$W/net1k.jsonl"
lab_check "jsonl and csv of a /22: exit 0" 0 $?
lab_check "jsonl: every row, by address then port" "4096 sorted" "$(python3 - "$W/net1k.jsonl" <<'PY'
import ipaddress, json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"port"' in l]
keys = [(int(ipaddress.ip_address(r["ip"])), r["port"]) for r in rows]
print(len(keys), "sorted" if keys == sorted(keys) and len(set(keys)) == len(keys) else "unsorted")
PY
)"
lab_check "csv: every row, by address then port; no made-up zero ttl or rtt" "4096 sorted 0" \
	"$(python3 - "$W/net1k.csv" <<'PY'
import csv, ipaddress, sys
rows = list(csv.DictReader(open(sys.argv[1])))
keys = [(int(ipaddress.ip_address(r["address"])), int(r["port"])) for r in rows]
zeros = sum(1 for r in rows if r["ttl"] == "0" or r["rtt_us"] == "0")
print(len(keys), "sorted" if keys == sorted(keys) else "unsorted", zeros)
PY
)"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
	lab_s timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --no-first-run --user-data-dir="$W/chromium" \
		--dump-dom "file://$W/net.html" >"$W/dom.html" 2>/dev/null
	lab_check "Chromium renders the network page, and it says the same" ok \
		"$(check_html "$W/dom.html" 2>&1 | tail -1)"
else
	echo "SKIP (LOUD) - chromium not installed: the rendering check did not run"
fi
lab_done
