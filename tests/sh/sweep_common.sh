# sweep_common.sh - sourced by test_shard_merge.sh, test_shard_mpi.sh and test_slurm_cluster.sh:
# a tiny problem 1 study (the Fashion-MNIST 10k test set split into train/test, at most 3
# epochs: two real-label networks, the wd0 twin of the first, one teacher-ladder network; 4
# runs in plan order p1-1-1-s1, p1-1-2-s1, p1-1-1-s1-wd0, p1-1-teacher2-s1, a few seconds)
# with one BLAS thread and no local workers, so that training is bit-for-bit reproducible
# whichever process trains a run.
# a test run inside a Slurm array job must not become a shard of it
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_STEP SLURM_ARRAY_TASK_COUNT \
  SLURM_STEP_NUM_TASKS
data=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
SWEEP_ARGS=(--quick --dataset fashion-mnist --data-dir "$data" --train-split test --holdout 0.25 --train-size 800
  --test-size 200 --n 2 --seeds 1 --wd0-runs 1 --random-runs 0 --max-epochs 3 --min-horizon 0 --cooldown 1
  --rank-every 1 --rank-patience 2 --teacher-ranks 2 --teacher-n 300 --teacher-dim 16 --parity-k none
  --noise-levels none --ladder-seeds 1 --ladder-hidden 16 --probe 64 --jobs 1)
# sweep DIR [options...]: the sweep into DIR (one process)
sweep() { local dir=$1; shift; "$RANKHOST" --threads 1 "$RH_SOURCE/scripts/problem1.lua" "${SWEEP_ARGS[@]}" --out "$dir" "$@"; }
# same A B: the two folders hold the same sweep (compare_sweeps.lua says what differs)
same() { "$RANKHOST" "$RH_SOURCE/tests/sh/compare_sweeps.lua" "$1" "$2" > "$tmp/cmp.log" 2>&1 || { cat "$tmp/cmp.log"; false; }; }
lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
trained() { grep -c "epoch 1/" "$1"; }
