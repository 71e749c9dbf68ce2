-- test_plateau.lua - the plateau fit of the width x depth study (common/stats.lua's slope_ci
-- and plateau) on constructed data: a slope and its interval against a hand computation, a
-- rank that grows with log width up to 128 and is flat above it (plateau at 128, its value),
-- a rank that keeps growing (no plateau), a constant rank (plateau at the narrowest width),
-- too few widths; and the verdict on plateau values across depths.
local T = require "testlib"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path
local stats = require "common.stats"
local V = require "common.verdicts"

-- by hand: xs 1..4, ys 2, 4, 5, 8: slope 9.5 / 5 = 1.9, sse 0.7, se sqrt(0.07), t(2) 4.303
local b, half, n = stats.slope_ci({ 1, 2, 3, 4 }, { 2, 4, 5, 8 })
T.near(b, 1.9, 1e-12, "slope by hand")
T.near(half, 4.303 * math.sqrt(0.07), 1e-9, "slope interval by hand")
T.eq(n, 4, "slope n")
b, half = stats.slope_ci({ 1, 2 }, { 1, 3 })
T.near(b, 2, 1e-12, "two points: a slope"); T.eq(half, nil, "two points: no interval")
b = stats.slope_ci({ 3, 3, 3 }, { 1, 2, 3 })
T.eq(b, nil, "one distinct x: no slope")

local widths = { 32, 64, 128, 256, 512, 1024 }
local noise = { -1, 0, 1 }
local function grid(f)
  local ws, ys = {}, {}
  for _, w in ipairs(widths) do
    for s = 1, 3 do ws[#ws + 1], ys[#ys + 1] = w, f(w, s) end
  end
  return ws, ys
end
-- grows by 10 per doubling up to 128, flat at 70 (+-1 over seeds) above
local ws, ys = grid(function(w, s)
  if w <= 128 then return 10 * math.log(w, 2) end
  return 70 + noise[s]
end)
local p = stats.plateau(ws, ys)
T.eq(p.width, 128, "plateau at 128")
T.near(p.value.mean, 70, 1e-9, "plateau value 70")
T.eq(p.value.n, 12, "plateau value over the 12 runs from 128")
T.ok(p.slope - p.half <= 0 and p.slope + p.half >= 0, "its slope's interval contains 0")
T.ok(p.fits[1].slope - p.fits[1].half > 0, "from 32 the slope is positive")
T.eq(#p.fits, 5, "fits from 32 to 512 (1024 alone is one width)")
-- keeps growing: no plateau
ws, ys = grid(function(w, s) return 10 * math.log(w, 2) + noise[s] * 0.1 end)
p = stats.plateau(ws, ys)
T.eq(p.width, nil, "a rank that keeps growing has no plateau")
T.eq(p.value, nil, "no plateau value")
-- constant: plateau at the narrowest width
ws, ys = grid(function() return 9 end)
p = stats.plateau(ws, ys)
T.eq(p.width, 32, "a constant rank: plateau from the narrowest width")
T.eq(p.value.mean, 9, "constant value")
-- one width: nothing to fit
p = stats.plateau({ 64, 64, 64 }, { 1, 2, 3 })
T.eq(p.width, nil, "one width: no plateau"); T.eq(#p.fits, 0, "one width: no fit")

-- ---- the plateau value against depth ----
T.ok(type(V.RULES[V.DEPENDS_RULE]) == "string", "depends rule described")
T.eq(V.depends({ { mean = 10, half = 1 }, { mean = 10.5, half = 1 } }), "no", "overlapping intervals: no")
T.eq(V.depends({ { mean = 10, half = 1 }, { mean = 14, half = 1 } }), "yes", "disjoint intervals: yes")
T.eq(V.depends({ { mean = 10, half = 1 }, { mean = 10 } }), "cannot tell", "an interval missing: cannot tell")
T.eq(V.depends({ { mean = 10, half = 1 } }), "cannot tell", "one depth: cannot tell")
T.eq(V.depends({}), "cannot tell", "no depth: cannot tell")
T.eq(V.task_property({ 128, 64 }, "no", 2), "yes", "task property: plateaus at both depths, same value")
T.eq(V.task_property({ 128, 64 }, "yes", 2), "no", "task property: the value depends on depth")
T.eq(V.task_property({}, "cannot tell", 2), "no", "task property: no plateau at any depth")
T.eq(V.task_property({ [1] = 128 }, "cannot tell", 2), "cannot tell", "task property: one depth of two")
T.eq(V.task_property({ 128, 64 }, "cannot tell", 2), "cannot tell", "task property: depth cannot tell")
T.eq(V.task_property({}, "cannot tell", 0), "cannot tell", "task property: no depths")

-- ---- the weight-decay sweep's rules ----
T.eq(V.ACC_HOLDS, 0.01, "accuracy-holds margin")
T.ok(V.accuracy_holds(0.855, 0.86), "within 0.01 of the best: holds")
T.ok(not V.accuracy_holds(0.84, 0.86), "0.02 below the best: does not hold")
T.ok(not V.accuracy_holds(0 / 0, 0.86), "NaN does not hold")
T.eq(V.plateaus("no", 3), "yes", "plateaus: overlapping over 3 decays")
T.eq(V.plateaus("yes", 3), "no", "plateaus: disjoint")
T.eq(V.plateaus("no", 1), "cannot tell", "plateaus: one decay")
T.eq(V.plateaus("cannot tell", 4), "cannot tell", "plateaus: depends cannot tell")
T.done()
