-- test_calibrate.lua - the calibration study's analysis (scripts/calibrate/verdict.lua): the
-- log-log slope fit against hand-computed lines, the worst ratio, the intervals over seeds,
-- and every branch of the "recovers k" and "follows C" rules.
local T = require "testlib"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path
local V = require "calibrate.verdict"

local ks = { 1, 2, 4, 8, 16, 32 }
-- r = 3 k^0.5 exactly: a = log 3, b = 0.5
local rs = {}
for i, k in ipairs(ks) do rs[i] = 3 * k ^ 0.5 end
local a, b = V.loglog_fit(ks, rs)
T.near(a, math.log(3), 1e-12, "intercept of r = 3 sqrt(k)")
T.near(b, 0.5, 1e-12, "slope of r = 3 sqrt(k)")
-- a hand-computed least-squares line through three points: log r = 0, log 2 (k = 1, 2), log 2 (k = 4)
a, b = V.loglog_fit({ 1, 2, 4 }, { 1, 2, 2 })
-- x = 0, l, 2l (l = log 2), y = 0, l, l: b = sxy/sxx = (l^2)/(2 l^2) = 0.5, a = my - b mx = 2l/3 - l/2 = l/6
T.near(b, 0.5, 1e-12, "least-squares slope, 3 points")
T.near(a, math.log(2) / 6, 1e-12, "least-squares intercept, 3 points")
local none, why = V.loglog_fit({ 1, 2 }, { 1, 0 })
T.eq(none, nil, "a rank of 0 cannot be fitted on a log scale")
T.ok(why:find("a rank of 0 at k = 2", 1, true), "and says where: " .. why)
none, why = V.loglog_fit({ 4, 4 }, { 1, 2 })
T.eq(why, "fewer than two distinct k", "one k cannot give a slope")
T.raises("loglog_fit: 2 k's for 1 ranks", V.loglog_fit, { 1, 2 }, { 1 })

T.eq(V.worst_ratio({ 1, 2, 4 }, { 2, 2, 3 }), 2, "worst r/k: 2 at k = 1 (farther from 1 than 0.75 on a log scale)")
T.eq(V.worst_ratio({ 1, 4 }, { 1, 1 }), 0.25, "worst r/k below 1")

-- a ladder over 3 seeds: r = k exactly on two seeds, 1.1 k on the third
local pts = {}
for seed = 1, 3 do
  for _, k in ipairs(ks) do pts[#pts + 1] = { k = k, seed = seed, r = seed == 3 and 1.1 * k or k } end
end
local f = V.ladder(pts)
T.eq(f.n, 3, "three seeds")
T.near(f.slope, 1, 1e-12, "slope 1 on every seed")
T.near(f.intercept, math.log(1.1) / 3, 1e-12, "intercept: mean of 0, 0, log 1.1")
T.ok(f.intercept_lo < f.intercept and f.intercept_hi > f.intercept, "an interval over seeds")
T.near(f.worst_ratio, 1.1 / 3 + 2 / 3, 1e-12, "worst ratio: mean of 1, 1, 1.1")
T.eq(f.recovers, true, "r = k (and 1.1 k) recovers k: " .. f.why)
T.near(f.rung_ratio[1], (1 + 1 + 1.1) / 3, 1e-12, "rung ratio: seed mean of r over k")

-- the rules' branches
local ok, w = V.recovers(0.89, { 1, 1 })
T.eq(ok, false, "slope below 0.9"); T.ok(w:find("slope 0.89 outside", 1, true), w)
T.eq((V.recovers(1.11, { 1, 1 })), false, "slope above 1.1")
T.eq((V.recovers(0.9, { 0.8, 1.25 })), true, "the bounds are inside")
ok, w = V.recovers(1, { 1, 1.26 })
T.eq(ok, false, "a rung above 1.25"); T.ok(w:find("rung 2", 1, true), w)
T.eq((V.recovers(1, { 0.79, 1 })), false, "a rung below 0.8")
T.eq((V.recovers(nil, { 1, 2 })), false, "a rung outside decides without a slope")
ok, w = V.recovers(nil, {}, "a rank of 0 at k = 1")
T.eq(ok, nil, "no slope: cannot tell"); T.ok(w:find("not fitted: a rank of 0", 1, true), w)
-- a measure stuck at a constant (the energy rank's 49-58 of issue 22) does not recover k
local flat = {}
for seed = 1, 3 do for _, k in ipairs(ks) do flat[#flat + 1] = { k = k, seed = seed, r = 50 + seed } end end
f = V.ladder(flat)
T.eq(f.recovers, false, "a flat ladder does not recover k")
T.ok(math.abs(f.slope) < 1e-12, "its slope is 0")
T.near(f.worst_ratio, 52, 1e-9, "its worst ratio is r at k = 1 (51, 52, 53: mean 52)")
-- a seed with a rank of 0 makes the ladder unfit, not a crash
local zero = { { k = 1, seed = 1, r = 0 }, { k = 2, seed = 1, r = 2 } }
f = V.ladder(zero)
T.eq(f.recovers, false, "rank 0 at k = 1: the rung ratio 0 fails the rule")
T.eq(f.slope, nil, "no slope from that seed")
T.eq(f.n_fit, 0, "no seed fitted")
T.ok(f.unfit:find("seed 1: a rank of 0 at k = 1", 1, true), "which seed and why: " .. tostring(f.unfit))

-- the verdict reads the slope it reports: seeds of slopes 0.5 and 1.1 (mean 0.8) whose rung
-- means happen to be near k do not recover k
local mixed = {}
for _, k in ipairs({ 1, 4, 16 }) do
  mixed[#mixed + 1] = { k = k, seed = 1, r = k ^ 0.5 * 1.0 }
  mixed[#mixed + 1] = { k = k, seed = 2, r = 2 * k ^ 1.1 }
end
f = V.ladder(mixed)
T.near(f.slope, 0.8, 1e-12, "mean of the seeds' slopes")
T.eq(f.recovers, false, "decided on the reported slope 0.8")

-- follows C
T.eq((V.follows_C({ { C = 10, k = 4, r = 9 }, { C = 10, k = 8, r = 10 }, { C = 5, k = 4, r = 3.2 } })), true,
  "C - 1 +- 1 and still in k")
ok, w = V.follows_C({ { C = 10, k = 4, r = 7.9 } })
T.eq(ok, false, "2.1 below C - 1"); T.ok(w:find("not C - 1", 1, true), w)
ok, w = V.follows_C({ { C = 10, k = 1, r = 8.1 }, { C = 10, k = 32, r = 9.9 } })
T.eq(ok, false, "moves by 1.8 with k"); T.ok(w:find("moves with k", 1, true), w)
T.eq((V.follows_C({})), nil, "no points: cannot tell")

-- calibration.csv's row
local row = V.row("linear", "first", "spikes", V.ladder(pts))
for _, c in ipairs(V.COLUMNS) do T.ok(row[c] ~= nil, "row has " .. c) end
T.done()
