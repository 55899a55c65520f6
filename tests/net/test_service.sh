#!/bin/bash
# Service identification (scan -sV) against a target namespace running real-looking servers
# (tests/net/service_lab.py): what each one is, is the truth this script set up, and the jsonl
# must say exactly that: service, product, version, TLS certificate facts, HTTP title, and the
# unexpected/backdoor flags. Awkward peers (silent, endless banner, binary garbage) must end
# as unidentified guesses without hanging the scan.
# usage: test_service.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LAB_PREFIX=psprobe$$
LAB_DIR=${LAB_DIR:-$(dirname "$0")}
. "$LAB_DIR/lab.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed" >&2; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl not installed" >&2; exit 77; }

# kind:port, the lab's ground truth. Shared with bench/service.sh.
. "$LAB_DIR/service_lab.sh"

lab_init || exit 1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; lab_cleanup' EXIT
# A history of our own: the user's may belong to another portsight version, whose warning
# would land in the outputs this test reads with 2>&1.
export XDG_STATE_HOME=$WORK/state
service_lab_start "$WORK" || exit 1

lab_s "$PORTSIGHT" scan -sV -p "$SERVICE_LAB_PORTS" --format jsonl -o "$WORK/out.jsonl" \
	"$LAB_V4_T" 2>"$WORK/err"
rc=$?
lab_check "portsight scan -sV exit code" 0 "$rc"
[ "$rc" -eq 0 ] || cat "$WORK/err"

# field PORT JQ_FILTER: one value of the port's service object ("-" when absent; false stays).
field() {
	jq -r --argjson p "$1" \
		"select(.port == \$p) | .service | ($2) | if . == null then \"-\" else . end" \
		"$WORK/out.jsonl"
}

check_service() { # PORT NAME PRODUCT VERSION CONFIDENCE UNEXPECTED BACKDOOR
	lab_check "$1 service" "$2" "$(field "$1" .name)"
	lab_check "$1 product" "$3" "$(field "$1" .product)"
	lab_check "$1 version" "$4" "$(field "$1" .version)"
	lab_check "$1 confidence" "$5" "$(field "$1" .confidence)"
	lab_check "$1 unexpected" "$6" "$(field "$1" .unexpected)"
	lab_check "$1 backdoor" "$7" "$(field "$1" .backdoor)"
}

check_service 21 ftp vsftpd 3.0.3 matched false false
check_service 22 ssh OpenSSH 9.2p1 matched false false
check_service 25 smtp "Postfix smtpd" - matched false false
check_service 80 http "Apache httpd" 2.4.62 matched false false
check_service 110 pop3 "Dovecot pop3d" - matched false false
check_service 143 imap "Dovecot imapd" - matched false false
check_service 443 https nginx 1.22.1 matched false false
check_service 993 imaps "Dovecot imapd" - matched false false
check_service 2222 ssh "Dropbear sshd" 2022.83 matched true false
check_service 3306 mysql MySQL 8.0.36 matched false false
check_service 5900 vnc VNC - matched false false
check_service 6379 redis "Redis key-value store" 7.0.15 matched false false
check_service 8080 http nginx 1.22.1 matched false false
check_service 11211 memcached memcached 1.6.18 matched false false
# The NetBus greeting on its own port: identified, and a backdoor.
check_service 12345 netbus NetBus 1.70 matched false true
# [BACKDOOR] means a backdoor's protocol answered: SubSeven's greeting wherever it is heard; never
# a trojan's port number alone (silent on SubSeven's 27374, Back Orifice 2000's 54320), nor a
# plain service that happens to sit on a trojan port (ssh on 31337).
check_service 7781 subseven SubSeven - matched true true
lab_check "27374 silent: no backdoor" "guessed false" "$(field 27374 '"\(.confidence) \(.backdoor)"')"
lab_check "54320 silent: no backdoor" "guessed false" "$(field 54320 '"\(.confidence) \(.backdoor)"')"
check_service 31337 ssh OpenSSH 9.2p1 matched true false
# ssh on the first dynamic port (the kb expects Windows RPC there), http on 65535 (no entry).
check_service 49152 ssh OpenSSH 8.4p1 matched true false
check_service 65535 http "Python BaseHTTPServer" 0.6 matched true false
# Nothing to identify: a guess from the port number, marked as one.
for port in 7777 7778 7779 7780; do
	lab_check "$port confidence" guessed "$(field $port .confidence)"
	lab_check "$port product" - "$(field $port .product)"
done

# What TLS and HTTP showed.
lab_check "443 tls subject" lab.example "$(field 443 .tls.subject_cn)"
lab_check "443 tls issuer" lab.example "$(field 443 .tls.issuer)"
lab_check "443 tls sans" "lab.example,192.0.2.2" "$(field 443 '.tls.sans | join(",")')"
lab_check "443 tls self-signed" true "$(field 443 .tls.self_signed)"
lab_check "443 tls expired" false "$(field 443 .tls.expired)"
lab_check "443 tls not_after" "$SERVICE_LAB_NOT_AFTER" "$(field 443 .tls.not_after)"
lab_check "443 http title" "Lab TLS" "$(field 443 .http.title)"
lab_check "993 tls subject" lab.example "$(field 993 .tls.subject_cn)"
lab_check "80 http status" 200 "$(field 80 .http.status)"
lab_check "80 http title" "Lab Apache" "$(field 80 .http.title)"
lab_check "80 no tls" - "$(field 80 .tls)"
lab_check "ports reported" 25 "$(jq -r 'select(.port) | .port' "$WORK/out.jsonl" | wc -l)"

# The text report carries the same facts in its version/flags column.
lab_s "$PORTSIGHT" scan -sV -p 12345,49152,27374,31337 "$LAB_V4_T" >"$WORK/out.txt" 2>&1
lab_check "text: NetBus flagged" 1 "$(grep -c '^12345/tcp .*NetBus 1.70.*\[BACKDOOR\]' "$WORK/out.txt")"
lab_check "text: nothing else flagged as a backdoor" 1 "$(grep -c 'BACKDOOR' "$WORK/out.txt")"
lab_check "text: ssh on 49152 flagged" 1 \
	"$(grep -c '^49152/tcp .*OpenSSH 8.4p1.*\[unexpected for this port\]' "$WORK/out.txt")"

# A user's probe file in nmap's format adds a match our database does not have.
cat >"$WORK/user-probes" <<'EOF'
Probe TCP NULL q||
match labsilent m|^NOTHING| p/never/
Probe TCP LabHello q|HELLO LAB\r\n|
rarity 1
ports 7780
match labecho m|^LAB-ECHO ([\d.]+)| p/Lab echo/ v/$1/
EOF
lab_s "$PORTSIGHT" scan -sV --probes "$WORK/user-probes" -p 22,7780 --format jsonl \
	"$LAB_V4_T" >"$WORK/user.jsonl" 2>&1
lab_check "--probes keeps our database" OpenSSH \
	"$(jq -r 'select(.port == 22) | .service.product' "$WORK/user.jsonl")"
lab_check "--probes identifies what only the user's file knows" "labecho Lab echo 2.5" \
	"$(jq -r 'select(.port == 7780) | .service | "\(.name) \(.product) \(.version)"' \
		"$WORK/user.jsonl")"
printf 'Probe TCP X q|unterminated\n' >"$WORK/bad-probes"
lab_s "$PORTSIGHT" scan -sV --probes "$WORK/bad-probes" -p 22 "$LAB_V4_T" >"$WORK/bad.out" 2>&1
lab_check "--probes with a broken file exits 2" 2 "$?"
lab_check "--probes error names the line" 1 \
	"$(grep -c "bad-probes:1: unterminated payload" "$WORK/bad.out")"

# Banners, probe replies and certificates are read in a child of the scanner that holds no
# capability, under a seccomp filter (Seccomp: 2). A connect scan has no packet reader child,
# so the only child is the identification's; the silent 27374 keeps it waiting long enough.
lab_guard "$LAB_S" || exit 1 # a background job must be the scanner itself, not a shell
ip netns exec "$LAB_S" "$PORTSIGHT" scan -sT -sV --no-db -p 27374 "$LAB_V4_T" \
	>"$WORK/jail.out" 2>&1 &
scan_pid=$!
child=
for _ in $(seq 100); do
	child=$(cat /proc/$scan_pid/task/*/children 2>/dev/null | tr -d ' ')
	[ -n "$child" ] && break
	sleep 0.05
done
status_of() { sed -n "s/^$1:\t//p" /proc/${child:-none}/status 2>/dev/null; }
lab_check "-sV child: effective capabilities" 0000000000000000 "$(status_of CapEff)"
lab_check "-sV child: permitted capabilities" 0000000000000000 "$(status_of CapPrm)"
lab_check "-sV child: seccomp filter (mode 2)" 2 "$(status_of Seccomp)"
wait $scan_pid
lab_check "-sV in its sandbox: exit code" 0 $?
lab_check "-sV in its sandbox: the port reported" 1 "$(grep -c '^27374/tcp *open' "$WORK/jail.out")"

lab_done
