#!/bin/bash
# test_problem1_width_depth.sh - scripts/problem1_width_depth.lua end to end on a tiny
# factorial (widths 16 and 32 x depths 1 and 2, 3 seeds, a few epochs): every output is
# written; summary.csv has one row per network; facts.json holds the answer with its rule, a
# plateau fit per family and depth (no hidden-to-hidden family at depth 1) and the gap
# measure; report.md names the measure and docs/calibration.md; a second start trains nothing.
set -u
data=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
E=("$RANKHOST" --threads 1 "$RH_SOURCE/scripts/problem1_width_depth.lua" --quick --data-dir "$data" --train-split test
  --train-size 96 --test-size 100 --widths 16,32 --depths 1,2 --max-epochs 4 --probe 32 --jobs 2 --out "$T/w")
"${E[@]}" > "$T/log1" 2>&1
check "the factorial exits 0" '[ $? -eq 0 ] || { cat "$T/log1"; false; }'
for f in summary.csv facts.json report.md config.json runs.jsonl width_first.png; do
  check "$f written" '[ -s "$T/w/$f" ]'
done
check "summary.csv: 12 networks" '[ "$(tail -n +2 "$T/w/summary.csv" | wc -l)" = 12 ]'
check "summary.csv: every row has the header's cells, wall_s a time at depth 1 too (no column shifted)" \
  'python3 -c "
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
h = rows[0]; w = h.index(\"wall_s\")
assert all(len(r) == len(h) for r in rows[1:]), [len(r) for r in rows]
assert all(float(r[w]) > 0 for r in rows[1:])
assert any(r[h.index(\"depth\")] == \"1\" for r in rows[1:])
" "$T/w/summary.csv"'
check "facts.json: the answer with its rule, measure gap" \
  'grep -q "\"answer\":{\"answer\":\"[a-z ]*\",\"family\":\"first\",\"rule\":\"task_property\"}" "$T/w/facts.json" &&
   grep -q "\"measure\":\"gap\"" "$T/w/facts.json"'
check "facts.json: 5 plateau fits (first and classifier at 2 depths, hidden at depth 2)" \
  '[ "$(grep -o "\"plateau_slope\"\|\"slope_all\"" "$T/w/facts.json" | grep -c slope_all)" = 5 ]'
check "report.md: the answer, the measure and the calibration" \
  'grep -q "^## Answer" "$T/w/report.md" && grep -q "docs/calibration.md" "$T/w/report.md"'
"${E[@]}" > "$T/log2" 2>&1
check "a second start trains nothing" '[ $? -eq 0 ] && grep -q "12 of 12 networks already finished" "$T/log2"'
exit $fail
