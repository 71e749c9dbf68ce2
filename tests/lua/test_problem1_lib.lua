-- test_problem1_lib.lua - the study scripts' helpers: option parsing and config files
-- (common/options), statistics against hand-computed values (common/stats: correlations,
-- intervals, the adjusted Rand index, eta squared), problem 1's architecture space and plan,
-- its minimum epochs from the weight-decay horizon, the equivalence classes and their
-- statistics on constructed records (problem1/classes), the ladder's tables (problem1/ladder),
-- CSV/Markdown writing.
local T = require "testlib"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path

local options = require "common.options"
local stats = require "common.stats"
local report = require "common.report"
local space = require "problem1.space"
local plan = require "problem1.plan"
local classes = require "problem1.classes"
local ladder = require "problem1.ladder"
local trainer = require "problem1.train"
local measure = require "common.measure"
local p1report = require "problem1.report"
local rh = require "rankhost"

-- ---- options ----
local spec = {
  { name = "help", type = "bool", default = false, help = "this text" },
  { name = "n", type = "int", default = 4, min = 1, help = "runs" },
  { name = "lr", type = "number", default = 0.1, help = "learning rate" },
  { name = "out", type = "string", default = "out", help = "folder" },
  { name = "ranks", type = "ints", default = { 2, 4 }, help = "teacher ranks" },
  { name = "measure", type = "choice", choices = { "numerical", "effective" }, default = "numerical", help = "m" },
  { name = "resume", type = "bool", default = false, help = "continue" },
  { name = "quick", type = "preset", sets = { n = 2, lr = 0.5 }, help = "small" },
  { name = "config", type = "string", default = "", help = "config file" },
}
local o = assert(options.parse(spec, {}))
T.eq(o.n, 4, "default n"); T.eq(o.lr, 0.1, "default lr"); T.eq(#o.ranks, 2, "default list")
o = assert(options.parse(spec, { "--n", "7", "--lr=0.25", "--ranks", "1,3,9", "--resume", "--measure", "effective" }))
T.eq(o.n, 7, "--n"); T.eq(o.lr, 0.25, "--lr="); T.eq(o.ranks[3], 9, "--ranks"); T.eq(o.resume, true, "flag")
T.eq(o.measure, "effective", "choice"); T.ok(o._given.n and not o._given.out, "_given")
o = assert(options.parse(spec, { "--ranks", "none", "--no-resume" }))
T.eq(#o.ranks, 0, "none list"); T.eq(o.resume, false, "--no-flag")
o = assert(options.parse(spec, { "--quick", "--n", "3" }))
T.eq(o.n, 3, "command line beats preset"); T.eq(o.lr, 0.5, "preset sets lr"); T.eq(o.quick, true, "preset flag")

local function fails(args, pattern)
  local r, err = options.parse(spec, args)
  T.ok(r == nil and err and err:find(pattern, 1, true), "expected error '" .. pattern .. "', got " .. tostring(err))
end
fails({ "--bogus" }, "unknown option --bogus")
fails({ "--n", "x" }, "bad value 'x' for --n: expects an integer")
fails({ "--n", "0" }, "must be >= 1")
fails({ "--n" }, "--n needs a value")
fails({ "--lr", "nan" }, "expects a number")
fails({ "--measure", "mean" }, "must be one of numerical, effective")
fails({ "--ranks", "1,x" }, "expects an integer list")
fails({ "stray" }, "unexpected argument 'stray'")
fails({ "--resume=1" }, "takes no value")
fails({ "--config", "/nonexistent/cfg.lua" }, "cannot load config file")

local help = options.help(spec, "usage: x")
for _, s in ipairs(spec) do T.ok(help:find("--" .. s.name, 1, true), "help lists --" .. s.name) end
T.ok(help:find("[0.1]", 1, true) and help:find("[2,4]", 1, true), "help shows defaults")

local cfg = os.tmpname()
local f = assert(io.open(cfg, "w"))
f:write("return { n = 9, lr = 0.05, ranks = {8}, quick = true }\n"); f:close()
o = assert(options.parse(spec, { "--config", cfg, "--lr", "0.3" }))
T.eq(o.n, 9, "config beats its preset"); T.eq(o.lr, 0.3, "command line beats config"); T.eq(o.ranks[1], 8, "config list")
f = assert(io.open(cfg, "w")); f:write("return { nn = 1 }\n"); f:close()
fails({ "--config", cfg }, "unknown option 'nn'")
f = assert(io.open(cfg, "w")); f:write("return { n = 'many' }\n"); f:close()
fails({ "--config", cfg }, "bad value for 'n'")
f = assert(io.open(cfg, "w")); f:write("return 5\n"); f:close()
fails({ "--config", cfg }, "must return a table")
os.remove(cfg)
T.eq(options.script_dir("a/b/c.lua"), "a/b", "script_dir"); T.eq(options.script_dir("c.lua"), ".", "script_dir bare")

-- ---- statistics (values checked by hand / numpy) ----
T.near(stats.pearson({ 1, 2, 3, 4 }, { 2, 4, 6, 8 }), 1, 1e-12, "pearson perfect")
T.near(stats.pearson({ 1, 2, 3, 4 }, { 8, 6, 4, 2 }), -1, 1e-12, "pearson negative")
-- numpy.corrcoef([1,2,3,4,5],[2,1,4,3,5])[0,1] = 0.8
T.near(stats.pearson({ 1, 2, 3, 4, 5 }, { 2, 1, 4, 3, 5 }), 0.8, 1e-12, "pearson value")
T.eq(stats.pearson({ 1, 1, 1 }, { 1, 2, 3 }), nil, "pearson of a constant is undefined")
T.eq(stats.pearson({ 1, 2 }, { 1, 2 }), nil, "pearson needs 3 pairs")
local r = stats.ranks({ 10, 20, 20, 5 })
T.eq(r[1], 2, "rank"); T.eq(r[2], 3.5, "tied rank"); T.eq(r[3], 3.5, "tied rank"); T.eq(r[4], 1, "rank")
-- monotone but not linear: Spearman 1, Pearson below 1
T.near(stats.spearman({ 1, 2, 3, 4 }, { 1, 10, 100, 1000 }), 1, 1e-12, "spearman monotone")
T.ok(stats.pearson({ 1, 2, 3, 4 }, { 1, 10, 100, 1000 }) < 0.95, "pearson not 1 on a curve")
-- scipy.stats.spearmanr([1,2,3,4,5],[5,6,7,8,7]) = 0.8207826816681233
T.near(stats.spearman({ 1, 2, 3, 4, 5 }, { 5, 6, 7, 8, 7 }), 0.8207826816681233, 1e-12, "spearman with ties")
T.raises("different lengths", stats.pearson, { 1, 2, 3 }, { 1, 2 })
local lo, hi = stats.minmax({ 3, -1, 7 })
T.eq(lo, -1, "min"); T.eq(hi, 7, "max"); T.eq(stats.mean({ 1, 2, 3, 6 }), 3, "mean")

-- ---- architecture space and plan ----
local so = { depth_min = 1, depth_max = 4, width_min = 32, width_max = 512, min_params = 20000 }
local seen_depth = {}
for i = 1, 40 do
  local a = space.architecture(7, i, so, 784, 10)
  local b = space.architecture(7, i, so, 784, 10)
  T.eq(table.concat(a, "-"), table.concat(b, "-"), "same (seed, index) gives the same network")
  T.eq(a[1], 784, "input size"); T.eq(a[#a], 10, "output size")
  local depth = #a - 2
  T.ok(depth >= 1 and depth <= 4, "depth in range")
  seen_depth[depth] = true
  for k = 2, #a - 1 do
    T.ok(a[k] >= 32 and a[k] <= 512 and a[k] % 8 == 0 and a[k] >= 20, "width in the space: " .. a[k])
  end
  T.ok(space.num_parameters(a) >= 20000, "capacity floor")
end
T.ok(seen_depth[1] and seen_depth[4], "depths 1 and 4 both drawn in 40 runs")
T.ok(table.concat(space.architecture(7, 1, so, 784, 10), "-") ~= table.concat(space.architecture(8, 1, so, 784, 10), "-")
  or table.concat(space.architecture(7, 2, so, 784, 10), "-") ~= table.concat(space.architecture(8, 2, so, 784, 10), "-"),
  "the seed changes the draws")
T.eq(space.num_parameters({ 784, 10 }), 7850, "parameter count")
T.raises("no architecture with enough capacity", space.architecture, 1, 1,
  { depth_min = 1, depth_max = 1, width_min = 8, width_max = 8, min_params = 1e9 }, 4, 2)

-- ---- problem 1's plan ----
local po = { seed = 3, n = 4, seeds = 3, wd0_runs = 2, random_runs = 2, ladder = "on", ladder_seeds = 2,
  ladder_hidden = { 16 }, teacher_ranks = { 2, 8 }, parity_k = { 1 }, noise_levels = { 0, 0.5 }, ladder_mnist = "off",
  depth_min = 1, depth_max = 3, width_min = 32, width_max = 128, min_params = 1000, teacher_dim = 16, parity_bits = 8,
  lr = 0.1, weight_decay = 5e-3, momentum = 0, batch = 32, min_horizon = 4, max_epochs = 100, wd0_epochs = 0, train_size = 1000,
  teacher_n = 1000, parity_n = 500 }
local p = plan.plan(po)
local count, ids = {}, {}
for _, run in ipairs(p) do
  count[run.kind] = (count[run.kind] or 0) + 1
  T.ok(not ids[run.id], "unique id " .. run.id)
  ids[run.id] = run
  T.ok(run.cost > 0 and math.type(run.run_seed) == "integer", "cost and seed of " .. run.id)
end
T.eq(count.real, 12, "n draws x seeds"); T.eq(count.wd0, 6, "wd0 twins of the first draws, every seed")
T.eq(count.random, 2, "random-label runs"); T.eq(count.teacher, 4, "teacher rungs x ladder seeds")
T.eq(count.parity, 2, "parity rung"); T.eq(count.noise, 4, "noise rungs")
T.eq(p[1].id, "p1-3-1-s1", "real id"); T.eq(ids["p1-3-2-s3-wd0"].twin, "p1-3-2-s3", "a wd0 run names its twin")
T.eq(table.concat(ids["p1-3-2-s3-wd0"].sizes, "-"), table.concat(ids["p1-3-2-s3"].sizes, "-"), "same architecture")
T.eq(ids["p1-3-2-s3-wd0"].run_seed, ids["p1-3-2-s3"].run_seed, "same seed")
T.eq(ids["p1-3-2-s3-wd0"].weight_decay, 0, "no weight decay")
T.ok(ids["p1-3-2-s1"].run_seed ~= ids["p1-3-2-s2"].run_seed, "seeds differ")
T.eq(table.concat(ids["p1-3-1-s1"].sizes, "-"), table.concat(ids["p1-3-1-s2"].sizes, "-"), "seeds share the draw")
T.eq(table.concat(ids["p1-3-teacher8-s2"].sizes, "-"), "16-16-10", "ladder architecture")
T.eq(table.concat(ids["p1-3-parity1-s1"].sizes, "-"), "8-16-2", "parity: bits in, 2 classes")
T.eq(ids["p1-3-noise0.5-s1"].level, 0.5, "noise level")
-- a run's seed is a function of its id: changing the other rungs keeps it
local po2 = {}
for k, v in pairs(po) do po2[k] = v end
po2.teacher_ranks = { 8 }
local ids2 = {}
for _, run in ipairs(plan.plan(po2)) do ids2[run.id] = run end
T.eq(ids2["p1-3-teacher8-s2"].run_seed, ids["p1-3-teacher8-s2"].run_seed, "seed independent of the other rungs")
po2.ladder = "only"
local only = plan.plan(po2)
T.eq(only[1].kind, "teacher", "--ladder only: no sweep")
-- without weight decay (and without a minimum horizon) every run's cost is still a finite
-- positive number: the sweep orders runs and estimates the time left from them
for _, h in ipairs { 4, 0 } do
  local pw = {}
  for k, v in pairs(po) do pw[k] = v end
  pw.weight_decay, pw.min_horizon = 0, h
  for _, run in ipairs(plan.plan(pw)) do
    T.ok(run.cost > 0 and run.cost < math.huge, string.format("--weight-decay 0 --min-horizon %g: finite cost of %s", h, run.id))
  end
end
-- the minimum epochs: the horizon lr * wd / (1 - m) * steps reaches min_horizon
T.eq(trainer.min_epochs(po, 10000), 26, "4 / (0.1 * 5e-3 * 313 steps) = 25.6: 26 epochs")
T.eq(trainer.min_epochs({ lr = 0.1, weight_decay = 0, momentum = 0, batch = 32, min_horizon = 4, max_epochs = 10 }, 1000), 0,
  "no weight decay: no minimum")
T.eq(trainer.min_epochs({ lr = 0.1, weight_decay = 5e-3, momentum = 0, batch = 32, min_horizon = 40, max_epochs = 10 }, 1000), 10,
  "capped at max_epochs")

-- the settings a study is only continued under: its own and every one of the regime's
local regime = require "common.regime"
for name, keys in pairs { problem1 = require("problem1.settings").RUN_KEYS,
                          problem2 = require("problem2.settings").RUN_KEYS } do
  local seen = {}
  for _, k in ipairs(keys) do
    T.ok(not seen[k], name .. ": RUN_KEYS lists " .. k .. " once"); seen[k] = true
  end
  for _, k in ipairs(regime.KEYS) do T.ok(seen[k], name .. ": RUN_KEYS holds the regime's " .. k) end
end

-- ---- statistics of the report ----
T.eq(stats.median({ 3, 1, 2 }), 2, "median odd"); T.eq(stats.median({ 4, 1, 2, 3 }), 2.5, "median even")
T.near(stats.quantile({ 1, 2, 3, 4, 5 }, 0.25), 2, 1e-12, "quantile")
T.near(stats.sd({ 2, 4, 4, 4, 5, 5, 7, 9 }), 2.138089935299395, 1e-12, "sample sd (numpy ddof=1)")
-- scipy: t.ppf(0.975, 2) * std([1,2,3], ddof=1) / sqrt(3) = 4.302653 * 1 / 1.7320508 = 2.48413
local m, h = stats.ci95({ 1, 2, 3 })
T.eq(m, 2, "ci mean"); T.near(h, 2.48413, 1e-3, "ci half-width with t(2)")
T.eq(select(2, stats.ci95({ 5 })), nil, "one value: no interval")
-- sklearn.metrics.adjusted_rand_score
T.near(stats.ari({ 1, 1, 2, 2 }, { "a", "a", "b", "b" }), 1, 1e-12, "ARI identical partitions")
T.near(stats.ari({ 1, 1, 2, 2 }, { 1, 2, 1, 2 }), -0.5, 1e-12, "ARI crossed")
T.near(stats.ari({ 0, 0, 1, 1, 2, 2 }, { 0, 0, 1, 2, 2, 2 }), 0.4444444444444444, 1e-12, "ARI sklearn example")
T.eq(stats.ari({ 1, 1, 1 }, { 2, 2, 2 }), 1, "ARI both trivial")
-- eta squared: groups {1,3} and {5,7}: between 2*(2-4)^2 + 2*(6-4)^2 = 16, total 20
T.near(stats.eta_squared({ 1, 3, 5, 7 }, { "a", "a", "b", "b" }), 0.8, 1e-12, "eta squared")
local rho, lo, hi = stats.spearman_ci({ 1, 2, 3, 4, 5, 6 }, { 1, 3, 2, 4, 6, 5 })
T.near(rho, 0.8857142857142858, 1e-12, "spearman (scipy)")
T.ok(lo < rho and rho < hi and hi < 1, "Fisher interval around rho")
T.eq(select(2, stats.spearman_ci({ 1, 2, 3 }, { 1, 2, 3 })), nil, "no interval below n = 5")

-- ---- equivalence classes on constructed records ----
local function rec(id, arch, bottleneck, profile, acc)
  local layers = {}
  for i, v in ipairs(profile) do layers[i] = { ranks = { energy = v } } end
  return { id = id, kind = "real", architecture = arch, network = { ["bottleneck:energy"] = bottleneck,
    ["last_hidden:energy"] = bottleneck - 1, ["bottleneck:effective"] = bottleneck + 0.4 }, layers = layers,
    final = { test_acc = acc } }
end
local A, B, C = { 784, 64, 10 }, { 784, 128, 64, 10 }, { 784, 32, 10 }
local runs = {
  rec("a1", A, 9, { 40, 9 }, 0.8), rec("a2", A, 9, { 41, 9 }, 0.82), rec("a3", A, 9, { 40, 9 }, 0.81),
  rec("b1", B, 9, { 60, 9, 9 }, 0.85), rec("b2", B, 9, { 61, 9, 9 }, 0.84), rec("b3", B, 10, { 60, 10, 9 }, 0.86),
  rec("c1", C, 12, { 12, 9 }, 0.7), rec("c2", C, 12, { 12, 9 }, 0.71),
}
local cls = classes.classes(runs, "bottleneck", "energy", 0)
T.eq(#cls, 3, "three bottleneck values, three classes")
T.eq(#cls[1].members, 5, "class 9 holds a1-a3, b1, b2"); T.eq(cls[1].value, 9, "lowest value first")
T.eq(#classes.architectures(cls[1]), 2, "class 9 joins two architectures")
local a = classes.against_architecture(runs, cls)
T.eq(a.classes, 3, "classes"); T.eq(a.architectures, 3, "architectures"); T.eq(a.multi, 1, "one class joins two")
T.eq(a.replicated, 3, "three architectures with replicates"); T.eq(a.consistent, 2, "B's seeds split over 9 and 10")
-- classes {a1,a2,a3,b1,b2}, {b3}, {c1,c2} against architectures {a1..a3}, {b1..b3}, {c1,c2}
T.near(a.ari, stats.ari({ 1, 1, 1, 1, 1, 2, 3, 3 }, { 1, 1, 1, 2, 2, 2, 3, 3 }), 1e-12, "ARI of the two partitions")
T.ok(a.eta2 > 0.9 and a.eta2 < 1, "eta squared: the value is mostly the architecture's")
T.eq(#classes.classes(runs, "bottleneck", "energy", 1), 2, "tolerance 1 joins 9 and 10")
T.eq(#classes.classes(runs, "profile", "energy", 0), 6, "profiles compare only equal depths, exactly")
T.eq(#classes.classes(runs, "profile", "energy", 1), 3, "profiles within 1, per depth")
T.eq(#classes.classes(runs, "bottleneck", "effective", 0), 3, "effective ranks are rounded before classes")
local _, crows = classes.rows(cls, "real")
T.eq(crows[1][7], 2, "classes.csv: architectures column"); T.eq(crows[1][2], "real", "group column")
-- twins: the same partition with and without weight decay gives ARI 1
local twins = {}
for i, r in ipairs(runs) do
  twins[i] = rec(r.id .. "-wd0", r.architecture, r.network["bottleneck:energy"] + 50, { 1 }, 0.8)
  twins[i].twin = r.id
end
T.near(classes.against_twins(runs, twins, "bottleneck", "energy", 0).ari, 1, 1e-12, "twins: same classes")

-- ---- the ladder's tables on constructed records ----
local lrecs = {}
for k = 1, 4 do
  for s = 1, 3 do
    local r = rec("t" .. k .. s, { 16, 16, 10 }, 2 * k + s % 2, { 10, 2 * k }, 0.9)
    r.kind, r.level, r.status, r.converged, r.final.train_acc, r.wd_horizon = "teacher", 2 ^ k, "ok", true, 1, 5
    lrecs[#lrecs + 1] = r
  end
end
lrecs[#lrecs].converged = false
local sp = ladder.spearman(lrecs, "teacher", "bottleneck", "energy")
T.eq(sp.n, 11, "the run that did not converge is left out")
T.ok(sp.rho > 0.9 and sp.lo > 0.5, "rank rises with k: rho " .. sp.rho)
local lh, lrows = ladder.rows(lrecs, { "energy" })
T.eq(#lrows, 4, "one row per rung and measure"); T.eq(lrows[4][4], 3, "runs"); T.eq(lrows[4][5], 2, "converged")
local col = {}
for i, name in ipairs(lh) do col[name] = i end
T.near(lrows[1][col.bottleneck], (3 + 2 + 3) / 3, 1e-12, "mean bottleneck of rung k=2")
T.ok(lrows[1][col.bottleneck_ci95] > 0, "its interval")
local _, srows = ladder.spearman_rows(lrecs, { "energy" })
T.eq(#srows, #ladder.FIGURES, "a Spearman row per figure")

-- ---- the ranks at initialisation (record.init) and their rebuilding for older records ----
rh.seed(11)
local init = measure.initial(rh.nn.MLP({ 12, 8, 6, 3 }))
T.eq(#init.layers, 3, "a rank entry per layer")
for _, m in ipairs(rh.rank.measure_names) do
  -- >= 0: the noise-aware estimators (gavish_donoho, spikes, floor) find no signal in a random init
  T.ok(init.network["normalized:" .. m] >= 0 and init.network["normalized:" .. m] <= 1, "initial normalised " .. m)
  local b = math.min(init.layers[1].ranks[m], init.layers[2].ranks[m])
  T.eq(init.network["bottleneck:" .. m], b, "initial bottleneck " .. m .. ": the lowest hidden layer")
end
T.eq(measure.at_init({ init = { network = { ["normalized:energy"] = 0.25 } } }, "normalized", "energy"), 0.25,
  "a recorded initial rank is read, not recomputed")
local old_record = { run_seed = 11, architecture = { 12, 8, 6, 3 } }
for _, m in ipairs(rh.rank.measure_names) do
  T.near(measure.at_init(old_record, "normalized", m), init.network["normalized:" .. m], 1e-5,
    "a record without init: its network rebuilt from its seed, " .. m)
end

-- ---- problem 1's report: a paired difference's words follow its 95% interval (the rules
-- themselves: test_verdicts.lua) ----
local facts = require "common.facts"
local function words(xs) return select(2, p1report.paired(facts.against(xs), "below", "above", "none")) end
T.eq(words({ -0.5, -0.4, -0.6 }), "below", "interval below 0")
T.eq(words({ 0.5, 0.4, 0.6 }), "above", "interval above 0")
T.eq(words({ -0.5, 0.4, 0.1 }), "none", "interval contains 0")
T.eq(words({ -0.5 }), "one network only: no interval", "one difference: no verdict")
T.eq(words({}), "cannot be assessed (no network)", "no difference")
T.eq(p1report.paired(facts.against({ -0.5, -0.4, -0.6 }), "", "", ""), "-0.5 ± 0.248 (n = 3)", "mean, interval and n")

-- ---- report helpers ----
T.eq(report.csv({ "a", "b" }, { { 1, "x,y" }, { 0.5, 'q"' } }), 'a,b\n1,"x,y"\n0.5,"q"""\n', "csv quoting")
T.eq(report.num(nil), "n/a", "nil cell"); T.eq(report.num(3.0), "3", "integral cell"); T.eq(report.num(0.123456, 3), "0.123", "digits")
local md = report.md_table({ "x", "y" }, { { 1, "a|b" } })
T.eq(md, "| x | y |\n|---|---|\n| 1 | a\\|b |\n", "markdown table")

T.done()
