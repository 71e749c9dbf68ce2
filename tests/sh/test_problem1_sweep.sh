#!/bin/bash
# test_problem1_sweep.sh - scripts/problem1.lua end to end on tiny data (the Fashion-MNIST 10k
# test set split into train/test, a few epochs): every kind of run (real, wd0 twin, random
# labels, a teacher rung) writes every output and each parses with the fields the report
# needs; a tiny ladder (two teacher ranks, two seeds) fills complexity.csv and its Spearman
# rows; the rank rule watches the headline measure and config.json records it (so that a second
# start with the same --out, which trains nothing again, keeps it) and a torn last line is cut;
# a larger --n continues the study; a study without weight decay runs; --help and usage
# errors (options out of range) exit 0/2.
set -u
data=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
P1="$RH_SOURCE/scripts/problem1.lua"
TINY=(--quick --dataset fashion-mnist --data-dir "$data" --train-split test --holdout 0.25 --train-size 800
  --test-size 200 --n 2 --seeds 1 --wd0-runs 1 --random-runs 1 --max-epochs 4 --min-horizon 0 --cooldown 1
  --rank-every 1 --rank-patience 2 --teacher-ranks 2 --teacher-n 300 --teacher-dim 16 --parity-k none
  --noise-levels none --ladder-seeds 1 --ladder-hidden 16 --probe 64 --jobs 1)
study() { "$RANKHOST" "$P1" "${TINY[@]}" --out "$out/s" "$@"; }

study > "$out/log1" 2>&1
check "first study exits 0" '[ $? -eq 0 ] || { cat "$out/log1"; false; }'
for f in runs.jsonl summary.csv classes.csv complexity.csv ladder_spearman.csv report.md facts.json config.json \
         history/p1-1-1-s1.jsonl history/p1-1-1-s1-wd0.jsonl history/p1-1-r1.jsonl history/p1-1-teacher2-s1.jsonl \
         normalized_by_kind.png twins.png rank_over_horizon.png spectra.png; do
  check "$f exists and is not empty" '[ -s "$out/s/$f" ]'
done
check "final weights of every network (rh.checkpoint)" '[ "$(ls "$out/s/weights" | wc -l)" = 5 ] &&
  "$RANKHOST" -e "local t, m = rh.load(\"$out/s/weights/p1-1-1-s1.safetensors\"); assert(m.id == \"p1-1-1-s1\" and m.study == \"problem1\" and t[\"model.1.weight\"])"'
check "figures are PNG" '[ "$(head -c 4 "$out/s/twins.png" | tail -c 3)" = "PNG" ]'
check "each figure also as SVG" '[ "$(head -c 5 "$out/s/twins.svg")" = "<?xml" ] && [ -s "$out/s/normalized_by_kind.svg" ]'
# without gnuplot (a machine lent for a GPU has none) the analysis is written, figures skipped
cp -r "$out/s" "$out/nognuplot" && rm -f "$out/nognuplot"/*.png "$out/nognuplot"/*.svg
RH_GNUPLOT=/nonexistent/gnuplot "$RANKHOST" "$P1" --merge --out "$out/nognuplot" > "$out/nog.log" 2>&1
check "without gnuplot --merge exits 0, writes the report, says the figures were not drawn" \
  '[ $? -eq 0 ] && [ -s "$out/nognuplot/report.md" ] && grep -q "figures not drawn: gnuplot was not found" "$out/nog.log" && ! ls "$out/nognuplot"/*.png >/dev/null 2>&1 || { cat "$out/nog.log"; false; }'
check "progress lines" 'grep -q "run 5/5 p1-1-teacher2-s1" "$out/log1" && grep -q "p1-1-1-s1 epoch 1/4" "$out/log1"'
check "the stop rule is printed" 'grep -q "stop rule: from the epoch where the weight-decay horizon reaches 0" "$out/log1"'
# the rank rule watches the headline measure (--rank-measure auto), recorded in config.json
check "config.json records the headline measure as the rank rule's" '"$RANKHOST" -e "
  local c, f = rh.json.decode(io.open(\"$out/s/config.json\"):read(\"a\")), rh.json.decode(io.open(\"$out/s/facts.json\"):read(\"a\"))
  assert(c.settings.rank_measure == f.measure and f.measure ~= \"auto\", tostring(c.settings.rank_measure))
  assert(c.rule:find(\"every Linear weight.s norm\") and c.rule:find(f.measure .. \" rank\", 1, true), c.rule)"'

cat > "$out/parse.lua" <<'LUA'
local dir = ...
local runs = rh.log.read_jsonl(dir .. "/runs.jsonl")
assert(#runs == 5, "5 runs, got " .. #runs)
local seen, kinds = {}, {}
for _, r in ipairs(runs) do
  assert(not seen[r.id], "duplicate " .. r.id); seen[r.id] = true
  kinds[r.kind] = r
  assert(r.status == "ok", r.id .. ": " .. tostring(r.status))
  for _, k in ipairs { "architecture", "hyper", "final", "layers", "network", "dataset", "wall_time", "epochs",
                       "num_parameters", "saturation", "converged", "wd_horizon", "stopped", "rule" } do
    assert(r[k] ~= nil, r.id .. " lacks " .. k)
  end
  assert(#r.layers == #r.architecture - 1, "one entry per layer")
  for _, m in ipairs(rh.rank.measure_names) do
    assert(type(r.layers[1].ranks[m]) == "number", "convergent rank under " .. m)
    assert(type(r.layers[1].grad_ranks[m]) == "number", "gradient rank under " .. m)
    assert(type(r.layers[1].activation_ranks[m]) == "number", "activation rank under " .. m)
    for _, f in ipairs { "bottleneck", "last_hidden", "classifier", "normalized" } do
      assert(type(r.network[f .. ":" .. m]) == "number", r.id .. ": network figure " .. f .. ":" .. m)
    end
  end
  assert(r.layers[1].spectral_norm > 0 and #r.layers[1].spectrum > 0, "norm and spectrum")
  -- the ranks at initialisation, recorded before the first step
  assert(r.init and #r.init.layers == #r.layers, r.id .. ": ranks at initialisation")
  for _, m in ipairs(rh.rank.measure_names) do
    assert(type(r.init.layers[1].ranks[m]) == "number", r.id .. ": initial rank under " .. m)
    for _, f in ipairs { "bottleneck", "classifier", "normalized", "sum", "min" } do
      assert(type(r.init.network[f .. ":" .. m]) == "number", r.id .. ": initial figure " .. f .. ":" .. m)
    end
  end
  assert(r.final.test_acc >= 0 and r.final.test_acc <= 1 and r.test_acc_before_cooldown, "accuracies")
  assert(r.hyper.min_epochs == 0 and r.hyper.max_epochs == 4 and r.epochs <= 4, r.id .. ": epochs")
  local h = rh.log.read_jsonl(dir .. "/history/" .. r.id .. ".jsonl")
  assert(#h == r.epochs, r.id .. ": one history line per epoch")
  assert(h[#h].layers[1].ranks.energy and h[#h].test_acc, "history holds every rank and the test accuracy")
end
assert(kinds.real and kinds.wd0 and kinds.random and kinds.teacher, "real, wd0, random and teacher runs")
assert(kinds.wd0.hyper.weight_decay == 0 and kinds.wd0.wd_horizon == 0, "wd0: no weight decay, horizon 0")
assert(kinds.wd0.twin == "p1-1-1-s1", "the twin")
for _, r in ipairs(runs) do
  if r.id == kinds.wd0.twin then
    assert(kinds.wd0.init.network["normalized:stable"] == r.init.network["normalized:stable"],
      "a twin starts from its draw's network")
  end
end
assert(kinds.real.wd_horizon > 0 and kinds.random.label_noise == 1 and kinds.teacher.level == 2, "fields")
local rows, cols = rh.log.read_csv(dir .. "/summary.csv")
assert(#rows == 5, "summary.csv: 5 rows")
local want = { "id", "kind", "level", "converged", "stopped", "epochs", "wd_horizon", "test_acc", "bottleneck:energy",
  "last_hidden:energy", "normalized:relative", "ranks:effective", "init_ranks:energy", "init_normalized:energy",
  "init_bottleneck:stable" }
local have = {}
for _, c in ipairs(cols) do have[c] = true end
for _, c in ipairs(want) do assert(have[c], "summary.csv lacks " .. c) end
local _, ccols = rh.log.read_csv(dir .. "/classes.csv")
assert(table.concat(ccols, ","):match("^class,group,measure,figure,signature,size,architectures,"), "classes header")
local rep = io.open(dir .. "/report.md"):read("a")
for _, s in ipairs { "## Findings", "## Setup", "## Controls side by side", "which measure", "## Equivalence classes",
                     "Weight decay against none", "## Trends", "## The complexity ladder", "Not converged",
                     "](twins.png)", "Control, weight decay 0", "Control, random labels", "Stop rule",
                     -- the wd0 twins against initialisation and against their draws: paired differences
                     "End minus initialisation, network by network: ", "Paired difference (wd > 0 minus wd 0): ",
                     -- tables name their rank measure in their headers
                     -- (the headline measure, chosen from the default calibration table: gap)
                     "| normalised gap rank (wd) | normalised gap rank (wd 0) | bottleneck gap rank (wd) |",
                     "| bottleneck gap rank | last hidden gap rank | first-layer gap rank |",
                     -- issue 22: the calibration table opens the report; collapse; nulls
                     "**Headline measure: gap**, chosen by the rule from the calibration table",
                     "default_calibration.csv", "## Neural collapse", "NC1 = Tr", "Against its null (architecture labels shuffled",
                     "| p (seeds in one class, null) |", "The same trends over architectures" } do
  assert(rep:find(s, 1, true), "report.md lacks " .. s)
end
assert(not rep:find("full rank (1.0)", 1, true), "no verdict from a fixed threshold without an interval")
-- facts.json: the numbers the sentences state, each verdict beside its rule
local fh = io.open(dir .. "/facts.json"); local facts = rh.json.decode(fh:read("a")); fh:close()
local c = facts.findings.convergence
assert(rep:find(string.format("%d of %d trained real-label networks", c.converged, c.trained), 1, true), "convergence fact")
assert(facts.thresholds.FOLLOWS_WIDTH == 0.9 and facts.rules.follows_width, "thresholds and rules in facts.json")
assert(#facts.measure_choice > 0 and facts.measure_choice[1].follows_rule == "follows_width", "measure verdicts")
assert(facts.findings.classes.rule == "classes_vs_architecture", "the classes verdict names its rule")
-- the headline measure came from the calibration table, and the report opens with it
assert(facts.measure == "gap" and facts.headline.how == "calibration" and facts.headline.default, "headline measure")
assert(rep:find("Headline measure", 1, true) < rep:find("## Findings", 1, true), "report.md opens with the calibration table")
-- NC1 and the rank above C - 1 of every measured network; the parity rungs (C = 2) collapse
local nc, collapsed = 0, 0
for _, r in ipairs(facts.collapse.rows) do
  if r.nc1 then nc = nc + 1 end
  assert(r.last_hidden_above == r.last_hidden - (r.classes - 1), "rank above C - 1")
end
assert(nc == #facts.collapse.rows and nc > 0, "NC1 of every network")
-- every class figure has its null, p in (0, 1], and the verdict decided by it
for _, row in ipairs(facts.measure_choice) do
  assert(row.null and row.null.consistency.p > 0 and row.null.consistency.p <= 1, "a null per figure")
  assert(row.null.rule == "beats_null" and row.null.bootstrap.draws == 200, "its rule and bootstrap")
  if row.null.verdict ~= "beats" then assert(row.verdict == "fails", "a figure that does not beat its null fails") end
end
assert(facts.findings.classes.null, "the headline classes' null")
assert(#facts.trends.by_architecture == 4 and facts.trends.by_architecture[1].rho[1].p, "trends over architectures")
print("parsed")
LUA
"$RANKHOST" "$out/parse.lua" "$out/s" > "$out/parse.log" 2>&1
check "outputs parse and hold every field" '[ $? -eq 0 ] || { cat "$out/parse.log"; false; }'

# resume: a torn last line (a crash mid-write) is cut, nothing is trained again
cp "$out/s/runs.jsonl" "$out/runs.before"
printf '{"id":"p1-1-9-s1","kind":"re' >> "$out/s/runs.jsonl"
study > "$out/log2" 2>&1
check "second start exits 0" '[ $? -eq 0 ] || { cat "$out/log2"; false; }'
check "second start trains nothing" '! grep -q "epoch 1/" "$out/log2" && grep -q "5 of 5 networks already finished" "$out/log2"'
check "torn line cut" 'grep -q "cut an incomplete last line" "$out/log2" && cmp -s "$out/s/runs.jsonl" "$out/runs.before"'
# a larger --n continues the same study: only the new architecture is trained
study --n 3 > "$out/log3" 2>&1
check "--n 3 trains one more" '[ "$(grep -c "epoch 1/" "$out/log3")" = 1 ] && [ "$(wc -l < "$out/s/runs.jsonl")" = 6 ]'

# a tiny ladder: two teacher ranks, two seeds each; complexity.csv and Spearman rows
"$RANKHOST" "$P1" "${TINY[@]}" --out "$out/l" --ladder only --teacher-ranks 1,4 --ladder-seeds 2 > "$out/log4" 2>&1
check "tiny ladder exits 0" '[ $? -eq 0 ] || { cat "$out/log4"; false; }'
cat > "$out/ladder.lua" <<'LUA'
local dir = ...
local runs = rh.log.read_jsonl(dir .. "/runs.jsonl")
assert(#runs == 4, "2 ranks x 2 seeds, got " .. #runs)
for _, r in ipairs(runs) do assert(r.kind == "teacher", "--ladder only trains no sweep") end
local rows = rh.log.read_csv(dir .. "/complexity.csv")
local levels = {}
for _, r in ipairs(rows) do
  assert(r.family == "teacher" and r.runs == 2, "a row per rung and measure")
  levels[r.level] = true
end
assert(levels[1] and levels[4], "both rungs")
assert(#rows == 2 * #rh.rank.measure_names, "every measure")
local sp = rh.log.read_csv(dir .. "/ladder_spearman.csv")
assert(#sp > 0 and sp[1].family == "teacher", "Spearman rows")
assert(io.open(dir .. "/report.md"):read("a"):find("Spearman's rho of the complexity level", 1, true), "report")
print("ladder ok")
LUA
"$RANKHOST" "$out/ladder.lua" "$out/l" > "$out/ladder.log" 2>&1
check "the ladder's tables" '[ $? -eq 0 ] || { cat "$out/ladder.log"; false; }'

# usage
"$RANKHOST" "$P1" --help > "$out/help" 2>&1
check "--help exits 0" '[ $? -eq 0 ]'
check "--help lists options with defaults" 'grep -q -- "--teacher-ranks K,K,..." "$out/help" && grep -q "\[1,2,4,8,16,32\]" "$out/help"'
usage() { # usage NAME PATTERN ARGS...: exit status 2 and a message matching PATTERN
  local name=$1 pattern=$2; shift 2
  "$RANKHOST" "$P1" "$@" > "$out/err" 2>&1
  check "$name: status 2" '[ $? -eq 2 ] && grep -q -- "$pattern" "$out/err" || { cat "$out/err"; false; }'
}
usage "unknown option" "unknown option --bogus" --bogus
usage "bad value" "bad value 'many' for --n" --n many
usage "teacher rank above the input dimension" "--teacher-ranks: rank 40 is larger than the input dimension --teacher-dim 32" \
  --teacher-ranks 2,40 --teacher-dim 32 --out "$out/u"
usage "parity order above the bits" "--parity-k: order 9 is larger than --parity-bits 8" --parity-k 9 --parity-bits 8 --out "$out/u"
usage "negative weight decay" "bad value '-0.1' for --weight-decay: must be >= 0" --weight-decay -0.1
usage "batch larger than the data" "--batch 900 is larger than the data (--train-size 800)" --train-size 800 --batch 900 --out "$out/u"
usage "noise level above 1" "bad value '0,1.5' for --noise-levels" --noise-levels 0,1.5
study --lr 0.2 > "$out/err" 2>&1
check "other settings in the same --out: status 2" '[ $? -eq 2 ] && grep -q "lr (was 0.1, now 0.2)" "$out/err"'
# without weight decay no run has a minimum of epochs (the horizon never grows): the plan's
# costs and the sweep's time estimates stay finite, with and without --min-horizon
for h in 1 0; do
  study --weight-decay 0 --min-horizon $h --ladder off --random-runs 0 --jobs 2 --out "$out/wd0-$h" > "$out/err" 2>&1
  check "--weight-decay 0 --min-horizon $h: a study runs" '[ $? -eq 0 ] && [ "$(wc -l < "$out/wd0-$h/runs.jsonl")" = 3 ] && [ -s "$out/wd0-$h/report.md" ] || { cat "$out/err"; false; }'
done
"$RANKHOST" "$P1" --resume --out "$out/none" > "$out/err" 2>&1
check "--resume with nothing to resume: status 2" '[ $? -eq 2 ] && grep -q "no study to continue" "$out/err"'
exit $fail
