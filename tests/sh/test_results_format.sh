#!/bin/bash
# test_results_format.sh - one results format for every study (docs/results.md): a --quick
# study of each (problem 1, problem 2, the low-rank-bias grid; made smaller still so that the
# test is short) is read back file by file with Python's csv and json modules
# (check_results_format.py): rectangular CSVs, lists joined by ';', booleans true/false,
# every JSON-lines row of a run carrying its id, config.json naming its study.
set -u
command -v python3 > /dev/null || { echo "SKIP: no python3"; exit 77; }
data=/usr/share/datasets/fashion-mnist
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
DATA=$T/fashion-t10k
mkdir "$DATA" && ln -s "$data"/t10k-*-ubyte.gz "$DATA"/
S="$RH_SOURCE/scripts"
run() { local name=$1; shift; "$RANKHOST" --threads 1 "$S/$name.lua" --quick --jobs 2 --out "$T/$name" "$@" > "$T/$name.log" 2>&1; }

run problem1 --data-dir "$data" --train-split test --holdout 0.25 --train-size 600 --test-size 200 --n 2 --seeds 1 \
  --wd0-runs 1 --random-runs 1 --max-epochs 4 --min-horizon 0 --cooldown 1 --ladder-seeds 1 --teacher-n 300 \
  --parity-n 300 --noise-levels 0.5 --probe 64
check "problem 1 (--quick, smaller)" '[ $? -eq 0 ] || { tail "$T/problem1.log"; false; }'
run problem2 --data-dir "$DATA" --train-size 480 --test-size 300 --hidden 24,16 --seeds 3 --min-horizon 0.2 \
  --max-epochs 3 --rank-every 1 --rank-patience 2 --cooldown 1 --max-iters 2 --margin 1 --sample 100 \
  --teacher-widths 4 --teacher-n 300 --teacher-dim 8 --teacher-hidden 12 --teacher-max-iters 2
check "problem 2 (--quick, smaller)" '[ $? -eq 0 ] || { tail "$T/problem2.log"; false; }'
run lowrank_bias --data-dir "$data" --train-split test --holdout 0.25 --train-size 600 --test-size 200 --hidden 16 \
  --epochs 3 --batches 16,64 --wds 0,0.01 --probe 64
check "the low-rank-bias grid (--quick, smaller)" '[ $? -eq 0 ] || { tail "$T/lowrank_bias.log"; false; }'
for s in problem1 problem2 lowrank_bias; do
  python3 "$RH_SOURCE/tests/sh/check_results_format.py" "$s" "$T/$s" > "$T/$s.check" 2>&1
  check "$s: every output file reads with csv/json in the one format" '[ $? -eq 0 ] && cat "$T/$s.check" \
    || { cat "$T/$s.check"; false; }'
done
exit $fail
