-- bench_common.lua - what the Lua benchmarks share: the median, a timer, and a training
-- step's matrix products alone (the limit a step is measured against). A benchmark loads
-- it from its own folder:
--   package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
--   local common = require "bench_common"
local M = {}

function M.median(t)
  local s = { table.unpack(t) }
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) // 2] or 0.5 * (s[n // 2] + s[n // 2 + 1])
end

-- Seconds f(k) takes.
function M.time(f, k)
  local t0 = rh.clock()
  f(k)
  return rh.clock() - t0
end

-- The products of one training step of an MLP `sizes` at batch B, on tensors of the step's
-- shapes (one set per layer, so that the working set resembles the model's), through
-- rh.addmm -> cblas_sgemm as the layers call it: forward y = x W^T, input gradient
-- gx = gy W, weight gradient gW += gy^T x. skip_first_gx leaves out the first layer's input
-- gradient, as backward(x, gy, true) and rh.train.fit do. Returns a function doing k
-- steps' worth.
function M.products(sizes, B, skip_first_gx)
  local G, L = rh.addmm, {}
  for i = 1, #sizes - 1 do
    local I, O = sizes[i], sizes[i + 1]
    L[i] = { x = rh.rand(B, I), W = rh.rand(O, I) - 0.5, y = rh.zeros(B, O), gy = rh.rand(B, O) - 0.5,
             gx = rh.zeros(B, I), gW = rh.zeros(O, I) }
    L[i].Wt, L[i].gyt = L[i].W:t(), L[i].gy:t()
  end
  return function(k)
    for _ = 1, k do
      for i = 1, #L do
        local l = L[i]
        G(l.y, l.x, l.Wt, 1, 0)
      end
      for i = #L, 1, -1 do
        local l = L[i]
        if i > 1 or not skip_first_gx then G(l.gx, l.gy, l.W, 1, 0) end
        G(l.gW, l.gyt, l.x, 1, 1)
      end
    end
  end
end

return M
