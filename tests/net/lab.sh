#!/bin/bash
# The namespace test lab: every network test sources this file.
#
# lab_init creates two throwaway network namespaces joined by one veth pair, nothing else:
#   scanner  192.0.2.1/24  2001:db8::1/64   ($LAB_S)
#   target   192.0.2.2/24  2001:db8::2/64   ($LAB_T)
# No default route, no link to the real network; only documentation ranges (RFC 5737/3849).
# Both namespaces, and every process started with lab_spawn, go away on exit (trap).

LAB_PREFIX=${LAB_PREFIX:-ps$$}
LAB_S=${LAB_PREFIX}s
LAB_T=${LAB_PREFIX}t
LAB_PIDS=()
LAB_NSES=() # every namespace this lab created: the only places a scan may run
LAB_V4_S=192.0.2.1
LAB_V4_T=192.0.2.2
LAB_V6_S=2001:db8::1
LAB_V6_T=2001:db8::2

# Meson treats exit code 77 as "skipped"; say why, loudly.
lab_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: $(basename "$0") needs root to create network namespaces" >&2
		exit 77
	fi
	for tool in ip nft; do
		command -v $tool >/dev/null || { echo "SKIP: $tool not installed" >&2; exit 77; }
	done
}

lab_cleanup() {
	local pid
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	local ns
	for ns in "${LAB_NSES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

lab_init() {
	lab_require_root
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
	lab_netns_add "$LAB_S" || return 1
	lab_netns_add "$LAB_T" || return 1
	# The veth pair is born inside the scanner namespace: nothing touches the root namespace.
	ip -n "$LAB_S" link add vs type veth peer name vt netns "$LAB_T" || return 1
	ip -n "$LAB_S" addr add $LAB_V4_S/24 dev vs
	ip -n "$LAB_T" addr add $LAB_V4_T/24 dev vt
	ip -n "$LAB_S" addr add $LAB_V6_S/64 dev vs nodad
	ip -n "$LAB_T" addr add $LAB_V6_T/64 dev vt nodad
	ip -n "$LAB_S" link set lo up
	ip -n "$LAB_T" link set lo up
	ip -n "$LAB_S" link set vs up
	ip -n "$LAB_T" link set vt up
}

# lab_netns_add NS: create a namespace that belongs to this lab (deleted on exit, and the only
# kind of place lab_in lets a command run).
lab_netns_add() {
	ip netns add "$1" || return 1
	LAB_NSES+=("$1")
}

# lab_guard NS: refuse (return 1, say why) unless NS is a namespace this lab created and is
# sealed off: no default route (v4 or v6) and no interface but loopback, dummies and veths whose
# peer is in this lab. On these machines the real interface can itself be numbered in
# 192.0.2.0/24 with a default route, so a scan that ran outside its namespace would reach a
# real network: every command of a test or benchmark goes through this check first.
lab_guard() {
	local ns=$1 known=0 n bad
	for n in "${LAB_NSES[@]}"; do
		[ "$n" = "$ns" ] && known=1
	done
	if [ $known -ne 1 ]; then
		echo "lab: refusing to run in '$ns': not a namespace this lab created" >&2
		return 1
	fi
	if [ -n "$(ip -n "$ns" -4 route show default 2>&1)" ] ||
		[ -n "$(ip -n "$ns" -6 route show default 2>&1)" ]; then
		echo "lab: refusing to run in '$ns': it has a default route" >&2
		return 1
	fi
	bad=$(ip -n "$ns" -d -o link show | awk -v lab=" ${LAB_NSES[*]} " '
		{
			name = $2; sub(/[:@].*/, "", name)
			if (name == "lo") next
			kind = ""; peer = ""
			for (i = 3; i <= NF; i++) {
				if ($i == "veth" || $i == "dummy") kind = $i
				if ($i == "link-netns") peer = $(i + 1)
				if ($i == "link-netnsid") peer = "?"
			}
			if (kind == "") { print name " (not a veth or dummy)"; next }
			if (peer != "" && index(lab, " " peer " ") == 0)
				print name " (its peer is outside the lab)"
		}')
	if [ -n "$bad" ]; then
		echo "lab: refusing to run in '$ns': interface $bad" >&2
		return 1
	fi
}

# lab_in NS CMD...: run CMD inside NS after lab_guard said it is sealed. Not for `&`: a
# backgrounded function is a subshell, so $! would be the shell, not CMD (signals and kill -9
# would miss it); guard first, then `ip netns exec NS CMD &`, or use lab_spawn.
lab_in() {
	local ns=$1
	shift
	lab_guard "$ns" || return 97
	ip netns exec "$ns" "$@"
}

lab_s() { lab_in "$LAB_S" "$@"; }
lab_t() { lab_in "$LAB_T" "$@"; }

# lab_spawn NS CMD...: start CMD in namespace NS in the background; killed by lab_cleanup.
lab_spawn() {
	local ns=$1
	shift
	lab_guard "$ns" || return 97
	ip netns exec "$ns" "$@" &
	LAB_PIDS+=($!)
}

# lab_nft NS RULESET: load an nftables ruleset (a string) into namespace NS.
lab_nft() {
	printf '%s\n' "$2" | ip netns exec "$1" nft -f -
}

# lab_loss NS PERCENT: drop PERCENT% of packets entering NS at random (netem is not
# available on every kernel; nftables' numgen is).
lab_loss() {
	lab_nft "$1" "table inet lab_loss {
		chain in { type filter hook input priority -300; policy accept;
			numgen random mod 100 < $2 drop; }
	}"
}

# lab_wait_port NS ADDR PORT: wait up to 5 s until something listens there.
lab_wait_port() {
	local i
	for i in $(seq 50); do
		ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "lab: nothing listens on $2 port $3 in $1" >&2
	return 1
}

# Assertions print what they compared, so a failure explains itself.
LAB_FAILS=0
lab_check() { # lab_check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok - $1 ($3)"
	else
		echo "FAIL - $1: expected '$2', got '$3'"
		LAB_FAILS=$((LAB_FAILS + 1))
	fi
}
lab_done() {
	if [ "$LAB_FAILS" -ne 0 ]; then
		echo "$LAB_FAILS check(s) failed"
		exit 1
	fi
	exit 0
}
