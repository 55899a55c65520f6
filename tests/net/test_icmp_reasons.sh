#!/bin/bash
# -sS and -sT read ICMP errors the same way (net/icmp.c): the target rejects one port with
# each ICMP and ICMPv6 destination-unreachable code nftables can send, both engines scan
# those ports over IPv4 and IPv6, and every port must carry the reason of the one table in
# both engines' output. A control port listens (open) and one is plainly closed (reset).
# usage: test_icmp_reasons.sh PORTSIGHT LAB_LISTEN   (root; env LAB_DIR = tests/net)
set -u
PORTSIGHT=$1
LISTEN=$2
LAB_PREFIX=psicmp$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"

lab_init || exit 1
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"; lab_cleanup' EXIT

# port, nft reject, expected reason: IPv4 codes 0 1 2 3 9 10 13, ICMPv6 codes 0 1 3 4 5 6.
V4_CASES="2000 net-unreachable icmp-net-unreachable
2001 host-unreachable icmp-host-unreachable
2002 prot-unreachable icmp-proto-unreachable
2003 port-unreachable icmp-port-unreachable
2004 net-prohibited icmp-net-prohibited
2005 host-prohibited icmp-host-prohibited
2006 admin-prohibited icmp-admin-prohibited"
V6_CASES="2000 no-route icmp-net-unreachable
2001 admin-prohibited icmp-admin-prohibited
2002 addr-unreachable icmp-host-unreachable
2003 port-unreachable icmp-port-unreachable
2004 policy-fail icmp-admin-prohibited
2005 reject-route icmp-net-prohibited"

rules() { # rules FAMILY CASES
	local port how _
	while read -r port how _; do
		if [ "$1" = ip ]; then
			echo "meta nfproto ipv4 tcp dport $port reject with icmp type $how"
		else
			echo "meta nfproto ipv6 tcp dport $port reject with icmpv6 type $how"
		fi
	done <<<"$2"
}

# Every rejected port gets its answer: no per-peer ICMP rate limit.
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
	net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000
lab_nft "$LAB_T" "table inet icmp_reasons {
	chain in { type filter hook input priority 0; policy accept;
		$(rules ip "$V4_CASES")
		$(rules ip6 "$V6_CASES")
	}
}" || exit 1
lab_spawn "$LAB_T" "$LISTEN" 2010 >/dev/null
lab_wait_port "$LAB_S" $LAB_V4_T 2010 || exit 1
lab_wait_port "$LAB_S" $LAB_V6_T 2010 || exit 1

truth() { # truth CASES: "port state/reason" lines, the controls included
	local port _ reason
	while read -r port _ reason; do
		echo "$port filtered/$reason"
	done <<<"$1"
	echo "2010 open/syn-ack"
}

seen() { # seen JSONL: "port state/reason" lines, sorted by port
	python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "port" in o:
        print(o["port"], "%s/%s" % (o["state"], o["reason"]))
PY
}

for fam in 4 6; do
	if [ $fam = 4 ]; then target=$LAB_V4_T cases=$V4_CASES; else target=$LAB_V6_T cases=$V6_CASES; fi
	ports=2000-2010
	truth "$cases" | sort -n >"$OUT/truth$fam"
	for engine in syn connect; do
		lab_s "$PORTSIGHT" scan --$engine --no-db --format jsonl --show all -p $ports "$target" \
			>"$OUT/$engine$fam.jsonl" 2>"$OUT/$engine$fam.err"
		lab_check "IPv$fam --$engine: exit code" 0 "$?"
		sed 's/^/#   /' "$OUT/$engine$fam.err"
		# The ports without a rule between the cases and the listener are closed by an RST.
		seen "$OUT/$engine$fam.jsonl" | grep -v ' closed/' | sort -n >"$OUT/$engine$fam.seen"
		lab_check "IPv$fam --$engine: reasons as the table says" \
			"$(tr '\n' ' ' <"$OUT/truth$fam")" "$(tr '\n' ' ' <"$OUT/$engine$fam.seen")"
		lab_check "IPv$fam --$engine: the rest closed" \
			"$((2010 - 2000 + 1 - $(wc -l <"$OUT/truth$fam")))" \
			"$(seen "$OUT/$engine$fam.jsonl" | grep -c ' closed/')"
	done
	lab_check "IPv$fam: -sS and -sT agree on every port" \
		"$(seen "$OUT/syn$fam.jsonl" | sed 's| closed/reset| closed|' | sort -n | tr '\n' ' ')" \
		"$(seen "$OUT/connect$fam.jsonl" | sed 's| closed/conn-refused| closed|' | sort -n | tr '\n' ' ')"
done
lab_done
