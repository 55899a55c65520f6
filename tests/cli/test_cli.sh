#!/bin/bash
# Command-line contract: bad input gets one clear line on stderr and exit code 2, never a crash,
# and nothing is probed. Every case here fails before any packet could be sent.
ps=$1
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect CODE PATTERN ARGS...: exit code CODE, one stderr line matching PATTERN, empty stdout.
expect() {
	local code=$1 pattern=$2
	shift 2
	"$ps" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" != "$code" ] || ! grep -qE -- "$pattern" "$tmp/err" || [ "$lines" != 1 ] ||
		[ -s "$tmp/out" ]; then
		echo "FAIL - portsight $*: exit $rc (want $code), stderr:"
		sed 's/^/    /' "$tmp/err"
		fails=$((fails + 1))
	else
		echo "ok - portsight $* -> $code: $(cat "$tmp/err")"
	fi
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
expect 2 'needs a value' scan 192.0.2.1 -p
expect 2 'bad --max-retries' scan --max-retries 99 192.0.2.1
expect 2 'unknown format' scan --format yaml -p 80 192.0.2.1
expect 2 'unknown scan engine' scan --engine warp -p 80 192.0.2.1
expect 2 'bad --show' scan --show opne -p 80 192.0.2.1
expect 2 'cannot open' scan -p 80 -iL "$tmp/missing"
printf '192.0.2.1\n192.0.2.300\n' >"$tmp/targets"
expect 2 'bad target' scan -p 80 -iL "$tmp/targets"
printf '192.0.2.1\0' >"$tmp/nul"
expect 2 'NUL byte' scan -p 80 -iL "$tmp/nul"
expect 2 'unknown command' frobnicate
expect 2 'takes no arguments' check extra

# Help and version go to stdout with exit 0.
for args in "--help" "--version" "scan --help" "check --help"; do
	if "$ps" $args >"$tmp/out" 2>"$tmp/err" && [ -s "$tmp/out" ] && [ ! -s "$tmp/err" ]; then
		echo "ok - portsight $args"
	else
		echo "FAIL - portsight $args"
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ] || { echo "$fails case(s) failed"; exit 1; }
