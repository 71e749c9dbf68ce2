-- test_nulls.lua - nulls and honest intervals (scripts/common/nulls.lua, issue 22 item 5) on
-- constructed data whose answer is known: a figure that follows the architecture labels beats
-- its permutation null; a constant or few-valued figure does not and is flagged degenerate; a
-- figure independent of the labels does not; the p-value is deterministic; intervals and
-- Spearman's rho are taken over architectures (seeds averaged first); the seed bootstrap of a
-- partition is stable when seeds agree and not when they scatter. Then problem 1's use of
-- them (problem1/nulls.lua), NC1 (common/collapse.lua) on collapsed and random activations
-- and a hand-computed case, the verdicts (beats_null, neural_collapse, crosses with a null),
-- and the headline measure chosen from a calibration.csv fixture (problem1/headline.lua).
local T = require "testlib"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path

local rh = require "rankhost"
local nulls = require "common.nulls"
local V = require "common.verdicts"
local collapse = require "common.collapse"
local stats = require "common.stats"

-- ---- constructed networks: 8 architectures x 3 seeds ----
local A, S = 8, 3
local arch, follows, modfour, constant, twovalued, noise = {}, {}, {}, {}, {}, {}
local g = rh.generator(7)
for a = 1, A do
  for s = 1, S do
    local i = #arch + 1
    arch[i] = "arch" .. a
    follows[i] = a * 10           -- each architecture its own value, every seed equal
    modfour[i] = (a - 1) % 4 + 1  -- classes that join architectures, seeds agree
    constant[i] = 9
    twovalued[i] = (i == 5) and 3 or 2
    noise[i] = g:int(1, 6)        -- independent of the architecture
  end
end
local function labels(v) return v end -- tol 0: a class is a value

-- the thresholds are named constants
T.eq(V.ALPHA, 0.05, "alpha")
T.eq(V.NULL_DRAWS, 1000, "1,000 permutation draws")
T.eq(V.DEGENERATE_MAX_DISTINCT, 3, "degenerate: 3 or fewer distinct values")
T.ok(type(V.RULES[V.NULL_RULE]) == "string", "beats_null is described")

-- a figure that truly follows the labels beats its null
local n = nulls.class_null(labels(follows), arch, follows, { draws = 1000 })
T.eq(n.consistency.observed, 1, "follows: every architecture keeps its seeds together")
T.ok(n.consistency.p <= 2 / 1001, "follows: p at the floor 1/1001 (got " .. n.consistency.p .. ")")
T.near(n.eta2.observed, 1, 1e-12, "follows: eta^2 1")
T.ok(n.eta2.p < V.ALPHA, "follows: eta^2 beats its null")
T.eq(n.distinct, 8, "follows: 8 distinct values")
T.eq(V.beats_null { p = n.consistency.p, distinct = n.distinct }, "beats", "follows: beats its null")
n = nulls.class_null(modfour, arch, modfour, { draws = 1000 })
T.ok(n.consistency.p < V.ALPHA, "classes joining architectures, seeds agreeing: beats the null")
T.eq(V.beats_null { p = n.consistency.p, distinct = n.distinct }, "beats", "4 distinct values: not degenerate")

-- a constant figure does not, and is flagged
n = nulls.class_null(constant, arch, constant, { draws = 1000 })
T.eq(n.consistency.observed, 1, "constant: consistency 1 (one class)")
T.eq(n.consistency.p, 1, "constant: the null keeps every seed together too: p = 1")
T.eq(n.eta2.p, 1, "constant: eta^2 undefined: p = 1")
T.eq(n.distinct, 1, "constant: one distinct value")
T.eq(V.beats_null { p = n.consistency.p, distinct = n.distinct }, "degenerate", "constant: degenerate")
-- two values in 23 of 24 networks: the issue's last_hidden stable (rounded)
n = nulls.class_null(twovalued, arch, twovalued, { draws = 1000 })
T.ok(n.consistency.observed >= 7 / 8, "two-valued: most architectures keep their seeds together")
T.ok(n.consistency.p > V.ALPHA, "two-valued: so do shuffled labels (p " .. n.consistency.p .. ")")
T.eq(V.beats_null { p = 0.001, distinct = n.distinct }, "degenerate", "two values: degenerate whatever its p")
-- a figure independent of the labels does not beat its null
n = nulls.class_null(noise, arch, noise, { draws = 1000 })
T.ok(n.consistency.p > V.ALPHA, "noise: seeds share a class no more than under the null (p " .. n.consistency.p .. ")")
T.ok(n.eta2.p > V.ALPHA, "noise: eta^2 no larger than under the null (p " .. n.eta2.p .. ")")
T.eq(V.beats_null { p = n.consistency.p, distinct = n.distinct }, "chance", "noise: chance")
-- deterministic: the same seed, the same p; p's floor is 1/(draws + 1)
local n2 = nulls.class_null(noise, arch, noise, { draws = 1000 })
T.eq(n2.consistency.p, n.consistency.p, "the permutation null is deterministic")
T.eq(n2.eta2.p, n.eta2.p, "eta^2's null too")
local p = nulls.permutation(function(l) return l[1] == "x" and 1 or 0 end, { "x", "y", "y", "y" }, 99)
T.ok(p.p >= 1 / 100 and p.p <= 1, "p within [1/(draws+1), 1]")
T.near(p.p, (1 + 99 / 4) / 100, 0.1, "p near its expectation 1/4 for a 1-in-4 statistic")
T.eq(V.beats_null(nil), "no_null", "no null drawn")

-- distinct counts numbers and lists, leaving out nil and NaN
T.eq(nulls.distinct { 1, 1, 2, 0 / 0 }, 2, "distinct numbers")
T.eq(nulls.distinct { { 1, 2 }, { 1, 2 }, { 2, 1 } }, 2, "distinct lists")
T.ok(V.degenerate(3) and not V.degenerate(4), "degenerate at 3, not at 4")

-- ---- architecture-level intervals ----
local runs = {}
for i = 1, 4 do runs[#runs + 1] = { a = "A", v = 1 } end
runs[#runs + 1] = { a = "B", v = 2 }
runs[#runs + 1] = { a = "C", v = 3 }
local iv = nulls.arch_interval(runs, function(r) return r.v end, function(r) return r.a end)
T.eq(iv.n, 3, "the interval is over 3 architectures, not 6 networks")
T.eq(iv.networks, 6, "of 6 networks")
T.near(iv.mean, 2, 1e-12, "seeds averaged first: mean of 1, 2, 3")
T.near(iv.half, stats.t95(2) * 1 / math.sqrt(3), 1e-12, "Student's t over architectures")
-- Spearman over architectures: seeds of one architecture do not count as independent points
local rr = {}
for a = 1, A do for s = 1, S do rr[#rr + 1] = { a = a, x = a + 0.01 * s, y = 2 * a } end end
local sp = nulls.arch_spearman(rr, function(r) return r.x end, function(r) return r.y end, function(r) return r.a end)
T.eq(sp.n, A, "rho over 8 architectures")
T.near(sp.rho, 1, 1e-12, "rho 1")
T.ok(sp.p < V.ALPHA, "a perfect relation beats its null (p " .. sp.p .. ")")
local sp2 = nulls.arch_spearman(rr, function(r) return noise[(r.a - 1) * S + 1] end, function(r) return r.y end,
  function(r) return r.a end)
T.ok(sp2.p > V.ALPHA, "labels-independent figure: p " .. sp2.p)

-- ---- the seed bootstrap of a partition of architectures ----
local function parts(vals)
  local rs = {}
  for i = 1, #vals do rs[i] = { a = arch[i], v = vals[i] } end
  return rs
end
local function by_median(order, members)
  local out = {}
  for i, a in ipairs(order) do
    local v = {}
    for j, r in ipairs(members[a]) do v[j] = r.v end
    out[i] = stats.median(v)
  end
  return out
end
local b = nulls.seed_bootstrap(parts(modfour), function(r) return r.a end, by_median, { draws = 100 })
T.eq(b.architectures, 8, "8 architectures")
T.eq(b.classes, 4, "4 classes")
T.eq(b.same, 1, "seeds agree: every draw gives the same partition")
T.eq(b.ari, 1, "ARI 1")
b = nulls.seed_bootstrap(parts(noise), function(r) return r.a end, by_median, { draws = 100 })
T.ok(b.same < 0.5, "seeds scatter: the partition changes in most draws (" .. b.same .. ")")
T.ok(b.ari < 0.9, "ARI below 1 (" .. b.ari .. ")")
local b2 = nulls.seed_bootstrap(parts(noise), function(r) return r.a end, by_median, { draws = 100 })
T.eq(b2.ari, b.ari, "the bootstrap is deterministic")

-- ---- problem 1's class facts on constructed runs ----
local p1nulls = require "problem1.nulls"
local classes = require "problem1.classes"
local function p1runs(vals)
  local out = {}
  for i, v in ipairs(vals) do
    local a = tonumber(arch[i]:match("%d+"))
    out[i] = { id = "r" .. i, architecture = { 784, 16 * a, 10 }, network = { ["last_hidden:energy"] = v },
      final = { test_acc = 0.8 } }
  end
  return out
end
for _, case in ipairs { { modfour, "beats" }, { constant, "degenerate" }, { twovalued, "degenerate" }, { noise, "chance" } } do
  local rs = p1runs(case[1])
  local cls = classes.classes(rs, "last_hidden", "energy", 0)
  local f = p1nulls.class_facts(rs, cls, "last_hidden", "energy", 0)
  T.eq(f.verdict, case[2], "problem 1 class facts: " .. case[2])
  local a = classes.against_architecture(rs, cls)
  local verdict, why = V.crosses_architectures(a, "no", f.verdict)
  if case[2] == "beats" then
    T.eq(verdict, "crosses", "a figure that beats its null and joins architectures crosses them")
  else
    T.eq(verdict, "fails", case[2] .. ": does not make classes across architectures")
    T.ok(table.concat(why, " "):find(case[2], 1, true), "the reason names the null: " .. table.concat(why, " "))
  end
end
T.eq(p1nulls.class_facts(p1runs(modfour), classes.classes(p1runs(modfour), "last_hidden", "energy", 0), "last_hidden",
  "energy", 0).by_architecture.n, 8, "the figure's interval is over architectures")

-- ---- NC1 ----
-- hand-computed: d = 1, C = 2: {0, 2} and {10, 12}: Sigma_W = 1, Sigma_B = 25, NC1 = (1/25)/2
local H = rh.tensor { { 0 }, { 2 }, { 10 }, { 12 } }
local v, info = collapse.nc1(H, { 1, 1, 2, 2 }, 2)
T.near(v, 0.02, 1e-6, "NC1 by hand: 0.02")
T.eq(info.classes, 2, "two classes")
-- collapsed: every example at its class mean (up to 1e-3) gives ~0; random gives large
rh.seed(3)
local N, d, C = 300, 20, 5
local means = rh.randn(C, d) * 3
local y = {}
for i = 1, N do y[i] = (i - 1) % C + 1 end
local Hc, noise_t = rh.zeros(N, d), rh.randn(N, d)
for i = 1, N do for j = 1, d do Hc:set(i, j, means:get(y[i], j) + 1e-3 * noise_t:get(i, j)) end end
local c0 = collapse.nc1(Hc, y, C)
T.ok(c0 < 1e-5, "collapsed classes: NC1 ~ 0 (" .. c0 .. ")")
local cr = collapse.nc1(rh.randn(N, d), y, C)
T.ok(cr > 1, "random activations: NC1 large (" .. cr .. ")")
T.near(collapse.nc1(Hc * 7, y, C), c0, 1e-6, "NC1 is scale-invariant")
T.eq(select(2, collapse.nc1(Hc, y, C)).rank, C - 1, "Sigma_B of C centred means has rank C - 1")
local none, why = collapse.nc1(H, { 1, 1, 1, 1 }, 2)
T.ok(none == nil and why:find("fewer than 2"), "one class: no NC1")
T.raises("3 labels for 4 rows", collapse.nc1, H, { 1, 2, 1 }, 2)
-- the last hidden representation of an MLP is its classifier's input
local mlp = rh.nn.MLP { 4, 6, 3 }
local x = rh.randn(5, 4)
local h = collapse.last_hidden(mlp, x)
T.eq(h:size(2), 6, "last hidden: width 6")
T.tensor_near(mlp.modules[#mlp.modules]:forward(h), mlp:forward(x), 1e-6, "the classifier of the last hidden is the output")
T.eq(collapse.above(9, 10), 0, "rank 9 of C = 10: 0 above C - 1")
-- the verdict
T.eq(V.neural_collapse(0, 0.01), "collapsed", "at C - 1 and NC1 low")
T.eq(V.neural_collapse(-1, 0.01), "collapsed", "one below C - 1 is within the slack")
T.eq(V.neural_collapse(0, 0.5), "rank_only", "rank at C - 1, NC1 high")
T.eq(V.neural_collapse(5, 0.01), "nc1_only", "NC1 low, rank high")
T.eq(V.neural_collapse(-5, 2), "none", "far below C - 1 and NC1 high")
T.eq(V.neural_collapse(nil, 0.1), "unknown", "no rank")

-- ---- the headline measure from a calibration table ----
local headline = require "problem1.headline"
local fixture = src .. "/tests/fixtures/calibration_small.csv"
local rows = headline.read(fixture)
T.eq(#rows, 10, "fixture rows")
T.eq(rows[1].recovers, true, "yes is true"); T.eq(rows[4].recovers, false, "no is false")
T.eq(rows[10].recovers, nil, "cannot tell is neither")
local c = headline.choose(rows, { "energy", "gap", "stable", "floor" })
T.eq(c.measure, "gap", "gap recovers k on the most rows (floor, which problem 1 does not measure, is left out)")
T.eq(c.ranking[1].recovers, 2, "gap: 2 rows")
T.eq(#c.ranking, 3, "floor is not ranked")
c = headline.choose(rows, { "energy", "stable" })
T.eq(c.measure, "stable", "a tie goes to the smaller mean |log worst_ratio|")
T.eq(headline.choose(rows, { "numerical" }).measure, nil, "no measure recovers k: none chosen")
local o = { measure = "auto", calibration = fixture }
local s = headline.settle(o, { "energy", "gap", "stable" })
T.eq(s.measure, "gap", "auto: the rule's choice"); T.eq(s.how, "calibration", "chosen by the calibration")
T.eq(s.default, false, "a --calibration was given")
s = headline.settle({ measure = "auto", calibration = fixture }, { "numerical" })
T.eq(s.measure, headline.FALLBACK, "nothing recovers k: the fallback"); T.eq(s.how, "fallback", "said so")
s = headline.settle({ measure = "energy", calibration = fixture }, { "energy", "gap" })
T.eq(s.measure, "energy", "--measure wins"); T.eq(s.chosen_by_rule, "gap", "and the rule's choice is kept")
s = headline.settle({ measure = "auto", calibration = "" }, rh.rank.measure_names)
T.eq(s.default, true, "no --calibration: the default table")
T.ok(s.file:find("default_calibration.csv", 1, true), "the default table's file")
T.raises("no such file", headline.settle, { measure = "auto", calibration = "/nonexistent/x" }, { "gap" })
local bad = os.tmpname()
local fh = io.open(bad, "w"); fh:write("task,family,measure,slope\nlinear,first,gap,1\n"); fh:close()
T.raises("no column 'slope_lo'", headline.read, bad)
os.remove(bad)

-- ---- the equilibrium check (problem1/long.lua) on constructed histories ----
local long = require "problem1.long"
local function layers(b, c) return { { ranks = { energy = b, gap = b } }, { ranks = { energy = c, gap = c } } } end
local recs, hist = {}, {}
for i = 1, 3 do
  recs[i] = { id = "L" .. i, kind = "long", status = "ok", architecture = { 784, 64, 10 }, wd_horizon = 16, epochs = 100,
    layers = layers(10 + i, 9) }
  -- energy drifts by 5 from H 5 to the end; the classifier stays
  hist["L" .. i] = { { wd_horizon = 2, layers = layers(40, 9) }, { wd_horizon = 5.1, layers = layers(5 + i, 9) },
    { wd_horizon = 8, layers = layers(30, 9) }, { wd_horizon = 16 } }
end
local V2 = require "common.verdicts"
local L = long.build(recs, { long_at = 5, long_horizon = 16, rank_slack = 1, rank_rel_slack = 0.05 }, { "energy" },
  function(id) return hist[id] end)
T.eq(#L.runs, 3, "three long runs")
T.near(L.early_h.mean, 5.1, 1e-12, "the check nearest H = 5")
local byfig = {}
for _, r in ipairs(L.rows) do byfig[r.figure] = r end
T.eq(byfig.bottleneck.verdict, "drifts", "a rank 5 higher at the end drifts")
T.near(byfig.bottleneck.diff.mean, 5, 1e-12, "end minus early: 5")
T.eq(byfig.classifier.verdict, "stationary", "a rank that stays is stationary")
T.eq(byfig.classifier.within, 3, "within the slack in 3 of 3")
T.eq(V2.within_slack(20, 21, 1, 0.05), true, "1 within slack 1")
T.eq(V2.within_slack(20, 22, 1, 0.05), false, "2 is beyond max(1, 0.05 x 22)")
T.eq(V2.within_slack(40, 41.9, 1, 0.05), true, "1.9 is within 0.05 x 41.9: the relative slack")
T.eq(V2.within_slack(nil, 3, 1, 0.05), nil, "no early rank: no verdict")

T.done()
