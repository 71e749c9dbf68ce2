#!/bin/bash
# test_problem1_sweep.sh - scripts/problem1.lua end to end: a tiny sweep (the Fashion-MNIST
# 10k test set split into train/test, 2 epochs, one random-label run of 4-5 epochs under its own
# saturation rule, one teacher run) writes every
# output and each parses; a second run with the same --out trains nothing again; a torn last
# line is cut; --help and usage errors give status 0 and 2.
set -u
data=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
sweep() {
  "$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --quick --out "$out/s" --dataset fashion_mnist --data-dir "$data" \
    --train-split test --holdout 0.25 --train-subset 800 --test-subset 200 --n 3 --random-labels 0.34 \
    --max-epochs 2 --random-max-epochs 5 --random-min-epochs 4 --teacher-ranks 2 --teacher-n 300 --probe 64 "$@"
}

sweep > "$out/log1" 2>&1
check "first sweep exits 0" '[ $? -eq 0 ] || { cat "$out/log1"; false; }'
for f in runs.jsonl summary.csv classes.csv report.md config.json history/p1-1-1.jsonl history/p1-1-t2-1.jsonl \
         network_rank_vs_accuracy.png rank_vs_accuracy_per_layer.png norm_vs_accuracy.png loss_vs_accuracy.png \
         loss_over_epochs.png accuracy_over_epochs.png rank_over_epochs.png norm_over_epochs.png classes.png \
         spectra.png teacher_rank.png; do
  check "$f exists and is not empty" '[ -s "$out/s/$f" ]'
done
check "figures are PNG" '[ "$(head -c 4 "$out/s/spectra.png" | tail -c 3)" = "PNG" ]'
check "progress lines" 'grep -q "run 4/4 p1-1-t2-1" "$out/log1" && grep -q "epoch 2/2" "$out/log1"'
check "saturation rule printed" 'grep -q "saturation rule:" "$out/log1"'
check "random-label rule printed" 'grep -q "saturation rule of random-label runs: .*but not before epoch 4, or after 5 epochs" "$out/log1"'

# every JSON line parses and holds what the issue asks for
cat > "$out/parse.lua" <<'LUA'
local dir = ...
local function lines(path)
  local out = {}
  for l in io.lines(path) do out[#out + 1] = rh.json.decode(l) end
  return out
end
local runs = lines(dir .. "/runs.jsonl")
assert(#runs == 4, "4 runs, got " .. #runs)
local seen, kinds = {}, {}
for _, r in ipairs(runs) do
  assert(not seen[r.id], "duplicate " .. r.id); seen[r.id] = true
  kinds[r.kind] = true
  assert(r.status == "ok", r.id .. ": " .. tostring(r.status))
  for _, k in ipairs { "architecture", "hyper", "final", "layers", "network", "dataset", "wall_time", "epochs",
                       "num_parameters", "saturation" } do
    assert(r[k] ~= nil, r.id .. " lacks " .. k)
  end
  assert(#r.layers == #r.architecture - 1, "one entry per layer")
  for _, m in ipairs(rh.rank.measure_names) do
    assert(type(r.layers[1].ranks[m]) == "number", "convergent rank under " .. m)
    assert(type(r.layers[1].grad_ranks[m]) == "number", "gradient rank under " .. m)
  end
  assert(r.layers[1].spectral_norm > 0 and #r.layers[1].spectrum > 0, "norm and spectrum")
  assert(r.final.test_acc >= 0 and r.final.test_acc <= 1)
  local h = lines(dir .. "/history/" .. r.id .. ".jsonl")
  assert(#h == r.epochs, r.id .. ": one history line per epoch")
  assert(h[#h].layers[1].ranks.numerical, "history holds the ranks")
end
assert(kinds.real and kinds.random and kinds.teacher, "real, random and teacher runs")
-- the rule each run trained under: random-label runs their own (at least --random-min-epochs)
for _, r in ipairs(runs) do
  if r.kind == "random" then
    assert(r.rule == "random-labels", r.id .. ": rule " .. tostring(r.rule))
    assert(r.epochs >= 4 and r.epochs <= 5, r.id .. ": 4 or 5 epochs, got " .. r.epochs)
    assert(r.hyper.max_epochs == 5 and r.hyper.min_epochs == 4 and r.hyper.sat_patience == 10, r.id .. ": hyper")
    assert(r.saturation:find("not before epoch 4", 1, true), r.id .. ": rule text")
  else
    assert(r.rule == "standard" and r.epochs <= 2 and r.hyper.min_epochs == 0, r.id .. ": the sweep's rule")
  end
  assert(r.stopped == "saturated" or r.stopped == "max_epochs", r.id .. ": stopped " .. tostring(r.stopped))
end
local csv = io.open(dir .. "/summary.csv"):read("a")
local n = 0
for _ in csv:gmatch("\n") do n = n + 1 end
assert(n == 5, "summary.csv: header + 4 rows, got " .. n)
assert(csv:match("^id,kind,"), "summary header")
assert(csv:match("^[^\n]*,rule,stopped,epochs,"), "summary has the rule and how each run stopped")
assert(csv:match("\np1%-1%-3,random,[^\n]*,ok,random%-labels,"), "summary: the random run's rule")
assert(io.open(dir .. "/classes.csv"):read("l"):match("^class,measure,signature,size,members"), "classes header")
local rep = io.open(dir .. "/report.md"):read("a")
for _, s in ipairs { "## Setup", "Saturation rule", "Spearman", "random labels", "Teacher rank", "Equivalence classes",
                     "](spectra.png)", "rank measure",
                     "random-label rule", "memorised", "The random-label networks one by one" } do
  assert(rep:find(s, 1, true), "report.md lacks " .. s)
end
print("parsed")
LUA
"$RANKHOST" "$out/parse.lua" "$out/s" > "$out/parse.log" 2>&1
check "outputs parse and hold every field" '[ $? -eq 0 ] || { cat "$out/parse.log"; false; }'

# resume: a torn last line (a crash mid-write) is cut, nothing is trained again
cp "$out/s/runs.jsonl" "$out/runs.before"
printf '{"id":"p1-1-9","kind":"re' >> "$out/s/runs.jsonl"
sweep > "$out/log2" 2>&1
check "second sweep exits 0" '[ $? -eq 0 ] || { cat "$out/log2"; false; }'
check "second sweep trains nothing" '! grep -q "epoch 1/" "$out/log2" && grep -q "4 of 4 networks already finished" "$out/log2"'
check "torn line cut" 'grep -q "cut an incomplete last line" "$out/log2" && cmp -s "$out/s/runs.jsonl" "$out/runs.before"'
# a larger --n continues the same sweep: only the new network is trained
sweep --n 4 > "$out/log3" 2>&1
check "--n 4 trains one more" '[ "$(grep -c "epoch 1/" "$out/log3")" = 1 ] && [ "$(wc -l < "$out/s/runs.jsonl")" = 5 ]'

# usage
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --help > "$out/help" 2>&1
check "--help exits 0" '[ $? -eq 0 ]'
check "--help lists options with defaults" 'grep -q -- "--random-labels FRACTION" "$out/help" && grep -q "\[0.25\]" "$out/help"'
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --bogus > "$out/err" 2>&1
check "unknown option: status 2" '[ $? -eq 2 ] && grep -q "unknown option --bogus" "$out/err"'
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --n many > "$out/err" 2>&1
check "bad value: status 2" '[ $? -eq 2 ] && grep -q "bad value .many. for --n" "$out/err"'
sweep --random-min-epochs 3 > "$out/err" 2>&1
check "another random-label rule in the same --out: status 2" '[ $? -eq 2 ] && grep -q "random-min-epochs (was 4, now 3)" "$out/err"'
sweep --lr 0.2 > "$out/err" 2>&1
check "other settings in the same --out: status 2" '[ $? -eq 2 ] && grep -q "lr (was 0.05, now 0.2)" "$out/err"'
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --resume --out "$out/none" > "$out/err" 2>&1
check "--resume with nothing to resume: status 2" '[ $? -eq 2 ] && grep -q "no sweep to continue" "$out/err"'
exit $fail
