-- bench_common.lua - what the Lua benchmarks share: the median (the studies' own, from
-- scripts/common/stats.lua), a timer, an endless batch supplier, the documented training
-- loop, the parts of a step timed alone, and a training step's matrix products alone (the
-- limit a step is measured against). A benchmark loads it from its own folder:
--   package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
--   local common = require "bench_common"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = here .. "/../scripts/?.lua;" .. package.path
local M = {}

M.median = require("common.stats").median

-- Seconds f(k) takes.
function M.time(f, k)
  local t0 = rh.clock()
  f(k)
  return rh.clock() - t0
end

-- The next batch of a shuffled loader over `dataset` at batch B that runs epoch after epoch
-- (drop_last, so every batch has B rows); returns the supplier and the loader.
function M.batches(dataset, B, seed)
  local ld = rh.data.loader(dataset, { batch = B, shuffle = true, seed = seed, drop_last = true })
  return function()
    local X, Y = ld:next()
    if not X then X, Y = ld:next() end
    return X, Y
  end, ld
end

-- k steps of the loop of docs/training.md: zero_grad, forward, loss, backward, step, on
-- batches from nextb(). skip_first_gx: backward(x, gy, true), as rh.train.fit does.
function M.step_loop(model, crit, opt, nextb, skip_first_gx)
  return function(k)
    for _ = 1, k do
      local X, Y = nextb()
      opt:zero_grad()
      local y = model:forward(X)
      crit:forward(y, Y)
      model:backward(X, crit:backward(y, Y), skip_first_gx)
      opt:step()
    end
  end
end

-- The parts of a step outside the products, each alone (f(k) does k of them), on `model`
-- (give it one that is not also being timed: its optimizer steps again and again) and one
-- batch of nextb(): loader, zero_grad, loss (forward and backward), optimizer, and fwd_rest
-- and bwd_rest (forward and backward less the time inside cblas_sgemm: bias, ReLU, module
-- calls; those two return their own time). The optimizer has stepped once (its buffers exist).
M.PARTS = { "loader", "zero_grad", "loss", "optimizer", "fwd_rest", "bwd_rest" }
function M.parts(model, crit, opt, nextb, skip_first_gx)
  local X, Y = nextb()
  X, Y = X:clone(), Y:clone()
  local y = model:forward(X)
  model:backward(X, crit:backward(y, Y), skip_first_gx)
  opt:step()
  local clock = rh.gemm_clock
  local out = {}
  out.loader = function(k) for _ = 1, k do nextb() end end
  out.zero_grad = function(k) for _ = 1, k do opt:zero_grad() end end
  out.loss = function(k) for _ = 1, k do crit:forward(y, Y); crit:backward(y, Y) end end
  out.optimizer = function(k) for _ = 1, k do opt:step() end end
  out.fwd_rest = function(k)
    local c0, t0 = clock(), rh.clock()
    for _ = 1, k do model:forward(X) end
    return (rh.clock() - t0) - (clock() - c0)
  end
  out.bwd_rest = function(k)
    local g = crit:backward(y, Y)
    local c0, t0 = clock(), rh.clock()
    for _ = 1, k do model:backward(X, g, skip_first_gx) end
    return (rh.clock() - t0) - (clock() - c0)
  end
  return out
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
