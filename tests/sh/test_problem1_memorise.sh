#!/bin/bash
# test_problem1_memorise.sh - scripts/problem1_memorise.lua end to end on a tiny grid (2 weight
# decays x noise 0 and 0.5 and the random-label control x one size, 3 seeds, a few epochs):
# every output is written; cells.csv has one row per cell; summary.csv a memorised fraction
# for every network with flipped labels and none at noise 0; facts.json holds both answers
# with their rules and the gap measure; report.md names the measure and docs/calibration.md;
# a second start trains nothing.
set -u
data=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
E=("$RANKHOST" --threads 1 "$RH_SOURCE/scripts/problem1_memorise.lua" --quick --data-dir "$data" --train-split test
  --sizes 96 --test-size 100 --hidden 32 --weight-decays 0.001,0.005 --noise-levels 0,0.5 --max-epochs 4 --probe 32
  --jobs 2 --out "$T/m")
"${E[@]}" > "$T/log1" 2>&1
check "the grid exits 0" '[ $? -eq 0 ] || { cat "$T/log1"; false; }'
for f in summary.csv cells.csv facts.json report.md config.json runs.jsonl; do
  check "$f written" '[ -s "$T/m/$f" ]'
done
check "cells.csv: 2 weight decays x 3 noise levels" '[ "$(tail -n +2 "$T/m/cells.csv" | wc -l)" = 6 ]'
check "summary.csv: 18 networks" '[ "$(tail -n +2 "$T/m/summary.csv" | wc -l)" = 18 ]'
# column 14 is the memorised fraction, column 4 the label noise
check "a memorised fraction at noise > 0, none at noise 0" \
  '[ "$(awk -F, '"'"'NR > 1 && $4 > 0 && $14 != ""'"'"' "$T/m/summary.csv" | wc -l)" = 12 ] &&
   [ "$(awk -F, '"'"'NR > 1 && $4 == 0 && $14 == ""'"'"' "$T/m/summary.csv" | wc -l)" = 6 ]'
check "facts.json: both answers with their rule, measure gap" \
  'grep -q "\"answer_memorised\":{\"answer\":\"[a-z ]*\",\"rule\":\"all_agree\"}" "$T/m/facts.json" &&
   grep -q "\"answer_gap\":" "$T/m/facts.json" && grep -q "\"measure\":\"gap\"" "$T/m/facts.json" &&
   grep -q "\"MEMORISATION_ONSET\":0.5" "$T/m/facts.json"'
check "report.md: answers, the measure and the calibration" \
  'grep -q "^## Answers" "$T/m/report.md" && grep -q "docs/calibration.md" "$T/m/report.md" &&
   grep -q "random-label control" "$T/m/report.md"'
"${E[@]}" > "$T/log2" 2>&1
check "a second start trains nothing" '[ $? -eq 0 ] && grep -q "18 of 18 networks already finished" "$T/log2"'
exit $fail
