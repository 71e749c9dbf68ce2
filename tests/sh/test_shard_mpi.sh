#!/bin/bash
# label: mpi,nosan
# test_shard_mpi.sh - `mpirun -np 2 rankhost scripts/problem1.lua` completes a small sweep with
# both ranks training (each into its own runs.rank-R-of-2.jsonl), rank 0's merged outputs equal
# the same sweep on one process, and a rerun skips finished runs on every rank: with one
# rank's file lost, only its runs are trained again. Skips (77) without mpirun or without
# MPI in this build (the sanitizer tree is configured with -DRANKHOST_MPI=OFF).
set -u
. "$RH_SOURCE/tests/sh/sweep_common.sh"
command -v mpirun > /dev/null || { echo "SKIP: no mpirun"; exit 77; }
[ "$("$RANKHOST" -e 'io.write(tostring(rh.mpi.available()))')" = true ] || { echo "SKIP: built without MPI"; exit 77; }
# OpenMPI refuses root unless told; --oversubscribe: 2 ranks even on a 1-core machine
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi_sweep() { local dir=$1; shift; mpirun --oversubscribe -np 2 "$RANKHOST" --threads 1 \
  "$RH_SOURCE/scripts/problem1.lua" "${SWEEP_ARGS[@]}" --out "$dir" "$@"; }

sweep "$tmp/u" > "$tmp/u.log" 2>&1
check "one-process sweep exits 0" '[ $? -eq 0 ] || { cat "$tmp/u.log"; false; }'

mpi_sweep "$tmp/p" > "$tmp/p.log" 2>&1
check "mpirun -np 2 exits 0" '[ $? -eq 0 ] || { cat "$tmp/p.log"; false; }'
n0=$(lines "$tmp/p/runs.rank-0-of-2.jsonl"); n1=$(lines "$tmp/p/runs.rank-1-of-2.jsonl")
check "both ranks trained (rank 0: $n0, rank 1: $n1 runs)" '[ "$n0" -ge 1 ] && [ "$n1" -ge 1 ] && [ $((n0 + n1)) = 4 ]'
check "both ranks printed progress" 'grep -q "^\[rank 0/2\] run " "$tmp/p.log" && grep -q "^\[rank 1/2\] run " "$tmp/p.log"'
check "rank 0 merged" 'grep -q "merge: $n1 runs in .*runs.rank-1-of-2.jsonl" "$tmp/p.log" && [ "$(lines "$tmp/p/runs.jsonl")" = 4 ]'
check "MPI sweep = one-process sweep" 'same "$tmp/u" "$tmp/p"'

mpi_sweep "$tmp/p" > "$tmp/p2.log" 2>&1
check "rerun trains nothing on either rank" '[ $? -eq 0 ] && [ "$(trained "$tmp/p2.log")" = 0 ] && grep -q "4 of 4 networks already finished" "$tmp/p2.log"'

# lose rank 1's results (and the merged copy): exactly its runs are trained again
rm "$tmp/p/runs.rank-1-of-2.jsonl" "$tmp/p/runs.jsonl"
mpi_sweep "$tmp/p" > "$tmp/p3.log" 2>&1
check "resume trains only the $n1 lost runs" '[ $? -eq 0 ] && [ "$(trained "$tmp/p3.log")" = "$n1" ]'
check "resumed MPI sweep = one-process sweep" 'same "$tmp/u" "$tmp/p"'
exit $fail
