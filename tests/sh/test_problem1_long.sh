#!/bin/bash
# test_problem1_long.sh - problem 1's --long equilibrium check end to end on tiny data: one
# sweep network and its long twin (the same run seed) trained on to a small --long-horizon;
# the long run reaches it, facts.json holds a row per measure and figure with both ranks, the
# paired difference and the verdict by the rule `equilibrium`, report.md has the section and
# the finding; every run records whether its weight norms stood still; --long-runs above --n
# and --long-at above --long-horizon are usage errors.
set -u
data=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
P1="$RH_SOURCE/scripts/problem1.lua"
TINY=(--quick --dataset fashion-mnist --data-dir "$data" --train-split test --holdout 0.25 --train-size 800
  --test-size 200 --n 1 --seeds 1 --wd0-runs 0 --random-runs 0 --max-epochs 4 --min-horizon 0 --cooldown 1
  --rank-every 1 --rank-patience 2 --ladder off --probe 64 --jobs 1 --width-max 32 --depth-max 1)
"$RANKHOST" "$P1" "${TINY[@]}" --long --long-runs 1 --long-horizon 0.3 --long-at 0.1 --out "$out/s" > "$out/log" 2>&1
check "the study with --long exits 0" '[ $? -eq 0 ] || { tail -20 "$out/log"; false; }'
check "the long run is trained" 'grep -q "p1-1-1-long0.3 ->" "$out/log"'
cat > "$out/parse.lua" <<'LUA'
local dir = ...
local fh = io.open(dir .. "/facts.json"); local f = rh.json.decode(fh:read("a")); fh:close()
local L = assert(f.long, "facts.long")
assert(#L.runs == 1 and L.runs[1].id == "p1-1-1-long0.3", "one long run")
assert(L.runs[1].late_h >= 0.3, "it reached --long-horizon")
assert(math.abs(L.runs[1].early_h - 0.1) < 0.05, "the early check near --long-at")
local seen = {}
for _, r in ipairs(L.rows) do
  assert(r.early.mean and r.late.mean and r.diff.mean and r.rule == "equilibrium", "a row's fields")
  assert(r.verdict == (r.within == r.n and "stationary" or "drifts"), "the verdict follows the count")
  seen[r.measure .. "/" .. r.figure] = true
end
assert(seen["gap/classifier"] and seen["energy/first_layer"] and not seen["floor/classifier"], "measures and figures")
local rec = {}
for line in io.lines(dir .. "/runs.jsonl") do local r = rh.json.decode(line); rec[r.id] = r end
assert(rec["p1-1-1-s1"].norms_stationary ~= nil and rec["p1-1-1-long0.3"].norms_stationary ~= nil, "norms verdicts")
assert(rec["p1-1-1-long0.3"].run_seed == rec["p1-1-1-s1"].run_seed, "the long run is the sweep run trained on")
local rep = io.open(dir .. "/report.md"):read("a")
assert(rep:find("## Equilibrium: the rank at H ~ 0.1 against H >= 0.3", 1, true), "the report's section")
assert(rep:find("**Equilibrium (--long).** Under gap", 1, true), "the finding names the headline measure")
print("parsed")
LUA
check "facts and report hold the equilibrium check" '"$RANKHOST" "$out/parse.lua" "$out/s" > "$out/parse.log" 2>&1 || { cat "$out/parse.log"; false; }'
"$RANKHOST" "$P1" "${TINY[@]}" --long --long-runs 2 --out "$out/t" > "$out/e1" 2>&1
check "--long-runs above --n is a usage error" '[ $? -eq 2 ] && grep -q "long-runs 2: only 1 architectures" "$out/e1"'
"$RANKHOST" "$P1" "${TINY[@]}" --long --long-runs 1 --long-at 20 --out "$out/t" > "$out/e2" 2>&1
check "--long-at above --long-horizon is a usage error" '[ $? -eq 2 ] && grep -q "long-at must be below" "$out/e2"'
exit $fail
