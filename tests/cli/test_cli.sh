#!/bin/bash
# Command-line contract: bad input gets one clear line on stderr and exit code 2, never a crash,
# and nothing is probed. Every case here fails before any packet could be sent.
ps=$1
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_in=

# expect CODE PATTERN ARGS...: exit code CODE, one stderr line matching PATTERN, empty stdout.
expect() {
	local code=$1 pattern=$2
	shift 2
	$run_in "$ps" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" != "$code" ] || ! grep -qE -- "$pattern" "$tmp/err" || [ "$lines" != 1 ] ||
		[ -s "$tmp/out" ]; then
		echo "FAIL - portsight ${*@Q}: exit $rc (want $code), stderr:"
		sed 's/^/    /' "$tmp/err"
		fails=$((fails + 1))
	else
		echo "ok - portsight ${*@Q} -> $code: $(cat "$tmp/err")"
	fi
}

# expect_setup CODE PATTERN ARGS...: as expect, in a network namespace of its own with no
# interface up (a regression that let the scan start could send nothing anywhere).
expect_setup() {
	if ! unshare -n true 2>/dev/null; then
		echo "skip - portsight ${*:3} (no unshare -n)"
		return
	fi
	run_in="unshare -n"
	expect "$@"
	run_in=
}

expect 2 'no target given' scan
expect 2 'no target given' scan -p 80
expect 2 'port 0' scan -p 0 192.0.2.1
expect 2 'above 65535' scan -p 65536 192.0.2.1
expect 2 'reversed' scan -p 90-80 192.0.2.1
expect 2 'empty item' scan -p 80,,81 192.0.2.1
expect 2 'unknown preset|preset' scan -p nosuchpreset 192.0.2.1
expect 2 'bad target' scan -p 80 '192.0.2.1/33'
expect 2 'bad target' scan -p 80 'not/a/target'
expect 2 'bad target range' scan -p 80 192.0.2.20-10
expect 2 'mixes IPv4 and IPv6' scan -p 80 192.0.2.1-2001:db8::1
expect 2 'bad target' scan -p 80 'bad$name'
expect 2 'refusing to scan more than 65536' scan -p 80 198.18.0.0/15
expect 2 'refusing to scan more than 65536' scan -p 80 2001:db8::/64
expect 2 'no target addresses left' scan -p 80 192.0.2.0/24 --exclude 192.0.2.0/24
expect 2 'unknown option' scan --bogus 192.0.2.1
# A short option inside a group: the message once named the argument before it ("80").
expect 2 'unknown option -Z ' scan -p 80 -Z4 192.0.2.1
expect 2 'needs a value' scan 192.0.2.1 -p
expect 2 'bad --max-retries' scan --max-retries 99 192.0.2.1
expect 2 'unknown format' scan --format yaml -p 80 192.0.2.1
expect_setup 2 'bad --stats-every "soon": not a duration' scan --stats-every soon -p 80 192.0.2.1
expect_setup 2 'bad --stats-every "5x": not a duration' scan --stats-every 5x -p 80 192.0.2.1
expect_setup 2 'bad --stats-every "0s": must be 50ms' scan --stats-every 0s -p 80 192.0.2.1
expect 2 'unknown scan engine' scan --engine warp -p 80 192.0.2.1
expect 2 'bad --show' scan --show opne -p 80 192.0.2.1
expect 2 'cannot open' scan -p 80 -iL "$tmp/missing"
printf '192.0.2.1\n192.0.2.300\n' >"$tmp/targets"
expect 2 'bad target' scan -p 80 -iL "$tmp/targets"
printf '192.0.2.1\0' >"$tmp/nul"
expect 2 'NUL byte' scan -p 80 -iL "$tmp/nul"
expect 2 'unknown command' frobnicate
expect 2 "unknown command '192.0.2.2': to scan, say 'portsight scan 192.0.2.2'" 192.0.2.2
expect 2 "unknown command '-p': to scan, say 'portsight scan -p ...'" -p 22 192.0.2.2
# nmap's flags that portsight cannot honour: refused by name, with what to use instead (once
# "-sU" was reported as "-s" and "-Pn" as "-P").
# -sU and nmap's U:/T: port specs: a spec that names no UDP port, or UDP without -sU.
expect 2 "-sU, but -p names no UDP port" scan -sU -p T:80 192.0.2.1
expect 2 "names only UDP ports .U:. but no UDP scan: add -sU" scan -p U:53 192.0.2.1
expect 2 'only T: \(TCP\) and U: \(UDP\)' scan -sU -p S:53 192.0.2.1
expect 2 'bad port spec: empty item' scan -sU -p U:53,,T:80 192.0.2.1
expect 2 'bad port spec' scan -sU -p U:99999 192.0.2.1
expect_setup 2 "-Pn skips host discovery and -sn does nothing else" scan -sn -Pn 192.0.2.0/24
expect_setup 2 "-sn discovers hosts without a port scan: -p" scan -sn -p 80 192.0.2.0/24
expect_setup 2 "-Pn skips host discovery, but -PE chooses its probes" scan -Pn -PE 192.0.2.0/24
expect_setup 2 "nmap's -PM: ICMP address mask pings are not available" scan -PM 192.0.2.0/24
expect_setup 2 "unknown discovery probe -PX" scan -PX 192.0.2.0/24
expect_setup 2 "-PE takes no ports" scan -PE80 192.0.2.0/24
expect_setup 2 "at most 64 discovery probes" scan -PS1-100 192.0.2.0/24
expect_setup 2 "nmap's -O: portsight does not guess operating systems" scan -O 192.0.2.1
expect_setup 2 "nmap's -A: .* -sV identifies services" scan -A 192.0.2.1
expect_setup 2 "nmap's --script: portsight runs no scripts" scan --script=vuln 192.0.2.1
expect_setup 2 "nmap's -PR: ARP .IPv4. and neighbour discovery" scan -PR 192.0.2.1
# Text quoted in an error is one line, whatever it holds: a newline or an escape becomes '?'.
expect_setup 2 'unknown discovery probe -PX\?Y' scan "-PX"$'\n'"Y" 192.0.2.1
expect_setup 2 'bad --scan-delay "1\?\[2Js"' scan --scan-delay $'1\e[2Js' -p 80 192.0.2.1
# nmap's timing flags, honoured: a bad value or a contradiction is one line, exit 2.
expect_setup 2 'bad --min-rate "x": not a number' scan --min-rate x -p 80 192.0.2.1
expect_setup 2 'bad --min-rate 0: must be 1-' scan --min-rate 0 -p 80 192.0.2.1
expect_setup 2 '--min-rate 500 is above --max-rate 100' scan --min-rate 500 --max-rate 100 -p 80 192.0.2.1
expect_setup 2 'bad --scan-delay "fast": a time like 500ms' scan --scan-delay fast -p 80 192.0.2.1
expect_setup 2 'bad --scan-delay "10x": a time like' scan --scan-delay 10x -p 80 192.0.2.1
expect_setup 2 'bad --scan-delay "-1s": a time like' scan --scan-delay=-1s -p 80 192.0.2.1
expect_setup 2 'bad --scan-delay "2h": at most 3600 s' scan --scan-delay 2h -p 80 192.0.2.1
expect_setup 2 'bad --max-scan-delay "1d": a time like' scan --max-scan-delay 1d -p 80 192.0.2.1
expect_setup 2 '--scan-delay is above --max-scan-delay' scan --scan-delay 1s --max-scan-delay 500ms -p 80 192.0.2.1
expect_setup 2 'bad --host-timeout "soon": a time like' scan --host-timeout soon -p 80 192.0.2.1
expect_setup 2 'bad --host-timeout "1000h": at most 604800 s' scan --host-timeout 1000h -p 80 192.0.2.1
expect_setup 2 'option --host-timeout needs a value' scan -p 80 192.0.2.1 --host-timeout
expect_setup 2 'unknown option --packet-trace=1' scan --packet-trace=1 -p 80 192.0.2.1
# Contradictions are errors, not "the last one wins".
expect_setup 2 '--connect and --syn ask for two scan engines' scan -sT -sS -p 80 192.0.2.1
expect_setup 2 '--syn and --engine ask for two scan engines' scan -sS --engine connect -p 80 192.0.2.1
expect_setup 2 '-p and -F both choose the ports' scan -F -p 80 192.0.2.1
expect_setup 2 '-p and --top-ports both choose the ports' scan --top-ports 10 -p 80 192.0.2.1
expect_setup 2 'bad --top-ports "0"' scan --top-ports 0 192.0.2.1
expect_setup 2 'bad --top-ports "x"' scan --top-ports x 192.0.2.1
expect_setup 2 'bad -T "9"' scan -T9 -p 80 192.0.2.1
expect_setup 2 'bad --version-intensity 10' scan -sV --version-intensity 10 -p 80 192.0.2.1
expect_setup 2 '--min-rtt-timeout 100 is above --max-rtt-timeout 1' scan --min-rtt-timeout 100 --max-rtt-timeout 1 -p 80 192.0.2.1
expect_setup 2 '--initial-rtt-timeout 900 is above --max-rtt-timeout 500' scan --initial-rtt-timeout 900 --max-rtt-timeout 500 -p 80 192.0.2.1
expect_setup 2 '--exclude names no target' scan --exclude '' -p 80 192.0.2.1
expect_setup 2 '-e nosuchif0: no such network interface' scan -e nosuchif0 -p 80 192.0.2.1
# In the root namespace (an empty one lets any bind through), against loopback only.
expect 2 '-S: this host has no address 203.0.113.5' scan -S 203.0.113.5 -p 80 127.0.0.1
expect_setup 2 '-6 asks for IPv6, but 192.0.2.2 is not' scan -6 -p 80 192.0.2.2
expect_setup 2 '-4 asks for IPv4, but 2001:db8::2 is not' scan -4 -p 80 2001:db8::2
expect 2 'takes no arguments' check extra

# expect_setup CODE PATTERN ARGS...: a scan that fails while it is set up (files, history),
# after parsing. It runs in a network namespace of its own with no interface up, so even a
# regression that let it start could not send a packet anywhere. Without unshare: skipped.
# -sU has no unprivileged fallback: refused at once, with what it needs (and in a namespace
# without a network, as nobody, so a regression could send nothing).
expect_udp_unprivileged() {
	if ! unshare -n true 2>/dev/null || ! command -v setpriv >/dev/null; then
		echo "skip - -sU unprivileged (no unshare -n or setpriv)"
		return
	fi
	run_in="unshare -n setpriv --reuid=65534 --regid=65534 --clear-groups"
	expect 3 "the UDP scan \(-sU\) sends raw packets: it needs root or CAP_NET_RAW" \
		scan -sU --no-db -p 53 127.0.0.1
	run_in=
}

expect_setup_payloads() {
	printf 'payload x\nports 53\nbogus 1\n' >"$tmp/bad.payloads"
	expect_setup 2 "bad.payloads: line 3: unknown directive .bogus." scan -sU --no-db \
		--payloads "$tmp/bad.payloads" -p 53 192.0.2.1
	printf 'payload x\nports 53\ndata "\\x4"\n' >"$tmp/bad2.payloads"
	expect_setup 2 'line 3: .x needs two hex digits' scan -sU --no-db \
		--payloads "$tmp/bad2.payloads" -p 53 192.0.2.1
	expect_setup 2 'no-such-file: No such file' scan -sU --no-db \
		--payloads "$tmp/no-such-file" -p 53 192.0.2.1
}


# scan: outputs, probes, history and files.
mkdir "$tmp/dir"
printf 'not a database\n' >"$tmp/notdb"
expect_setup_payloads
expect_udp_unprivileged
expect_setup 2 'cannot write /nonexistent/x.xml' scan -p 80 -oX /nonexistent/x.xml 192.0.2.1
expect_setup 2 'cannot write /nonexistent/x' scan -p 80 --format html -o /nonexistent/x 192.0.2.1
expect_setup 2 'cannot write .*dir: Is a directory' scan -p 80 -o "$tmp/dir" 192.0.2.1
expect_setup 2 'missing: No such file' scan -p 80 --probes "$tmp/missing" 192.0.2.1
expect_setup 2 'dir: Is a directory' scan -p 80 --probes "$tmp/dir" 192.0.2.1
printf 'garbage probe {{{\n' >"$tmp/badprobes"
expect_setup 2 'badprobes:1: unknown directive' scan -p 80 --probes "$tmp/badprobes" 192.0.2.1
# History is best-effort for a scan: a --db that cannot be used is one warning, and the scan
# and its reports go on (once it was exit 2 and a truncated -oX). In a namespace with no
# interface: the target has no route (one note says so), nothing leaves.
expect_warn() { # expect_warn PATTERN ARGS...: exit 0, one warning line, a report on stdout
	local pattern=$1
	shift
	if ! unshare -n true 2>/dev/null; then
		echo "skip - portsight $* (no unshare -n)"
		return
	fi
	unshare -n "$ps" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc != 0 ] || [ "$(grep -vc '^portsight: note: no route to 192.0.2.1;' "$tmp/err")" != 1 ] ||
		! grep -qE -- "warning: .*$pattern.*this scan is not recorded" "$tmp/err" ||
		! grep -q 'ports scanned' "$tmp/out"; then
		echo "FAIL - portsight ${*@Q}: exit $rc (want 0 and one warning), stderr:"
		sed 's/^/    /' "$tmp/err"
		fails=$((fails + 1))
	else
		echo "ok - portsight ${*@Q} -> 0: $(cat "$tmp/err")"
	fi
}
expect_warn 'notdb: file is not a database' scan -sT -p 80 --db "$tmp/notdb" 192.0.2.1
expect_warn 'is a directory' scan -sT -p 80 --db "$tmp/dir" 192.0.2.1
# SQLite takes "" as a temporary database: the history would vanish silently.
expect_warn 'history database: empty file name' scan -sT -p 80 --db '' 192.0.2.1
# PostgreSQL only through a unix socket directory that does not exist: nothing is looked up.
expect_warn 'PostgreSQL.*cannot connect' scan -sT -p 80 --db 'postgresql:///portsight?host=/nonexistent-portsight-dir' 192.0.2.1
expect 2 'bad --show "junk"' scan --show junk -p 80 192.0.2.1
expect 2 'cannot read .*dir: Is a directory' scan -p 80 -iL "$tmp/dir"
expect 2 'cannot open .*missing' scan -p 80 --exclude-file "$tmp/missing" 192.0.2.1
# A setup error used to leave a report of a "finished" scan that never ran: stdout and -oX.
expect_setup 2 'badprobes:1: unknown directive' scan -p 80 --format xml --probes "$tmp/badprobes" 192.0.2.1
expect_setup 2 'badprobes:1: unknown directive' scan -p 80 -oX "$tmp/x.xml" --probes "$tmp/badprobes" 192.0.2.1
if [ -e "$tmp/x.xml" ]; then
	echo "FAIL - -oX written for a scan that never ran:"
	sed 's/^/    /' "$tmp/x.xml"
	fails=$((fails + 1))
fi

# Outputs: nmap's letters we lack are refused by name (once "-oS x" wrote a report to "S"),
# two reports never share a file, and a run that fails leaves an existing file as it was.
expect 2 'unknown output option -oS ' scan -p 80 -oS "$tmp/s" 192.0.2.1
expect 2 'unknown output option -oM ' scan -p 80 192.0.2.1 -oM "$tmp/m"
expect 2 "-oA wants a base file name, not '-'" scan -p 80 -oA - 192.0.2.1
expect_setup 2 "two reports cannot share $tmp/f" scan -p 80 -oX "$tmp/f" -oG "$tmp/f" 192.0.2.1
expect_setup 2 "two reports cannot share $tmp/f:" scan -p 80 -o "$tmp/f" -oJ "$tmp/./f" 192.0.2.1
expect_setup 2 'two reports cannot share standard output' scan -p 80 -oX - -oJ - 192.0.2.1
expect_setup 2 'two reports cannot share standard output' scan -p 80 -oX - --format jsonl 192.0.2.1
expect_setup 2 'two reports cannot share .*b.xml' scan -p 80 -oA "$tmp/b" -oX "$tmp/b.xml" 192.0.2.1
[ -e "$tmp/f" ] && { echo "FAIL - a refused run created $tmp/f"; fails=$((fails + 1)); }
printf 'keep me\n' >"$tmp/keep.xml"
expect_setup 2 'badprobes:1: unknown directive' scan -p 80 -oX "$tmp/keep.xml" --probes "$tmp/badprobes" 192.0.2.1
if [ "$(cat "$tmp/keep.xml")" != "keep me" ] || ls -a "$tmp" | grep -q '^\.keep\.xml\.'; then
	echo "FAIL - a failed run clobbered keep.xml or left its temporary file:"
	ls -la "$tmp" | sed 's/^/    /'
	fails=$((fails + 1))
else
	echo "ok - a failed run leaves an existing -oX file whole"
fi

# explain
expect 2 'port "0" out of range' explain 0
expect 2 'port "70000" out of range' explain 70000
expect 2 'out of range' explain 99999999999999999999
expect 2 'no service or trojan named "junk"' explain junk
expect 2 'no service or trojan named "0x50"' explain 0x50
expect 2 'bad port "80/sctp"' explain 80/sctp
expect 2 'bad port "80/"' explain 80/
expect 2 'control or non-ASCII' explain $'ss\e[31mh'
expect 2 'control or non-ASCII' explain $'80\n81'
expect 2 'neither a port' explain ''
expect 2 'name at least one' explain
expect 2 'name at least one' explain --json
expect 2 "unknown option '--bogus'" explain 80 --bogus

# Digits then more text is a name: "711 trojan" is in the knowledge base (once "bad port").
if "$ps" explain '711 trojan' >"$tmp/out" 2>"$tmp/err" && grep -q '^80/tcp' "$tmp/out" &&
	[ ! -s "$tmp/err" ]; then
	echo "ok - portsight explain '711 trojan'"
else
	echo "FAIL - portsight explain '711 trojan'"
	fails=$((fails + 1))
fi

# local
expect 2 "unknown format 'yaml'" local --format yaml
expect 2 "network namespace 'does-not-exist'" local --netns does-not-exist
expect 2 "unknown or incomplete option '--bogus'" local --bogus
expect 2 "unknown or incomplete option '-o'" local -o
expect 2 'cannot write /nonexistent/dir/x' local -o /nonexistent/dir/x
expect 2 "unexpected argument 'extra'" local extra

# history and diff. An empty file is an empty SQLite database: a history with no scans.
: >"$tmp/empty.db"
expect 2 'notdb: file is not a database' history --db "$tmp/notdb"
expect 2 'dir is a directory' history --db "$tmp/dir"
expect 2 'missing does not exist' history --db "$tmp/missing"
expect 2 'history database: empty file name' history --db ''
expect 2 'missing does not exist' history --db "sqlite:$tmp/missing"
expect 3 'PostgreSQL.*cannot connect' history --db 'postgresql:///portsight?host=/nonexistent-portsight-dir'
PORTSIGHT_DB='postgresql:///portsight?host=/nonexistent-portsight-dir' expect 3 'PostgreSQL.*cannot connect' history
expect 2 'unknown kind of location' diff --db mysql://db.example/portsight 1 2
expect 2 "unknown or incomplete option '--format'" history --format yaml
expect 2 "unknown or incomplete option '--bogus'" history --bogus
expect 2 "unknown or incomplete option '-n'" history -n
expect 2 "-n wants a count, not 'junk'" history --db "$tmp/empty.db" -n junk
expect 2 "-n wants a count, not '-1'" history --db "$tmp/empty.db" -n -1
expect 2 "unexpected argument 'extra'" history --db "$tmp/empty.db" extra
expect 2 'notdb: file is not a database' diff --db "$tmp/notdb" 1 2
expect 2 'dir is a directory' diff --db "$tmp/dir" 1 2
expect 2 'missing does not exist' diff --db "$tmp/missing" 1 2
expect 2 "unknown or incomplete option '--format'" diff --format
expect 2 "--format is text or jsonl, not 'yaml'" diff --format yaml
expect 2 "unknown or incomplete option '--bogus'" diff --bogus
expect 2 "unknown or incomplete option '-Z'" diff -Zh
expect 2 'compares two scans, not 3' diff 1 2 3
expect 2 'history has no scan 1' diff --db "$tmp/empty.db" 1 2
expect 2 'history has no scan 7' diff --db "$tmp/empty.db" 7
expect 2 'no earlier finished scan' diff --db "$tmp/empty.db"
printf '<?xml version="1.0"?>\n<nmaprun></nmaprun>\n' >"$tmp/ok.xml"
expect 2 'missing.xml: No such file' diff "$tmp/missing.xml" "$tmp/ok.xml"
expect 2 'not a regular file' diff "$tmp/dir" "$tmp/ok.xml"
: >"$tmp/empty.xml"
expect 2 'empty.xml: not an nmap XML file' diff "$tmp/empty.xml" "$tmp/ok.xml"
printf '<?xml version="1.0"?>\n<foo/>\n' >"$tmp/root.xml"
expect 2 'not an nmap XML file \(root <foo>\)' diff "$tmp/ok.xml" "$tmp/root.xml"
printf '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<nmaprun>&b;</nmaprun>\n' >"$tmp/laughs.xml"
expect 2 'declares entities; refused' diff "$tmp/laughs.xml" "$tmp/ok.xml"
printf '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<nmaprun>&x;</nmaprun>\n' >"$tmp/xxe.xml"
expect 2 'declares entities; refused' diff "$tmp/ok.xml" "$tmp/xxe.xml"
printf '<?xml version="1.0"?>\n<nmaprun><host><address addr="192.0.2.1" addrtype="ipv4"/><ports><port protocol="tcp" portid="80"><state state="open"/>' >"$tmp/trunc.xml"
expect 2 'trunc.xml: malformed XML' diff "$tmp/trunc.xml" "$tmp/ok.xml"
printf '<?xml version="1.0"?>\n<nmaprun><host><address addr="192.0.2.999" addrtype="ipv4"/></host></nmaprun>\n' >"$tmp/badaddr.xml"
expect 2 "bad address '192.0.2.999'" diff "$tmp/badaddr.xml" "$tmp/ok.xml"

# Terminal safety: what an nmap XML says reaches the terminal only through the sanitiser. CSI as
# U+009B (UTF-8 c2 9b) and the right-to-left override U+202E (e2 80 ae) in a hostname, a
# service name, product and version, an address the parser rejects, a root element, a state
# and the file name itself: none of them may appear on stdout or stderr.
CSI=$'\xc2\x9b' RLO=$'\xe2\x80\xae'
evil=$tmp/"evil${CSI}31m${RLO}.xml"
cat >"$evil" <<XML
<?xml version="1.0"?>
<nmaprun><host><address addr="192.0.2.1" addrtype="ipv4"/>
<hostnames><hostname name="h${CSI}2J${RLO}x" type="PTR"/></hostnames>
<ports><port protocol="tcp" portid="80"><state state="open"/>
<service name="ht${CSI}31mtp" product="ngi${RLO}nx" version="1${CSI}0m.2"/></port></ports></host></nmaprun>
XML
printf '<?xml version="1.0"?>\n<nmaprun><host><address addr="192.0.2.1" addrtype="ipv4"/></host></nmaprun>\n' >"$tmp/quiet.xml"
no_raw_controls() { # NAME FILE...: neither U+009B nor U+202E nor ESC in the files
	if LC_ALL=C grep -q -e "$CSI" -e "$RLO" -e $'\e' "${@:2}"; then
		echo "FAIL - $1: a control character reached the terminal:"
		cat -v "${@:2}" | sed 's/^/    /'
		fails=$((fails + 1))
	else
		echo "ok - $1: output sanitised"
	fi
}
"$ps" diff "$tmp/quiet.xml" "$evil" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] || { echo "FAIL - diff of a crafted XML: exit $rc, want 1"; fails=$((fails + 1)); }
grep -q 'opened' "$tmp/out" || { echo "FAIL - diff of a crafted XML: no change shown"; fails=$((fails + 1)); }
no_raw_controls "diff text of a crafted XML" "$tmp/out" "$tmp/err"
"$ps" diff --format jsonl "$tmp/quiet.xml" "$evil" >"$tmp/out" 2>"$tmp/err"
no_raw_controls "diff jsonl of a crafted XML" "$tmp/out" "$tmp/err"
printf '<?xml version="1.0"?>\n<nmaprun><host><address addr="192.0.2.1%s[31m%s" addrtype="ipv4"/></host></nmaprun>\n' "$CSI" "$RLO" >"$tmp/evaddr.xml"
"$ps" diff "$tmp/evaddr.xml" "$tmp/quiet.xml" >"$tmp/out" 2>"$tmp/err"
no_raw_controls "diff error naming a crafted address" "$tmp/out" "$tmp/err"
printf '<?xml version="1.0"?>\n<n%s%s/>\n' "$CSI" "$RLO" >"$tmp/evroot.xml"
"$ps" diff "$tmp/evroot.xml" "$tmp/quiet.xml" >"$tmp/out" 2>"$tmp/err"
no_raw_controls "diff error naming a crafted root" "$tmp/out" "$tmp/err"
printf '<?xml version="1.0"?>\n<nmaprun><host><address addr="192.0.2.1" addrtype="ipv4"/><ports><port protocol="tcp" portid="80"><state state="op%s%sen"/></port></ports></host></nmaprun>\n' "$CSI" "$RLO" >"$tmp/evstate.xml"
"$ps" diff "$tmp/evstate.xml" "$tmp/quiet.xml" >"$tmp/out" 2>"$tmp/err"
no_raw_controls "diff error naming a crafted state" "$tmp/out" "$tmp/err"

# --version names the build's features: its options and the libraries actually loaded.
"$ps" --version >"$tmp/out" 2>&1
for want in '^portsight [0-9]+\.[0-9]+' '^build: .*sanitizers: (off|[a-z,]+)' \
	'pcre2 [0-9.]+.*\(JIT (on|off)\)' 'OpenSSL [0-9]' 'SQLite [0-9]' 'jansson [0-9]' \
	'libxml2 [0-9]' 'libseccomp [0-9]'; do
	if grep -qE "$want" "$tmp/out"; then
		echo "ok - --version: $want"
	else
		echo "FAIL - --version lacks $want:"
		sed 's/^/    /' "$tmp/out"
		fails=$((fails + 1))
	fi
done

# --resume FILE: refusals before any probe, and no checkpoint written by a refused run.
expect 2 'option --resume needs a value' scan -p 80 192.0.2.1 --resume
printf 'hello\n' >"$tmp/notck"
expect 2 'is not a portsight checkpoint' scan --resume "$tmp/notck"
expect 2 'is not a portsight checkpoint' scan --resume "$tmp"
expect_setup 2 'nothing to --resume' scan --offline --resume "$tmp/ck" -p 80 192.0.2.1
expect_setup 2 'SYN scan only' scan -sT --no-db --resume "$tmp/ck" -p 80 192.0.2.1
expect_setup 2 'SYN scan only' scan -sS -sU --no-db --resume "$tmp/ck" -p U:53 192.0.2.1
if [ -e "$tmp/ck" ]; then
	echo "FAIL - a refused --resume run wrote its checkpoint"
	fails=$((fails + 1))
else
	echo "ok - a refused --resume run wrote no checkpoint"
fi

# Help and version go to stdout with exit 0.
for args in "--help" "--version" "scan --help" "scan --version" "check --help" "explain --help" "local --help" \
	"history --help" "diff --help"; do
	if "$ps" $args >"$tmp/out" 2>"$tmp/err" && [ -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; then
		echo "ok - portsight $args"
	else
		echo "FAIL - portsight $args"
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ] || { echo "$fails case(s) failed"; exit 1; }
