#!/bin/bash
# test_problem1_wd_sweep.sh - scripts/problem1_wd_sweep.lua end to end on a tiny sweep (3
# weight decays, 3 seeds, a few epochs): every output is written; summary.csv has a
# validation and a test accuracy for every network; facts.json names the weight decay chosen
# on validation, the answer with its rule and the gap measure; too few training images for
# --train-size + --val-size is refused naming both; a second start trains nothing.
set -u
data=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
E=("$RANKHOST" --threads 1 "$RH_SOURCE/scripts/problem1_wd_sweep.lua" --quick --data-dir "$data" --train-split test
  --train-size 96 --val-size 64 --test-size 100 --hidden 16 --max-epochs 4 --probe 32 --jobs 2)
"${E[@]}" --out "$T/s" > "$T/log1" 2>&1
check "the sweep exits 0" '[ $? -eq 0 ] || { cat "$T/log1"; false; }'
for f in summary.csv facts.json report.md config.json runs.jsonl rank_vs_wd.png; do
  check "$f written" '[ -s "$T/s/$f" ]'
done
check "summary.csv: 9 networks, each with validation and test accuracy" \
  '[ "$(awk -F, '"'"'NR > 1 && $8 != "" && $9 != ""'"'"' "$T/s/summary.csv" | wc -l)" = 9 ]'
check "facts.json: the chosen weight decay, the answer and its rule, measure gap" \
  'grep -q "\"chosen\":{" "$T/s/facts.json" && grep -q "\"rule\":\"highest mean validation accuracy\"" "$T/s/facts.json" &&
   grep -q "\"answer\":{\"answer\":\"[a-z ]*\",\"family\":\"first\",\"rule\":\"plateaus\"}" "$T/s/facts.json" &&
   grep -q "\"measure\":\"gap\"" "$T/s/facts.json"'
"${E[@]}" --out "$T/s" > "$T/log2" 2>&1
check "a second start trains nothing" '[ $? -eq 0 ] && grep -q "9 of 9 networks already finished" "$T/log2"'
"${E[@]}" --out "$T/big" --train-size 9000 --val-size 2000 > "$T/log3" 2>&1
check "too few images is refused naming both options" \
  '[ $? -ne 0 ] && grep -q -- "--train-size 9000 + --val-size 2000" "$T/log3" || { cat "$T/log3"; false; }'
exit $fail
