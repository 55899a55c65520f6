#!/bin/bash
# deploy/slurm/portsight-array.sbatch on a real Slurm: munged (user munge, a generated key),
# slurmctld and slurmd (root, one node named by hostname -s, both on 127.0.0.1 only, state and
# spool under a temp dir), and a PostgreSQL server on a unix socket, all started here and
# stopped by PID. sbatch --wait --array=0-3: each task enters its own scanner namespace through
# tests/net/lab_task.sh (lab_guard), all four with a veth to one target namespace, and writes
# its shard into PostgreSQL. The merged result must equal a single-process scan of that lab:
# the same (address, port, state) set, and diff of the two in the history says "No changes.".
# Exit 77 (skipped, saying why) when Slurm, munge or PostgreSQL are not installed.
ps=$1
listen=$2
LAB_PREFIX=slm$$
here=${LAB_DIR:-$(dirname "$0")}
. "$here/lab.sh"
repo=$(cd "$here/../.." && pwd)
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
for tool in slurmctld slurmd sbatch munged munge; do
	command -v $tool >/dev/null ||
		{ echo "SKIP: $tool not installed (apt-get install slurm-wlm munge)" >&2; exit 77; }
done
[ -n "$pgbin" ] || { echo "SKIP: PostgreSQL not installed (apt-get install postgresql)" >&2; exit 77; }
if "$ps" history --db 'postgresql:///x?host=/nonexistent-portsight-dir' 2>&1 |
	grep -q 'not supported by this build'; then
	echo "SKIP: portsight was built without libpq" >&2
	exit 77
fi
tmp=$(mktemp -d /tmp/portsight-slurm.XXXXXX)
chmod 755 "$tmp"
pids_files=()
stop_daemons() { # all signalled at once, then waited for: a test cut short by its timeout
	local f pid pids=()  # is killed soon after, and must not leave any daemon behind
	for f in "${pids_files[@]}"; do
		pid=$(head -n 1 "$f" 2>/dev/null) || continue
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	done
}
lab_init || exit 1
trap 'stop_daemons; lab_cleanup; rm -rf "$tmp"' EXIT

# The lab: target T answers for 198.18.4.0/22 (AnyIP); scanners S0..S3 each reach it over
# their own veth, 198.19.I.2 -> 198.19.I.1. LAB_S (192.0.2.1) is the single-process scanner.
lab_t sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
	net.ipv4.icmp_msgs_burst=1000000
lab_t ip route add local 198.18.4.0/22 dev lo
lab_s ip route add 198.18.4.0/22 via $LAB_V4_T
TASK_PREFIX=${LAB_PREFIX}w
for i in 0 1 2 3; do
	ns=$TASK_PREFIX$i
	lab_netns_add "$ns" || exit 1
	ip -n "$ns" link add w$i type veth peer name u$i netns "$LAB_T" || exit 1
	ip -n "$ns" addr add 198.19.$i.2/24 dev w$i
	ip -n "$LAB_T" addr add 198.19.$i.1/24 dev u$i
	ip -n "$ns" link set lo up
	ip -n "$ns" link set w$i up
	ip -n "$LAB_T" link set u$i up
	ip -n "$ns" route add 198.18.4.0/22 via 198.19.$i.1
	lab_guard "$ns" || exit 1
done
lab_nft "$LAB_T" 'table inet slurmlab {
	chain in { type filter hook input priority 0; policy accept;
		ip daddr 198.18.6.0/23 tcp dport 443 drop
		tcp dport 25 reject with icmpx type admin-prohibited
	}
}' || exit 1
lab_spawn "$LAB_T" "$listen" 22 80 >"$tmp/listen.out"
lab_wait_port "$LAB_T" 198.18.4.1 80 || exit 1
PORTS=22,25,80,443,8080
TARGETS=198.18.4.0/22
SEED=4242

# PostgreSQL, as the postgres user, on a unix socket in its data directory's parent.
mkdir "$tmp/pg" && chown postgres "$tmp/pg" && chmod 700 "$tmp/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$tmp/pg/data" -A trust -U portsight >"$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log"; exit 1; }
runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/server.log" -w \
	-o "-k $tmp/pg -c listen_addresses='' -c fsync=off" start >/dev/null ||
	{ cat "$tmp/pg/server.log"; exit 1; }
pids_files+=("$tmp/pg/data/postmaster.pid")
chmod 711 "$tmp/pg"
DB="postgresql:///postgres?host=$tmp/pg&user=portsight"

# munge and Slurm.
mkdir -p "$tmp/munge" "$tmp/mkey" "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/out"
chown munge "$tmp/munge" "$tmp/mkey"
chmod 755 "$tmp/munge"
chmod 700 "$tmp/mkey"
dd if=/dev/urandom of="$tmp/mkey/munge.key" bs=1024 count=1 2>/dev/null
chown munge "$tmp/mkey/munge.key"
chmod 400 "$tmp/mkey/munge.key"
runuser -u munge -- munged --key-file="$tmp/mkey/munge.key" --socket="$tmp/munge/munge.socket" \
	--pid-file="$tmp/mkey/munged.pid" --log-file="$tmp/mkey/munged.log" \
	--seed-file="$tmp/mkey/seed" || exit 1
pids_files=("$tmp/mkey/munged.pid" "${pids_files[@]}")
node=$(hostname -s)
# Ports below the kernel's ephemeral range: a busy machine's outgoing connections take ports
# in that range at random, and one once held the controller's (slurmctld: "Address already
# in use", then every job waited forever).
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
ctld_port=$((20000 + $$ % 4000 * 2))
if [ "$ctld_port" -ge "$((ephemeral_low - 1))" ]; then
	ctld_port=$((ephemeral_low - 2 - $$ % 500 * 2))
fi
cat >"$tmp/slurm.conf" <<CONF
ClusterName=portsight-test
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool/%n
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$(nproc) State=UNKNOWN
PartitionName=lab Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -f "$SLURM_CONF" || { cat "$tmp/log/slurmctld.log"; exit 1; }
for _ in $(seq 50); do [ -s "$tmp/slurmctld.pid" ] && break; sleep 0.1; done
pids_files=("$tmp/slurmctld.pid" "${pids_files[@]}")
# The controller listening, or a clear failure now (not jobs that wait forever).
for _ in $(seq 100); do
	ss -ltn "sport = :$ctld_port" | grep -q LISTEN && break
	sleep 0.1
done
if ! ss -ltn "sport = :$ctld_port" | grep -q LISTEN; then
	echo "FAIL - slurmctld is not listening on 127.0.0.1:$ctld_port:"
	tail -n 5 "$tmp/log/slurmctld.log"
	exit 1
fi
slurmd -f "$SLURM_CONF" || { cat "$tmp/log/slurmd.log"; exit 1; }
for _ in $(seq 50); do [ -s "$tmp/slurmd.pid" ] && break; sleep 0.1; done
pids_files=("$tmp/slurmd.pid" "${pids_files[@]}")
for _ in $(seq 100); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 0.2; done
lab_check "slurm: the node is idle" idle "$(sinfo -h -o %t 2>&1)"
[ "$LAB_FAILS" -eq 0 ] || exit 1
lab_check "slurm: daemons listen on loopback only" "" \
	"$(ss -ltnp | grep -E 'slurmctld|slurmd' | awk '{ print $4 }' | grep -v '^127\.0\.0\.1:')"

pairs() { # pairs FILE...: "addr port state" per result, sorted
	python3 -c 'import json, sys
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)
        if "ip" in r:
            print(r["ip"], r["port"], r["state"])' "$@" | sort
}

# The single-process scan, recorded first.
t0=$(date +%s.%N)
lab_s "$ps" scan --syn --seed $SEED -p $PORTS --db "$DB" --format jsonl --show all $TARGETS \
	>"$tmp/single.jsonl" 2>"$tmp/single.err"
lab_check "single scan: exit code" 0 $?
t1=$(date +%s.%N)
pairs "$tmp/single.jsonl" >"$tmp/single.pairs"
lab_check "single scan: every pair" 5120 "$(wc -l <"$tmp/single.pairs")"

# The array: 4 tasks, each in its own namespace through the guarded wrapper.
export PS_LAB_NSES="${LAB_NSES[*]}" PS_LAB_TASK_PREFIX=$TASK_PREFIX
export PORTSIGHT_TARGETS=$TARGETS PORTSIGHT_SEED=$SEED PORTSIGHT_PORTS=$PORTS PORTSIGHT_DB=$DB
export PORTSIGHT_ARGS="--syn --show all --format jsonl -o /dev/null" PORTSIGHT_BIN=$ps
export PORTSIGHT_OUTPUT_DIR=$tmp/out PORTSIGHT_LAUNCH=$repo/tests/net/lab_task.sh
t2=$(date +%s.%N)
(cd "$tmp" && sbatch --wait --array=0-3 -o "$tmp/log/task-%a.out" \
	"$repo/deploy/slurm/portsight-array.sbatch" >"$tmp/sbatch.out" 2>&1)
rc=$?
t3=$(date +%s.%N)
sed 's/^/#   /' "$tmp/sbatch.out"
for i in 0 1 2 3; do sed "s/^/#   task $i: /" "$tmp/log/task-$i.out" 2>/dev/null; done
lab_check "sbatch --wait --array=0-3: exit code" 0 $rc
echo "# single process: $(echo "$t1 - $t0" | bc) s; 4 Slurm tasks (sbatch to the end): $(echo "$t3 - $t2" | bc) s"
pairs "$tmp"/out/shard-*.jsonl >"$tmp/shards.pairs"
for i in 0 1 2 3; do echo "# shard $i: $(pairs "$tmp/out/shard-$i.jsonl" | wc -l) pairs"; done
lab_check "tasks together: every pair once" 5120 "$(wc -l <"$tmp/shards.pairs")"
lab_check "tasks together = the single scan" same \
	"$(cmp -s "$tmp/single.pairs" "$tmp/shards.pairs" && echo same ||
		diff "$tmp/single.pairs" "$tmp/shards.pairs" | head -3)"
"$ps" history --db "$DB" >"$tmp/history.txt"
sed 's/^/#   /' "$tmp/history.txt"
lab_check "history: the 4 tasks are one scan" 3 "$(wc -l <"$tmp/history.txt")"
lab_check "history: the fleet has every result" 5120 "$(awk 'NR == 2 { print $7 }' "$tmp/history.txt")"
lab_check "history: the fleet is named by the Slurm job" 4 \
	"$(runuser -u postgres -- "$pgbin/psql" -h "$tmp/pg" -U portsight -d postgres -qtA \
		-c "SELECT count(*) FROM scans WHERE fleet LIKE 'slurm-%'")"
lab_check "diff (single scan -> the fleet): no changes" "No changes." \
	"$("$ps" diff --db "$DB" | tail -n 1)"
lab_done
