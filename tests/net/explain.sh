#!/bin/bash
# portsight explain: output and exit codes of the real binary. Needs no lab and no network;
# it lives here because this is where tests get the binary ($1).
set -u
ps=$1
fails=0

check() { # check NAME COMMAND...: the command must succeed
	local name=$1
	shift
	if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

out=$("$ps" explain 80); rc=$?
check "80 exit 0" test $rc -eq 0
check "80 is http" grep -q '^80/tcp  http$' <<<"$out"
check "80 lists Executor" grep -q 'Executor' <<<"$out"
check "80 is a system port" grep -q 'range    system port (1-1023)' <<<"$out"

out=$("$ps" explain 31337)
check "31337 has tcp and udp" test "$(grep -c '^31337/' <<<"$out")" -eq 2
check "31337/udp is Back Orifice" grep -q 'Back Orifice, Deep BO' <<<"$out"

out=$("$ps" explain 80 443 12345)
check "three ports in order" test "$(grep -o '^[0-9]*/tcp' <<<"$out" | tr '\n' ' ')" = \
	"80/tcp 443/tcp 12345/tcp "
check "12345 is NetBus" grep -q 'NetBus' <<<"$out"

out=$("$ps" explain ssh)
check "ssh is 22/tcp" grep -q '^22/tcp  ssh$' <<<"$out"
out=$("$ps" explain 'Back Orifice 2000')
check "trojan name finds its ports" test "$(grep -c '^5432[01]/' <<<"$out")" -eq 3

out=$("$ps" explain 12399); rc=$?
check "unknown port exit 0" test $rc -eq 0
check "unknown port says no entry" grep -q '^12399  no entry' <<<"$out"
check "unknown port has a range" grep -q 'registered port (1024-49151)' <<<"$out"
out=$("$ps" explain 60001/udp)
check "dynamic range" grep -q 'dynamic port (49152-65535)' <<<"$out"

out=$("$ps" explain --json 80 60001)
check "json: one line per port" test "$(wc -l <<<"$out")" -eq 2
check "json parses" python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
a, b = (json.loads(l) for l in lines)
assert a["port"] == 80 and a["known"] and a["entries"][0]["service"] == "http"
assert "Executor" in a["entries"][0]["trojans"]
assert b["port"] == 60001 and not b["known"] and b["range"] == "dynamic" and b["entries"] == []
' <<<"$out"

for bad in 0 70000 'x!y' 80/sctp nosuchservice '' $'\e[2J' $'ssh\nssh'; do
	err=$("$ps" explain "$bad" 2>&1 >/dev/null); rc=$?
	check "'$bad' exits 2" test $rc -eq 2
	check "'$bad' gives one error line" test "$(wc -l <<<"$err")" -eq 1
	check "'$bad' echoes no control bytes" test "$(tr -d '\n' <<<"$err" | tr -d '[:print:]')" = ""
done
"$ps" explain >/dev/null 2>&1
check "no argument exits 2" test $? -eq 2
"$ps" explain --bogus 80 >/dev/null 2>&1
check "unknown option exits 2" test $? -eq 2
out=$("$ps" explain --help)
check "--help exits 0" test $? -eq 0
check "--help shows usage" grep -q '^usage: portsight explain' <<<"$out"

[ $fails -eq 0 ] || { echo "$fails checks failed"; exit 1; }
