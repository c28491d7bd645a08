#!/bin/sh
# t_sweep_slurm.sh - the sweep of t_sweep.sh's spec through a real
# single-node Slurm: munged, slurmctld and slurmd started here with a
# minimal slurm.conf in a temporary folder (free ports, no cgroups,
# accounting off), `kmemsim sweep --emit slurm` submitted as a job array
# (sbatch --wait), the per-run databases merged with `kmemsim merge`, and
# the merged database compared run by run with a local `sweep -j 2` of the
# same spec: the same 27 configurations, the same numbers (every run_stats
# value and every sample), matched by their parameters text, not by the
# hash the merge itself uses. Everything started is stopped at the end.
# Skipped, saying why, where Slurm or munge is not installed or cannot
# start (.ci/run installs them: slurm-wlm, munge).
. tests/lib.sh
skip() { echo "ok sweep_slurm # SKIP $1"; echo "t_sweep_slurm: skipped: $1" >&2; exit 0; }
for c in slurmctld slurmd munged mungekey sbatch sinfo scontrol; do
	command -v $c >/dev/null 2>&1 || skip "$c not installed (apt-get install slurm-wlm munge)"
done
[ "$(id -u)" = 0 ] || skip "needs root to start slurmd"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 not installed"

D=$TMP/slurm
mkdir -p "$D/state" "$D/spool" "$D/munge"
chmod 700 "$D/munge"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 1
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# a free TCP port from 20000..39999 (nothing listening on it now)
free_port() {
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 ))
		if ! (ss -ltn 2>/dev/null || netstat -ltn 2>/dev/null) | grep -q ":$p "; then echo $p; return; fi
	done
}

mungekey -c -k "$D/munge/munge.key" >/dev/null 2>&1 || skip "mungekey could not make a key"
munged -F -f --key-file="$D/munge/munge.key" --socket="$D/munge/munge.sock" --pid-file="$D/munge/munged.pid" \
	--log-file="$D/munge/munged.log" --seed-file="$D/munge/munged.seed" 2>"$D/munged.err" &
pids="$pids $!"
for i in $(seq 50); do [ -S "$D/munge/munge.sock" ] && break; sleep 0.1; done
[ -S "$D/munge/munge.sock" ] || skip "munged did not start: $(tail -n 2 "$D/munged.err" "$D/munge/munged.log" 2>/dev/null | tr '\n' ' ')"

host=$(hostname -s)
cpus=$(nproc)
cat >"$D/slurm.conf" <<EOF
ClusterName=kmemsimtest
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$host CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$D/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" >"$D/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -f "$SLURM_CONF" >"$D/slurmd.out" 2>&1 &
pids="$pids $!"
state=""
for i in $(seq 60); do
	state=$(sinfo -h -o %t 2>/dev/null | head -n 1)
	[ "$state" = idle ] && break
	sleep 0.5
done
[ "$state" = idle ] || skip "Slurm did not start (node state '$state'): $(tail -n 3 "$D/slurmctld.log" "$D/slurmd.log" 2>/dev/null | tr '\n' ' ')"
ok slurm_started

# the spec of t_sweep.sh: 3 back ends x 3 memory sizes x 3 seeds, tiny runs
cat >"$TMP/s.sweep" <<'EOF'
study = slurmtest
workload = workloads/phases.lua
allocator = slub, slab, nta
mem = 16M, 32M, 64M
seed = 1..3
set.ramp = 1500
set.peak_size = 300
set.plateau = 1500
EOF
$KMEMSIM sweep "$TMP/s.sweep" --db "$TMP/local.db" -j 2 >"$TMP/local.out" 2>&1
check local_sweep test "$(sqlite3 "$TMP/local.db" "SELECT count(*) FROM runs WHERE status = 'ok'")" = 27

$KMEMSIM sweep "$TMP/s.sweep" --db "$TMP/cluster.db" --emit slurm --out "$TMP/em" --chunk 9 --max-tasks 2 \
	>"$TMP/emit.out" 2>&1
check emit_slurm grep -q '^submit: sbatch' "$TMP/emit.out"
check sbatch_array grep -q -- '--array=0-2%2' "$TMP/em/sweep.sbatch"
if timeout 180 sbatch --wait "$TMP/em/sweep.sbatch" >"$TMP/sbatch.out" 2>&1; then
	ok sbatch_wait
else
	notok sbatch_wait "$(cat "$TMP/sbatch.out") $(cat "$TMP/em/logs/"* 2>/dev/null | tail -n 5)"
fi
n=$(ls "$TMP/em/db/"*.db 2>/dev/null | wc -l)
check one_db_per_run test "$n" = 27
$KMEMSIM merge "$TMP/cluster.db" "$TMP/em/db/"*.db >"$TMP/merge.out" 2>&1
check merge_ok grep -q '27 runs copied from 27 files' "$TMP/merge.out"
check merged_27 test "$(sqlite3 "$TMP/cluster.db" "SELECT count(*) FROM runs WHERE status = 'ok'")" = 27
check merged_27_configs test "$(sqlite3 "$TMP/cluster.db" "SELECT count(DISTINCT config_hash) FROM runs")" = 27
check merged_other_hosts_pids test "$(sqlite3 "$TMP/cluster.db" "SELECT count(DISTINCT pid) FROM runs")" -gt 1

# run by run: matched by the parameters text (not by the hash the merge
# itself uses), every summary value and every sample the same: EXCEPT
# both ways leaves nothing
q() { sqlite3 "$TMP/local.db" "ATTACH '$TMP/cluster.db' AS c; $1"; }
stats="SELECT r.params, s.key, s.value FROM X.runs r JOIN X.run_stats s ON s.run_id = r.id"
samples="SELECT r.params, s.seq, s.events, s.requested, s.allocated, s.footprint FROM X.runs r JOIN X.samples s ON s.run_id = r.id"
l2c=$(q "SELECT count(*) FROM ($(echo "$stats" | sed s/X/main/g) EXCEPT $(echo "$stats" | sed s/X/c/g))")
c2l=$(q "SELECT count(*) FROM ($(echo "$stats" | sed s/X/c/g) EXCEPT $(echo "$stats" | sed s/X/main/g))")
sl2c=$(q "SELECT count(*) FROM ($(echo "$samples" | sed s/X/main/g) EXCEPT $(echo "$samples" | sed s/X/c/g))")
sc2l=$(q "SELECT count(*) FROM ($(echo "$samples" | sed s/X/c/g) EXCEPT $(echo "$samples" | sed s/X/main/g))")
nstats=$(q "SELECT count(*) FROM c.run_stats")
check same_summaries_as_local test "$l2c/$c2l" = 0/0 -a "$nstats" -gt 1000
check same_samples_as_local test "$sl2c/$sc2l" = 0/0
