#!/bin/bash
# portsight serve in a namespace lab: the server in one namespace, visitors in others, each
# joined to it by its own veth pair (documentation addresses only, no default route):
#   server  192.0.2.1 .5 .9 .13    exposed  192.0.2.2 (listeners; 135 dropped)
#   (and UPnP + NetBIOS answering)
#   closed  192.0.2.6 (nothing)    stealth  192.0.2.10 (drops all new TCP, UDP and ICMP)
#   proxy   192.0.2.14 (a trusted reverse proxy)
# curl drives consent -> POST with token -> result, the SSE stream and the downloads, checked
# against each visitor's ground truth (read from its namespace: listeners and nftables);
# Chromium, in each visitor's namespace and driven over the DevTools protocol, clicks Proceed
# and shows the live grid the event stream fills, checked cell by cell; abuse cases (spoofed
# and trusted forwarding headers, a target in a request, quota, concurrency, a slow client, an
# oversized header, a visitor who leaves) are refused or cut off; a capture of the server
# namespace shows probes to the visitors and nowhere else.
# usage: test_serve.sh PORTSIGHT LISTEN
set -u
PS=$1
LISTEN=$2
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
lab_require_root
command -v curl >/dev/null || { echo "SKIP: curl not installed" >&2; exit 77; }
W=$(mktemp -d)
[ -n "${SERVE_KEEP:-}" ] && echo "work dir: $W"
trap 'lab_cleanup; [ -n "${SERVE_KEEP:-}" ] || rm -rf "$W"' EXIT
trap 'exit 130' INT TERM
P=${LAB_PREFIX}
S=${P}srv V1=${P}exp V2=${P}cls V3=${P}stl PX=${P}prx
for ns in $S $V1 $V2 $V3 $PX; do
	lab_netns_add "$ns" || exit 1
	ip -n "$ns" link set lo up
done
i=0
for ns in $V1 $V2 $V3 $PX; do
	ip -n $S link add s$i type veth peer name v netns "$ns" || exit 1
	ip -n $S addr add 192.0.2.$((i * 4 + 1))/30 dev s$i
	ip -n "$ns" addr add 192.0.2.$((i * 4 + 2))/30 dev v
	ip -n $S link set s$i up
	ip -n "$ns" link set v up
	i=$((i + 1))
done
# The closed visitor also has IPv6 (the server listens dual-stack).
ip -n $S addr add 2001:db8:6::1/64 dev s1 nodad
ip -n $V2 addr add 2001:db8:6::2/64 dev v nodad
EXP=192.0.2.2 CLS=192.0.2.6 STL=192.0.2.10 PRX=192.0.2.14 CLS6=2001:db8:6::2
OPEN_PORTS="21 22 80 443"
lab_spawn $V1 "$LISTEN" $OPEN_PORTS >/dev/null
# The exposed visitor's UPnP device (SSDP on UDP 1900) and file sharing (NetBIOS on UDP 137).
lab_spawn $V1 python3 "$LAB_DIR/udp_lab.py" 192.0.2.2 ssdp:1900 nbns:137 >"$W/udp-lab.out"
for n in $(seq 50); do grep -q ready "$W/udp-lab.out" 2>/dev/null && break; sleep 0.1; done
lab_nft $V1 "table inet t {
	chain input { type filter hook input priority 0; policy accept; tcp dport 135 drop; }
}" || exit 1
lab_nft $V3 "table inet t {
	chain input { type filter hook input priority 0; policy accept;
		iif lo accept; ct state established,related accept; meta l4proto { tcp, udp, icmp } drop; }
}" || exit 1

# The capture starts first, at the far end of each of the server namespace's links (its only
# interfaces besides lo, which lab_guard checks): whatever the server sends arrives in one.
for ns in $V1 $V2 $V3 $PX; do
	lab_guard $ns || exit 1
	ip netns exec $ns python3 "$LAB_DIR/serve_capture.py" "$W/syn-$ns.txt" >"$W/cap-$ns.out" &
	LAB_PIDS+=($!)
	for n in $(seq 50); do grep -q ready "$W/cap-$ns.out" 2>/dev/null && break; sleep 0.1; done
done
syns() { cat "$W"/syn-*.txt; }

lab_guard $S || exit 1
ip netns exec $S "$PS" serve --listen :8080 --trusted-proxy $PRX/32 --max-scans 4 \
	--max-rate 20000 --quota 20 --client-timeout 3 --request-timeout 5 --db "$W/serve.db" \
	2>"$W/a.log" &
LAB_PIDS+=($!)
ip netns exec $S "$PS" serve --listen :8081 --max-scans 1 --quota 2 --max-rate 40 \
	--max-ports 1056 --no-db 2>"$W/b.log" &
LAB_PIDS+=($!)
# A third, over HTTPS (a throwaway self-signed certificate).
TLS=0
if command -v openssl >/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=192.0.2.1 -addext subjectAltName=IP:192.0.2.1 -days 1 \
		-keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1; then
	TLS=1
	ip netns exec $S "$PS" serve --listen :8443 --tls-cert "$W/cert.pem" --tls-key "$W/key.pem" \
		--no-db 2>"$W/tls.log" &
	LAB_PIDS+=($!)
fi
lab_wait_port $V1 192.0.2.1 8080 || exit 1
lab_wait_port $V1 192.0.2.1 8081 || exit 1
# The server parses requests under a seccomp filter (exec, ptrace, namespaces... refused).
lab_check "serve runs under a seccomp filter" 2 \
	"$(sed -n 's/^Seccomp:\t//p' /proc/${LAB_PIDS[-2]}/status 2>/dev/null)"
# ...and the threads that read requests under a second, an allowlist (no socket, no open, no
# exec: net_sandbox_enter_http_thread): one per core in libmicrohttpd's pool, the main
# thread (which starts the scans' threads through the reaper) without it.
http_threads() { # PID: the threads with both filters, and of them those with no capability
	local t n=0 nocap=0
	for t in /proc/$1/task/*/status; do
		[ "$(sed -n 's/^Seccomp_filters:\t//p' "$t")" = 2 ] || continue
		n=$((n + 1))
		[ "$(sed -n 's/^CapEff:\t//p' "$t")$(sed -n 's/^CapPrm:\t//p' "$t")" = \
			00000000000000000000000000000000 ] && nocap=$((nocap + 1))
	done
	echo "$n $nocap"
}
cores=$(getconf _NPROCESSORS_ONLN)
lab_check "serve: the request threads have the allowlist too and no capability (one per core)" \
	"$cores $cores" "$(http_threads "${LAB_PIDS[-2]}")"
lab_check "serve: the main thread has only the first filter" 1 \
	"$(sed -n 's/^Seccomp_filters:\t//p' /proc/${LAB_PIDS[-2]}/status 2>/dev/null)"

# curl in a visitor namespace: vcurl NS SERVER_ADDR PATH [curl args]; a cookie jar per visitor.
vcurl() {
	local ns=$1 srv=$2 path=$3
	shift 3
	lab_in "$ns" curl -s -m 60 -c "$W/$ns.jar" -b "$W/$ns.jar" "$@" "http://$srv$path"
}
token_of() { grep -o 'name="token" value="[0-9a-f]*"' "$1" | sed 's/.*value="//; s/"$//'; }
# expected NS PORTS...: the visitor's ground truth, "PORT STATE" per port, read from the
# namespace itself (its listeners and its nftables input chains), not from what this script meant.
expected() {
	local ns=$1
	shift
	lab_in "$ns" python3 "$LAB_DIR/serve_truth.py" "$@" || echo "no ground truth for $ns"
}
grid() { python3 "$LAB_DIR/serve_grid.py" "$@"; }

# ---- consent: what, from where, and nothing sent before Proceed ----
vcurl $V1 192.0.2.1:8080 / -o "$W/c1.html"
lab_check "consent page names the visitor" "192.0.2.2" \
	"$(grep -o 'id="client">[^<]*' "$W/c1.html" | sed 's/.*>//')"
lab_check "consent page names the server it probes from" "192.0.2.1" \
	"$(grep -o 'id="server">[^<]*' "$W/c1.html" | sed 's/.*>//')"
lab_check "consent page has the Proceed form with a token" "1" \
	"$(grep -c 'type="submit">Proceed' "$W/c1.html")"
sleep 0.5
lab_check "nothing probed before Proceed" "0" "$(syns | wc -l)"
T1=$(token_of "$W/c1.html")

# ---- the three visitors, no-JS flow (plain POST -> result page) ----
for v in "$V1 192.0.2.1 exposed" "$V2 192.0.2.5 closed" "$V3 192.0.2.9 stealth"; do
	set -- $v
	vcurl $1 $2:8080 / -o "$W/$1.consent"
	tok=$(token_of "$W/$1.consent")
	vcurl $1 $2:8080 /scan -d "token=$tok&test=common&port=" -o "$W/$1.result"
	grid "$W/$1.result" >"$W/$1.grid"
	lab_check "$3 visitor: verdict" "verdict $3" "$(head -1 "$W/$1.grid")"
	ports=$(tail -n +2 "$W/$1.grid" | cut -d' ' -f1)
	lab_check "$3 visitor: the grid has every common port" 25 "$(echo "$ports" | wc -l)"
	lab_check "$3 visitor: every cell as the ground truth says" \
		"$(expected $1 $ports | md5sum)" "$(tail -n +2 "$W/$1.grid" | md5sum)"
done

# ---- a visitor's real browser: consent, a click on Proceed, the live grid over SSE ----
# Chromium runs inside each visitor's namespace (so the server sees the visitor's address), with
# JavaScript on, driven over the DevTools protocol; what the grid displays (label, colour and
# shape of every cell) must be the namespace's ground truth, in the live view and on the result
# page it links to. A screenshot of each live view is kept.
CHROMIUM=$(command -v chromium || true)
BROWSER=0
ART=${SERVE_ARTIFACTS:-$W}
mkdir -p "$ART"
if [ -n "$CHROMIUM" ]; then
	for v in "$V1 192.0.2.1 exposed 192.0.2.2" "$V2 192.0.2.5 closed 192.0.2.6" \
		"$V3 192.0.2.9 stealth 192.0.2.10"; do
		set -- $v
		BROWSER=1
		shot="$ART/serve-browser-$3.png"
		rm -f "$shot"
		lab_in $1 timeout 300 python3 "$LAB_DIR/serve_browser.py" "$CHROMIUM" \
			"http://$2:8080/" common "$shot" >"$W/$1.browser" 2>"$W/$1.browser.err"
		echo "browser: the $3 visitor's live view: $shot"
		sed 's/^/browser: /' "$W/$1.browser.err"
		live=$(sed -n 's/^live \([0-9]\)/\1/p' "$W/$1.browser")
		lab_check "browser, $3 visitor: the consent page names the visitor" "client $4" \
			"$(grep '^client ' "$W/$1.browser")"
		lab_check "browser, $3 visitor: the live view's verdict" "live-verdict $3" \
			"$(grep '^live-verdict ' "$W/$1.browser")"
		lab_check "browser, $3 visitor: the live grid has every common port" 25 \
			"$(echo "$live" | grep -c .)"
		lab_check "browser, $3 visitor: every live cell shows the ground truth" \
			"$(expected $1 $(echo "$live" | cut -d' ' -f1) | md5sum)" "$(echo "$live" | md5sum)"
		lab_check "browser, $3 visitor: the result page's verdict" "result-verdict $3" \
			"$(grep '^result-verdict ' "$W/$1.browser")"
		lab_check "browser, $3 visitor: the result page's grid is the live grid" \
			"$(echo "$live" | md5sum)" "$(sed -n 's/^result \([0-9]\)/\1/p' "$W/$1.browser" | md5sum)"
		lab_check "browser, $3 visitor: a screenshot (PNG) kept" "89504e47" \
			"$(head -c 4 "$shot" 2>/dev/null | od -An -tx1 | tr -d ' \n')"
	done
else
	echo "SKIP (LOUD) - chromium not installed: the browser flow did not run"
fi

# ---- TruStealth: the common ports, UPnP, file sharing and ping ----
# Each visitor's expected answers come from its namespace (UDP listeners, nftables).
attr() { grep -o "id=\"$2\"[^>]*" "$1" | grep -o "$3=\"[^\"]*\"" | head -1 | cut -d'"' -f2; }
lab_check "consent page offers TruStealth and says what it sends" "1 1" \
	"$(grep -c 'value="shieldsup"> TruStealth' "$W/c1.html") $(grep -c 'UDP port 1900.*UDP port.*137.*ICMP echo' "$W/c1.html")"
for v in "$V1 192.0.2.1 exposed FAILED" "$V2 192.0.2.5 closed FAILED" "$V3 192.0.2.9 stealth PASSED"; do
	set -- $v
	vcurl $1 $2:8080 / -o "$W/$1.ts-consent"
	vcurl $1 $2:8080 /scan -d "token=$(token_of "$W/$1.ts-consent")&test=shieldsup&port=" \
		-o "$W/$1.ts.html"
	grid "$W/$1.ts.html" >"$W/$1.ts.grid"
	ports=$(tail -n +2 "$W/$1.ts.grid" | cut -d' ' -f1)
	lab_check "TruStealth, $3 visitor: the verdict" "$4" "$(attr "$W/$1.ts.html" truestealth data-stealth)"
	lab_check "TruStealth, $3 visitor: the common ports as the ground truth says" \
		"25 $(expected $1 $ports | md5sum)" "$(echo "$ports" | grep -c .) $(tail -n +2 "$W/$1.ts.grid" | md5sum)"
	lab_check "TruStealth, $3 visitor: UPnP (UDP 1900)" \
		"$(lab_in $1 python3 "$LAB_DIR/serve_truth.py" --udp 1900)" "$(attr "$W/$1.ts.html" upnp data-answer)"
	lab_check "TruStealth, $3 visitor: NetBIOS (UDP 137)" \
		"$(lab_in $1 python3 "$LAB_DIR/serve_truth.py" --udp 137)" "$(attr "$W/$1.ts.html" file-sharing data-answer)"
	lab_check "TruStealth, $3 visitor: ping" \
		"$(lab_in $1 python3 "$LAB_DIR/serve_truth.py" --ping)" "$(attr "$W/$1.ts.html" ping data-answer)"
done
if [ $BROWSER = 1 ]; then
	# The same in the exposed visitor's browser: the live view's TruStealth verdict, and the
	# UPnP device's reply on the result page it links to.
	shot="$ART/serve-browser-truestealth.png"
	lab_in $V1 timeout 300 python3 "$LAB_DIR/serve_browser.py" "$CHROMIUM" \
		"http://192.0.2.1:8080/" shieldsup "$shot" >"$W/ts.browser" 2>"$W/ts.browser.err"
	echo "browser: the TruStealth live view: $shot"
	sed 's/^/browser: /' "$W/ts.browser.err"
	lab_check "browser, TruStealth: the live view's verdict" "live-truestealth FAILED" \
		"$(grep '^live-truestealth ' "$W/ts.browser")"
	lab_check "browser, TruStealth: the live grid shows the ground truth" \
		"$(expected $V1 $(sed -n 's/^live \([0-9]*\) .*/\1/p' "$W/ts.browser") | md5sum)" \
		"$(sed -n 's/^live \([0-9]\)/\1/p' "$W/ts.browser" | md5sum)"
	lab_check "browser, TruStealth: the result page shows UPnP exposed and the device's SERVER line" \
		"result-upnp answered|result-upnp-header SERVER: Linux/6.1 UPnP/1.1 MiniUPnPd/2.3.3" \
		"$(grep '^result-upnp ' "$W/ts.browser")|$(grep '^result-upnp-header SERVER' "$W/ts.browser")"
fi
lab_check "TruStealth: the UPnP device's reply headers are shown" 1 \
	"$(grep -A8 'id="upnp-reply"' "$W/$V1.ts.html" | grep -c '^SERVER: Linux/6.1 UPnP/1.1 MiniUPnPd/2.3.3$')"
lab_check "TruStealth: file sharing exposed, with the NetBIOS names" "yes|LABHOST<00>" \
	"$(attr "$W/$V1.ts.html" file-sharing data-exposed)|$(grep -o 'id="netbios-names">[^<,]*' "$W/$V1.ts.html" | sed 's/.*>//; s/&lt;/</; s/&gt;/>/')"
lab_check "TruStealth: the closed visitor has no file sharing" no "$(attr "$W/$V2.ts.html" file-sharing data-exposed)"
ID_TS=$(grep -o '/scan/[0-9a-f]\{32\}/report.jsonl' "$W/$V1.ts.html" | head -1 | cut -d/ -f3)
vcurl $V1 192.0.2.1:8080 /scan/$ID_TS/report.jsonl -o "$W/ts.jsonl"
lab_check "TruStealth: the JSON Lines download ends with the TruStealth record" "FAILED" \
	"$(tail -1 "$W/ts.jsonl" | jq -r .shieldsup.truestealth)"
# The live flow carries it too: the done event names the TruStealth verdict.
vcurl $V3 192.0.2.9:8080 /scan -d "token=$(token_of "$W/$V3.ts-consent")&test=shieldsup&port=&live=1" -o "$W/ts-live.json"
vcurl $V3 192.0.2.9:8080 "$(jq -r .events "$W/ts-live.json")" -N -o "$W/ts-events.txt"
lab_check "TruStealth live: the done event has the verdict" "PASSED" \
	"$(grep -A1 '^event: done' "$W/ts-events.txt" | sed -n 's/^data: //p' | jq -r .truestealth)"

lab_check "exposed visitor: open ports listed with their service" "1" \
	"$(grep -c '<td><a href="/port/22">22</a></td><td>ssh</td>' "$W/$V1.result")"
lab_check "exposed visitor: advice given" "1" "$(grep -c 'id="advice"' "$W/$V1.result")"
ID1=$(grep -o '/scan/[0-9a-f]\{32\}/report.html' "$W/$V1.result" | head -1 | cut -d/ -f3)

# ---- downloads ----
vcurl $V1 192.0.2.1:8080 /scan/$ID1/report.jsonl -o "$W/r.jsonl"
lab_check "JSON Lines download: open ports" "21 22 80 443" \
	"$(jq -r 'select(.state == "open") | .port' "$W/r.jsonl" | sort -n | tr '\n' ' ' | sed 's/ $//')"
lab_check "JSON Lines download: summary" "25 4" \
	"$(jq -r 'select(.summary) | "\(.summary.ports_scanned) \(.summary.open)"' "$W/r.jsonl")"
vcurl $V1 192.0.2.1:8080 /scan/$ID1/report.html -o "$W/r.html"
lab_check "HTML report download: the report's grid" "1" \
	"$(grep -ci '<!doctype html' "$W/r.html")"
lab_check "another visitor cannot read the scan" "404" \
	"$(vcurl $V2 192.0.2.5:8080 /scan/$ID1 -o /dev/null -w '%{http_code}')"

# ---- the live flow: POST live=1 -> SSE stream ----
lab_in $V1 true
vcurl $V1 192.0.2.1:8080 /scan -d "token=$T1&test=service&port=&live=1" -o "$W/live.json"
LID=$(jq -r .id "$W/live.json")
lab_check "live: the grid to draw" "1055" "$(jq '.grid | length' "$W/live.json")"
vcurl $V1 192.0.2.1:8080 /scan/$LID/events -N -o "$W/events.txt"
grid --sse "$W/events.txt" >"$W/sse.grid"
lab_check "SSE: one event per port" 1055 "$(grep -vc '^done' "$W/sse.grid")"
lab_check "SSE: ends with the verdict" "done exposed" "$(tail -1 "$W/sse.grid")"
lab_check "SSE: every port as the ground truth says" \
	"$(expected $V1 $(seq 1 1055) | md5sum)" "$(grep -v '^done' "$W/sse.grid" | sort -n | md5sum)"

# ---- one typed port, and the Port Authority page ----
vcurl $V1 192.0.2.1:8080 /scan -d "token=$T1&test=port&port=22" -o "$W/p22.html"
lab_check "single port: open, with its explanation" "verdict exposed|22 open|1" \
	"$(grid "$W/p22.html" | tr '\n' '|')$(grep -c 'About port 22' "$W/p22.html")"
lab_check "Port Authority page: 31337's trojans" "1" \
	"$(vcurl $V1 192.0.2.1:8080 /port/31337 | grep -c 'Back Orifice')"
lab_check "Port Authority form (GET /port?port=N)" "200" \
	"$(vcurl $V1 192.0.2.1:8080 '/port?port=80' -o /dev/null -w '%{http_code}')"

# ---- Chromium shows the grid (the result page, JavaScript on) ----
CHROMIUM=$(command -v chromium || true)
if [ -n "$CHROMIUM" ]; then
	lab_in $V1 timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --no-first-run --user-data-dir="$W/chromium" \
		--dump-dom "http://192.0.2.1:8080/scan/$ID1" >"$W/dom.html" 2>/dev/null
	lab_in $V1 timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --no-first-run --user-data-dir="$W/chromium" \
		--window-size=1000,1400 --screenshot="${SERVE_ARTIFACTS:-$W}/serve-exposed.png" \
		"http://192.0.2.1:8080/scan/$ID1" >/dev/null 2>&1
	lab_check "Chromium: the displayed grid is the ground truth" \
		"$(cat "$W/$V1.grid" | md5sum)" "$(grid "$W/dom.html" | md5sum)"
	lab_in $V1 timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --no-first-run --user-data-dir="$W/chromium" \
		--dump-dom "http://192.0.2.1:8080/" >"$W/dom-consent.html" 2>/dev/null
	lab_check "Chromium: the consent page renders, script and all, with no error" "1" \
		"$(grep -c 'id="consent"' "$W/dom-consent.html")"
else
	echo "SKIP (LOUD) - chromium not installed: the rendering check did not run"
fi

# ---- abuse ----
lab_check "spoofed X-Forwarded-For from an untrusted peer is ignored" "192.0.2.2" \
	"$(vcurl $V1 192.0.2.1:8080 / -H "X-Forwarded-For: $PRX" | grep -o 'id="client">[^<]*' | sed 's/.*>//')"
vcurl $V1 192.0.2.1:8080 /scan -H "X-Forwarded-For: $PRX" -H "Forwarded: for=$PRX" \
	-d "token=$T1&test=port&port=80" -o "$W/spoof.html"
lab_check "spoofed headers: the scan is of the peer" "192.0.2.2" \
	"$(grep -o 'id="client">[^<]*' "$W/spoof.html" | sed 's/.*>//')"
vcurl $PX 192.0.2.13:8080 / -H "X-Forwarded-For: 203.0.113.9, $CLS" -o "$W/px.html"
lab_check "trusted proxy: its X-Forwarded-For names the visitor (rightmost hop)" "$CLS" \
	"$(grep -o 'id="client">[^<]*' "$W/px.html" | sed 's/.*>//')"
vcurl $PX 192.0.2.13:8080 /scan -H "X-Forwarded-For: 203.0.113.9, $CLS" \
	-d "token=$(token_of "$W/px.html")&test=port&port=80" -o "$W/px-result.html"
lab_check "trusted proxy: the visitor behind it is scanned" "verdict closed|80 closed|" \
	"$(grid "$W/px-result.html" | tr '\n' '|')"
# The trojan ports test, and a visitor over IPv6.
vcurl $V2 192.0.2.5:8080 / -o "$W/tro.consent"
ntro=$(grep -o 'value="trojans"> Trojan and backdoor ports <span class="small">([0-9]*' \
	"$W/tro.consent" | grep -o '[0-9]*$')
vcurl $V2 192.0.2.5:8080 /scan -d "token=$(token_of "$W/tro.consent")&test=trojans&port=" \
	-o "$W/tro.html"
lab_check "trojan ports: every one probed, each closed" "verdict closed|$ntro" \
	"$(grid "$W/tro.html" | sed -n 1p)|$(grid "$W/tro.html" | tail -n +2 | grep -c ' closed$')"
lab_in $V2 curl -s -m 30 -g -c "$W/v6.jar" -b "$W/v6.jar" "http://[2001:db8:6::1]:8080/" \
	-o "$W/v6.html"
lab_check "IPv6 visitor: named by its IPv6 address" "$CLS6" \
	"$(grep -o 'id="client">[^<]*' "$W/v6.html" | sed 's/.*>//')"
lab_in $V2 curl -s -m 30 -g -c "$W/v6.jar" -b "$W/v6.jar" \
	-d "token=$(token_of "$W/v6.html")&test=port&port=80" "http://[2001:db8:6::1]:8080/scan" \
	-o "$W/v6r.html"
lab_check "IPv6 visitor: scanned over IPv6" "verdict closed|80 closed|$CLS6" \
	"$(grid "$W/v6r.html" | tr '\n' '|')$(grep -o 'id="client">[^<]*' "$W/v6r.html" | sed 's/.*>//')"
code() { vcurl "$@" -o /dev/null -w '%{http_code}'; }
lab_check "a form field naming a target: 400" 400 \
	"$(code $V1 192.0.2.1:8080 /scan -d "token=$T1&test=common&target=$STL")"
lab_check "a query naming a target: 400" 400 "$(code $V1 192.0.2.1:8080 "/?target=$STL")"
lab_check "a query on the scan URL: 400" 400 \
	"$(code $V1 192.0.2.1:8080 "/scan?ip=$STL" -d "token=$T1&test=common")"
lab_check "no session cookie: 403" 403 \
	"$(lab_in $V1 curl -s -o /dev/null -w '%{http_code}' -d "token=$T1&test=common" http://192.0.2.1:8080/scan)"
lab_check "a wrong token: 403" 403 \
	"$(code $V1 192.0.2.1:8080 /scan -d "token=0123456789abcdef&test=common")"
lab_check "a body over the limit: 413" 413 \
	"$(code $V1 192.0.2.1:8080 /scan -d "token=$T1&test=common&port=$(head -c 5000 /dev/zero | tr '\0' 1)")"
lab_check "an oversized header: 431" 431 \
	"$(code $V1 192.0.2.1:8080 / -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)")"
# A slow client sends half a request and waits: cut off after --client-timeout (3 s).
cut=$(lab_in $V1 python3 -c '
import socket, time
s = socket.create_connection(("192.0.2.1", 8080))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-a: b\r\n")
t = time.monotonic()
s.settimeout(20)
try:
    while s.recv(4096):
        pass
except OSError:
    pass
print("cut" if time.monotonic() - t < 8 else "kept")')
lab_check "a slowloris client is cut off" cut "$cut"
# A trickling one: a header byte every 1.5 s, never idle for --client-timeout (3 s), never done.
# Only the whole-request deadline (--request-timeout 5) cuts it: within 5 s and a tick or two.
lab_in $V1 python3 -c '
import socket, time
s = socket.create_connection(("192.0.2.1", 8080))
t = time.monotonic()
s.settimeout(1.5)
line = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Trickle: " + b"a" * 10000
for i, b in enumerate(line):
    try:
        s.send(bytes([b]))
        if s.recv(4096) == b"":
            break
    except socket.timeout:
        pass
    except OSError:
        break
    if time.monotonic() - t > 40:
        break
print("%.1f %d" % (time.monotonic() - t, i))' >"$W/trickle.txt" &
TRICKLE=$!
sleep 1
lab_check "while a client trickles, another visitor is served" 200 \
	"$(vcurl $V2 192.0.2.5:8080 / -o /dev/null -w '%{http_code}')"
wait $TRICKLE
read -r tsecs tbytes <"$W/trickle.txt"
echo "trickle: cut after ${tsecs} s and $tbytes bytes"
lab_check "a trickling client is cut off by the request deadline (5 s), not kept" yes \
	"$(awk -v t="$tsecs" -v n="$tbytes" 'BEGIN { print (t >= 4.5 && t < 9 && n >= 3) ? "yes" : "no" }')"
lab_check "... and counted in /metrics" 1 \
	"$(vcurl $V2 192.0.2.5:8080 /metrics | grep -c '^portsight_serve_deadline_cut_total [1-9]')"

# Quota (2 an hour) and concurrency (1 scan) on the second server.
vcurl $V2 192.0.2.5:8081 / -o "$W/b2.html"
TB=$(token_of "$W/b2.html")
lab_check "quota: first scan" 200 "$(code $V2 192.0.2.5:8081 /scan -d "token=$TB&test=port&port=80")"
lab_check "quota: second scan" 200 "$(code $V2 192.0.2.5:8081 /scan -d "token=$TB&test=port&port=80")"
lab_check "quota: third scan in the hour refused" 429 \
	"$(code $V2 192.0.2.5:8081 /scan -d "token=$TB&test=port&port=80")"
vcurl $V3 192.0.2.9:8081 / -o "$W/b3.html"
TB3=$(token_of "$W/b3.html")
lab_check "concurrency: a slow scan starts" 200 \
	"$(code $V3 192.0.2.9:8081 /scan -d "token=$TB3&test=service&port=&live=1")"
lab_check "concurrency: the same visitor again is refused" 429 \
	"$(code $V3 192.0.2.9:8081 /scan -d "token=$TB3&test=port&port=22")"
vcurl $V1 192.0.2.1:8081 / -o "$W/b1.html"
lab_check "concurrency: another visitor while the cap is reached" 503 \
	"$(code $V1 192.0.2.1:8081 /scan -d "token=$(token_of "$W/b1.html")&test=port&port=22")"
lab_check "max-ports: all 65535 refused on a 1056-port server" 403 \
	"$(code $V1 192.0.2.1:8081 /scan -d "token=$(token_of "$W/b1.html")&test=all")"
# Nobody follows the live scan: it stops after the grace period.
for n in $(seq 120); do grep -q "client=$STL test=service.*interrupted=1" "$W/b.log" && break; sleep 0.5; done
lab_check "a live scan nobody watches is stopped" 1 \
	"$(grep -c "scan client=$STL test=service.*interrupted=1" "$W/b.log")"

# A visitor who leaves (the no-JS page, closed after 2 s) stops the scan.
vcurl $V1 192.0.2.1:8080 /scan -d "token=$T1&test=all" -m 2 -o /dev/null
for n in $(seq 40); do grep -q "client=$EXP test=all" "$W/a.log" && break; sleep 0.25; done
lab_check "the visitor left: the all-ports scan stopped early" "interrupted=1" \
	"$(grep "scan client=$EXP test=all" "$W/a.log" | grep -o 'interrupted=1')"
lab_check "... and it did not scan all 65535 ports" "partial" \
	"$(grep "scan client=$EXP test=all" "$W/a.log" | grep -q 'scanned=65535 ' && echo all || echo partial)"

# ---- the record: log lines, history, metrics, health ----
lab_check "every scan logged (who, what, counts)" $((1 + BROWSER)) \
	"$(grep -c "scan client=$EXP test=common ports=common nports=25 engine=[a-z]* scanned=25 open=4 closed=20 stealth=1 " "$W/a.log")"
lab_check "refusals logged" 1 "$(grep -c "refused client=$CLS test=port reason=quota" "$W/b.log")"
lab_check "scans recorded in the history" "1" \
	"$("$PS" history --db "$W/serve.db" | grep -c "common test for $CLS\|$CLS.*common" | head -1 | sed 's/^[1-9][0-9]*$/1/')"
lab_check "/healthz" ok "$(vcurl $V1 192.0.2.1:8080 /healthz)"
# Keep-alive: libmicrohttpd closes a connection whose response was queued too early; the pages
# answer so that a browser (and wrk) reuse theirs.
lab_check "keep-alive: the second page comes over the same connection" 1 \
	"$(lab_in $V1 curl -sv -o /dev/null -o /dev/null http://192.0.2.1:8080/ \
		http://192.0.2.1:8080/static/serve.css 2>&1 | grep -c '^\* Re-using existing connection')"
if [ $TLS = 1 ]; then
	lab_wait_port $V1 192.0.2.1 8443 || exit 1
	lab_check "--tls-cert: the consent page over HTTPS names the visitor" "192.0.2.2" \
		"$(lab_in $V1 curl -s --cacert "$W/cert.pem" https://192.0.2.1:8443/ |
			grep -o 'id="client">[^<]*' | sed 's/.*>//')"
	lab_check "--tls-cert: the session cookie is Secure" 1 \
		"$(lab_in $V1 curl -s -D - -o /dev/null --cacert "$W/cert.pem" https://192.0.2.1:8443/ |
			grep -ci '^set-cookie: psid=.*; Secure')"
else
	echo "SKIP (LOUD) - openssl could not make a certificate: HTTPS not checked"
fi
lab_check "/metrics counts the refusals" 1 \
	"$(vcurl $V1 192.0.2.1:8080 /metrics | grep -c '^portsight_serve_refusals_total{reason="token"} 2$')"

# ---- the capture: probes went to the visitors, nowhere else ----
sleep 0.5
lab_check "probes were sent" yes "$([ -n "$(syns)" ] && echo yes)"
lab_check "every probe went to a visitor that asked" "" \
	"$(syns | cut -d' ' -f1 | sort -u | grep -vx "$EXP\|$CLS\|$STL\|$CLS6" | tr '\n' ' ')"
lab_check "none to the proxy (whose address the spoofed headers named)" 0 "$(syns | grep -c "^$PRX ")"
lab_check "UPnP, NetBIOS and ping probes were sent (to the TruStealth visitors)" "$EXP $CLS $STL" \
	"$(syns | grep ' 1900/udp$' | cut -d' ' -f1 | sort -u | sort -t. -k4 -n | tr '\n' ' ' | sed 's/ $//')"
lab_check "every UDP datagram and echo request went to a TruStealth visitor, to 1900 or 137" "" \
	"$(syns | grep '/udp$\| echo$' | grep -vx "\($EXP\|$CLS\|$STL\) \(1900/udp\|137/udp\|echo\)" | sort -u | tr '\n' ' ')"
lab_done
