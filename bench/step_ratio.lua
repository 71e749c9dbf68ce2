-- step_ratio.lua - how close a training step comes to its own matrix products, at the
-- shapes of a sweep: the MLP 784-256-256-256-10 at batch 16, 32 and 64, and the seed's MLP
-- 784-784-784-784-10 at batch 64, with one OpenBLAS thread (the unit a sweep runs per core).
--
-- For each shape, three things are timed in the same rounds, their order rotated from round
-- to round so that the load of a shared machine falls on all three alike:
--   products  the step's own products alone, on tensors of its shapes (one set per layer):
--             forward y = x W^T, input gradient gx = gy W (not for the first layer: a data
--             batch needs none, and both loops skip it), weight gradient gW += gy^T x, each
--             through rh.addmm -> cblas_sgemm as the layers call it. This is the limit.
--   hand      the loop of docs/training.md: zero_grad, forward, loss, backward (skipping the
--             first layer's input gradient), SGD step, batches from rh.data.loader over the
--             60000 Fashion-MNIST training images. SGD as problem 1 trains (lr 0.1,
--             momentum 0, weight decay 5e-3) for 784-256-256-256-10, as train_throughput.lua
--             (lr 0.01, momentum 0.9, weight decay 5e-4) for the seed's MLP; --momentum M
--             sets the momentum of the first.
--   fit       rh.train.fit on the same model, optimizer and loader (an "epoch" of K steps,
--             progress off): what a sweep runs.
-- ratio = (products time) / (step time) for the same work: the fraction of the products-alone
-- rate the loop reaches. Medians over the rounds of the per-round ratios. Then the parts of
-- the step outside the products, each timed alone (same rounds).
--
-- Usage: rankhost bench/step_ratio.lua [--reps R] [--batch B]... [--threads N] [--no-seed]
--                                     [--momentum M] [--gflop G (work per timing)]
-- Figures are printed; nothing is checked (timings belong here, not in tests).
local nn, optim, data = rh.nn, rh.optim, rh.data
package.path = (arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local common = require "bench_common"
local median, time = common.median, common.time

local opts = { reps = 7, batches = {}, threads = 1, seed = true, flop = 8e9, momentum = 0 }
do
  local i = 1
  while arg and arg[i] do
    local a = arg[i]
    if a == "--reps" then i = i + 1; opts.reps = assert(math.tointeger(tonumber(arg[i])), "--reps N")
    elseif a == "--batch" then i = i + 1; opts.batches[#opts.batches + 1] = assert(math.tointeger(tonumber(arg[i])), "--batch B")
    elseif a == "--threads" then i = i + 1; opts.threads = assert(math.tointeger(tonumber(arg[i])), "--threads N")
    elseif a == "--no-seed" then opts.seed = false
    elseif a == "--momentum" then i = i + 1; opts.momentum = assert(tonumber(arg[i]), "--momentum M")
    elseif a == "--gflop" then i = i + 1; opts.flop = assert(tonumber(arg[i]), "--gflop G") * 1e9
    else error("unknown option " .. a .. " (--reps R, --batch B, --threads N, --no-seed, --momentum M, --gflop G)") end
    i = i + 1
  end
  if #opts.batches == 0 then opts.batches = { 16, 32, 64 } end
end

local SWEEP = { 784, 256, 256, 256, 10 }
local SEED = { 784, 784, 784, 784, 10 }
local SGD = { -- per shape: problem 1's regime for the sweep's MLP, train_throughput's for the seed's
  [SWEEP] = { lr = 0.1, momentum = opts.momentum, weight_decay = 5e-3 },
  [SEED] = { lr = 0.01, momentum = 0.9, weight_decay = 5e-4 },
}

rh.threads(opts.threads)
local train = data.fashion_mnist { split = "train" }
local blas = rh.blas()
local up = io.open("/proc/loadavg")
local load = up and up:read("l") or "?"
if up then up:close() end
print(string.format("step_ratio: OpenBLAS %s, %d thread(s); %d rounds; load average at start: %s", blas.core,
                    blas.threads, opts.reps, load))

-- The products of one step, the first layer's input gradient skipped (bench_common.lua).
local function products(sizes, B) return common.products(sizes, B, true) end

local function new_run(sizes)
  rh.seed(1)
  local model = nn.MLP(sizes)
  return model, nn.CrossEntropyLoss(), optim.SGD(model, SGD[sizes])
end

local function batches(B, seed) return common.batches(train, B, seed) end

local function hand_loop(sizes, B)
  local model, crit, opt = new_run(sizes)
  return common.step_loop(model, crit, opt, batches(B, 1), true)
end

local function fit_loop(sizes, B)
  local model, crit, opt = new_run(sizes)
  local nextb = batches(B, 1)
  local k = 0
  local function epoch()
    local left = k
    return function()
      if left == 0 then return nil end
      left = left - 1
      return nextb()
    end
  end
  local fo = { optimizer = opt, loss = crit, max_epochs = 1, progress = false }
  return function(n)
    k = n
    rh.train.fit(model, epoch, fo)
  end
end

-- The parts of a step outside the products, each alone, on a model of the step's shapes.
local function parts(sizes, B)
  local model, crit, opt = new_run(sizes)
  return common.parts(model, crit, opt, batches(B, 2), true)
end
local PARTS = common.PARTS

local summary = {}
local function run(sizes, B)
  local P = 0
  for i = 1, #sizes - 1 do P = P + sizes[i] * sizes[i + 1] + sizes[i + 1] end
  local flop = 2 * B * (2 * P - sizes[1] * sizes[2]) -- 3 products per layer, the first layer's gx skipped
  local K = math.max(20, math.ceil(opts.flop / flop))
  local f = { products = products(sizes, B), hand = hand_loop(sizes, B), fit = fit_loop(sizes, B) }
  local names = { "products", "hand", "fit" }
  local p = parts(sizes, B)
  for _, n in ipairs(names) do f[n](3) end
  local t, r = { products = {}, hand = {}, fit = {} }, { hand = {}, fit = {} }
  local pt = {}
  for _, n in ipairs(PARTS) do pt[n] = {} end
  local inside = {} -- time inside cblas_sgemm during the hand loop, per step
  for round = 1, opts.reps do
    for j = 0, 2 do
      local n = names[(round + j - 1) % 3 + 1]
      local c0 = rh.gemm_clock()
      t[n][round] = time(f[n], K) / K
      if n == "hand" then inside[round] = (rh.gemm_clock() - c0) / K end
    end
    r.hand[round] = t.products[round] / t.hand[round]
    r.fit[round] = t.products[round] / t.fit[round]
    for _, n in ipairs(PARTS) do
      local t0 = rh.clock()
      local v = p[n](K)
      pt[n][round] = (v or (rh.clock() - t0)) / K
    end
  end
  local tp, th, tf = median(t.products), median(t.hand), median(t.fit)
  local name = table.concat(sizes, "-")
  local sgd = SGD[sizes]
  print(string.format("\n%s, batch %d, SGD lr %g momentum %g weight decay %g: %d steps per timing, %.1f MFLOP per step",
                      name, B, sgd.lr, sgd.momentum, sgd.weight_decay, K, flop / 1e6))
  print(string.format("  products alone %7.3f ms/step %8.0f samples/s %6.1f GFLOP/s", 1e3 * tp, B / tp, flop / tp / 1e9))
  print(string.format("  hand loop      %7.3f ms/step %8.0f samples/s   ratio %.3f (rounds %.3f..%.3f)", 1e3 * th,
                      B / th, median(r.hand), math.min(table.unpack(r.hand)), math.max(table.unpack(r.hand))))
  print(string.format("  rh.train.fit   %7.3f ms/step %8.0f samples/s   ratio %.3f (rounds %.3f..%.3f)", 1e3 * tf,
                      B / tf, median(r.fit), math.min(table.unpack(r.fit)), math.max(table.unpack(r.fit))))
  print(string.format("  in the hand loop: products %.3f ms/step (%.2f x their time alone), the rest %.3f ms/step",
                      1e3 * median(inside), median(inside) / tp, 1e3 * (th - median(inside))))
  local line = {}
  for _, n in ipairs(PARTS) do line[#line + 1] = string.format("%s %.1f", n, 1e6 * median(pt[n])) end
  print("  parts alone, us/step: " .. table.concat(line, ", "))
  summary[#summary + 1] = string.format("%-20s batch %3d: hand %.3f (%6.0f samples/s), fit %.3f (%6.0f samples/s), "
                                        .. "products %6.0f samples/s", name, B, median(r.hand), B / th, median(r.fit),
                                        B / tf, B / tp)
  collectgarbage()
end

for _, B in ipairs(opts.batches) do run(SWEEP, B) end
if opts.seed then run(SEED, 64) end
up = io.open("/proc/loadavg")
print("\nsummary (ratio = step rate / products-alone rate, medians; load average at end: "
      .. (up and up:read("l") or "?") .. ")")
if up then up:close() end
for _, s in ipairs(summary) do print("  " .. s) end
