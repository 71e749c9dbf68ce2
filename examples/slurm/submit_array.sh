#!/bin/bash
# submit_array.sh [K] - queues a problem 1 sweep as K array tasks (default 8) and its merge,
# which runs only after every task succeeded (afterok). Run from the rankhost checkout:
#
#   OUT=/scratch/$USER/p1 SWEEP="--n 512 --full" examples/slurm/submit_array.sh 16
#
# SBATCH_OPTS: more sbatch options for both jobs (e.g. "--partition=cpu --account=myproj"),
# they override the #SBATCH lines of the scripts.
set -euo pipefail
K=${1:-8}
here=$(dirname "$0")
export OUT=${OUT:-$PWD/results/problem1} RH_SOURCE=${RH_SOURCE:-$PWD}
# --parsable: sbatch prints only the job id
array=$(sbatch --parsable --export=ALL ${SBATCH_OPTS:-} --array=1-"$K" "$here/problem1_array.sbatch")
merge=$(sbatch --parsable --export=ALL ${SBATCH_OPTS:-} --dependency=afterok:"${array%%;*}" "$here/merge.sbatch")
echo "array job $array ($K shards), merge job $merge -> $OUT"
