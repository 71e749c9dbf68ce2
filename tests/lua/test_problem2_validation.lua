-- test_problem2_validation.lua - problem 2's choices read the validation set, never the test
-- set: the same loop run on a teacher task twice, once with the test set's labels replaced by
-- random ones, makes the same choices (how it stopped, at which iteration, every iteration's
-- widths, validation accuracy and the next widths), while its test accuracies do change; and
-- a test-read margin would have chosen differently on the same rows (so the check has teeth).
-- The best variant (problem2/facts.lua) follows validation accuracy where test disagrees; the
-- Pareto fronts' dominance rule and the bar on them (facts.fronts) on hand-made points; the
-- lottery tickets' magnitude mask (only the weights still kept compete).
local T = require "testlib"
local rh = require "rankhost"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path
local options = require "common.options"
local settings = require "problem2.settings"
local plugins = require "problem2.plugins"
local tasks = require "problem2.tasks"
local train = require "problem2.train"
local p2_study = require "problem2.study"
local facts = require "problem2.facts"

local o = assert(options.parse(settings.SPEC, { "--hidden", "32", "--teacher-dim", "16", "--teacher-n", "1200",
  "--teacher-val", "600", "--teacher-test", "600", "--teacher-hidden", "48", "--min-horizon", "0.3", "--max-epochs", "6",
  "--rank-every", "1", "--rank-patience", "2", "--cooldown", "1", "--teacher-max-iters", "3", "--margin", "0.03",
  "--weight-decay", "1e-2", "--sample", "200", "--teacher-kind", "classify" }))
o.params = {}
local dir = src .. "/scripts/problem2"
local policy = assert(plugins.load("policy", dir, "policies", "fraction", "widths")) -- halves: the margin decides
local v = assert(plugins.variant("constant", o.gamma))
v.schedule = assert(plugins.load("schedule", dir, "schedules", "constant", "weight_decay"))
v.options = plugins.variant_options(o, v)

local function run_loop(out, shuffle_test)
  local task = tasks.teacher(o, 8, 4242)
  if shuffle_test then
    local t = {}
    for k, x in pairs(task) do t[k] = x end
    t.sample = task.sample
    t.test = rh.data.random_labels(task.test, 1, 99)
    task = setmetatable(t, getmetatable(task))
  end
  rh.io.mkdir_p(out .. "/checkpoints"); rh.io.mkdir_p(out .. "/iterations")
  local env = { options = o, tasks = { get = function() return task end }, rules = train.rules(o), policy = policy,
    variants = { constant = v }, dir = out, say = function() end, done = {} }
  local trainer = p2_study.trainer(env)
  local base = { task = "t8", wstar = 8, seed_index = 1, run_seed = 31337, data_seed = 4242 }
  local function with(extra)
    local r = {}
    for k, x in pairs(base) do r[k] = x end
    for k, x in pairs(extra) do r[k] = x end
    return r
  end
  local d = trainer(with { id = "v-dense", kind = "dense" })
  env.done[d.id] = d
  local it = trainer(with { id = "v-loop", kind = "iterate", variant = "constant", dense = d.id })
  return d, it, rh.log.read_jsonl(out .. "/iterations/v-loop.jsonl")
end

local tmp = rh.io.mkdtemp("rh-test-p2val")
local dA, A, rowsA = run_loop(tmp .. "/a", false)
local dB, B, rowsB = run_loop(tmp .. "/b", true)

T.eq(B.stop, A.stop, "the same stop with random test labels")
T.eq(B.final_iteration, A.final_iteration, "the same final iteration")
T.eq(#rowsB, #rowsA, "the same number of iterations")
for i = 1, math.min(#rowsA, #rowsB) do
  T.eq(table.concat(rowsB[i].widths, "-"), table.concat(rowsA[i].widths, "-"), "iteration " .. (i - 1) .. " widths")
  T.eq(rowsB[i].val_acc, rowsA[i].val_acc, "iteration " .. (i - 1) .. " validation accuracy")
end
local function nw(r) return r.next_widths and table.concat(r.next_widths, "-") or "none" end
T.eq(nw(B), nw(A), "the same next widths")
T.ok(dA.test_acc ~= dB.test_acc, string.format("the test set did change: dense test acc %.3f vs %.3f", dA.test_acc,
  dB.test_acc))
T.ok(A.stop == "margin", "the run stopped on the (validation) margin: " .. tostring(A.stop_text))
T.eq(A.next_widths, nil, "a network rejected at the margin gets no policy answer")
-- what a margin on test accuracy would have chosen, on the same rows: the first iteration
-- below the dense network's test accuracy less the margin
local function test_margin_stop(d, rows)
  for i = 2, #rows do if rows[i].test_acc < d.test_acc - o.margin then return i - 1 end end
  return -1
end
local ta, tb = test_margin_stop(dA, rowsA), test_margin_stop(dB, rowsB)
T.ok(ta ~= tb or ta ~= A.final_iteration + 1,
  string.format("a test-read margin would have stopped elsewhere (after iteration %d / %d with random labels; the "
    .. "validation margin stopped at %d)", ta, tb, A.final_iteration + 1))

-- ---- the best variant is chosen on validation accuracy ----
local function sum(variant, val, test, params)
  local iv = function(x) return { mean = x, half = 0.001, n = 3 } end
  local s = { variant = variant, loop = { n = 3, val_frac = iv(val), acc_frac = iv(test), param_frac = iv(params),
    time_mult = iv(1) } }
  local verdicts = require "common.verdicts"
  s.loop.meets_val = verdicts.meets_bar(s.loop.val_frac, s.loop.param_frac, s.loop.time_mult)
  s.loop.meets = verdicts.meets_bar(s.loop.acc_frac, s.loop.param_frac, s.loop.time_mult)
  return s
end
local best = facts.best_of { sum("a", 0.95, 0.99, 0.1), sum("b", 0.97, 0.90, 0.1) }
T.eq(best.variant, "b", "the higher validation accuracy wins though its test accuracy is lower")
best = facts.best_of { sum("a", 0.99, 0.90, 0.1), sum("b", 0.97, 0.99, 0.1) }
T.eq(best.variant, "a", "and the other way round: the test accuracy never decides")

-- ---- the Pareto fronts: a point is on a cost's front unless another has at most its cost
-- and at least its accuracy, one strictly; the bar on the means ----
do
  local function pt(method, acc, params, flops, secs)
    local m = function(x) return { mean = x, half = 0.01, n = 3 } end
    local p = { method = method, variant = "", acc_frac = m(acc), param_frac = m(params), flop_mult = m(flops),
      time_mult = m(secs), n = 3 }
    p.meets = require("common.verdicts").meets_bar(p.acc_frac, p.param_frac, p.time_mult)
    return p
  end
  local dense = pt("dense", 1.0, 1, 1, 1)
  local lp = pt("loop (fresh)", 0.99, 0.1, 2, 2.5)
  local mag = pt("cuttlefish", 0.995, 0.1, 1.1, 1.1) -- same parameters, more accurate: dominates the loop there
  local bad = pt("scratch", 0.97, 0.2, 0.5, 0.5)
  local fr, bar = facts.fronts { dense, lp, mag, bad }
  T.eq(lp.front.param_frac, false, "the loop is dominated on parameters by an equal-cost, more accurate point")
  T.eq(mag.front.param_frac, true, "cuttlefish is on the parameters front")
  T.eq(dense.front.param_frac, true, "the most accurate point is on every front")
  T.eq(bad.front.flop_mult, true, "the cheapest point in FLOPs is on that front")
  T.eq(bad.front.param_frac, false, "but not on parameters (cuttlefish has fewer and is more accurate)")
  T.eq(bar.loop_on_front.param_frac, false, "no loop point on the parameters front")
  T.eq(#fr[1].front, 2, "parameters front: cuttlefish, dense")
  T.eq(fr[1].front[1].method, "cuttlefish", "cheapest first")
  T.eq(bar.best.method, "cuttlefish", "the most accurate point meeting the bar (the loop's is less accurate)")
  T.eq(#bar.meeting, 2, "two points meet the bar on the means")
  T.eq(bar.cheapest.method, "cuttlefish", "the fastest of them")
  local sc = pt("scratch", 0.99, 0.1, 0.1, 0.1) -- trained at a loop's widths: not a standalone method
  local _, bar2 = facts.fronts { dense, lp, mag, sc }
  T.eq(bar2.cheapest.method, "cuttlefish", "scratch's cost leaves out the loop that found its widths: not chosen")
  T.eq(sc.front.time_mult, true, "though it is drawn on the front")
  -- a point of fewer than min_n seeds takes no part: it is on no front and dominates nothing
  local one = pt("loop (fresh)", 1.01, 0.05, 0.05, 0.05)
  one.n = 1
  local fr3, bar3 = facts.fronts({ dense, lp, mag, bad, one }, 3)
  T.eq(one.front.param_frac, false, "one seed: not on the front")
  T.eq(mag.front.param_frac, true, "and it does not push cuttlefish off it")
  T.eq(#fr3[1].front, 2, "the parameters front is as without it")
  T.eq(bar3.best.method, "cuttlefish", "nor is it chosen as meeting the bar")
end

-- ---- lottery tickets' magnitude mask: the largest half of the weights still kept ----
do
  local baselines = require "problem2.baselines"
  local W = rh.tensor { { 0.1, -0.9, 0.3 }, { -0.5, 0.05, 0.7 } }
  local all = rh.ones(2, 3)
  local m1 = baselines.magnitude_mask(W, all, 0.5)
  T.ok(T.same_elements(m1, rh.tensor { { 0, 1, 0 }, { 1, 0, 1 } }), "keep 3 of 6: |-0.9|, |0.7|, |-0.5|")
  local m2 = baselines.magnitude_mask(W, rh.tensor { { 1, 0, 1 }, { 1, 1, 0 } }, 0.5)
  T.ok(T.same_elements(m2, rh.tensor { { 0, 0, 1 }, { 1, 0, 0 } }),
    "only the entries still kept compete: 2 of 0.1, 0.3, 0.5, 0.05 (not 0.9 or 0.7, removed before)")
end

for _, sub in ipairs { "a", "b" } do os.execute("rm -rf '" .. tmp .. "/" .. sub .. "'") end
os.remove(tmp)
T.done()
