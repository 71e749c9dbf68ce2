-- report.lua - the calibration study's outputs: calibration.csv (one row per task, layer
-- family and measure: the fit log r = a + b log k over the task's ladder with intervals
-- over seeds, the worst r/k, the verdicts) and report.md, which opens with the table of
-- which measure recovers k on which task's first layer and names the measure(s) that do.
-- The arithmetic and the rules are calibrate/verdict.lua's.
local rh = require "rankhost"
local doc = require "common.report"
local stats = require "common.stats"
local cfacts = require "common.facts"
local prose = require "common.prose"
local V = require "calibrate.verdict"
local tasks = require "calibrate.tasks"
local regime = require "common.regime"

local M = {}

M.LADDERS = { "linear", "multi_index", "teacher", "parity", "teacher_C", "fmnist" }
M.K_TASKS = { "linear", "multi_index", "parity" } -- where the first layer's rank must be k (issue 22: done when)
M.LEARNED = 0.9 -- parity: a rung counts when every seed's test accuracy reaches this

-- A record's rung: k on the k ladders, C - 1 (the loss-set rank) on the C ladders.
local function rung_of(rec)
  if rec.kind == "teacher_C" or rec.kind == "fmnist" then return rec.C - 1 end
  return rec.k
end
M.rung_of = rung_of

-- The records of a task that count: ok, and for parity only the rungs every seed learned.
function M.usable(records, kind)
  local by_rung, out = {}, {}
  for _, r in ipairs(records) do
    if r.kind == kind and r.status == "ok" then
      by_rung[rung_of(r)] = by_rung[rung_of(r)] or {}
      table.insert(by_rung[rung_of(r)], r)
    end
  end
  local dropped = {}
  for rung, rs in pairs(by_rung) do
    local learned = true
    if kind == "parity" then for _, r in ipairs(rs) do if r.test_acc < M.LEARNED then learned = false end end end
    if learned then for _, r in ipairs(rs) do out[#out + 1] = r end else dropped[#dropped + 1] = rung end
  end
  table.sort(dropped)
  return out, dropped
end

-- Every (task, family, measure) fact: the ladder's fit and, for the last layers of a task
-- with classes, the follows-C verdict.
function M.facts(records)
  local facts = {}
  for _, kind in ipairs(M.LADDERS) do
    local recs, dropped = M.usable(records, kind)
    if #recs > 0 then
      for _, fam in ipairs(tasks.FAMILIES) do
        for _, m in ipairs(rh.rank.measure_names) do
          local pts, by_rung = {}, {}
          for _, r in ipairs(recs) do
            local v = r.layers[fam.layer].ranks[m]
            pts[#pts + 1] = { k = rung_of(r), seed = r.seed, r = v }
            local key = rung_of(r)
            by_rung[key] = by_rung[key] or { C = r.C, k = r.k, rs = {} }
            table.insert(by_rung[key].rs, v)
          end
          local f = V.ladder(pts)
          f.dropped = dropped
          if recs[1].C and (fam.name == "last_hidden" or fam.name == "classifier") then
            local cp = {}
            for _, b in pairs(by_rung) do cp[#cp + 1] = { C = b.C, k = b.k or 0, r = stats.mean(b.rs) } end
            f.follows_C, f.follows_C_why = V.follows_C(cp)
          end
          facts[#facts + 1] = { task = kind, family = fam.name, measure = m, f = f }
        end
      end
    end
  end
  return facts
end

local function yesno(v) return v == true and "yes" or v == false and "no" or "cannot tell" end

local function cell(f)
  if f.slope == nil then return string.format("no fit (%s), worst r/k %s: %s", f.unfit or "", doc.num(f.worst_ratio, 3),
    yesno(f.recovers)) end
  local part = f.n_fit < f.n and string.format(" (%d of %d seeds fitted: %s)", f.n_fit, f.n, f.unfit) or ""
  return string.format("b %s [%s, %s]%s, worst r/k %s: %s", doc.num(f.slope, 3), doc.num(f.slope_lo, 3),
    doc.num(f.slope_hi, 3), part, doc.num(f.worst_ratio, 3), yesno(f.recovers))
end

function M.write_all(out, o, records)
  local facts = M.facts(records)
  local header = {}
  for _, c in ipairs(V.COLUMNS) do header[#header + 1] = c end
  header[#header + 1] = "follows_C"
  local rows = {}
  local find = {}
  for _, x in ipairs(facts) do
    local r = V.row(x.task, x.family, x.measure, x.f)
    local line = {}
    for i, c in ipairs(V.COLUMNS) do line[i] = type(r[c]) == "boolean" and yesno(r[c]) or r[c] end
    line[#line + 1] = x.f.follows_C == nil and "" or yesno(x.f.follows_C)
    rows[#rows + 1] = line
    find[x.task .. "/" .. x.family .. "/" .. x.measure] = x.f
  end
  doc.write(out .. "/calibration.csv", doc.csv(header, rows))

  -- the opening table: every measure on each k task's first layer
  local d = doc.document()
  d:h(1, "Calibration of the rank measures on tasks of known rank")
  local trows, winners = {}, {}
  for _, m in ipairs(rh.rank.measure_names) do
    local line, all = { m }, true
    for _, kind in ipairs({ "linear", "multi_index", "teacher", "parity" }) do
      local f = find[kind .. "/first/" .. m]
      line[#line + 1] = f and cell(f) or "not run"
      if kind ~= "teacher" and not (f and f.recovers == true) then all = false end
    end
    trows[#trows + 1] = line
    if all then winners[#winners + 1] = m end
  end
  d:p(string.format("First layer, every measure: the fit log r = a + b log k over each task's ladder (b with its 95%% "
    .. "interval over %d seeds, the mean of each seed's fit), the worst r/k (each seed's ratio farthest from 1, "
    .. "mean over seeds), and whether the measure **recovers k**: that mean b in [%g, %g] and every rung's r/k "
    .. "(the rank's mean over seeds over k) in [%g, %g].", o.seeds, V.SLOPE_LO, V.SLOPE_HI, V.RATIO_LO, V.RATIO_HI))
  d:add(doc.md_table({ "measure", "linear", "multi-index", "teacher (C = " .. o.teacher_c .. ")", "parity" }, trows))
  if #winners > 0 then
    d:p("**The measure(s) that recover k on the first layer of the linear, multi-index and parity tasks: "
      .. table.concat(winners, ", ") .. ".**")
  else
    d:p("**No measure recovers k on the first layer of all of the linear, multi-index and parity tasks** "
      .. "(the rows above give, per task, the slope or the rung that fails the rule).")
  end
  -- the plainest number: networks whose first layer's rank is exactly the known k
  local erows = {}
  for _, m in ipairs(rh.rank.measure_names) do
    local line = { m }
    for _, kind in ipairs({ "linear", "multi_index", "teacher", "parity" }) do
      local recs = M.usable(records, kind)
      local hit = 0
      for _, r in ipairs(recs) do if r.layers[1].ranks[m] == rung_of(r) then hit = hit + 1 end end
      line[#line + 1] = #recs > 0 and string.format("%d of %d", hit, #recs) or "not run"
    end
    erows[#erows + 1] = line
  end
  d:p("Networks whose first-layer rank is exactly k, per measure (every seed and rung of the task):")
  d:add(doc.md_table({ "measure", "linear", "multi-index", "teacher", "parity" }, erows))
  -- why each measure fails where it does (the rule that decided)
  local why = {}
  for _, m in ipairs(rh.rank.measure_names) do
    local parts = {}
    for _, kind in ipairs(M.K_TASKS) do
      local f = find[kind .. "/first/" .. m]
      if f and f.recovers ~= true then parts[#parts + 1] = kind .. ": " .. f.why end
    end
    if #parts > 0 then why[#why + 1] = "- " .. m .. ": " .. table.concat(parts, "; ") end
  end
  if #why > 0 then
    d:p("Where a measure fails on the first layer of the linear, multi-index and parity tasks, the rule that "
      .. "decided (rung i is the i-th k of the ladder; r/k is the mean over seeds):")
    d:add(table.concat(why, "\n") .. "\n")
  end
  -- how well the networks learned each rung (a measure cannot find a rank the network did not learn)
  local prow = {}
  for _, kind in ipairs(M.LADDERS) do
    local by = {}
    local rungs = {}
    for _, r in ipairs(records) do
      if r.kind == kind and r.status == "ok" then
        local k = rung_of(r)
        if not by[k] then by[k] = {}; rungs[#rungs + 1] = k end
        table.insert(by[k], r.loss == "mse" and r.test_loss or r.test_acc)
      end
    end
    table.sort(rungs)
    if #rungs > 0 then
      local cells = {}
      for _, k in ipairs(rungs) do cells[#cells + 1] = string.format("%s: %s", k, prose.interval(cfacts.interval(by[k]), 3)) end
      local is_mse = kind == "linear" or kind == "multi_index"
      prow[#prow + 1] = { kind, (kind == "teacher_C" or kind == "fmnist") and "C - 1" or "k",
        is_mse and "test MSE" or "test accuracy", table.concat(cells, "; ") }
    end
  end
  d:p("How well the networks learned each rung (mean ± 95% interval over seeds):")
  d:add(doc.md_table({ "task", "rung", "metric", "per rung" }, prow))
  local _, dropped = M.usable(records, "parity")
  if #dropped > 0 then
    d:p(string.format("Parity: the rungs k = %s are left out: some seed's test accuracy stayed below %g (the networks "
      .. "stop learning parity there).", table.concat(dropped, ", "), M.LEARNED))
  end
  -- the linear network: every layer
  local lrows = {}
  for _, m in ipairs(rh.rank.measure_names) do
    local line = { m }
    for _, fam in ipairs(tasks.FAMILIES) do
      local f = find["linear/" .. fam.name .. "/" .. m]
      line[#line + 1] = f and cell(f) or "not run"
    end
    lrows[#lrows + 1] = line
  end
  d:h(2, "The linear teacher, every layer")
  d:p("A weight-decayed linear network's minimum-norm solution has every layer at rank k.")
  d:add(doc.md_table({ "measure", "first", "hidden", "last hidden", "last (readout)" }, lrows))
  -- the loss-set rank
  local crows = {}
  for _, m in ipairs(rh.rank.measure_names) do
    local line = { m }
    for _, kind in ipairs({ "teacher", "teacher_C", "fmnist" }) do
      for _, fam in ipairs({ "last_hidden", "classifier" }) do
        local f = find[kind .. "/" .. fam .. "/" .. m]
        line[#line + 1] = f and f.follows_C ~= nil and yesno(f.follows_C) or "not run"
      end
    end
    crows[#crows + 1] = line
  end
  d:h(2, "The loss-set rank C - 1 of the last layers")
  d:p(string.format("Whether the last hidden and classifier layers **follow C**: every rung's mean rank within %g of "
    .. "C - 1 and, at each C, not moving with k by more than %g (the teacher at C = %d over the k ladder; the teacher "
    .. "at k = %d over C; Fashion-MNIST merged to C). calibration.csv's rows of teacher_C and fmnist fit log r against "
    .. "log (C - 1).", V.C_SLACK, V.C_SLACK, o.teacher_c, o.teacher_k))
  d:add(doc.md_table({ "measure", "teacher k-ladder: last hidden", "classifier", "teacher C-ladder: last hidden",
    "classifier", "fmnist: last hidden", "classifier" }, crows))
  d:p("A classifier has C rows, so its rank is at most C and a full-rank classifier (rank C) is inside C - 1 +- 1: "
    .. "a \"yes\" in a classifier column says the layer is not above C, not that the loss's C - 1 was found; the "
    .. "last hidden layer (64 x 64) has no such bound.")
  local n_ok, n_all, wall = 0, #records, 0
  for _, r in ipairs(records) do
    if r.status == "ok" then n_ok = n_ok + 1 end
    wall = wall + (r.wall_time or 0)
  end
  d:p(string.format("%d networks (%d trained to the end), %.0f s of training in all. Regime: %s; weight decay %g, "
    .. "lr %g, batch %d, horizon H >= %g; %d training samples per task, width %d. The measures: %s.",
    n_all, n_ok, wall, regime.text(o), o.wd, o.lr, o.batch, o.min_horizon, o.n, o.width,
    table.concat(rh.rank.measure_names, ", ")))
  doc.write(out .. "/report.md", d:text())
  -- the facts the report's sentences read, with the rules and thresholds that decided them
  local fj = { rules = { recovers = string.format("mean slope over seeds in [%g, %g] and every rung's mean r/k in "
      .. "[%g, %g]", V.SLOPE_LO, V.SLOPE_HI, V.RATIO_LO, V.RATIO_HI),
      follows_C = string.format("every rung's mean rank within %g of C - 1 and still in k (range <= %g)", V.C_SLACK,
        V.C_SLACK),
      parity_learned = string.format("every seed's test accuracy >= %g", M.LEARNED) },
    recover_k_on_linear_multi_index_parity = winners, facts = {} }
  for _, x in ipairs(facts) do
    local f = x.f
    fj.facts[#fj.facts + 1] = { task = x.task, family = x.family, measure = x.measure, n = f.n, n_fit = f.n_fit,
      slope = f.slope, slope_lo = f.slope_lo, slope_hi = f.slope_hi, intercept = f.intercept,
      worst_ratio = f.worst_ratio, ks = f.ks, rung_ratio = f.rung_ratio, recovers = yesno(f.recovers), why = f.why,
      follows_C = f.follows_C ~= nil and yesno(f.follows_C) or nil, follows_C_why = f.follows_C_why }
  end
  doc.write(out .. "/facts.json", rh.json.encode(fj) .. "\n")
  return { "calibration.csv", "report.md", "facts.json" }
end



return M
