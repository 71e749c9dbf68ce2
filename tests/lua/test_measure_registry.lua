-- test_measure_registry.lua - one registry of rank measures (rh.rank) and of network
-- figures (scripts/common/measure.lua): a toy measure registered here, and no study file
-- touched, is a choice of the studies' --measure and --rank-measure, of fit's rank_converged
-- rule (its tolerance is the measure's first parameter, checked by the registry's check), a
-- rank of every layer and every figure of a problem 1 run record (trained by problem 1's own
-- train step on a tiny teacher task), columns of summary.csv, and classes of every class figure.
local T = require "testlib"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path
local rh = require "rankhost"

-- ---- two toy measures, by the registry's one call each ----
-- toy: #{s_i >= toy_frac * s_1} (an integer measure with one parameter)
rh.rank.register {
  name = "toy", integer = true, scale_invariant = true, doc = "toy rank: #{s_i >= toy_frac * s_1}",
  params = { { name = "toy_frac", default = 0.5, doc = "fraction of s_1",
    check = function(v) if type(v) ~= "number" or not (v > 0 and v <= 1) then return "a number in (0, 1]" end end } },
  fn = function(s, _, p)
    local t, r = s:totable(), 0
    for _, x in ipairs(t) do if x >= p.toy_frac * t[1] then r = r + 1 end end
    return r
  end,
}
-- toy_real: sum(s) / s_1 (real-valued, no parameter)
rh.rank.register {
  name = "toy_real", integer = false, scale_invariant = true, doc = "nuclear over spectral norm",
  fn = function(s)
    local t, sum = s:totable(), 0
    for _, x in ipairs(t) do sum = sum + x end
    return sum / t[1]
  end,
}
-- the toy rank of a list of singular values, computed here (not by the registry)
local function toy_of(svals, frac)
  local r = 0
  for _, x in ipairs(svals) do if x >= (frac or 0.5) * svals[1] then r = r + 1 end end
  return r
end

local options = require "common.options"
local measure = require "common.measure"
local settings = require "problem1.settings"
local trainer = require "problem1.train"
local analysis = require "problem1.analysis"
local classes = require "problem1.classes"
local ladder = require "problem1.ladder"
local data = require "common.data"

local function contains(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

-- ---- option lists: problem 1's --measure and the regime's --rank-measure ----
local o = assert(options.parse(settings.SPEC, { "--measure", "toy", "--rank-measure", "toy", "--min-horizon", "0",
  "--max-epochs", "4", "--cooldown", "0", "--rank-patience", "2", "--rank-every", "1", "--probe", "32",
  "--sat-patience", "2" }))
T.eq(o.measure, "toy", "problem 1's --measure takes a registered measure")
T.eq(o.rank_measure, "toy", "the regime's --rank-measure takes a registered measure")
local ok, err = options.parse(settings.SPEC, { "--measure", "nope" })
T.ok(not ok and tostring(err):find("toy_real", 1, true), "the refusal lists the registered measures: " .. tostring(err))
o.progress_every = math.huge

-- ---- the stop rule's choices: fit's rank_converged ----
rh.seed(3)
local xs = rh.randn(40, 6)
local ys = rh.tensor((function() local t = {}; for i = 1, 40 do t[i] = (i % 3) + 1 end; return t end)())
local net = rh.nn.MLP { 6, 5, 3 }
local h = rh.train.fit(net, { x = xs, y = ys }, { lr = 0.05, batch = 8, max_epochs = 3, progress = false,
  rank_converged = { measure = "toy", tol = 0.3, patience = 2 } })
local layers = net:linear_layers()
for i, l in ipairs(layers) do
  T.eq(h.ranks[i], toy_of(rh.linalg.svdvals(l.weight):totable(), 0.3), "fit's rank check under toy, tol 0.3, layer " .. i)
end
T.raises("rank_converged.tol must be a number in (0, 1] (the toy rank's toy_frac)", rh.train.fit, net, { x = xs, y = ys },
  { max_epochs = 1, progress = false, rank_converged = { measure = "toy", tol = 2 } })
T.raises("rank_converged.tol is not used by the toy_real rank, which has no tolerance", rh.train.fit, net,
  { x = xs, y = ys }, { max_epochs = 1, progress = false, rank_converged = { measure = "toy_real", tol = 0.1 } })

-- ---- problem 1's run record: its train step on a tiny teacher task ----
local records = {}
for seed = 1, 2 do
  local all = rh.data.teacher { n = 80, dim = 8, rank = 2, classes = 10, seed = seed }
  local task = data.finish({ train = all:subset(1, 64), test = all:subset(65, 80), dataset = "teacher" }, o)
  local run = { id = "t" .. seed, index = seed, kind = "real", draw = seed, seed_index = seed, run_seed = 10 + seed,
    sizes = { 8, 7, 6, 10 }, weight_decay = 5e-3 }
  local path = os.tmpname()
  records[seed] = trainer.train(run, task, o, path, function() end)
  os.remove(path)
end
for _, r in ipairs(records) do
  T.eq(r.status, "ok", r.id .. " trained")
  local ranks = {}
  for i, l in ipairs(r.layers) do
    ranks[i] = toy_of(l.spectrum)
    T.eq(l.ranks.toy, ranks[i], r.id .. ": layer " .. i .. "'s toy rank, from its spectrum")
    T.ok(type(l.ranks.toy_real) == "number" and l.activation_ranks.toy and l.grad_ranks.toy, r.id .. ": every rank table")
  end
  T.eq(r.network["bottleneck:toy"], math.min(ranks[1], ranks[2]), r.id .. ": bottleneck:toy, the lowest hidden rank")
  T.eq(r.network["classifier:toy"], ranks[3], r.id .. ": classifier:toy")
  T.eq(r.network["sum:toy"], ranks[1] + ranks[2] + ranks[3], r.id .. ": sum:toy")
  T.near(r.network["normalized:toy"], (ranks[1] + ranks[2] + ranks[3]) / (7 + 6 + 6), 1e-12, r.id .. ": normalized:toy")
  for _, f in ipairs(measure.figures("record")) do
    T.ok(type(r.network[f .. ":toy"]) == "number", r.id .. ": figure " .. f .. ":toy recorded")
  end
  T.ok(type(r.init.network["bottleneck:toy"]) == "number", r.id .. ": the ranks at initialisation under toy")
  T.eq(#r.ranks_at_stop, 3, r.id .. ": fit watched the toy rank (one per layer)")
  T.eq(ladder.figure(r, "first_layer", "toy"), ranks[1], r.id .. ": the ladder's first_layer figure")
end

-- ---- summary.csv's columns ----
local measures = analysis.measures(records)
T.ok(contains(measures, "toy") and contains(measures, "toy_real"), "the records' measures include the toys")
local header, rows = analysis.summary(records, measures)
local col = {}
for i, name in ipairs(header) do col[name] = i end
T.eq(table.concat(trainer.FIGURES, ","), table.concat(measure.figures("record"), ","), "problem 1's figures are the registry's")
T.eq(table.concat(trainer.FIGURES, ","), "bottleneck,last_hidden,classifier,normalized,sum,min,activation_normalized",
  "summary.csv's figure columns keep their order")
for _, m in ipairs { "toy", "toy_real" } do
  for _, name in ipairs { "ranks:" .. m, "init_ranks:" .. m, "init_normalized:" .. m, "init_bottleneck:" .. m } do
    T.ok(col[name], "summary.csv has a column " .. name)
  end
  for _, f in ipairs(trainer.FIGURES) do T.ok(col[f .. ":" .. m], "summary.csv has a column " .. f .. ":" .. m) end
end
for i, r in ipairs(records) do
  T.eq(rows[i][col["bottleneck:toy"]], r.network["bottleneck:toy"], "summary row " .. i .. ": bottleneck:toy")
  local parts = {}
  for j, l in ipairs(r.layers) do parts[j] = string.format("%.4g", l.ranks.toy) end
  T.eq(rows[i][col["ranks:toy"]], table.concat(parts, ";"), "summary row " .. i .. ": ranks:toy")
end

-- ---- class figures ----
T.ok(not classes.rounded("toy") and classes.rounded("toy_real"), "classes round the real-valued measures of the registry")
T.ok(classes.rounded("effective") and not classes.rounded("energy"), "effective is rounded, energy is not")
for _, f in ipairs(classes.FIGURES) do
  T.ok(contains(settings.SPEC[(function()
    for i, e in ipairs(settings.SPEC) do if e.name == "class-figure" then return i end end end)()].choices, f),
    "--class-figure offers " .. f)
  local cls = classes.classes(records, f, "toy", 0)
  local members = 0
  for _, c in ipairs(cls) do members = members + #c.members; T.eq(c.measure, "toy", f .. ": class under toy") end
  T.eq(members, #records, f .. ": every record is in a class under toy")
  if f ~= "profile" then
    T.eq(cls[1].value, math.min(records[1].network[f .. ":toy"], records[2].network[f .. ":toy"]),
      f .. ": the first class is led by the lowest toy value")
  end
  local cr = classes.classes(records, f, "toy_real", 0)
  for _, c in ipairs(cr) do
    for _, x in ipairs(type(c.value) == "table" and c.value or { c.value }) do
      T.eq(x, math.floor(x), f .. ": toy_real's classes are taken on rounded values")
    end
  end
end

T.done()
