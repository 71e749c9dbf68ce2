-- train_throughput.lua - training throughput of the seed's MLP 784-784-784-784-10 on full
-- Fashion-MNIST (SGD, momentum 0.9, weight decay 5e-4), driven by the plain Lua loop of
-- docs/training.md, next to the cblas_sgemm rate of the step's own twelve products
-- (forward x W^T, input gradient gy W, weight gradient gy^T x, for each of the four layers),
-- measured in the same run and interleaved with the training so both see the same load.
-- Also: where the rest of a step goes (loader, loss, zero_grad, optimizer), and, with
-- --epoch, the peak resident memory of a whole epoch in a fresh process.
--
-- Usage: rankhost bench/train_throughput.lua [--reps R] [--steps K] [--batch B]...
--        rankhost bench/train_throughput.lua --epoch [--batch B]   (one epoch, peak RSS)
--        rankhost bench/train_throughput.lua --threads [--batch B]  (1 vs 2 OpenBLAS threads)
-- Figures are printed; nothing is checked (timings belong here, not in tests).
local nn, optim, data = rh.nn, rh.optim, rh.data
package.path = (arg and arg[0] and arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local common = require "bench_common"
local median, time = common.median, common.time

local opts = { reps = 7, steps = 60, batches = {}, epoch = false, threads = false }
do
  local i = 1
  while arg and arg[i] do
    local a = arg[i]
    if a == "--epoch" then opts.epoch = true
    elseif a == "--threads" then opts.threads = true
    elseif a == "--reps" then i = i + 1; opts.reps = assert(tonumber(arg[i]), "--reps N")
    elseif a == "--steps" then i = i + 1; opts.steps = assert(tonumber(arg[i]), "--steps N")
    elseif a == "--batch" then i = i + 1; opts.batches[#opts.batches + 1] = assert(math.tointeger(tonumber(arg[i])), "--batch B")
    else error("unknown option " .. a) end
    i = i + 1
  end
  if #opts.batches == 0 then opts.batches = opts.epoch and { 64 } or { 64, 128 } end
end

local SIZES = { 784, 784, 784, 784, 10 }
local MB = 1024 * 1024

local function new_run(B)
  rh.seed(1)
  local model = nn.MLP(SIZES)
  local crit = nn.CrossEntropyLoss()
  local opt = optim.SGD(model, { lr = 0.01, momentum = 0.9, weight_decay = 5e-4 })
  return model, crit, opt
end

-- ---------------------------------------------------------------- one epoch: peak memory
if opts.epoch then
  local B = opts.batches[1]
  local rss0 = rh.rss()
  local train = data.fashion_mnist { split = "train" }
  local rss_data = rh.rss()
  local model, crit, opt = new_run(B)
  local loader = data.loader(train, { batch = B, shuffle = true, seed = 1 })
  local t0, steps, total = rh.clock(), 0, 0
  for X, Y in loader do -- the ten-line loop of docs/training.md
    opt:zero_grad()
    local y = model:forward(X)
    local loss = crit:forward(y, Y)
    model:backward(X, crit:backward(y, Y))
    opt:step()
    steps, total = steps + 1, total + loss
  end
  local dt = rh.clock() - t0
  print(string.format("one epoch, batch %d: %d steps in %.2f s (%.0f samples/s), mean loss %.4f", B, steps, dt,
                      train:size() / dt, total / steps))
  print(string.format("resident memory: %.1f MB at start, %.1f MB after loading (%.1f MB of images), "
                      .. "%.1f MB at the end", rss0 / MB, rss_data / MB, train.bytes / MB, rh.rss() / MB))
  print(string.format("tensors live: %.1f MB (parameters, gradients, momentum: %.1f MB)", rh.memory().cpu / MB,
                      3 * 4 * model:num_parameters() / MB))
  print(string.format("PEAK RSS (VmHWM) of the full-epoch run: %.1f MB (%.1f MB over the program at start; "
                      .. "the CUDA libraries, ~180 MB, load only when a script uses CUDA)", rh.peak_rss() / MB,
                      (rh.peak_rss() - rss0) / MB))
  return
end

-- ---------------------------------------------------------------- throughput
local train = data.fashion_mnist { split = "train" }
print(string.format("Fashion-MNIST train: %d examples; MLP %s; SGD momentum 0.9, weight decay 5e-4",
                    train:size(), table.concat(SIZES, "-")))
local blas = rh.blas()
print(string.format("OpenBLAS kernels: %s, threads: %d; %d reps of %d steps each, medians", blas.core, blas.threads,
                    opts.reps, opts.steps))

-- The twelve products of one step on tensors of its shapes (bench_common.lua).
local function gemm_reference(B) return common.products(SIZES, B, false) end

-- k steps of the documented loop, batches from a loader that restarts its epochs as needed;
-- and the parts of a step, each alone, on a second model of the same shapes, so that
-- repeated optimizer steps leave the trained one alone (bench_common.lua).
local function training(B)
  local model, crit, opt = new_run(B)
  local nextb = common.batches(train, B, 1)
  local model2, crit2, opt2 = new_run(B)
  return common.step_loop(model, crit, opt, nextb, false), common.parts(model2, crit2, opt2, nextb, false), model
end

-- 1 against 2 OpenBLAS threads on the same training loop, alternating within the run.
if opts.threads then
  local n0 = rh.threads()
  for _, B in ipairs(opts.batches) do
    local step_loop = training(B)
    step_loop(5)
    local t = { [1] = {}, [2] = {} }
    for r = 1, opts.reps do
      for _, n in ipairs(r % 2 == 1 and { 1, 2 } or { 2, 1 }) do
        rh.threads(n)
        t[n][r] = time(step_loop, opts.steps) / opts.steps
      end
    end
    local m1, m2 = median(t[1]), median(t[2])
    print(string.format("batch %d: 1 thread %.3f ms/step (%.0f samples/s); 2 threads %.3f ms/step (%.0f samples/s); "
                        .. "speed-up %.2f", B, 1e3 * m1, B / m1, 1e3 * m2, B / m2, m1 / m2))
  end
  rh.threads(n0)
  return
end

local summary = {}
for _, B in ipairs(opts.batches) do
  local K = opts.steps
  local gemm = gemm_reference(B)
  local step_loop, parts, model = training(B)
  local P = model:num_parameters()
  local flop = 6 * P * B -- per step: 2 P B for each of the three products
  gemm(2); step_loop(5) -- warm up: buffers, OpenBLAS threads, page faults
  local tg, tt, ratio, tin = {}, {}, {}, {}
  local clock = rh.gemm_clock
  local part_t = { loader = {}, loss = {}, zero_grad = {}, optimizer = {} }
  local alloc0 = rh.allocated()
  for r = 1, opts.reps do -- alternate the order so drifts in load hit both
    local a, b
    local function train_timed() -- and the share of it spent inside cblas_sgemm
      local c0 = clock()
      local t = time(step_loop, K)
      tin[r] = (clock() - c0) / K
      return t
    end
    if r % 2 == 1 then a = time(gemm, K); b = train_timed() else b = train_timed(); a = time(gemm, K) end
    tg[r], tt[r], ratio[r] = a / K, b / K, a / b
    for name in pairs(part_t) do part_t[name][r] = time(parts[name], K) / K end
  end
  local allocated = rh.allocated() - alloc0
  local mg, mt, mr = median(tg), median(tt), median(ratio)
  print(string.format("\nbatch %d (%d parameters, %.1f MFLOP per step)", B, P, flop / 1e6))
  print(string.format("  sgemm, the step's 12 products: %8.3f ms/step  %7.1f GFLOP/s", 1e3 * mg, flop / mg / 1e9))
  print(string.format("  training loop (Lua):           %8.3f ms/step  %7.1f GFLOP/s  %8.0f samples/s",
                      1e3 * mt, flop / mt / 1e9, B / mt))
  print(string.format("  ratio training / sgemm rate: median %.3f (min %.3f, max %.3f over %d reps)", mr,
                      math.min(table.unpack(ratio)), math.max(table.unpack(ratio)), #ratio))
  local share = {}
  for r = 1, #tt do share[r] = 1 - tin[r] / tt[r] end
  local outside = median(share) * mt
  print(string.format("  inside the step: products %.3f ms; outside them %.3f ms = %.1f%% of the step (median)",
                      1e3 * median(tin), 1e3 * outside, 100 * median(share)))
  print("  the parts of the step outside the products, each measured alone:")
  local named = 0
  for _, name in ipairs { "loader", "loss", "zero_grad", "optimizer" } do
    local m = median(part_t[name])
    named = named + m
    print(string.format("    %-10s %7.3f ms  (%4.1f%% of the step)", name, 1e3 * m, 100 * m / mt))
  end
  print(string.format("    %-10s %7.3f ms  (%4.1f%%: bias, ReLU, module calls)", "rest", 1e3 * math.max(0, outside - named),
                      100 * math.max(0, outside - named) / mt))
  print(string.format("  tensor memory allocated during the %d timed steps: %d bytes", opts.reps * K, allocated))
  summary[#summary + 1] = string.format("batch %d: ratio %.3f, %.0f samples/s, %.1f GFLOP/s (sgemm %.1f), outside %.1f%%",
                                        B, mr, B / mt, flop / mt / 1e9, flop / mg / 1e9, 100 * outside / mt)
  collectgarbage()
end
print("\nsummary")
for _, s in ipairs(summary) do print("  " .. s) end
print(string.format("peak RSS of this process: %.1f MB (for a plain full epoch: --epoch)", rh.peak_rss() / MB))
