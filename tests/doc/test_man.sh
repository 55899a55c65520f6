#!/bin/bash
# doc/portsight.1: renders without a warning from man or groff, and documents every
# subcommand and every option the binary's own --help texts name, and every exit code.
# usage: test_man.sh MANPAGE PORTSIGHT
set -u
page=$1
ps=$2
fails=0

fail() {
	echo "FAIL - $*"
	fails=$((fails + 1))
}

if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
	echo "SKIP: man or groff not installed" >&2
	exit 77
fi
out=$(MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)
[ -z "$out" ] && echo "ok - man -l renders without warnings" || fail "man -l: $out"
out=$(groff -ww -z -man "$page" 2>&1)
[ -z "$out" ] && echo "ok - groff -ww -z -man is clean" || fail "groff: $out"
# What lintian runs (man --warnings with UTF-8 output).
out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
[ -z "$out" ] && echo "ok - man --warnings is clean" || fail "man --warnings: $out"

text=$(MANWIDTH=200 man -l "$page" 2>/dev/null | col -b)
# The subcommands are the ones `portsight --help` lists.
cmds=$("$ps" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }')
[ -n "$cmds" ] || fail "no command list in portsight --help"
for cmd in $cmds; do
	grep -qE "^ {7}$cmd( |$)" <<<"$text" || fail "subcommand $cmd has no entry under COMMANDS"
	# Every option the command's --help names (long and short) appears in the page.
	for opt in $("$ps" $cmd --help | grep -oE '(^|[ ,/(])--?[A-Za-z][A-Za-z0-9-]*' |
		sed -E 's/^[ ,/(]//' | sort -u); do
		case $opt in -T0..-T5 | -*..*) continue ;; esac
		grep -qF -- "$opt" <<<"$text" || fail "$cmd's option $opt is not in the man page"
	done
done
for code in 0 1 2 3 130; do
	grep -qE "^ {7}$code( |$)" <<<"$text" || fail "exit code $code not under EXIT STATUS"
done
for section in FILES ENVIRONMENT "EXIT STATUS" "SEE ALSO"; do
	grep -q "^$section" <<<"$text" || fail "no $section section"
done
[ "$fails" -eq 0 ] && echo "ok - every subcommand, option and exit code documented"
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
