-- compare_devices.lua - rankhost bench/compare_devices.lua DIR_A DIR_B [LABEL]: do two
-- problem 1 output folders of the same settings, trained on two devices (or with two BLAS
-- kernels), agree within the tolerances below? Used by bench/device_check.sh.
--
-- The two runs do the same arithmetic in another order (cuBLAS or another sgemm kernel sums
-- in another order than OpenBLAS's), so they agree to float32 round-off only until training
-- starts; after thousands of SGD steps the trajectories have separated. Hence three tiers:
--   set-up     run ids, and every non-numeric field (architecture, kind, status, ...):
--              equal; except the stop rule's outcome (STOP_LABELS), which may differ in at
--              most STOP_LABEL_SHARE of the runs (a run can stop at another check);
--   init       init.* (measured on the initial weights, before any step): float32 round-off,
--              |a - b| <= INIT_RTOL * max(|a|, |b|) + 1e-6, and integer ranks within 1 (a
--              singular value on a threshold may fall on either side);
--   trained    every other number: |a - b| <= TRAINED_RTOL * scale + atol, scale = max(|a|,
--              |b|) (for a list, the largest |element| of either: a spectrum is compared
--              relative to its top singular value), atol = TRAINED_ATOL (2 for integers).
--   unstable   the gap rank (and gap_full) of a gradient or of an activation (layers.*.grad_ranks.gap,
--              layers.*.activation_ranks.gap and the figures read from them): the position
--              of the largest ratio s_i / s_(i+1) of a spectrum that has no clear gap is
--              decided by round-off (the CPU null of 2026-12-01, a reordering of sgemm's
--              sums: a gradient's 29 vs 2, an activation's 2 vs 9), so no tolerance tells a
--              device's error from the measure's own instability there; counted and shown,
--              never judged.
-- Timing fields (common/results.lua's TIMING) are skipped.
-- Prints one line per tier (values compared, the largest |a - b| / tolerance and where),
-- headline differences, and a last line "verdict: PASS" or "verdict: FAIL"; exits 0 / 1.
local a_dir, b_dir, label = ...
assert(a_dir and b_dir, "usage: rankhost bench/compare_devices.lua DIR_A DIR_B [LABEL]")
label = label or (a_dir .. " vs " .. b_dir)
local src = os.getenv("RH_SOURCE") or "."
package.path = src .. "/scripts/?.lua;" .. package.path
local results = require "common.results"

local INIT_RTOL = 1e-4
local TRAINED_RTOL, TRAINED_ATOL, TRAINED_ATOL_INT = 0.5, 0.05, 2
local STOP_LABELS = { stopped = true, rule = true, converged = true, saturated = true, saturation = true,
  norms_stationary = true }
local STOP_LABEL_SHARE = 0.2

local tiers = {}
for _, name in ipairs { "set-up", "init", "trained", "unstable" } do
  tiers[name] = { n = 0, worst = 0, where = "", fails = {} }
end
-- trained fields in the unstable tier (above): the gap rank of gradients and activations and
-- the network figures read from the activations' gap ranks
local UNSTABLE = { "%.grad_ranks%.gap$", "%.activation_ranks%.gap$", "activation_normalized:gap$", "last_hidden:gap$",
  "%.grad_ranks%.gap_full$", "%.activation_ranks%.gap_full$", "activation_normalized:gap_full$", "last_hidden:gap_full$" }
local label_runs, heads = {}, { test_acc = 0, rank = 0, epochs = 0 }

local function note(tier, where, ratio, what)
  local t = tiers[tier]
  t.n = t.n + 1
  if ratio > t.worst then t.worst, t.where = ratio, where .. " (" .. what .. ")" end
  if ratio > 1 and #t.fails < 8 then t.fails[#t.fails + 1] = where .. ": " .. what end
end

local function is_int(x) return math.type(x) == "integer" or (x == math.floor(x) and math.abs(x) < 2 ^ 31) end

local function numbers(tier, x, y, where, scale)
  if tier == "trained" then
    for _, pat in ipairs(UNSTABLE) do if where:match(pat) then tier = "unstable" end end
  end
  local d = math.abs(x - y)
  local what = string.format("%.9g vs %.9g", x, y)
  if x ~= x or y ~= y then note(tier, where, (x ~= x and y ~= y) and 0 or math.huge, what); return end
  local tol
  if tier == "init" then
    tol = (is_int(x) and is_int(y)) and 1 or INIT_RTOL * math.max(math.abs(x), math.abs(y)) + 1e-6
  else
    tol = TRAINED_RTOL * (scale or math.max(math.abs(x), math.abs(y)))
      + ((is_int(x) and is_int(y)) and TRAINED_ATOL_INT or TRAINED_ATOL)
  end
  note(tier, where, d / tol, what)
end

local function list_scale(x, y)
  local s = 0
  for _, v in ipairs(x) do if type(v) == "number" then s = math.max(s, math.abs(v)) end end
  for _, v in ipairs(y) do if type(v) == "number" then s = math.max(s, math.abs(v)) end end
  return s
end

local function walk(tier, x, y, where, scale, run)
  if type(x) == "number" and type(y) == "number" then
    numbers(tier, x, y, where, scale)
  elseif type(x) == "table" and type(y) == "table" then
    local s = (#x > 0 and type(x[1]) == "number") and list_scale(x, y) or nil
    for k, v in pairs(x) do walk(tier, v, y[k], where .. "." .. tostring(k), s, run) end
    for k in pairs(y) do if x[k] == nil then note("set-up", where .. "." .. tostring(k), math.huge, "only in B") end end
  elseif x ~= y then
    local key = where:match("%.([^.]+)$")
    if STOP_LABELS[key] and tier ~= "init" then
      label_runs[run] = (label_runs[run] or "") .. " " .. key .. "=" .. tostring(x) .. "/" .. tostring(y)
    else
      note("set-up", where, math.huge, tostring(x) .. " vs " .. tostring(y))
    end
  else
    note("set-up", where, 0, "equal")
  end
end

local ra, rb = results.read(a_dir), results.read(b_dir)
local ids, runs = {}, 0
for id in pairs(ra) do ids[#ids + 1] = id end
table.sort(ids)
for id in pairs(rb) do if not ra[id] then note("set-up", "run " .. id, math.huge, "only in B") end end
local timing = {}
for _, k in ipairs(results.TIMING.record) do timing[k] = true end
for _, id in ipairs(ids) do
  local a, b = ra[id], rb[id]
  if not b then
    note("set-up", "run " .. id, math.huge, "only in A")
  else
    runs = runs + 1
    for k, v in pairs(a) do
      if not timing[k] then walk(k == "init" and "init" or "trained", v, b[k], id .. "." .. k, nil, id) end
    end
    for k in pairs(b) do if a[k] == nil then note("set-up", id .. "." .. k, math.huge, "only in B") end end
    local fa, fb = a.final or {}, b.final or {}
    if fa.test_acc and fb.test_acc then heads.test_acc = math.max(heads.test_acc, math.abs(fa.test_acc - fb.test_acc)) end
    if a.epochs and b.epochs then heads.epochs = math.max(heads.epochs, math.abs(a.epochs - b.epochs)) end
    for i, r in ipairs(a.ranks_after_cooldown or {}) do
      local s = (b.ranks_after_cooldown or {})[i]
      if s then heads.rank = math.max(heads.rank, math.abs(r - s)) end
    end
  end
end

local labelled = 0
for _ in pairs(label_runs) do labelled = labelled + 1 end
local ok = runs > 0 and labelled <= STOP_LABEL_SHARE * runs
print(string.format("compare %s: %d runs in both", label, runs))
for _, name in ipairs { "set-up", "init", "trained", "unstable" } do
  local t = tiers[name]
  if name ~= "unstable" then ok = ok and t.worst <= 1 end
  print(string.format("  %-8s %6d values, worst |a-b|/tolerance %.3g%s", name, t.n, t.worst,
    t.worst > 0 and (" at " .. t.where) or ""))
  for _, f in ipairs(t.fails) do print("    beyond tolerance" .. (name == "unstable" and " (not judged): " or ": ") .. f) end
end
print(string.format("  stop-rule outcomes differ in %d of %d runs (allowed: %d%%)", labelled, runs,
  math.floor(STOP_LABEL_SHARE * 100 + 0.5)))
for id, what in pairs(label_runs) do print("    " .. id .. ":" .. what) end
print(string.format("  largest differences: test accuracy %.4f, layer rank after cooldown %d, epochs %d",
  heads.test_acc, heads.rank, heads.epochs))
print("verdict: " .. (ok and "PASS" or "FAIL"))
os.exit(ok and 0 or 1)
