#!/bin/bash
# `meson install --destdir` puts the binary, the man page and the bash and zsh completion where the
# build says (and the systemd units, when the tree has deploy/systemd), and nothing else.
# usage: test_install.sh BUILDDIR BIN MANPAGE BASH_COMPLETION ZSH_COMPLETION
#        (paths as installed, without the destdir)
set -u
build=$1
shift
fails=0
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

if ! meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$dest.log" 2>&1; then
	echo "FAIL - meson install:"
	sed 's/^/    /' "$dest.log"
	rm -f "$dest.log"
	exit 1
fi
rm -f "$dest.log"
for want in "$@"; do
	if [ -f "$dest$want" ]; then
		echo "ok - installed $want"
	else
		echo "FAIL - $want not installed"
		fails=$((fails + 1))
	fi
done
[ -x "$dest$1" ] || { echo "FAIL - $1 is not executable"; fails=$((fails + 1)); }
"$dest$1" --version | grep -q '^portsight ' || { echo "FAIL - installed binary does not run"; fails=$((fails + 1)); }
# The completion, sourced from where it was installed, completes subcommands.
(
	# shellcheck source=/dev/null
	. "$dest$3" && COMP_WORDS=(portsight sc) COMP_CWORD=1 && _portsight portsight sc portsight &&
		[ "${COMPREPLY[*]}" = scan ]
) || { echo "FAIL - installed completion does not complete 'sc'"; fails=$((fails + 1)); }
src=$(dirname "$0")/../..
units=0
if [ -d "$src/deploy/systemd" ]; then
	for unit in "$src"/deploy/systemd/*; do
		units=$((units + 1))
		installed=$(find "$dest" -name "$(basename "$unit")")
		if [ -n "$installed" ] && ! grep -q '/usr/local/bin/portsight' "$installed" ||
			{ [ -n "$installed" ] && grep -q "ExecStart=$1" "$installed"; }; then
			echo "ok - installed unit $(basename "$unit") (any ExecStart runs the installed binary)"
		else
			echo "FAIL - unit $(basename "$unit") not installed"
			fails=$((fails + 1))
		fi
	done
fi
# Nothing else: no test program, no fuzzer, no static library.
extra=$(find "$dest" -type f | sed "s|^$dest||" | grep -vxF -e "$1" -e "$2" -e "$3" -e "$4")
nextra=$(printf '%s' "$extra" | grep -c . || true)
if [ "$nextra" -ne "$units" ]; then
	echo "FAIL - unexpected files installed:"
	printf '%s\n' "$extra" | sed 's/^/    /'
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
