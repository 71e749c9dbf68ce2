-- my_measure.lua - a rank measure of one's own, added by one registry entry (docs/rank.md):
-- once registered it is computed for every layer by rh.rank.all and rh.rank.network, it is a
-- choice of a study's --measure and --rank-measure and of rh.train.fit's rank_converged
-- (whose tol sets its first parameter), and problem 1's summary.csv, classes and report
-- carry it, with no study file touched. Load it into a study with --require:
--
--   rankhost scripts/problem1.lua --quick --require examples/my_measure.lua --measure above_top
--
-- above_top: #{s_i >= above_top_frac * s_1}, the singular values within a fraction of the
-- largest (an integer, scale-invariant measure with one parameter).
local rh = require "rankhost"

rh.rank.register {
  name = "above_top", integer = true, scale_invariant = true,
  doc = "above-top rank: #{s_i >= above_top_frac * s_1}, default above_top_frac = 0.1",
  params = { { name = "above_top_frac", default = 0.1, doc = "fraction of the largest singular value",
    check = function(v) if type(v) ~= "number" or not (v > 0 and v <= 1) then return "a number in (0, 1]" end end } },
  -- s: the singular values (a 1-D CPU tensor, largest first), shape {m, n}, p: the parameters
  fn = function(s, _, p)
    local t, r = s:totable(), 0
    for _, x in ipairs(t) do if x >= p.above_top_frac * t[1] then r = r + 1 end end
    return r
  end,
}
