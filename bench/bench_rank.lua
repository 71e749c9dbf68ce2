-- bench_rank.lua - rh.rank.all over a 784-784-784-784-10 MLP's layers from Lua, next to
-- rh.linalg.svdvals on the same matrices (the SVD alone), in the same run.
-- Usage: rankhost bench/bench_rank.lua [reps]
local reps = tonumber(arg and arg[1]) or 11
rh.seed(1)
local shapes = { { 784, 784 }, { 784, 784 }, { 784, 784 }, { 10, 784 } }
local W = {}
for i, s in ipairs(shapes) do W[i] = (rh.rand(s[1], s[2]) - 0.5) * (2 / 28) end
package.path = (arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local median = require("bench_common").median
local function round(f) local t0 = rh.clock(); for i = 1, #W do f(W[i]) end; return rh.clock() - t0 end
round(rh.rank.all); round(rh.linalg.svdvals)
local ta, ts = {}, {}
for r = 1, reps do -- alternate which goes first, so drifts in machine load hit both
  if r % 2 == 0 then ta[r] = round(rh.rank.all) end
  ts[r] = round(rh.linalg.svdvals)
  if r % 2 == 1 then ta[r] = round(rh.rank.all) end
end
local ms, ma = median(ts), median(ta)
print(string.format("rh.linalg.svdvals: median %.3f ms per network", 1e3 * ms))
print(string.format("rh.rank.all:       median %.3f ms per network", 1e3 * ma))
print(string.format("ratio all / svdvals: %.3f", ma / ms))
