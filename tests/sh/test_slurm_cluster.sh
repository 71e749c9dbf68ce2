#!/bin/bash
# label: slurm,mpi,nosan
# test_slurm_cluster.sh - the examples/slurm/ scripts on a real single-node Slurm: a private
# cluster (munged, slurmctld and slurmd on loopback, state in a temp folder, own ports) runs
# submit_array.sh (2 array tasks, then the merge job queued with afterok) and
# problem1_mpi.sbatch (srun --mpi=pmix, 2 ranks); both results equal the one-process sweep.
# Skips (77) unless Slurm and munge are installed (Debian packages munge, slurmctld, slurmd,
# slurm-client; not in debian-packages.txt, since users need no Slurm) and we are root (slurmd
# starts jobs as their users). CI (.ci/run) installs them and, as root, sets
# RH_SLURM_REQUIRED=1, which turns every skip below into a failure. Needs the tiny sweep of
# sweep_common.sh.
set -u
skip() { echo "SKIP: $1"; if [ -n "${RH_SLURM_REQUIRED:-}" ]; then echo "(RH_SLURM_REQUIRED is set: failing)"; exit 1; fi; exit 77; }
for t in munged slurmctld slurmd sbatch squeue sinfo; do
  command -v $t > /dev/null || skip "no $t (Debian packages munge, slurmctld, slurmd, slurm-client)"
done
[ "$(id -u)" = 0 ] || skip "the private Slurm needs root"
. "$RH_SOURCE/tests/sh/sweep_common.sh"

# ---- a private Slurm in $tmp/slurm (short paths: a socket path has at most 107 bytes) ----
sl=$(mktemp -d /tmp/rhslurm.XXXXXX)
pids=()
# the daemons run in the foreground as our children, so that $! names each and stop() can end
# exactly them (and wait for them) whatever happens
stop() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$sl" "$tmp"
}
trap stop EXIT
mkdir -p "$sl/state" "$sl/spool" && chmod 700 "$sl"
head -c 1024 /dev/urandom > "$sl/munge.key" && chmod 600 "$sl/munge.key"
munged -F -f -S "$sl/munge.socket" --key-file="$sl/munge.key" --log-file="$sl/munged.log" \
  --pid-file="$sl/munged.pid" --seed-file="$sl/munged.seed" &
pids+=($!)
for _ in $(seq 20); do [ -S "$sl/munge.socket" ] && break; sleep 0.25; done
[ -S "$sl/munge.socket" ] || skip "munged does not start"
port=$((20000 + ($$ % 2000) * 2))
host=$(hostname -s)
cat > "$sl/slurm.conf" <<CONF
ClusterName=rhtest$$
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$sl/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$sl/state
SlurmdSpoolDir=$sl/spool
SlurmctldPidFile=$sl/slurmctld.pid
SlurmdPidFile=$sl/slurmd.pid
SlurmctldLogFile=$sl/slurmctld.log
SlurmdLogFile=$sl/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
KillWait=5
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF=$sl/slurm.conf
slurmctld -D -f "$SLURM_CONF" > /dev/null 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > /dev/null 2>&1 &
pids+=($!)
for _ in $(seq 40); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 0.5; done
sinfo -h -o %t 2>/dev/null | grep -q idle || { tail "$sl"/*.log; skip "the private Slurm did not come up"; }
# wait_jobs: until the queue is empty (at most 3 minutes)
wait_jobs() { for _ in $(seq 360); do [ -z "$(squeue -h 2>/dev/null)" ] && return 0; sleep 0.5; done; return 1; }

sweep "$tmp/u" > "$tmp/u.log" 2>&1
check "one-process sweep exits 0" '[ $? -eq 0 ] || { cat "$tmp/u.log"; false; }'

# ---- job array + dependent merge, as a user would submit them ----
cd "$tmp"
OUT=$tmp/a RANKHOST=$RANKHOST RH_SOURCE=$RH_SOURCE SWEEP="${SWEEP_ARGS[*]}" \
  SBATCH_OPTS="--cpus-per-task=1 --mem=0 --time=10" "$RH_SOURCE/examples/slurm/submit_array.sh" 2 > "$tmp/submit.log" 2>&1
check "submit_array.sh queues both jobs" '[ $? -eq 0 ] && grep -q "merge job" "$tmp/submit.log" || { cat "$tmp/submit.log"; false; }'
wait_jobs
check "array jobs and merge finished" '[ -z "$(squeue -h)" ]'
check "each array task wrote its shard" '[ "$(lines "$tmp/a/runs.shard-1-of-2.jsonl")" = 2 ] && [ "$(lines "$tmp/a/runs.shard-2-of-2.jsonl")" = 2 ] || { cat "$tmp"/p1-*.out; false; }'
check "Slurm array + merge = one-process sweep" 'same "$tmp/u" "$tmp/a" || { cat "$tmp"/p1-*.out; false; }'

# ---- MPI in one allocation: srun --mpi=pmix, 2 ranks ----
if srun --mpi=list 2>&1 | grep -q pmix && command -v mpirun > /dev/null; then
  OUT=$tmp/m RANKHOST=$RANKHOST RH_SOURCE=$RH_SOURCE SWEEP="${SWEEP_ARGS[*]}" \
    sbatch --export=ALL --nodes=1 --ntasks=2 --ntasks-per-node=2 --cpus-per-task=1 --mem=0 --time=10 \
    "$RH_SOURCE/examples/slurm/problem1_mpi.sbatch" > "$tmp/msubmit.log" 2>&1
  check "problem1_mpi.sbatch queued" '[ $? -eq 0 ] || { cat "$tmp/msubmit.log"; false; }'
  wait_jobs
  check "both ranks trained" '[ "$(lines "$tmp/m/runs.rank-0-of-2.jsonl")" -ge 1 ] && [ "$(lines "$tmp/m/runs.rank-1-of-2.jsonl")" -ge 1 ] || { cat "$tmp"/p1-mpi-*.out; false; }'
  check "Slurm MPI job = one-process sweep" 'same "$tmp/u" "$tmp/m" || { cat "$tmp"/p1-mpi-*.out; false; }'
else
  echo "note: no pmix in srun or no mpirun: MPI under Slurm not tried"
  check "RH_SLURM_REQUIRED unset (else MPI under Slurm must run)" '[ -z "${RH_SLURM_REQUIRED:-}" ]'
fi
exit $fail
