#!/bin/bash
# --shards N --shard I against a namespace lab: for the SYN and the connect engine, 4 shards of
# one scan (same seed) report exactly the pairs of the whole scan, each pair once, with the
# same states; and the mismatched shard arguments are refused with one line.
ps=$1
listen=$2
LAB_PREFIX=shd$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
tmp=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$tmp"' EXIT

lab_init || exit 1
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
	net.ipv4.icmp_msgs_burst=1000000
# 198.18.4.0/22 answers as the target (AnyIP); ports 22 and 80 listen on every address, 443
# is dropped for the upper half, 25 rejected with an ICMP error, the rest closed.
lab_t ip route add local 198.18.4.0/22 dev lo
lab_s ip route add 198.18.4.0/22 via $LAB_V4_T
lab_nft "$LAB_T" 'table inet shards {
	chain in { type filter hook input priority 0; policy accept;
		ip daddr 198.18.6.0/23 tcp dport 443 drop
		tcp dport 25 reject with icmpx type admin-prohibited
	}
}' || exit 1
lab_spawn "$LAB_T" "$listen" 22 80 >"$tmp/listen.out"
lab_wait_port "$LAB_T" 198.18.4.1 80 || exit 1
PORTS=22,25,80,443,8080
TARGETS="198.18.4.0/22"
EXCLUDE="198.18.5.0/26"

# pairs FILE: "addr port state" per result, sorted.
pairs() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "ip" in r:
        print(r["ip"], r["port"], r["state"])' "$1" | sort
}

for engine in syn connect; do
	# -Pn: the whole scan walks the same list as its shards (a split scan skips discovery)
	lab_s "$ps" scan --$engine -Pn --no-db --format jsonl --show all --seed 77 -p $PORTS \
		--exclude $EXCLUDE $TARGETS >"$tmp/$engine-full.jsonl" 2>"$tmp/$engine-full.err"
	lab_check "$engine: full scan exit code" 0 $?
	pairs "$tmp/$engine-full.jsonl" >"$tmp/$engine-full.pairs"
	: >"$tmp/$engine-shards.pairs"
	for i in 0 1 2 3; do
		lab_s "$ps" scan --$engine --no-db --format jsonl --show all --seed 77 -p $PORTS \
			--exclude $EXCLUDE --shards 4 --shard $i $TARGETS >"$tmp/$engine-$i.jsonl" \
			2>"$tmp/$engine-$i.err"
		lab_check "$engine: shard $i exit code" 0 $?
		pairs "$tmp/$engine-$i.jsonl" >"$tmp/$engine-$i.pairs"
		cat "$tmp/$engine-$i.pairs" >>"$tmp/$engine-shards.pairs"
		echo "# $engine shard $i: $(wc -l <"$tmp/$engine-$i.pairs") pairs"
	done
	want=$(((1024 - 64) * 5))
	lab_check "$engine: full scan covers every pair" $want "$(wc -l <"$tmp/$engine-full.pairs")"
	lab_check "$engine: shards together, counted with repeats" $want \
		"$(wc -l <"$tmp/$engine-shards.pairs")"
	sort -o "$tmp/$engine-shards.pairs" "$tmp/$engine-shards.pairs"
	lab_check "$engine: shards together = the full scan" same \
		"$(cmp -s "$tmp/$engine-full.pairs" "$tmp/$engine-shards.pairs" && echo same ||
			diff "$tmp/$engine-full.pairs" "$tmp/$engine-shards.pairs" | head -5)"
	lab_check "$engine: 4 shards of 4800 are 1200 each" "1200 1200 1200 1200" \
		"$(for i in 0 1 2 3; do wc -l <"$tmp/$engine-$i.pairs"; done | xargs)"
done
lab_check "syn and connect agree" same \
	"$(cmp -s "$tmp/syn-full.pairs" "$tmp/connect-full.pairs" && echo same || echo differ)"

# The index from a scheduler's variable.
SLURM_ARRAY_TASK_ID=2 lab_s "$ps" scan --syn --no-db --format jsonl --show all --seed 77 \
	-p $PORTS --exclude $EXCLUDE --shards 4 --shard-from-env $TARGETS >"$tmp/env.jsonl" 2>&1
lab_check "--shard-from-env (SLURM_ARRAY_TASK_ID=2) exit code" 0 $?
lab_check "--shard-from-env = --shard 2" same \
	"$(pairs "$tmp/env.jsonl" | cmp -s - "$tmp/syn-2.pairs" && echo same || echo differ)"

# --offline: every probe of the scan (or of a shard) built, none sent; the same seed builds the
# same frames.
offline_count() { sed -n 's/^offline: \([0-9]*\) SYN probes.*/\1/p'; }
lab_s "$ps" scan --offline --seed 77 -p $PORTS --exclude $EXCLUDE $TARGETS >"$tmp/off.txt"
lab_check "--offline: exit code" 0 $?
sed 's/^/# /' "$tmp/off.txt"
lab_check "--offline: every pair built" 4800 "$(offline_count <"$tmp/off.txt")"
lab_check "--offline: the same seed, the same frames" \
	"$(sed 's/.*digest //' "$tmp/off.txt")" \
	"$(lab_s "$ps" scan --offline --seed 77 -p $PORTS --exclude $EXCLUDE $TARGETS | sed 's/.*digest //')"
sum=0
for i in 0 1 2 3; do
	n=$(lab_s "$ps" scan --offline --seed 77 -p $PORTS --exclude $EXCLUDE --shards 4 --shard $i \
		$TARGETS | offline_count)
	sum=$((sum + n))
done
lab_check "--offline: 4 shards build 4800 probes between them" 4800 $sum
# Nothing left the scanner: what arrives at the far end of its only link during an offline run,
# recorded there. The kernel's own neighbour chatter (ARP, NDP, MLD) may pass; a TCP or UDP
# packet may not.
cap=$tmp/offline.cap
lab_spawn "$LAB_T" python3 "${LAB_DIR:-$(dirname "$0")}/egress.py" capture "$cap" vt
cap_pid=${LAB_PIDS[-1]}
for _ in $(seq 50); do [ -e "$cap.ready" ] && break; sleep 0.1; done
lab_s "$ps" scan --offline --seed 77 -p $PORTS $TARGETS >/dev/null
sleep 0.3
kill -TERM "$cap_pid"
wait "$cap_pid" 2>/dev/null
sed 's/^/# offline capture: /' "$cap" | head -5
lab_check "--offline: the capture ran to its end" 1 "$(grep -c '^stats drops=0$' "$cap")"
lab_check "--offline: no TCP or UDP packet left the scanner" 0 \
	"$(grep -cE 'ip4 .*proto=(6|17)$|ip6 .*nh=(6|17)$' "$cap")"

# Bad arguments: one line, exit 2, nothing scanned.
refuse() { # refuse WHAT EXPECTED_SUBSTRING ARGS...
	local what=$1 want=$2 out
	shift 2
	out=$(lab_s env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX -u NOMAD_ALLOC_INDEX \
		"$ps" scan --syn --no-db -p 22 "$@" 198.18.4.1 2>&1 >/dev/null)
	local rc=$?
	lab_check "$what: exit 2" 2 $rc
	lab_check "$what: one line" 1 "$(printf '%s\n' "$out" | wc -l)"
	lab_check "$what: says why" yes "$([[ $out == *"$want"* ]] && echo yes || echo "no: $out")"
}
refuse "no seed" "--shards needs --seed" --shards 4 --shard 1
refuse "seed 0" "--shards needs --seed" --seed 0 --shards 4 --shard 1
refuse "index too big" "not below --shards 4" --seed 1 --shards 4 --shard 4
refuse "no index" "--shards needs --shard" --seed 1 --shards 4
refuse "no count" "--shard needs --shards" --seed 1 --shard 1
refuse "no variable" "none of JOB_COMPLETION_INDEX" --seed 1 --shards 4 --shard-from-env
refuse "zero shards" "--shards" --seed 1 --shards 0 --shard 0
lab_done
