#!/bin/bash
# test_calibrate.sh - scripts/calibrate.lua --quick end to end: calibration.csv has one row
# per task, layer family and measure with the columns issue 22 names (read with Python's csv
# module), every verdict is one of yes/no/cannot tell, report.md opens with the table and
# says which measure recovers k (or that none does); a second start trains nothing; --wd 0
# is a usage error (status 2) naming the option.
set -u
data=/usr/share/datasets/fashion-mnist
[ -f "$data/train-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
C="$RH_SOURCE/scripts/calibrate.lua"
cal() { "$RANKHOST" --threads 1 "$C" --quick --data-dir "$data" --jobs 2 --out "$out/c" "$@"; }

cal > "$out/log1" 2>&1
check "the quick study exits 0" '[ $? -eq 0 ] || { cat "$out/log1"; false; }'
for f in calibration.csv report.md facts.json runs.jsonl config.json; do check "$f exists" '[ -s "$out/c/$f" ]'; done
python3 - "$out/c" > "$out/py.log" 2>&1 <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/calibration.csv")))
need = ["task", "family", "measure", "n", "n_fit", "slope", "slope_lo", "slope_hi", "intercept", "intercept_lo", "intercept_hi",
        "worst_ratio", "worst_ratio_lo", "worst_ratio_hi", "recovers", "follows_C"]
for c in need:
    assert c in rows[0], "calibration.csv lacks " + c
tasks = {r["task"] for r in rows}
assert tasks == {"linear", "multi_index", "teacher", "parity", "teacher_C", "fmnist"}, tasks
measures = {r["measure"] for r in rows}
for m in ["energy", "gavish_donoho", "spikes", "gap", "floor"]:
    assert m in measures, m
assert len(rows) == len(tasks) * 4 * len(measures), len(rows)
for r in rows:
    assert r["recovers"] in ("yes", "no", "cannot tell"), r
    assert r["n"] == "3", r
    if r["slope"] not in ("", "nan"):
        float(r["slope"])
    if r["family"] in ("last_hidden", "classifier") and r["task"] != "linear" and r["task"] != "multi_index":
        assert r["follows_C"] in ("yes", "no", "cannot tell"), r
import json
facts = json.load(open(sys.argv[1] + "/facts.json"))
assert len(facts["facts"]) == len(rows) and "recovers" in facts["rules"], facts.keys()
by = {(f["task"], f["family"], f["measure"]): f for f in facts["facts"]}
for r in rows:
    assert by[(r["task"], r["family"], r["measure"])]["recovers"] == r["recovers"], r
print("parsed", len(rows))
PY
check "calibration.csv: a row per task, family and measure" '[ $? -eq 0 ] || { cat "$out/py.log"; false; }'
check "report.md opens with the table" 'head -5 "$out/c/report.md" | grep -q "| measure | linear | multi-index |"'
check "report.md names the measures that recover k, or says none does" \
  'grep -q "^\*\*The measure(s) that recover k\|^\*\*No measure recovers k" "$out/c/report.md"'
cal > "$out/log2" 2>&1
check "a second start trains nothing" '[ $? -eq 0 ] && grep -q "48 of 48 networks already finished" "$out/log2" || { cat "$out/log2"; false; }'
"$RANKHOST" "$C" --wd 0 --out "$out/bad" > "$out/log3" 2>&1
st=$?
check "--wd 0 is a usage error" '[ $st -eq 2 ] && grep -q -- "--wd must be > 0" "$out/log3"'
exit $fail
