#!/bin/bash
# test_problem2.sh - scripts/problem2.lua end to end on tiny data (the Fashion-MNIST 10k
# test set of Debian's dataset-fashion-mnist, alone in a folder, so 1/6 of it is held out):
# two pruning iterations with every output, the resume of a finished run, a policy file
# written outside the project, --help, and usage errors.
set -u
RANKHOST=${RANKHOST:?} RH_SOURCE=${RH_SOURCE:?}
"$RANKHOST" -e 'os.exit((rh.nn and rh.optim and rh.data and rh.linalg and rh.rank and rh.json and rh.save and rh.io) and 0 or 77)' \
  || { echo "SKIP: needs rh.nn, rh.optim, rh.data, rh.rank, rh.json, rh.io and rh.save"; exit 77; }
FASHION=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$FASHION/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $FASHION: apt-get install dataset-fashion-mnist"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DATA=$TMP/fashion-t10k  # links to the test split only
mkdir "$DATA" && ln -s "$FASHION"/t10k-*-ubyte.gz "$DATA"/ || exit 1
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; fail=1; fi; }
P2="$RH_SOURCE/scripts/problem2.lua"
TINY=(--dataset fashion-mnist --data-dir "$DATA" --train-size 1200 --test-size 400 --hidden 24,16 --epochs 1
      --sample 200 --max-iters 2 --margin 1)

# two iterations of the fixed-fraction policy (its widths always change) with QR keep + refit
"$RANKHOST" "$P2" "${TINY[@]}" --policy fraction --schedule gamma --init qr --out "$TMP/run" > "$TMP/log" 2>&1
check "run exits 0" "[ $? -eq 0 ]" || cat "$TMP/log"
check "three rows in iterations.csv" "[ \$(wc -l < $TMP/run/iterations.csv) -eq 4 ]"
check "csv header" "head -1 $TMP/run/iterations.csv | grep -q '^iteration,widths,neurons,parameters,train_acc,test_acc,epochs,seconds,cum_seconds,cum_flops,weight_decay'"
check "widths halve" "grep -q '^2,6;4,' $TMP/run/iterations.csv"
check "gamma schedule doubles weight decay" "awk -F, 'NR==4 {exit !(\$11 > 0.0019 && \$11 < 0.0021)}' $TMP/run/iterations.csv"
for f in report.md baselines.csv accuracy_vs_time.png widths.png spectra-iter-0.png spectra-iter-2.png \
         history/iter-0.json history/iter-2.json checkpoints/iter-2.safetensors state.json; do
  check "output $f" "[ -s $TMP/run/$f ]"
done
check "magnitude baseline rows" "[ \$(grep -c '^magnitude' $TMP/run/baselines.csv) -eq 2 ]"
check "dense baseline rows" "grep -q '^dense' $TMP/run/baselines.csv"
check "report names the stop" "grep -q 'max-iters' $TMP/run/report.md"

# a finished run resumes without training again
"$RANKHOST" "$P2" "${TINY[@]}" --policy fraction --schedule gamma --init qr --out "$TMP/run" > "$TMP/log2" 2>&1
check "resume exits 0" "[ $? -eq 0 ]" || cat "$TMP/log2"
check "resume trains nothing" "grep -q 'resuming after iteration 2' $TMP/log2 && ! grep -q '^iteration' $TMP/log2"
# an interrupted run (state after iteration 1) continues at iteration 2
cp -r "$TMP/run" "$TMP/cut"
"$RANKHOST" -e "
  local st = rh.json.decode(io.open('$TMP/cut/state.json'):read('a'))
  st.iteration = 1; st.stop_reason = nil; st.baselines = nil; st.rows[3] = nil; st.specs[3] = nil
  st.cum_seconds = st.rows[2].cum_seconds; st.cum_flops = st.rows[2].cum_flops
  rh.io.write_atomic('$TMP/cut/state.json', rh.json.encode(st))"
"$RANKHOST" "$P2" "${TINY[@]}" --policy fraction --schedule gamma --init qr --out "$TMP/cut" --no-baselines > "$TMP/log3" 2>&1
check "interrupted run resumes at iteration 2" "grep -q 'resuming after iteration 1' $TMP/log3 && grep -q '^iteration 2:' $TMP/log3 && ! grep -q '^iteration 1:' $TMP/log3" || cat "$TMP/log3"
check "resumed csv has three rows" "[ \$(wc -l < $TMP/cut/iterations.csv) -eq 4 ]"
check "other settings refuse the checkpoint" "! \"$RANKHOST\" \"$P2\" \"\${TINY[@]}\" --policy energy --out $TMP/cut > /dev/null 2>&1"

# a policy written outside the project, with its own init, through --param
cat > "$TMP/halve_first.lua" <<'POLICY'
-- keeps the second layer, shrinks the first to its rank or by `factor`, whichever is smaller
local rh = require "rankhost"
return {
  widths = function(stats, ctx)
    local f = ctx.options.params.factor or 0.5
    local first = math.min(stats[1].rank.numerical, math.floor(stats[1].width * f))
    return { math.max(first, 2), stats[2].width }
  end,
  init = function(model, old, stats, ctx) ctx.options.params.init_called = true; return model end,
}
POLICY
"$RANKHOST" "$P2" "${TINY[@]}" --policy "$TMP/halve_first.lua" --param factor=0.25 --schedule cosine \
  --no-baselines --out "$TMP/ext" > "$TMP/log4" 2>&1
check "external policy runs" "[ $? -eq 0 ]" || cat "$TMP/log4"
check "external policy widths" "grep -q '^1,6;16,' $TMP/ext/iterations.csv"
check "external policy's init used" "grep -q ',policy,' $TMP/ext/iterations.csv"

# --help and usage errors (exit 2, a message naming the option)
"$RANKHOST" "$P2" --help > "$TMP/help"
check "--help exits 0" "[ $? -eq 0 ]"
for o in policy schedule init dataset out quick max-iters margin baselines restart; do
  check "--help lists --$o" "grep -q -- '--$o' $TMP/help"
done
"$RANKHOST" "$P2" --bogus > /dev/null 2> "$TMP/err"; rc=$?
check "unknown option exits 2" "[ $rc -eq 2 ] && grep -q 'unknown option --bogus' $TMP/err"
"$RANKHOST" "$P2" --init magic > /dev/null 2> "$TMP/err"; rc=$?
check "bad --init exits 2" "[ $rc -eq 2 ] && grep -q -- '--init' $TMP/err"
"$RANKHOST" "$P2" --policy nosuch > /dev/null 2> "$TMP/err"; rc=$?
check "missing policy exits 2" "[ $rc -eq 2 ] && grep -q \"cannot load policy 'nosuch'\" $TMP/err"
echo 'return {}' > "$TMP/empty.lua"
"$RANKHOST" "$P2" --schedule "$TMP/empty.lua" > /dev/null 2> "$TMP/err"; rc=$?
check "schedule without weight_decay exits 2" "[ $rc -eq 2 ] && grep -q \"function 'weight_decay'\" $TMP/err"
exit $fail
