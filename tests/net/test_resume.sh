#!/bin/bash
# --resume FILE against a namespace lab with ground truth: a /22 x 6 ports (listeners, nft
# drop and reject, a dark block) scanned whole once; then killed at random points (SIGINT,
# SIGTERM, kill -9 after a checkpoint was written), resumed with `--resume FILE` alone, and
# the resumed run's report (the first run's results replayed, the rest scanned) must be
# exactly the uninterrupted scan's pairs and states, each pair once. Then the refusals:
# corrupted, truncated, other-version, other-scan checkpoints and conflicting arguments get
# one line, exit 2, and leave the file as it was.
ps=$1
listen=$2
LAB_PREFIX=rsm$$
. "${LAB_DIR:-$(dirname "$0")}/lab.sh"
tmp=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$tmp"' EXIT

lab_init || exit 1
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
	net.ipv4.icmp_msgs_burst=1000000
# 198.18.8.0/22 answers as the target (AnyIP): 22 and 80 listen everywhere, 443 is dropped
# for the upper half, 25 rejected with an ICMP error, 3306 dropped for 198.18.9.0/24, the
# block 198.18.10.0/26 drops everything (dark hosts), the rest is closed.
lab_t ip route add local 198.18.8.0/22 dev lo
lab_s ip route add 198.18.8.0/22 via $LAB_V4_T
lab_nft "$LAB_T" 'table inet rsm {
	chain in { type filter hook input priority 0; policy accept;
		ip daddr 198.18.10.0/26 drop
		ip daddr 198.18.10.0/23 tcp dport 443 drop
		ip daddr 198.18.9.0/24 tcp dport 3306 drop
		tcp dport 25 reject with icmpx type admin-prohibited
	}
}' || exit 1
lab_spawn "$LAB_T" "$listen" 22 80 >"$tmp/listen.out"
lab_wait_port "$LAB_T" 198.18.8.1 80 || exit 1
PORTS=22,25,80,443,3306,8080
TARGETS=198.18.8.0/22
RATE=2000

# pairs FILE: "addr port state" per result, sorted.
pairs() {
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "ip" in r:
        print(r["ip"], r["port"], r["state"])' "$1" | sort
}

# The ground truth, from the rules above.
python3 - >"$tmp/truth.pairs" <<'PY'
import ipaddress
for a in ipaddress.ip_network("198.18.8.0/22"):
    dark = a in ipaddress.ip_network("198.18.10.0/26")
    for p in (22, 25, 80, 443, 3306, 8080):
        if dark:
            s = "filtered"
        elif p in (22, 80):
            s = "open"
        elif p == 25:
            s = "filtered"
        elif p == 443 and a in ipaddress.ip_network("198.18.10.0/23"):
            s = "filtered"
        elif p == 3306 and a in ipaddress.ip_network("198.18.9.0/24"):
            s = "filtered"
        else:
            s = "closed"
        print(a, p, s)
PY
sort -o "$tmp/truth.pairs" "$tmp/truth.pairs"

# tries FILE: "addr port state tries" of every answered result of a checkpoint, sorted. The
# reports do not show how many probes a pair got; the checkpoint does, and on this lossless lab
# a pair that answers does so to its first probe, in pass 0, so a resume that skipped part of a
# pass (leaving it to the retransmissions, which would still find the state) shows here. The
# silent pairs' count is left out: whether the plan spends a dark pass on them depends on a
# late answer on a loaded machine, in an uninterrupted scan too.
tries() { awk '$1 == "result" && $6 != "no-response" { print $2, $3, $5, $8 }' "$1" | sort; }

# -Pn: a resumable scan does no host discovery (the dark hosts would be left out otherwise).
lab_s "$ps" scan --syn -Pn --no-db --format jsonl --show all --seed 91 --rate $RATE -p $PORTS \
	$TARGETS >"$tmp/full.jsonl" 2>"$tmp/full.err"
lab_check "uninterrupted scan: exit code" 0 $?
pairs "$tmp/full.jsonl" >"$tmp/full.pairs"
lab_check "uninterrupted scan = the ground truth" same \
	"$(cmp -s "$tmp/truth.pairs" "$tmp/full.pairs" && echo same ||
		diff "$tmp/truth.pairs" "$tmp/full.pairs" | head -3 | xargs)"
# The same scan with a checkpoint, never interrupted: the same report, and its tries.
lab_s "$ps" scan --syn --no-db --format jsonl --show all --seed 91 --rate $RATE -p $PORTS \
	--resume "$tmp/ck0" $TARGETS >"$tmp/ck0.jsonl" 2>"$tmp/ck0.err"
lab_check "uninterrupted scan with --resume: exit code, complete" "0 state complete" \
	"$? $(grep '^state ' "$tmp/ck0")"
lab_check "uninterrupted scan with --resume = without" same \
	"$(pairs "$tmp/ck0.jsonl" | cmp -s - "$tmp/full.pairs" && echo same || echo differ)"
tries "$tmp/ck0" >"$tmp/full.tries"

# checkpoint_results FILE: how many results the checkpoint holds.
checkpoint_results() { sed -n 's/^results \([0-9]*\)$/\1/p' "$1"; }

# interrupt N SIGNAL DELAY: scan with --resume, SIGNAL after DELAY s, then resume it alone.
interrupt() {
	local n=$1 sig=$2 delay=$3 ck="$tmp/ck$1" pid rc
	lab_guard "$LAB_S" || exit 1
	ip netns exec "$LAB_S" "$ps" scan --syn --no-db --format jsonl --show all --seed 91 \
		--rate $RATE -p $PORTS --resume "$ck" $TARGETS >"$tmp/run$n-a.jsonl" \
		2>"$tmp/run$n-a.err" &
	pid=$!
	if [ "$sig" = KILL ]; then
		# kill -9 only once a checkpoint with results exists (the first is written as the
		# first pass begins, the next ones every second or two): then a random time more
		for _ in $(seq 200); do
			[ -s "$ck" ] && [ "$(checkpoint_results "$ck")" -gt 0 ] && break
			sleep 0.05
		done
		delay=$(python3 -c "print(round($delay / 3, 2))")
	fi
	sleep "$delay"
	kill -s "$sig" $pid
	# A scan that outlives its signal by a minute is a failure of its own, said with where
	# it hangs (rather than the whole test's timeout).
	for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	if kill -0 $pid 2>/dev/null; then
		echo "# run $n: still running 60 s after $sig: $(cat /proc/$pid/wchan 2>/dev/null)"
		for c in $(pgrep -P $pid); do
			echo "# child $c: $(cat /proc/$c/wchan 2>/dev/null)"
		done
		sed 's/^/# stderr: /' "$tmp/run$n-a.err"
		lab_check "run $n: the scan ends after $sig" ended hangs
		kill -9 $pid
	fi
	wait $pid
	rc=$?
	echo "# run $n: $sig after ${delay}s: exit $rc, checkpoint holds $(checkpoint_results "$ck") results"
	lab_check "run $n ($sig): a checkpoint was written" yes "$([ -s "$ck" ] && echo yes)"
	# Finished before the signal or not, the resume gives the whole scan's report (from a
	# complete checkpoint without sending anything: kill -9 may have cost the first report).
	grep -q '^state complete$' "$ck" && echo "# run $n finished before the signal"
	lab_s timeout 120 "$ps" scan --resume "$ck" >"$tmp/run$n-b.jsonl" 2>"$tmp/run$n-b.err"
	lab_check "run $n ($sig): the resumed scan's exit code" 0 $?
	pairs "$tmp/run$n-b.jsonl" >"$tmp/run$n.pairs"
	lab_check "run $n ($sig after ${delay}s): resumed = uninterrupted (pairs and states)" same \
		"$(cmp -s "$tmp/full.pairs" "$tmp/run$n.pairs" && echo same ||
			diff "$tmp/full.pairs" "$tmp/run$n.pairs" | head -3 | xargs)"
	lab_check "run $n: the checkpoint says complete" "state complete" \
		"$(grep '^state ' "$ck")"
	lab_check "run $n: every answered pair answered the probe it did uninterrupted" same \
		"$(tries "$ck" | cmp -s - "$tmp/full.tries" && echo same ||
			tries "$ck" | diff "$tmp/full.tries" - | head -3 | xargs)"
	before=$(sha256sum <"$ck")
	lab_s "$ps" scan --resume "$ck" >"$tmp/run$n-c.jsonl" 2>"$tmp/run$n-c.err"
	lab_check "run $n: a complete checkpoint: its report again, one note, file as it was" \
		"0 1 same kept" "$? $(wc -l <"$tmp/run$n-c.err") $(pairs "$tmp/run$n-c.jsonl" |
			cmp -s - "$tmp/full.pairs" && echo same) $([ "$before" = "$(sha256sum <"$ck")" ] &&
			echo kept)"
}

# Random points: the pass-0 send takes ~3 s at $RATE pps (6144 probes), the retransmissions less.
n=0
for sig in INT TERM KILL INT TERM KILL; do
	n=$((n + 1))
	delay=$(python3 -c 'import random; print(round(random.uniform(0.2, 3.0), 2))')
	interrupt $n $sig "$delay"
done

# A shard resumes as its own range of the one permutation: shard 1 of 3, stopped and resumed,
# reports exactly what that shard reports uninterrupted (and a third of the scan).
lab_s "$ps" scan --syn -Pn --no-db --format jsonl --show all --seed 91 --rate $RATE -p $PORTS \
	--shards 3 --shard 1 $TARGETS >"$tmp/shard.jsonl" 2>/dev/null
pairs "$tmp/shard.jsonl" >"$tmp/shard.pairs"
lab_guard "$LAB_S" || exit 1
ip netns exec "$LAB_S" "$ps" scan --syn --no-db --format jsonl --show all --seed 91 \
	--rate $RATE -p $PORTS --shards 3 --shard 1 --resume "$tmp/cks" $TARGETS >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/cks" ] && break; sleep 0.05; done
sleep 0.6
kill -TERM $pid
wait $pid
lab_check "shard 1/3: stopped by SIGTERM, checkpoint running" "130 state running" \
	"$? $(grep '^state ' "$tmp/cks")"
lab_check "shard 1/3: the checkpoint names the shard" "shard 1 3" "$(grep '^shard ' "$tmp/cks")"
lab_s "$ps" scan --resume "$tmp/cks" >"$tmp/shard-b.jsonl" 2>"$tmp/shard-b.err"
lab_check "shard 1/3: resumed, exit code" 0 $?
lab_check "shard 1/3: resumed = the shard uninterrupted (pairs and states), a third of all" \
	"same 2048" "$(pairs "$tmp/shard-b.jsonl" | cmp -s - "$tmp/shard.pairs" && echo same ||
		echo differ) $(wc -l <"$tmp/shard.pairs")"

# A kept checkpoint (interrupted early) to spoil in every way; each refusal is one line,
# exit 2, nothing on stdout, and the file as it was.
ck="$tmp/keep"
lab_guard "$LAB_S" || exit 1
printf '198.18.8.0/23\n' >"$tmp/targets.txt"
ip netns exec "$LAB_S" "$ps" scan --syn --no-db --format jsonl --show all --rate 500 \
	-p $PORTS -iL "$tmp/targets.txt" --resume "$ck" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$ck" ] && break; sleep 0.05; done
sleep 1.2
kill -INT $pid
wait $pid
lab_check "a seed was chosen and kept (none given)" 1 "$(grep -c '^arg --seed$' "$ck")"
lab_check "the kept checkpoint is running" "state running" "$(grep '^state ' "$ck")"

# refused DESCRIPTION FILE EXPECTED-PATTERN ARGS...: one line matching, exit 2, no output,
# FILE unchanged.
refused() {
	local what=$1 file=$2 pattern=$3 before after rc
	shift 3
	before=$(sha256sum <"$file")
	lab_s "$ps" scan "$@" >"$tmp/ref.out" 2>"$tmp/ref.err"
	rc=$?
	after=$(sha256sum <"$file")
	lab_check "$what: exit 2, one line, no report, file kept" "2 1 0 kept" \
		"$rc $(wc -l <"$tmp/ref.err") $(wc -c <"$tmp/ref.out") $([ "$before" = "$after" ] && echo kept)"
	lab_check "$what: says why" yes "$(grep -q -- "$pattern" "$tmp/ref.err" && echo yes || cat "$tmp/ref.err")"
}
cp "$ck" "$tmp/corrupt"
# one result's state changed (the kind of damage a text editor or a bad disk does)
python3 - "$tmp/corrupt" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
for i, l in enumerate(lines):
    if l.startswith("result "):
        lines[i] = l.replace(" open ", " closed ") if " open " in l else l.replace(" closed ", " open ").replace(" filtered ", " open ")
        break
open(sys.argv[1], "w").write("\n".join(lines))
PY
refused "corrupted checkpoint" "$tmp/corrupt" "checksum mismatch" --resume "$tmp/corrupt"
head -c $(($(wc -c <"$ck") / 2)) "$ck" >"$tmp/truncated"
refused "truncated checkpoint" "$tmp/truncated" "truncated" --resume "$tmp/truncated"
sed '1s/ 1$/ 2/' "$ck" >"$tmp/v2"
refused "another version's checkpoint" "$tmp/v2" "format version 2" --resume "$tmp/v2"
printf 'hello\n' >"$tmp/notck"
refused "not a checkpoint" "$tmp/notck" "not a portsight checkpoint" --resume "$tmp/notck"
refused "conflicting arguments" "$ck" "give --resume" --resume "$ck" -p 80
refused "conflicting arguments (another target)" "$ck" "give --resume" --resume "$ck" \
	198.18.8.0/24
# The targets file changed since: the checkpoint is another scan's now.
printf '198.18.8.0/24\n' >"$tmp/targets.txt"
refused "another scan's checkpoint" "$ck" "checkpoint of another scan" --resume "$ck"
printf '198.18.8.0/23\n' >"$tmp/targets.txt"
lab_s "$ps" scan --connect --no-db --resume "$tmp/c1" -p 80 198.18.8.1 >"$tmp/c1.out" \
	2>"$tmp/c1.err"
lab_check "--resume --connect: exit, one line, no report, no checkpoint" "2 1 0 none" \
	"$? $(wc -l <"$tmp/c1.err") $(wc -c <"$tmp/c1.out") $([ -e "$tmp/c1" ] || echo none)"
lab_check "--resume --connect: says why" yes \
	"$(grep -q "SYN scan only" "$tmp/c1.err" && echo yes || cat "$tmp/c1.err")"

# Output options may come with a resume: the kept scan goes on into a report file of its own.
lab_s "$ps" scan --resume "$ck" --format text -oJ "$tmp/keep.jsonl" >"$tmp/keep.txt" \
	2>"$tmp/keep.err"
lab_check "resume with output options: exit code" 0 $?
pairs "$tmp/keep.jsonl" >"$tmp/keep.pairs"
grep -E '^198\.18\.(8|9)\.' "$tmp/truth.pairs" >"$tmp/truth23.pairs"
lab_check "resume with output options = the ground truth of the /23" same \
	"$(cmp -s "$tmp/truth23.pairs" "$tmp/keep.pairs" && echo same ||
		diff "$tmp/truth23.pairs" "$tmp/keep.pairs" | head -3 | xargs)"

lab_done
