#!/bin/bash
# test_problem2.sh - scripts/problem2.lua end to end on tiny data (the Fashion-MNIST 10k test
# set of Debian's dataset-fashion-mnist, alone in a folder, so 1/6 of it is held out): a
# policy file that answers a width of 0 at iteration 2 is refused with a message naming the
# file and the layer, the iterations before stay on disk, and after the fix the same command
# continues after them and writes every output (iterations.csv with its fixed_point column,
# the four baselines over 3 seeds, the teacher table, the report with its headline); a study
# that is finished trains nothing again; a policy that keeps the widths stops at a fixed point
# at once; other settings, --help and usage errors.
set -u
RANKHOST=${RANKHOST:?} RH_SOURCE=${RH_SOURCE:?}
"$RANKHOST" -e 'os.exit((rh.nn and rh.optim and rh.data and rh.linalg and rh.rank and rh.json and rh.save and rh.io and rh.proc) and 0 or 77)' \
  || { echo "SKIP: needs rh.nn, rh.optim, rh.data, rh.rank, rh.json, rh.io, rh.proc and rh.save"; exit 77; }
FASHION=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$FASHION/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $FASHION: apt-get install dataset-fashion-mnist"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DATA=$TMP/fashion-t10k  # links to the test split only
mkdir "$DATA" && ln -s "$FASHION"/t10k-*-ubyte.gz "$DATA"/ || exit 1
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; fail=1; fi; }
P2="$RH_SOURCE/scripts/problem2.lua"
TINY=(--data-dir "$DATA" --train-size 480 --test-size 300 --hidden 24,16 --seeds 3 --min-horizon 0.2
      --max-epochs 3 --rank-every 1 --rank-patience 2 --cooldown 1 --max-iters 2 --margin 1 --sample 100
      --teacher-widths 4 --teacher-n 300 --teacher-val 100 --teacher-dim 8 --teacher-hidden 12 --teacher-max-iters 2
      --val-size 200 --jobs 2 --inherit none --no-narrow --teacher-kind regress)

# a policy that halves every layer, but answers a width of 0 for layer 1 at iteration 2
cat > "$TMP/halve.lua" <<'POLICY'
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = math.max(1, s.width // 2) end
    if ctx.iteration == 2 and not ctx.options.params.fixed then w[1] = 0 end
    return w
  end,
}
POLICY
"$RANKHOST" "$P2" "${TINY[@]}" --policy "$TMP/halve.lua" --out "$TMP/run" > "$TMP/log1" 2> "$TMP/err1"; rc=$?
check "a zero width is refused (exit 1)" "[ $rc -eq 1 ]" || cat "$TMP/log1" "$TMP/err1"
check "the message names the policy file and the layer" \
  "grep -q 'policy $TMP/halve.lua (deciding iteration 2): the width of layer 1 is 0; a width must be >= 1' $TMP/err1" \
  || cat "$TMP/err1"
check "the message says the run continues after the fix" "grep -q 'continues after the fix' $TMP/err1"
ITERS="$TMP/run/iterations/p2-1-img-constant-s1.jsonl"
check "iterations 0 and 1 stay on disk" "[ \$(wc -l < $ITERS) -eq 2 ]"
check "dense networks are recorded" "[ \$(grep -c '\"kind\":\"dense\"' $TMP/run/runs.jsonl) -eq 6 ]"

# the fix: the same command (the policy file edited in place) continues after iteration 1
sed -i 's/ and not ctx.options.params.fixed//; s/then w\[1\] = 0 end/then w[1] = math.max(1, w[1]) end/' "$TMP/halve.lua"
"$RANKHOST" "$P2" "${TINY[@]}" --policy "$TMP/halve.lua" --out "$TMP/run" > "$TMP/log2" 2>&1
check "after the fix the run exits 0" "[ $? -eq 0 ]" || cat "$TMP/log2"
check "it continues after iteration 1" "grep -q 'p2-1-img-constant-s1: continuing after iteration 1' $TMP/log2"
check "and does not train the dense networks again" "! grep -q 'dense\]' $TMP/log2"
check "iteration 2 of that run" "grep -q 'p2-1-img-constant-s1 iteration 2:' $TMP/log2 && ! grep -q 'p2-1-img-constant-s1 iteration 1:' $TMP/log2"
for f in report.md facts.json iterations.csv loops.csv baselines.csv teacher.csv pareto.csv runs.jsonl config.json \
         accuracy_vs_time.png pareto_params.png pareto_flops.png pareto_seconds.png widths.png spectra.png teacher_widths.png checkpoints/p2-1-img-s1-dense.safetensors \
         checkpoints/p2-1-img-constant-s1/iter-2.safetensors; do
  check "output $f" "[ -s $TMP/run/$f ]"
done
"$RANKHOST" -e "local _, m = rh.load('$TMP/run/checkpoints/p2-1-img-constant-s1/iter-2.safetensors')
  print(m.study, m.id, m.iteration, m.seed ~= nil, m.architecture)" > "$TMP/meta" 2>&1
cat "$TMP/meta"
check "checkpoints carry study, id, seed, iteration and architecture" \
  "grep -Eq '^problem2	p2-1-img-constant-s1	2	true	784(-r?[0-9:]+)+-10$' $TMP/meta"
check "iterations.csv has a fixed_point column" "head -1 $TMP/run/iterations.csv | grep -q ',fixed_point,'"
check "iterations.csv names the measure of its ranks" "head -1 $TMP/run/iterations.csv | grep -q ',ranks,rank_measure,' && grep -q '^p2-1-img-constant-s1,img,constant,1,2,6;4,.*,energy,' $TMP/run/iterations.csv"
check "three iterations per image run (0..2: the cap)" "[ \$(grep -c '^p2-1-img-constant-s1,' $TMP/run/iterations.csv) -eq 3 ]"
check "widths halve" "grep -q '^p2-1-img-constant-s1,img,constant,1,2,6;4,' $TMP/run/iterations.csv"
check "gamma 0.5 halves the weight decay" "awk -F, '\$1 == \"p2-1-img-gamma0.5-s1\" && \$5 == 1 {found = (\$16 > 0.00249 && \$16 < 0.00251)} END {exit !found}' $TMP/run/iterations.csv"
check "gamma 2 doubles it" "awk -F, '\$1 == \"p2-1-img-gamma2-s1\" && \$5 == 1 {found = (\$16 > 0.0099 && \$16 < 0.0101)} END {exit !found}' $TMP/run/iterations.csv"
for m in same_time magnitude scratch; do
  check "baseline $m: 3 seeds x 3 variants" "[ \$(grep -c ',$m,img,' $TMP/run/baselines.csv) -eq 9 ]"
done
check "baseline cuttlefish: 3 seeds" "[ \$(grep -c ',cuttlefish,img,' $TMP/run/baselines.csv) -eq 3 ]"
check "the rank-blind loop halves every layer: a point per iteration" \
  "grep -q '^p2-1-img-s1-halve,img,halve,1,1,12;8,' $TMP/run/iterations.csv && grep -q '^halve every layer,,1,3,' $TMP/run/pareto.csv"
check "lottery tickets: 3 rounds, each a point of the fronts with half the weights of the one before" \
  "grep -q '^lottery ticket (rewind),,3,3,' $TMP/run/pareto.csv && [ \$(grep -c ',lottery,img,' $TMP/run/baselines.csv) -eq 3 ]"
check "Cuttlefish with its early switch: 3 seeds, a point of the fronts" \
  "[ \$(grep -c ',cuttlefish_early,img,' $TMP/run/baselines.csv) -eq 3 ] && grep -q '^cuttlefish (early switch),,,3,' $TMP/run/pareto.csv"
check "one-shot rank pruning: 3 thresholds x 3 seeds, each a point of the fronts" \
  "[ \$(grep -c ',oneshot,img,' $TMP/run/baselines.csv) -eq 9 ] && grep -q '^one-shot rank (energy 0.9),,,3,' $TMP/run/pareto.csv"
check "the teacher table has w* = 4, from the dense student" "grep -q '^regress,4,from dense,12,3,' $TMP/run/teacher.csv"
check "pareto.csv: the dense point, each loop iteration and each baseline a point" \
  "grep -q '^dense,,0,3,' $TMP/run/pareto.csv && grep -q '^loop (fresh),constant,2,3,' $TMP/run/pareto.csv \
   && grep -q '^magnitude,gamma 0.5,,3,' $TMP/run/pareto.csv && grep -q '^cuttlefish,,,3,' $TMP/run/pareto.csv"
check "the headline is restated on the fronts" "grep -q 'On the Pareto fronts' $TMP/run/report.md && grep -q 'Front of FLOPs' $TMP/run/report.md"
check "the report states the bar" "grep -q 'The bar (at least 98% of dense accuracy' $TMP/run/report.md"
check "the report has the teacher table" "grep -q 'Ground truth: teacher MLPs' $TMP/run/report.md"
check "the report says how runs stopped" "grep -q 'cap: 2 iterations' $TMP/run/report.md"
check "facts.json holds the bar's verdict and the best variant the report names" "\"\$RANKHOST\" -e '
  local fh = io.open(\"$TMP/run/facts.json\"); local f = rh.json.decode(fh:read(\"a\")); fh:close()
  local rep = io.open(\"$TMP/run/report.md\"):read(\"a\")
  assert(f.thresholds.BAR.acc == 0.98 and f.headline.bar.acc.rule == \"criterion\")
  local label; for _, v in ipairs(f.variants) do if v.variant == f.best then label = v.label end end
  assert(rep:find(\"best configuration: the \" .. label .. \" variant\", 1, true))'"

# a finished study trains nothing again
"$RANKHOST" "$P2" "${TINY[@]}" --policy "$TMP/halve.lua" --out "$TMP/run" > "$TMP/log3" 2>&1
check "a finished study exits 0" "[ $? -eq 0 ]" || cat "$TMP/log3"
check "and trains nothing" "grep -q 'continuing: 66 of 66 runs already finished' $TMP/log3 && ! grep -q '^run ' $TMP/log3"
"$RANKHOST" "$P2" "${TINY[@]}" --policy "$TMP/halve.lua" --margin 0.5 --out "$TMP/run" > /dev/null 2> "$TMP/err4"; rc=$?
check "other settings are refused (exit 2)" "[ $rc -eq 2 ] && grep -q 'holds a study with other settings: --margin (was 1, now 0.5)' $TMP/err4"

# a policy that keeps every width: a fixed point after the dense network
cat > "$TMP/keep.lua" <<'POLICY'
return { widths = function(stats) local w = {} for i, s in ipairs(stats) do w[i] = s.width end return w end }
POLICY
"$RANKHOST" "$P2" "${TINY[@]}" --seeds 1 --schedule constant --teacher-widths none --no-baselines \
  --policy "$TMP/keep.lua" --out "$TMP/keep" > "$TMP/log5" 2>&1
check "keep policy exits 0" "[ $? -eq 0 ]" || cat "$TMP/log5"
check "fixed point at iteration 0" "grep -q '^p2-1-img-constant-s1,img,constant,1,0,24;16,.*,24;16,true,true,[0-9;]*,gap_full$' $TMP/keep/iterations.csv"
check "the loop record says fixed_point" "grep -q 'fixed_point after 0 iterations' $TMP/log5"

# the inherited twin: each iteration from the previous network cut by --inherit's surgery
cat > "$TMP/halve2.lua" <<'POLICY'
return { widths = function(stats) local w = {} for i, s in ipairs(stats) do w[i] = math.max(1, s.width // 2) end return w end }
POLICY
"$RANKHOST" "$P2" "${TINY[@]}" --schedule constant --teacher-widths none --no-baselines --inherit qr \
  --policy "$TMP/halve2.lua" --out "$TMP/inh" > "$TMP/log6" 2>&1
check "inherit qr exits 0" "[ $? -eq 0 ]" || cat "$TMP/log6"
check "an inherited twin per seed, its iterations by qr" \
  "[ \$(grep -c '^p2-1-img-constant-s[123]-inherit,img,constant,[123],[12],.*,qr,' $TMP/inh/iterations.csv) -eq 6 ]"
check "the report compares inherited with fresh" \
  "grep -q 'Inherited weights against fresh initialisation' $TMP/inh/report.md && grep -q 'paired by seed, n = 3' $TMP/inh/report.md \
   && grep -q 'at the same widths (iteration 1, equal in 3 of 3 seeds)' $TMP/inh/report.md"

# the start-narrow arm under the default (calibrated) policy: the image task from 16-16 and the
# teacher from floor(0.25 x w*) = 1, under constant decay (its margin reads its own best iteration)
"$RANKHOST" "$P2" "${TINY[@]}" --narrow --teacher-kind regress,classify --policy calibrated --schedule constant --no-baselines --max-iters 3 \
  --teacher-max-iters 3 --out "$TMP/narrow" > "$TMP/log7" 2>&1
check "the narrow arm exits 0" "[ $? -eq 0 ]" || cat "$TMP/log7"
check "a narrow run per seed and task (image, regress and classify teachers)" "grep -q '9 narrow' $TMP/log7 && [ \$(grep -c '^p2-1-.*-s[123]-narrow,narrow,' $TMP/narrow/loops.csv) -eq 9 ] \
  && grep -q '^classify,4,from narrow,1,3,' $TMP/narrow/teacher.csv && grep -q '^p2-1-c4-s1-narrow,c4,constant,1,0,1,' $TMP/narrow/iterations.csv"
check "its iteration 0 is its own start" "grep -q '^p2-1-img-s1-narrow,img,constant,1,0,16;16,' $TMP/narrow/iterations.csv \
  && grep -q '^p2-1-t4-s1-narrow,t4,constant,1,0,1,' $TMP/narrow/iterations.csv \
  && [ -s $TMP/narrow/checkpoints/p2-1-img-s1-narrow/iter-0.safetensors ]"
check "a teacher of width 1 used fully grows past the slack" "grep -q '^p2-1-t4-s[123]-narrow,t4,constant,[123],1,[3-9],' $TMP/narrow/iterations.csv"
check "the teacher table has both arms and the target" "grep -q '^regress,4,from narrow,1,3,' $TMP/narrow/teacher.csv \
  && head -1 $TMP/narrow/teacher.csv | grep -q ',landing_over_wstar_mean,landing_over_wstar_ci95,target,runs_in_target,'"
check "the report has the widening section and the width measure" \
  "grep -q 'Widening: the image task started narrow' $TMP/narrow/report.md && grep -q 'width measure gap_full' $TMP/narrow/report.md"
check "the headline says whether fixed points exist under constant decay and where the rank lands against w*" \
  "grep -q '^\*\*Fixed points under constant weight decay\*\*.*image, from narrow [0-3] of 3 ([0-3] within[^;]*); regress teachers, from dense [0-3] of 3 ([0-3] within[^;]*); regress teachers, from narrow [0-3] of 3' $TMP/narrow/report.md \
   && grep -q 'regress w\* = 4 from narrow: landing / w\* ' $TMP/narrow/report.md"

# the regression teacher (--teacher-kind regress): MSE training, R^2 scores, the same tables
"$RANKHOST" "$P2" "${TINY[@]}" --narrow --no-baselines --schedule constant --out "$TMP/reg" > "$TMP/log8" 2>&1
check "the regression teacher exits 0" "[ $? -eq 0 ]" || cat "$TMP/log8"
check "its teacher table has both arms, one kind" "grep -q '^regress,4,from dense,12,3,' $TMP/reg/teacher.csv && grep -q '^regress,4,from narrow,1,3,' $TMP/reg/teacher.csv \
  && ! grep -q '^classify,' $TMP/reg/teacher.csv"
check "its scores are R^2 (at most 1) and the report says so" \
  "awk -F, '\$2 == \"t4\" && \$10 != \"\" {n++; if (\$10 > 1) bad = 1} END {exit !(n > 0 && !bad)}' $TMP/reg/iterations.csv \
   && grep -q 'regress: y = V relu(W x)' $TMP/reg/report.md"

# --help and usage errors (exit 2, a message naming the option or file)
"$RANKHOST" "$P2" --help > "$TMP/help"
check "--help exits 0" "[ $? -eq 0 ]"
for o in policy width-measure narrow narrow-hidden narrow-fraction schedule init out quick jobs max-iters margin fp-slack fp-rel-slack baselines teacher-widths seeds; do
  check "--help lists --$o" "grep -q -- '--$o ' $TMP/help"
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
echo 'return { weight_decay = function() return 1 end }' > "$TMP/one.lua"
"$RANKHOST" "$P2" --schedule "$TMP/one.lua" > /dev/null 2> "$TMP/err"; rc=$?
check "a schedule that moves iteration 0 exits 2" "[ $rc -eq 2 ] && grep -q 'iteration 0 is the dense network' $TMP/err"
"$RANKHOST" "$P2" --narrow-hidden 8 > /dev/null 2> "$TMP/err"; rc=$?
check "--narrow-hidden must match --hidden (exit 2)" "[ $rc -eq 2 ] && grep -q -- '--narrow-hidden: give 2 widths' $TMP/err"
"$RANKHOST" "$P2" --teacher-kind regres > /dev/null 2> "$TMP/err"; rc=$?
check "an unknown --teacher-kind exits 2" "[ $rc -eq 2 ] && grep -q -- \"--teacher-kind: unknown kind 'regres'\" $TMP/err"
"$RANKHOST" "$P2" --teacher-widths 200 > /dev/null 2> "$TMP/err"; rc=$?
check "w* above the input dimension exits 2" "[ $rc -eq 2 ] && grep -q 'larger than --teacher-dim' $TMP/err"
exit $fail
