#!/usr/bin/zsh -f
# completions/_portsight in a real interactive zsh on a pty (zsh/zpty): the line is typed, TAB
# runs the completion, and a compadd wrapper prints each match it offers (the technique of
# zsh-capture-completion). usage: test_zsh_completion.zsh COMPLETIONS_DIR
emulate -L zsh
zmodload zsh/zpty || { print -u2 "SKIP: no zsh/zpty"; exit 77 }
dir=${1:A}
integer fails=0

# The interactive shell's setup, sourced in one line: once ^M and ^J do nothing, no later line
# would run.
rc=$(mktemp)
trap 'rm -f $rc' EXIT
cat >$rc <<ZRC
fpath=($dir \$fpath)
autoload -U compinit; compinit -u -D
PROMPT= RPROMPT=
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
null-line () { echo -E - \$'\\0' }
compprefuncs=( null-line )
comppostfuncs=( null-line exit )
compadd () {
	if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "\$@"; return \$?; fi
	typeset -a __hits; builtin compadd -A __hits "\$@"
	(( \$#__hits )) && print -l -- "HIT:"\${^__hits}
	builtin compadd "\$@"
}
bindkey '^M' undefined
bindkey '^J' undefined
bindkey '^I' complete-word
ZRC

# matches LINE: the completions zsh offers after LINE, sorted, one line.
matches() {
	local line=$1 chunk out
	zpty z zsh -f -i
	zpty -w z "source $rc"
	zpty -n -w z "$line"$'\t'
	# Everything between the two NUL lines the completion prints.
	zpty -r z chunk $'*\0*' || { zpty -d z; return 1 }
	out=
	while zpty -r z chunk; do
		out+=$chunk
		[[ $chunk == *$'\0'* ]] && break
	done
	zpty -d z
	print -r -- ${(j: :)${(ou)${(M)${(f)${out//$'\r'/}}:#HIT:*}#HIT:}}
}

check() { # NAME WANT LINE
	local got
	got=$(matches "$3")
	if [[ $got == "$2" ]]; then
		print "ok - zsh: $1"
	else
		print "FAIL - zsh: $1: want '$2', got '$got'"
		(( fails++ ))
	fi
}

check "subcommands" "check diff explain harden history local scan serve watch" "portsight "
check "subcommand prefix" "history" "portsight hi"
check "port presets" "top100 top1000 trojans" "portsight scan -p t"
check "scan formats" "csv grep html jsonl text xml" "portsight scan --format="
check "local formats" "jsonl text" "portsight local --format="
check "--show states" "all closed filtered open" "portsight scan --show="
check "timing names" "aggressive" "portsight scan --timing=ag"
check "scan options" "--scan-id --seed --service --shard --shard-from-env --shards --shieldsup --show --source-ip --stats-every --syn" "portsight scan -p 22 --s"
check "local options" "--netns --no-firewall --no-kb" "portsight local --n"
check "diff options" "--db" "portsight diff --d"
check "watch formats" "jsonl table" "portsight watch --format="
check "harden modes" "drop reject" "portsight harden --mode="
check "harden options" "--state-dir --stealth-ping" "portsight harden --st"
(( fails == 0 )) || { print "$fails case(s) failed"; exit 1 }
