#!/bin/bash
# test_notebook.sh - scripts/notebook.lua end to end on tiny data: where MNIST is not found,
# Fashion-MNIST (Debian's dataset-fashion-mnist) stands in and the report says so; meta.csv
# has a row per meta-iteration and depth, each meta-iteration's widths the last one's next
# widths; history.jsonl a line per network per epoch; the report names every defect with its
# option, tabulates the widths and says whether they reached a fixed point; the figures are
# drawn; a folder of t10k files only is split; --optimizer sgd --weight-decay and --measure
# switch their defects off; --stop-on validation holds a validation set out; the study driver's
# folder (config.json, a finished folder trains nothing, other settings refused, a killed start
# continues to the same results); usage errors.
set -u
RANKHOST=${RANKHOST:?} RH_SOURCE=${RH_SOURCE:?}
FASHION=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$FASHION/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $FASHION: apt-get install dataset-fashion-mnist"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1   # no ./data/mnist here
unset RH_DATA_DIR
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; fail=1; fi; }
NB="$RH_SOURCE/scripts/notebook.lua"
TINY=(--train-size 200 --test-size 100 --width 16 --epochs 4 --meta-iters 2 --depths 2,3 --measure energy --tol 0.9)

"$RANKHOST" "$NB" "${TINY[@]}" --out "$TMP/a" > "$TMP/log" 2>&1; rc=$?
check "a tiny run exits 0" "[ $rc -eq 0 ]" || cat "$TMP/log"
R="$TMP/a/report.md"
check "Fashion-MNIST stands in for MNIST, and the report says so" "grep -q 'Fashion-MNIST stands in' '$R'"
check "meta.csv: a header and 2 meta-iterations x 2 depths" "[ \$(wc -l < '$TMP/a/meta.csv') -eq 5 ]"
check "history.jsonl: 2 meta-iterations x 4 epochs x 2 networks" "[ \$(wc -l < '$TMP/a/history.jsonl') -eq 16 ]"
# meta 2's widths are meta 1's next widths (columns found by their header names)
chain=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { if ($c["meta"] == 1) nxt[$c["n_layers"]] = $c["next_widths"]; else if ($c["widths"] != nxt[$c["n_layers"]]) bad = 1 }
  END { print (NR == 5 && !bad) ? "kept" : "broken" }' "$TMP/a/meta.csv")
check "each meta-iteration starts from the last one's next widths" "[ '$chain' = kept ]"
check "the first meta-iteration's widths are --width, a list joined by ;" "grep -q '^meta1-n2,1,2,16;16;16,' '$TMP/a/meta.csv'"
bools=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { if ($c["evolved"] !~ /^(true|false)$/ || $c["fixed"] !~ /^(true|false)$/) bad = 1 } END { print bad ? "bad" : "ok" }' "$TMP/a/meta.csv")
check "meta.csv's booleans are true/false" "[ '$bools' = ok ]"
check "every history row carries its network's id" "[ \$(grep -c '\"id\":\"meta[12]-n[23]\"' '$TMP/a/history.jsonl') -eq 16 ]"
for opt in "--optimizer sgd --weight-decay W" "--measure NAME" "--device cpu" "--batches 64" "--stop-on validation"; do
  check "the report names the option $opt" "grep -q -- '$opt' '$R'"
done
check "the widths table has a column per depth" "grep -q '| meta-iteration | epochs | evolved | n_layers 2 | n_layers 3 |' '$R'"
check "the report compares the ranks with initialisation" "grep -q 'below full rank at init' '$R'"
check "the report says whether the widths reached a fixed point" "grep -q -E 'n_layers 3: (fixed point at|no fixed point in)' '$R'"
check "the rank measure is named" "grep -q 'energy rank (tol 0.9)' '$R'"
if "$RANKHOST" -e 'os.exit(rh.plot.available() and 0 or 1)'; then
  check "7 figures per network" "[ \$(ls '$TMP/a'/n*_*.png | wc -l) -eq 14 ]"
  check "the report shows them" "grep -q '!\[n3_rank_vs_epoch.png\](n3_rank_vs_epoch.png)' '$R'"
fi
check "the defects the run keeps are marked as kept" "grep -q '| two batch sizes per epoch |.*| kept (as the notebook) |' '$R'"
check "--measure switched the tolerance defect off" "grep -q '| float-precision rank tolerance |.*| switched off |' '$R'"

# the study driver's folder: config.json records the settings; a second start on the finished
# folder trains nothing and writes the same tables; a start with other settings is refused; a
# start killed in meta-iteration 2 (runs.jsonl holding only meta-iteration 1's record)
# continues there, to the same results (time columns and fields aside)
check "config.json records the study and its settings" "grep -q '\"study\":\"notebook\"' '$TMP/a/config.json' && grep -q '\"measure\":\"energy\"' '$TMP/a/config.json'"
check "runs.jsonl: a record per meta-iteration" "[ \$(wc -l < '$TMP/a/runs.jsonl') -eq 2 ]"
untimed() { cut -d, -f1-21 "$1/meta.csv"; sed 's/"train_seconds":[^,}]*//' "$1/history.jsonl"; }
untimed "$TMP/a" > "$TMP/a.untimed"
"$RANKHOST" "$NB" "${TINY[@]}" --out "$TMP/a" > "$TMP/log" 2>&1; rc=$?
check "a second start on a finished folder exits 0" "[ $rc -eq 0 ]" || cat "$TMP/log"
check "... and trains nothing" "grep -q 'continuing: 2 of 2 meta-iterations already finished' '$TMP/log' && ! grep -q '^run ' '$TMP/log' && [ \$(wc -l < '$TMP/a/runs.jsonl') -eq 2 ]"
check "... and writes the same meta.csv and history.jsonl" "untimed '$TMP/a' | cmp -s - '$TMP/a.untimed'"
"$RANKHOST" "$NB" "${TINY[@]}" --seed 2 --out "$TMP/a" > "$TMP/log" 2>&1; rc=$?
check "a start with other settings on the same --out is refused, naming the setting" \
  "[ $rc -eq 2 ] && grep -q 'other settings: --seed (was 1, now 2)' '$TMP/log' && [ \$(wc -l < '$TMP/a/runs.jsonl') -eq 2 ]"
mkdir "$TMP/k" && cp "$TMP/a/config.json" "$TMP/k/" && head -1 "$TMP/a/runs.jsonl" > "$TMP/k/runs.jsonl" || exit 1
"$RANKHOST" "$NB" "${TINY[@]}" --resume --out "$TMP/k" > "$TMP/log" 2>&1; rc=$?
check "a start killed in meta-iteration 2 continues there" "[ $rc -eq 0 ] && grep -q 'continuing: 1 of 2' '$TMP/log' && grep -q '^run .*meta2' '$TMP/log' && ! grep -q '^run .*meta1' '$TMP/log'" || cat "$TMP/log"
check "... to the same meta.csv and history.jsonl as one start" "untimed '$TMP/k' | cmp -s - '$TMP/a.untimed'"
"$RANKHOST" "$NB" "${TINY[@]}" --resume --out "$TMP/none" > "$TMP/log" 2>&1; rc=$?
check "--resume of a folder without a study is refused" "[ $rc -eq 2 ] && [ ! -e '$TMP/none' ]"

# the intended experiment, a folder with only the t10k files, a validation set
mkdir "$TMP/t10k" && ln -s "$FASHION"/t10k-*-ubyte.gz "$TMP/t10k"/ || exit 1
"$RANKHOST" "$NB" "${TINY[@]}" --meta-iters 1 --dataset fashion-mnist --data-dir "$TMP/t10k" --optimizer sgd \
  --weight-decay 5e-3 --lr 0.05 --batches 32 --stop-on validation --validation 0.2 --no-figures --out "$TMP/b" \
  > "$TMP/log" 2>&1; rc=$?
check "SGD with weight decay on a t10k-only folder exits 0" "[ $rc -eq 0 ]" || cat "$TMP/log"
R="$TMP/b/report.md"
check "the t10k split is said" "grep -q 'only the 10k test split was found' '$R'"
check "a validation set is held out" "grep -q '/ 100 test / 1667 validation' '$R'"
check "the weight-decay defect is off" "grep -q '| no weight decay |.*| switched off |' '$R'"
check "one pass: 200 / 32 -> 7 steps an epoch" "grep -q '\"steps\":7' '$TMP/b/history.jsonl'"

# usage errors
"$RANKHOST" "$NB" --measure bogus --out "$TMP/c" > "$TMP/log" 2>&1; rc=$?
check "an unknown measure is a usage error naming the measures" "[ $rc -eq 2 ] && grep -q 'must be one of numerical' '$TMP/log'"
"$RANKHOST" "$NB" --weight-decy 1 > "$TMP/log" 2>&1; rc=$?
check "an unknown option is a usage error" "[ $rc -eq 2 ] && grep -q 'unknown option --weight-decy' '$TMP/log'"
"$RANKHOST" "$NB" --data-dir "$TMP/nothing" --out "$TMP/c" > "$TMP/log" 2>&1; rc=$?
check "a --data-dir without MNIST is refused (no stand-in for a folder named)" "[ $rc -eq 2 ] && grep -q 'not found' '$TMP/log'"
"$RANKHOST" "$NB" --help > "$TMP/log" 2>&1; rc=$?
check "--help lists --full and --quick" "[ $rc -eq 0 ] && grep -q -- '--full' '$TMP/log' && grep -q -- '--quick' '$TMP/log'"
exit $fail
