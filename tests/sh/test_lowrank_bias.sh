#!/bin/bash
# test_lowrank_bias.sh - scripts/lowrank_bias.lua end to end on a tiny grid (2 batch sizes x 2
# weight decays x 2 seeds, 3 epochs, the Fashion-MNIST 10k test set split): grid.csv has a
# row per network with the columns the issue names, the report states each of the three
# trends and the horizon, the figures exist; a second start trains nothing; options out of
# range are usage errors (status 2) naming the option.
set -u
data=/usr/share/datasets/fashion-mnist
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
G="$RH_SOURCE/scripts/lowrank_bias.lua"
TINY=(--dataset fashion_mnist --data-dir "$data" --train-split test --holdout 0.25 --train-subset 600 --test-subset 200
  --hidden 16 --epochs 3 --batches 16,64 --wds 0,0.01 --seeds 2 --probe 64 --jobs 2)
grid() { "$RANKHOST" --threads 1 "$G" "${TINY[@]}" --out "$out/g" "$@"; }

grid > "$out/log1" 2>&1
check "the grid exits 0" '[ $? -eq 0 ] || { cat "$out/log1"; false; }'
for f in grid.csv report.md facts.json runs.jsonl config.json rank_vs_batch.png rank_vs_horizon.png; do
  check "$f exists" '[ -s "$out/g/$f" ]'
done
cat > "$out/parse.lua" <<'LUA'
local dir = ...
local rows, cols = rh.log.read_csv(dir .. "/grid.csv")
assert(#rows == 8, "2 x 2 x 2 networks, got " .. #rows)
local have = {}
for _, c in ipairs(cols) do have[c] = true end
for _, c in ipairs { "batch", "lr", "weight_decay", "seed", "epochs", "wd_horizon", "normalized_rank", "bottleneck_rank",
                     "test_accuracy", "measure" } do
  assert(have[c], "grid.csv lacks " .. c)
end
for _, r in ipairs(rows) do
  assert(r.measure == "relative" and r.epochs == 3 and r.status == "ok", "row " .. r.id)
  local want_h = r.lr * r.weight_decay * math.ceil(600 / r.batch) * 3
  assert(math.abs(r.wd_horizon - want_h) < 1e-9, r.id .. ": horizon " .. r.wd_horizon .. " vs " .. want_h)
  assert(r.normalized_rank > 0 and r.normalized_rank <= 1, "normalised rank")
end
-- every run records its network's ranks at initialisation, before any step, and runs of one
-- seed start from the same network
local init = {}
for _, r in ipairs(rh.log.read_jsonl(dir .. "/runs.jsonl")) do
  assert(r.init and #r.init.layers == #r.architecture - 1, r.id .. ": ranks at initialisation")
  local x = r.init.network["normalized:relative"]
  assert(type(x) == "number" and x > 0 and x <= 1, r.id .. ": normalised rank at initialisation")
  assert(init[r.run_seed] == nil or init[r.run_seed] == x, r.id .. ": one seed, one initial network")
  init[r.run_seed] = x
end
local rep = io.open(dir .. "/report.md"):read("a")
for _, s in ipairs { "**Smaller batch, lower rank.**", "**Larger weight decay, lower rank.**",
                     "**No weight decay, no low-rank bias.**", "**The horizon.**", "(H " } do
  assert(rep:find(s, 1, true), "report lacks " .. s)
end
-- facts.json: the settled count agrees with grid.csv and with the sentence that states it
local fh = io.open(dir .. "/facts.json"); local facts = rh.json.decode(fh:read("a")); fh:close()
local settled = 0
for _, r in ipairs(rows) do if r.ranks_settled == "true" or r.ranks_settled == true then settled = settled + 1 end end
assert(facts.settled.settled == settled and facts.settled.runs == #rows, "settled: facts.json against grid.csv")
assert(rep:find(string.format("In %d of %d runs", settled, #rows), 1, true), "settled: the sentence")
assert(facts.trends.batch.rule == "rho_sign" and facts.trends.batch.verdict, "a trend's verdict and rule")
print("parsed")
LUA
"$RANKHOST" "$out/parse.lua" "$out/g" > "$out/parse.log" 2>&1
check "grid.csv and the report" '[ $? -eq 0 ] || { cat "$out/parse.log"; false; }'
grid > "$out/log2" 2>&1
check "a second start trains nothing" '[ $? -eq 0 ] && grep -q "8 of 8 networks already finished" "$out/log2" && ! grep -q "epoch 1/" "$out/log2"'

usage() {
  local name=$1 pattern=$2; shift 2
  "$RANKHOST" "$G" "$@" > "$out/err" 2>&1
  check "$name: status 2" '[ $? -eq 2 ] && grep -q -- "$pattern" "$out/err" || { cat "$out/err"; false; }'
}
usage "batch larger than the data" "--batches: batch 900 is larger than the data (--train-subset 600)" \
  --train-subset 600 --batches 16,900 --out "$out/u"
usage "negative weight decay" "bad value '0,-1e-3' for --wds: must be >= 0" --wds 0,-1e-3
usage "zero learning rate" "--lrs: a learning rate must be > 0" --lrs 0 --out "$out/u"
usage "other settings in the same --out" "holds a study with other settings: --epochs (was 3, now 4); use the same settings" \
  "${TINY[@]}" --epochs 4 --out "$out/g"
usage "another --measure in the same --out" "holds a study with other settings: --measure (was \"relative\", now \"energy\")" "${TINY[@]}" --measure energy \
  --out "$out/g"
exit $fail
