# sweep_common.sh - sourced by test_shard_merge.sh and test_shard_mpi.sh: a tiny problem 1
# sweep (the Fashion-MNIST 10k test set split into train/test, 3 networks of 2 epochs, one of
# them on random labels (4 epochs, at least 3: its own saturation rule), one teacher network: 4 runs in a few seconds) with one BLAS thread, so that
# training is bit-for-bit reproducible whichever process trains a run.
# a test run inside a Slurm array job must not become a shard of it
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_STEP SLURM_ARRAY_TASK_COUNT \
  SLURM_STEP_NUM_TASKS
data=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
SWEEP_ARGS=(--quick --dataset fashion_mnist --data-dir "$data" --train-split test --holdout 0.25 --train-subset 800
  --test-subset 200 --n 3 --random-labels 0.34 --max-epochs 2 --random-max-epochs 4 --random-min-epochs 3
  --teacher-ranks 2 --teacher-n 300 --probe 64)
# sweep DIR [options...]: the sweep into DIR (one process)
sweep() { local dir=$1; shift; "$RANKHOST" --threads 1 "$RH_SOURCE/scripts/problem1.lua" "${SWEEP_ARGS[@]}" --out "$dir" "$@"; }
# same A B: the two folders hold the same sweep (compare_sweeps.lua says what differs)
same() { "$RANKHOST" "$RH_SOURCE/tests/sh/compare_sweeps.lua" "$1" "$2" > "$tmp/cmp.log" 2>&1 || { cat "$tmp/cmp.log"; false; }; }
lines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
trained() { grep -c "epoch 1/" "$1"; }
