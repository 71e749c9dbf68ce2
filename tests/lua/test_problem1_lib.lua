-- test_problem1_lib.lua - the study-script helpers in scripts/lib: option parsing and config
-- files, statistics against hand-computed values, the architecture space's determinism and
-- capacity rule, CSV/Markdown writing.
local T = require "testlib"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/lib/?.lua;" .. package.path

local options = require "options"
local stats = require "stats"
local space = require "p1_space"
local report = require "report"

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

local p = space.plan({ seed = 3, n = 10, random_labels = 0.3, teacher_ranks = { 2, 8 }, teacher_runs = 2 })
T.eq(#p, 14, "plan size")
T.eq(p[1].id, "p1-3-1", "run id"); T.eq(p[11].id, "p1-3-t2-1", "teacher id"); T.eq(p[14].teacher_rank, 8, "teacher rank")
local nrandom = 0
for i = 1, 10 do if p[i].kind == "random" then nrandom = nrandom + 1 end end
T.eq(nrandom, 3, "floor(n * fraction) random-label runs")
local p5 = space.plan({ seed = 3, n = 5, random_labels = 0.3, teacher_ranks = {}, teacher_runs = 2 })
for i = 1, 5 do T.eq(p5[i].kind, p[i].kind, "a smaller sweep is a prefix of a larger one") end
local seen_ids = {}
for _, run in ipairs(p) do T.ok(not seen_ids[run.id], "unique id " .. run.id); seen_ids[run.id] = true end

-- ---- saturation rules (p1_train): the sweep's, and the random-label runs' own ----
local trainer = require "p1_train"
local ro = { max_epochs = 30, sat_patience = 3, sat_tol = 0.01, random_max_epochs = 300, random_sat_patience = 10,
  random_min_epochs = 20 }
local std, rnd = trainer.rule(ro, "real"), trainer.rule(ro, "random")
T.eq(std.name, "standard", "real runs: the sweep's rule"); T.eq(trainer.rule(ro, "teacher").name, "standard", "teacher")
T.eq(std.max_epochs, 30, "standard max"); T.eq(std.patience, 3, "standard patience"); T.eq(std.min_epochs, 0, "no min")
T.eq(rnd.name, "random-labels", "random runs: their own rule"); T.eq(rnd.max_epochs, 300, "random max")
T.eq(rnd.patience, 10, "random patience"); T.eq(rnd.min_epochs, 20, "random min"); T.eq(rnd.tol, 0.01, "same tolerance")
T.eq(trainer.rule({ sat_tol = 0.01, random_max_epochs = 6, random_sat_patience = 2, random_min_epochs = 20 }, "random")
  .min_epochs, 6, "the minimum is capped at the maximum")
T.ok(trainer.rule_text(ro, "random"):find("not before epoch 20, or after 300 epochs", 1, true), "random rule in words")
T.ok(not trainer.rule_text(ro):find("not before", 1, true), "the sweep's rule has no minimum")
-- a random-label run's loss: flat at ln(10) for 15 epochs, then 5% lower each epoch for 20, then flat
local function losses()
  local l, seq = math.log(10), {}
  for e = 1, 60 do
    if e > 15 and e <= 35 then l = l * 0.95 end
    seq[e] = l
  end
  return seq
end
local function stop_epoch(rule)
  local sat, seq = trainer.saturation(rule), losses()
  for e, l in ipairs(seq) do if sat(e, l) then return e end end
  return nil
end
T.eq(stop_epoch(std), 4, "the sweep's rule stops on the plateau: epoch 1, then 3 without improvement")
T.eq(stop_epoch(rnd), 45, "the random-label rule waits out the plateau and stops 10 epochs after the last drop")
T.eq(stop_epoch({ tol = 0.01, patience = 10, min_epochs = 0 }), 11, "patience alone stops on a long plateau")
T.eq(stop_epoch({ tol = 0.01, patience = 3, min_epochs = 20 }), 38, "minimum alone: stops 3 epochs after the drop")
T.eq(stop_epoch({ tol = 0.06, patience = 3, min_epochs = 0 }), 4, "a drop below tol is no improvement")

-- ---- report helpers ----
T.eq(report.csv({ "a", "b" }, { { 1, "x,y" }, { 0.5, 'q"' } }), 'a,b\n1,"x,y"\n0.5,"q"""\n', "csv quoting")
T.eq(report.num(nil), "n/a", "nil cell"); T.eq(report.num(3.0), "3", "integral cell"); T.eq(report.num(0.123456, 3), "0.123", "digits")
local md = report.md_table({ "x", "y" }, { { 1, "a|b" } })
T.eq(md, "| x | y |\n|---|---|\n| 1 | a\\|b |\n", "markdown table")

T.done()
