#!/bin/bash
# completions/portsight.bash: sourced into a plain bash (and, when installed, on top of
# bash-completion's own helpers), the completion function offers what each word allows.
# usage: test_completion.sh COMPLETION_FILE
set -u
file=$1
fails=0

# complete WORDS...: run the completion as bash would with the cursor on the last word.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_portsight portsight "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

check() { # NAME WANT WORDS...
	local name=$1 want=$2 got
	shift 2
	got=$(complete_words "$@")
	if [ "$got" = "$want" ]; then
		echo "ok - $name"
	else
		echo "FAIL - $name: want '$want', got '$got'"
		fails=$((fails + 1))
	fi
}

run_cases() { # LABEL
	check "$1: subcommands" "check diff explain harden history local scan serve watch" portsight ''
	check "$1: subcommand prefix" "history" portsight hi
	check "$1: port presets" "top100 top1000 trojans" portsight scan -p t
	check "$1: scan formats" "csv grep html jsonl text xml" portsight scan --format ''
	check "$1: local formats" "jsonl text" portsight local --format ''
	check "$1: diff formats" "jsonl text" portsight diff --format ''
	check "$1: --show states" "all closed filtered open" portsight scan --show ''
	check "$1: timing names" "aggressive" portsight scan --timing ag
	check "$1: top-level options" "--help --version" portsight --
	check "$1: scan options" "--scan-id --seed --service --shard --shard-from-env --shards --shieldsup --show --source-ip --stats-every --syn" \
		portsight scan -p 22 --s
	check "$1: nmap's -o letters" "-o -oA -oG -oJ -oN -oX" portsight scan -o
	check "$1: local options" "--netns --no-firewall --no-kb" portsight local --n
	check "$1: explain options" "--json" portsight explain --j
	check "$1: history options" "--db" portsight history --d
	check "$1: nothing after --top-ports" "" portsight scan --top-ports ''
	check "$1: watch formats" "jsonl table" portsight watch --format ''
	check "$1: watch options" "--webhook --webhook-retries --webhook-timeout" portsight watch --w
	check "$1: harden modes" "drop reject" portsight harden --mode ''
	check "$1: harden options" "--state-dir --stealth-ping" portsight harden --st
	check "$1: serve options" "--tls-cert --tls-key --trusted-proxy" portsight serve --t
}

# shellcheck source=/dev/null
. "$file" || { echo "FAIL - sourcing $file"; exit 1; }
complete -p portsight >/dev/null 2>&1 || { echo "FAIL - no completion registered"; exit 1; }
run_cases plain

bc=/usr/share/bash-completion/bash_completion
if [ -r "$bc" ]; then
	# shellcheck source=/dev/null
	. "$bc" >/dev/null 2>&1
	# shellcheck source=/dev/null
	. "$file"
	run_cases bash-completion
else
	echo "ok - with bash-completion # SKIP $bc not installed"
fi
[ "$fails" -eq 0 ] || { echo "$fails case(s) failed"; exit 1; }
