-- test_problem2_loop.lua - problem 2's loop rules without training: the fixed-point test
-- (every layer's next width within max(slack, rel_slack x width)), the refusal of bad policy
-- output with a message naming the policy file, the iteration and the layer, the variant
-- syntax SCHEDULE[:GAMMA], the widen policy's trigger (a layer whose energy rank reaches --saturation x
-- width grows by --widen, at the threshold too; the others shrink to it), the calibrated policy's
-- (a layer whose gap_full rank fills its width grows past the fixed-point slack unless a wider
-- network of the run used no more, which makes the fixed point), and Cuttlefish's rank choice.
local T = require "testlib"
local rh = require "rankhost"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path
local loop = require "problem2.loop"
local plugins = require "problem2.plugins"
local baselines = require "problem2.baselines"
local measure = require "problem2.measure"

-- ---- fixed point ----
local fp = loop.fixed_point
T.ok(fp({ 64, 12 }, { 64, 12 }, 0, 0), "the same widths are a fixed point, even with no slack")
T.ok(not fp({ 64, 12 }, { 63, 12 }, 0, 0), "no slack: one neuron less is a change")
T.ok(fp({ 64, 12 }, { 58, 11 }, 1, 0.1), "within 10% of 64 (6.4) and of 12 (1 by the absolute slack)")
T.ok(not fp({ 64, 12 }, { 57, 12 }, 1, 0.1), "64 -> 57 moves by 7 > 6.4")
T.ok(not fp({ 64, 12 }, { 64, 10 }, 1, 0.1), "12 -> 10 moves by 2 > max(1, 1.2)")
T.ok(fp({ 5 }, { 6 }, 1, 0.1), "growing by one neuron is within the absolute slack")
T.ok(not fp({ 5 }, { 7 }, 1, 0.1), "growing by two is not")
T.ok(not fp({ 64, 12 }, { 64 }, 5, 1), "a different number of layers is never a fixed point")

-- ---- the margin's reference: the dense network's validation accuracy, or for a start-narrow
-- run (which begins below it) the best of its earlier iterations ----
local mrows = { { val_acc = 0.70 }, { val_acc = 0.82 }, { val_acc = 0.78 }, { val_acc = 0.10 } }
T.eq(loop.margin_reference(mrows, { val_acc = 0.85 }, nil), 0.85, "a run from the dense network: the dense accuracy")
T.eq(loop.margin_reference(mrows, { val_acc = 0.85 }, { 4, 4 }), 0.82, "a narrow run: its best earlier iteration")
T.ok(mrows[4].val_acc < loop.margin_reference(mrows, { val_acc = 0.85 }, { 4, 4 }) - 0.02,
  "a narrow run that collapses (0.10 after 0.82) stops at the margin")
T.ok(not (mrows[3].val_acc < loop.margin_reference({ mrows[1], mrows[2], mrows[3] }, { val_acc = 0.85 }, { 4 }) - 0.05),
  "0.78 after 0.82 is within a margin of 0.05")

-- ---- policy output ----
local pol = { path = "/tmp/my_policy.lua" }
local cw = plugins.checked_widths
local w = cw(pol, { 40, 9 }, 2, 1, 3)
T.eq(w[1], 40, "good widths pass"); T.eq(w[2], 9, "good widths pass")
T.eq(math.type(cw(pol, { 40.0, 9 }, 2, 1, 3)[1]), "integer", "a whole float becomes an integer")
T.eq(cw(pol, { 1, 9 }, 2, 4, 3)[1], 4, "--min-width raises a valid width")
T.raises("policy /tmp/my_policy.lua (deciding iteration 3): widths() returned 3 widths for 2 hidden layers",
  cw, pol, { 1, 2, 3 }, 2, 1, 3)
T.raises("widths() returned 1 widths for 2 hidden layers", cw, pol, { 7 }, 2, 1, 3)
T.raises("must return a list of 2 widths, got nil", cw, pol, nil, 2, 1, 3)
T.raises("policy /tmp/my_policy.lua (deciding iteration 3): the width of layer 2 is 0; a width must be >= 1",
  cw, pol, { 5, 0 }, 2, 1, 3)
T.raises("the width of layer 1 is -3; a width must be >= 1", cw, pol, { -3, 5 }, 2, 1, 3)
T.raises("the width of layer 2 is not a number: twelve", cw, pol, { 5, "twelve" }, 2, 1, 3)
T.raises("the width of layer 1 is not a number: NaN", cw, pol, { 0 / 0, 5 }, 2, 1, 3)
T.raises("the width of layer 1 is not a number: inf", cw, pol, { math.huge, 5 }, 2, 1, 3)
T.raises("the width of layer 2 is 2.5, not a whole number", cw, pol, { 5, 2.5 }, 2, 1, 3)
-- an error inside the policy names the file too
local broken = { path = "/tmp/broken.lua", widths = function() error("oops") end }
T.raises("policy /tmp/broken.lua failed deciding iteration 2", plugins.widths, broken, { {}, {} }, { iteration = 2 }, 1)

-- ---- shipped policies read the ranks measure.stats took from the singular values (no SVD) ----
local dir = src .. "/scripts/problem2"
local ctx = { options = { tau = 0.99, tol = 1e-3, fraction = 0.5, saturation = 0.9, widen = 1.5 } }
-- one hidden layer of 6 neurons whose weight has the singular values 10, 10, 2, 0.1, 0, 0
local svals = rh.tensor { 10, 10, 2, 0.1, 0, 0 }
local stats = measure.stats({ { neurons = 6 } }, { svals }, { { 6, 6 } }, ctx.options)
T.eq(stats[1].width, 6, "the layer's width")
T.eq(stats[1].rank.energy, 3, "energy at 0.99: 10^2+10^2 = 200 < 0.99 x 204.01 <= 204")
T.eq(stats[1].rank.relative, 4, "relative at 1e-3: 0.1 / sqrt(204.01) = 0.007 > 1e-3, 0 is not")
T.eq(stats[1].rank.numerical, 4, "numerical: 0.1 > 10 x 6 x eps(float32), 0 is not")
T.near(stats[1].rank.effective, 2.610, 1e-3, "effective: exp(entropy of 10, 10, 2, 0.1 over 22.1)")
local energy = assert(plugins.load("policy", dir, "policies", "energy", "widths"))
T.eq(energy.widths(stats, ctx)[1], 3, "the energy policy: the energy rank at --tau")
local relative = assert(plugins.load("policy", dir, "policies", "relative", "widths"))
T.eq(relative.widths(stats, ctx)[1], 4, "the relative policy: the relative rank at --tol")
-- both follow --tau / --tol through measure.stats, and equal rh.rank's own functions there
local o2 = { tau = 0.9, tol = 0.1 }
local stats2 = measure.stats({ { neurons = 6 } }, { svals }, { { 6, 6 } }, o2)
T.eq(energy.widths(stats2, { options = o2 })[1], 2, "--tau 0.9: 200 >= 0.9 x 204.01")
T.eq(energy.widths(stats2, { options = o2 })[1], rh.rank.energy(svals, { tau = 0.9 }), "= rh.rank.energy at tau")
T.eq(relative.widths(stats2, { options = o2 })[1], 3, "--tol 0.1: 2 / 14.28 = 0.14 > 0.1 > 0.1 / 14.28")
T.eq(relative.widths(stats2, { options = o2 })[1], rh.rank.relative(svals, { tol = 0.1 }), "= rh.rank.relative at tol")
for _, name in ipairs { "numerical", "relative", "effective", "fraction", "widen" } do
  local p = assert(plugins.load("policy", dir, "policies", name, "widths"))
  local got = plugins.widths(p, stats, { iteration = 1, options = ctx.options }, 1)
  T.ok(got[1] >= 1, name .. " policy gives a valid width")
end
-- ---- the widen trigger: a layer whose energy rank reaches --saturation x width grows ----
do
  local widen = assert(plugins.load("policy", dir, "policies", "widen", "widths"))
  local wctx = { options = { tau = 0.99, tol = 1e-3, saturation = 0.9, widen = 1.5 } }
  -- layer 1: 10 equal singular values (a flat spectrum: energy rank 10 = the width, saturated);
  -- layer 2: nine equal values and a small one, energy rank 9 = 0.9 x 10 (exactly the threshold);
  -- layer 3: a decaying spectrum, energy rank 3 of 10 (not saturated)
  local flat = rh.full({ 10 }, 1)
  local nine = rh.tensor { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.05 }
  local decay = rh.tensor { 10, 5, 2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 }
  local st = measure.stats({ { neurons = 10 }, { neurons = 10 }, { neurons = 10 } }, { flat, nine, decay },
    { { 10, 784 }, { 10, 10 }, { 10, 10 } }, wctx.options)
  T.eq(st[1].rank.energy, 10, "flat spectrum: energy rank = width")
  T.eq(st[2].rank.energy, 9, "nine equal values and a small one: energy rank 9")
  T.eq(st[3].rank.energy, 3, "decaying spectrum: energy rank 3")
  local w = widen.widths(st, wctx)
  T.eq(w[1], 15, "saturated (10 >= 0.9 x 10): widens by 1.5 to 15")
  T.eq(w[2], 15, "at the threshold (9 >= 0.9 x 10): widens too")
  T.eq(w[3], 3, "not saturated: shrinks to its energy rank")
  wctx.options.saturation = 0.95
  T.eq(widen.widths(st, wctx)[2], 9, "--saturation 0.95: 9 < 9.5, the layer shrinks to 9")
end

-- ---- the calibrated policy (the default): width = the --width-measure rank; a layer whose
-- rank reaches min(width, inputs) grows past the fixed-point slack, unless a wider network of
-- this run already measured a rank at most its width ----
do
  local cal = assert(plugins.load("policy", dir, "policies", "calibrated", "widths"))
  local copt = { tau = 0.99, tol = 1e-3, widen = 1.5, fp_slack = 1, fp_rel_slack = 0.1, width_measure = "gap_full" }
  local cctx = { options = copt, history = {} }
  -- layer 1: 10 neurons, 10 comparable values (all used: gap_full 10, saturated); layer 2: a
  -- clear gap after 2 (gap_full 2); layer 3: 10 neurons on 6 inputs, all 6 used (its rank is
  -- bounded by its inputs: growing adds none); layer 4: 2 neurons, both used
  local used = rh.tensor { 1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55 }
  local two = rh.tensor { 10, 9, 1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3 }
  local six = rh.tensor { 1, 0.9, 0.8, 0.7, 0.6, 0.5 }
  local pair = rh.tensor { 1, 0.8 }
  local st = measure.stats({ { neurons = 10 }, { neurons = 10 }, { neurons = 10 }, { neurons = 2 } },
    { used, two, six, pair }, { { 10, 784 }, { 10, 10 }, { 10, 6 }, { 2, 10 } }, copt)
  T.eq(st[1].rank.gap_full, 10, "all 10 directions used: gap_full 10 (the drop from 0.55 to the floor 0.05 wins)")
  T.ok(st[1].rank.gap < 10, "gap cannot say 10 of 10")
  T.eq(st[2].rank.gap_full, 2, "a clear gap after 2")
  T.eq(st[3].rank.gap_full, 6, "6 of 6 inputs used")
  local w = plugins.widths(cal, st, { iteration = 1, options = copt, history = {} }, 1)
  T.eq(w[1], 15, "saturated: widens by 1.5 to 15")
  T.eq(w[2], 2, "not saturated: shrinks to its gap_full rank")
  T.eq(w[3], 6, "wider than its inputs: only shrinks, to 6")
  T.eq(w[4], 4, "2 neurons, both used: grows past the slack, to max(ceil(3), 2 + 1 + 1) = 4")
  T.ok(not loop.fixed_point({ 10, 10, 10, 2 }, w, copt.fp_slack, copt.fp_rel_slack), "a growth step is not a fixed point")
  -- a wider network of this run measured rank 10 for layer 1: it keeps 10 (a fixed point there)
  cctx.history = { { widths = { 15, 10, 10, 2 }, ranks = { { gap_full = 10 }, { gap_full = 2 }, { gap_full = 6 },
    { gap_full = 3 } } } }
  w = plugins.widths(cal, st, { iteration = 2, options = copt, history = cctx.history }, 1)
  T.eq(w[1], 10, "given 15 it used 10: keeps 10")
  T.eq(w[4], 4, "layer 4's wider network used 3 > 2: it still grows")
  T.ok(loop.fixed_point({ 10 }, { w[1] }, copt.fp_slack, copt.fp_rel_slack), "keeping the width is a fixed point")
  -- a deeper layer grows with the layer feeding it (its room is that layer's next width), and a
  -- layer whose room is within the slack is answered at the bound (a fixed point there)
  local four = rh.tensor { 1, 0.9, 0.8, 0.7 }
  local st2 = measure.stats({ { neurons = 4 }, { neurons = 4 } }, { four, four }, { { 4, 784 }, { 4, 4 } }, copt)
  w = plugins.widths(cal, st2, { iteration = 1, options = copt, history = {} }, 1)
  T.eq(w[1], 6, "layer 1, 4 of 4 used: grows to 6")
  T.eq(w[2], 6, "layer 2, 4 of its 4 inputs used, its inputs growing to 6: grows with them, to 6")
  local wide = {}
  for j = 1, 120 do wide[j] = 1 - j / 400 end
  local st3 = measure.stats({ { neurons = 120 } }, { rh.tensor(wide) }, { { 120, 128 } }, copt)
  T.eq(st3[1].rank.gap_full, 120, "120 of 120 used")
  w = plugins.widths(cal, st3, { iteration = 1, options = copt, history = {} }, 1)
  T.eq(w[1], 128, "capped at its 128 inputs")
  T.ok(loop.fixed_point({ 120 }, w, copt.fp_slack, copt.fp_rel_slack), "8 more, within the slack of 12: a fixed point at the bound")
  -- --width-measure energy reads the energy rank instead
  local eopt = {}
  for k, x in pairs(copt) do eopt[k] = x end
  eopt.width_measure = "energy"
  w = plugins.widths(cal, st, { iteration = 1, options = eopt, history = {} }, 1)
  T.eq(w[2], st[2].rank.energy, "--width-measure energy: the energy rank")
  T.raises("--width-measure nosuch gave no rank for layer 1", cal.widths, st,
    { options = { width_measure = "nosuch", widen = 1.5 } })
end

local _, lerr = plugins.load("policy", dir, "policies", "nosuch", "widths")
T.ok(lerr:find("cannot load policy 'nosuch'", 1, true) ~= nil, "a missing policy is named")

-- ---- variants ----
local v = plugins.variant("gamma:0.5", 2)
T.eq(v.schedule, "gamma", "variant schedule"); T.eq(v.gamma, 0.5, "variant gamma"); T.eq(v.id, "gamma0.5", "variant id")
v = plugins.variant("constant", 2)
T.eq(v.id, "constant", "a schedule without gamma"); T.eq(v.gamma, 2, "the default gamma")
v = plugins.variant("gamma", 0.5)
T.eq(v.id, "gamma0.5", "a bare gamma takes --gamma")
v = plugins.variant("./my/sched.lua:3", 1)
T.eq(v.schedule, "./my/sched.lua", "a path with a gamma"); T.eq(v.id, "sched3", "its id")
T.eq(select(2, plugins.variant("gamma:x", 1)), "--schedule gamma:x: expected SCHEDULE[:GAMMA], GAMMA a number >= 0",
  "a bad gamma")
local gamma = assert(plugins.load("schedule", dir, "schedules", "gamma", "weight_decay"))
local wd = plugins.hyper(gamma, 2, { options = plugins.variant_options({ weight_decay = 4e-3, lr = 0.1 },
  plugins.variant("gamma:0.5", 2)) })
T.near(wd, 1e-3, 1e-12, "gamma 0.5: wd0 * 0.25 at iteration 2")
T.raises("schedule bad.lua gave weight_decay=-1", plugins.hyper, { path = "bad.lua", weight_decay = function() return -1 end },
  1, { options = { lr = 0.1 } })

-- ---- Cuttlefish: ceil(stable rank now x full rank / stable rank at init) ----
local r = baselines.cuttlefish_ranks({ widths = { 256, 64 }, shapes = { { 256, 784 }, { 64, 256 } },
  ranks = { { stable = 6.5 }, { stable = 4 } }, stable_init = { 104, 30 } })
T.eq(r[1], 16, "layer 1: ceil(6.5 x 256 / 104) = ceil(16.0)")
T.eq(r[2], 9, "layer 2: ceil(4 x 64 / 30) = ceil(8.53)")

T.done()
