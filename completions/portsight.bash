# bash completion for portsight(1): subcommands, each one's options, port presets, formats.
# SPDX-License-Identifier: MIT
# COMPREPLY=($(compgen ...)) is the idiom bash-completion itself uses: words never hold spaces.
# shellcheck disable=SC2207
# Installed into bash-completion's completions directory (meson install); to try it from the
# tree: . completions/portsight.bash

_portsight_scan_opts='-h --help -p --ports -F --fast --top-ports -iL --input-list --exclude
--exclude-file --excludefile --allow-large -4 -6 -sT --connect -sS --syn --engine --max-inflight
--max-retries --rate --max-rate --min-rate --scan-delay --max-scan-delay --host-timeout
--packet-trace --min-rtt-timeout --max-rtt-timeout --initial-rtt-timeout --seed
--shards --shard --shard-from-env --scan-id --offline --resume --shieldsup
-T0 -T1 -T2 -T3 -T4 -T5 --timing -e --interface -S --source-ip -sV --service --probes
--version-intensity --format -o --output --show -oX -oG -oJ -oN -oA --output-xml --output-grep
--output-jsonl --output-text --output-csv --output-html --output-all -v --verbose -d --open -n
-Pn --no-ping -sn --ping-only -PE -PP -PS -PA -PU --disable-arp-ping --reason --stats-every
--db --no-db --version'

_portsight() {
	local cur prev words cword cmd i
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	cmd=
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		check | scan | local | explain | history | diff | watch | harden | serve)
			cmd=${words[i]}
			break
			;;
		esac
	done

	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--help --version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'check scan local explain history diff watch harden serve' \
				-- "$cur"))
		fi
		return
	fi

	# Values of the option before the cursor.
	case $cmd:$prev in
	scan:-p | scan:--ports)
		COMPREPLY=($(compgen -W 'common service top100 top1000 trojans all' -- "$cur"))
		return
		;;
	scan:--format)
		COMPREPLY=($(compgen -W 'text jsonl xml grep csv html' -- "$cur"))
		return
		;;
	watch:--format)
		COMPREPLY=($(compgen -W 'table jsonl' -- "$cur"))
		return
		;;
	harden:--mode)
		COMPREPLY=($(compgen -W 'drop reject' -- "$cur"))
		return
		;;
	serve:--engine)
		COMPREPLY=($(compgen -W 'connect syn' -- "$cur"))
		return
		;;
	serve:--tls-cert | serve:--tls-key | serve:--db)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	serve:--listen | serve:--trusted-proxy | serve:--max-* | serve:--quota | \
		serve:--client-timeout | serve:--request-timeout | serve:--per-ip-connections | serve:--scan-timeout)
		return
		;;
	harden:--state-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	local:--format | diff:--format)
		COMPREPLY=($(compgen -W 'text jsonl' -- "$cur"))
		return
		;;
	scan:--show)
		COMPREPLY=($(compgen -W 'open closed filtered all' -- "$cur"))
		return
		;;
	scan:--engine)
		COMPREPLY=($(compgen -W 'connect syn' -- "$cur"))
		return
		;;
	scan:--timing)
		COMPREPLY=($(compgen -W 'paranoid sneaky polite normal aggressive insane' -- "$cur"))
		return
		;;
	scan:-e | scan:--interface)
		COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))
		return
		;;
	local:--netns | watch:--netns)
		COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur"))
		return
		;;
	*:-o | *:--output | *:--db | watch:--baseline | watch:--prom | scan:-iL | scan:--input-list | scan:--exclude-file | \
		scan:--excludefile | scan:--probes | scan:--resume | scan:-o[XGJNA] | scan:--output-*)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	scan:--top-ports | scan:--max-inflight | scan:--max-retries | scan:--rate | \
		scan:--max-rate | scan:--min-rate | scan:--scan-delay | scan:--max-scan-delay | \
		scan:--host-timeout | scan:--*-rtt-timeout | scan:--seed | scan:--version-intensity | \
		scan:--shards | scan:--shard | scan:--scan-id | \
		scan:--stats-every | scan:--exclude | scan:-S | scan:--source-ip | history:-n | \
		watch:--interval | watch:--grace | watch:--exec | watch:--webhook | watch:--webhook-* | \
		harden:--allow | harden:--refuse | harden:--timeout)
		return
		;;
	esac

	case $cmd in
	check)
		COMPREPLY=($(compgen -W '-h --help' -- "$cur"))
		;;
	scan)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$_portsight_scan_opts" -- "$cur"))
		fi
		;;
	local)
		COMPREPLY=($(compgen -W '--format -o --output --netns --tcp --udp --no-firewall
			--no-kb --advice -h --help' -- "$cur"))
		;;
	explain)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--json -h --help' -- "$cur"))
		fi
		;;
	history)
		COMPREPLY=($(compgen -W '--db -n -h --help' -- "$cur"))
		;;
	watch)
		COMPREPLY=($(compgen -W '--baseline --once --interval --grace --netns --format --quiet
			--syslog --exec --webhook --webhook-timeout --webhook-retries --prom --tcp --udp
			--no-firewall --no-kb -h --help' -- "$cur"))
		;;
	harden)
		COMPREPLY=($(compgen -W '--allow --refuse --mode --stealth-ping --apply --timeout
			--confirm --undo --state-dir -h --help' -- "$cur"))
		;;
	serve)
		COMPREPLY=($(compgen -W '--listen --trusted-proxy --max-scans --quota --max-rate
			--max-ports --client-timeout --request-timeout --max-connections --per-ip-connections
			--scan-timeout --engine --tls-cert --tls-key --db --no-db -h --help' -- "$cur"))
		;;
	diff)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--db --format -h --help' -- "$cur"))
		else
			COMPREPLY=($(compgen -f -X '!*.xml' -- "$cur") $(compgen -d -- "$cur"))
		fi
		;;
	esac
}
complete -F _portsight portsight
