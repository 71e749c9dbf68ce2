-- test_notebook.lua - scripts/notebook's port against the notebook's semantics on tiny cases
-- (docs/notebook.md): the two-pass epoch (every batch of the batch-64 pass, then of the
-- batch-128 one, the last of each smaller), the Adam parameter groups and one step of each
-- against PyTorch's documented update rule worked by hand, ReduceLROnPlateau(threshold=1e-2,
-- mode 'rel') stepped on the last batch's loss, the check after epochs 1, 4, 7, ..., the
-- evolve rule, and the next meta-iteration's widths (the last check's ranks: a first layer
-- with 3 inputs has rank 3, so its next width is 3; a last batch of 2 samples leaves gradients
-- of rank <= 2).
local T = require "testlib"
local rh = require "rankhost"
local src = os.getenv("RH_SOURCE") or ".."
package.path = src .. "/scripts/?.lua;" .. package.path
local core = require "notebook.core"
local nn = rh.nn

local function opts(over)
  local o = { optimizer = "adam", lr = 1e-3, momentum = 0, weight_decay = 0, decay_last_only = false, plateau = true,
    plateau_threshold = 1e-2, batches = { 4, 8 }, seed = 3, epochs = 5, check_every = 3, measure = "numerical", tol = -1,
    evolve_acc = 0.9, evolve_delta = 0.01, device = "" }
  for k, v in pairs(over or {}) do o[k] = v end
  return o
end

local train = rh.data.mixture { n = 10, dim = 3, classes = 3, seed = 1 }
local test = rh.data.mixture { n = 20, dim = 3, classes = 3, seed = 2 }

-- ---- the network ----
T.eq(table.concat(core.sizes(784, core.initial_widths(2, 784), 10), ","), "784,784,784,784,10",
  "n_layers 2: Linear(784->784), 2 Linear(784->784), Linear(784->10)")
do
  local m = core.build(3, { 6, 5 }, 3)
  local ls = m:linear_layers()
  T.eq(#ls, 3, "hidden widths 6-5: three Linear layers")
  T.eq(table.concat(ls[2].weight:shape(), "x"), "5x6", "layer 2 maps 6 -> 5 (weight out x in)")
  -- ReLU after every layer but the last: a negative logit survives, hidden activations do not
  local x = rh.randn(4, 3)
  local y = m:forward(x)
  local h = ls[1].weight:t()
  local a = (x:mm(h) + ls[1].bias):relu()
  a = (a:mm(ls[2].weight:t()) + ls[2].bias):relu()
  local logits = a:mm(ls[3].weight:t()) + ls[3].bias
  T.tensor_near(y, logits, 1e-5, "forward = Linear, ReLU, Linear, ReLU, Linear (no ReLU on the logits)")
end

-- ---- the two-pass epoch ----
do
  rh.seed(5)
  local m = core.build(3, { 6, 5 }, 3)
  rh.seed(5)
  local ref = core.build(3, { 6, 5 }, 3)
  local o = opts()
  local sizes, losses = {}, {}
  local real = nn.CrossEntropyLoss()
  local crit = {
    forward = function(_, y, Y)
      sizes[#sizes + 1] = Y:shape()[1]
      local l = real:forward(y, Y)
      losses[#losses + 1] = l
      return l
    end,
    backward = function(_, y, Y) return real:backward(y, Y) end,
  }
  local e = core.epoch(m, core.optimizer(m, o), crit, train, o.batches, 11)
  T.eq(table.concat(sizes, ","), "4,4,2,8,2", "10 samples: a pass at batch 4 (4,4,2), then one at batch 8 (8,2)")
  T.eq(e.steps, 5, "five steps")
  T.eq(e.passes[1].steps, 3, "pass 1: 3 steps")
  T.eq(e.passes[2].steps, 2, "pass 2: 2 steps")
  T.eq(e.last_loss, losses[5], "last_loss is the last batch's (of the second pass)")
  T.near(e.mean_loss, (losses[1] + losses[2] + losses[3] + losses[4] + losses[5]) / 5, 1e-12, "mean over the steps")
  -- the same steps by hand: each pass shuffled anew (seeds 11 and 12), zero_grad, step
  local opt = core.optimizer(ref, o)
  local c = nn.CrossEntropyLoss()
  for p, b in ipairs { 4, 8 } do
    for X, Y in rh.data.loader(train, { batch = b, shuffle = true, seed = 11 + p - 1 }) do
      opt:zero_grad()
      local y = ref:forward(X)
      c:forward(y, Y)
      ref:backward(X, c:backward(y, Y))
      opt:step()
    end
  end
  local pa, pb = m:parameters(), ref:parameters()
  for i = 1, #pa do T.tensor_near(pa[i], pb[i], 0, "parameter " .. i .. " equals the loop by hand") end
end

-- ---- the parameter groups ----
do
  local m = core.build(3, { 6, 5 }, 3)
  local ls = m:linear_layers()
  local opt = core.optimizer(m, opts())
  T.eq(opt.name, "Adam", "Adam")
  T.eq(#opt.groups, 2, "two groups")
  local g1, g2 = opt.groups[1], opt.groups[2]
  T.eq(#g1.params, 4, "group 1: the weights and biases of all layers but the last")
  T.ok(rawequal(g1.params[1], ls[1].weight) and rawequal(g1.params[2], ls[1].bias) and rawequal(g1.params[3], ls[2].weight)
    and rawequal(g1.params[4], ls[2].bias), "group 1 holds layers 1 and 2's tensors")
  T.ok(rawequal(g1.grads[3], ls[2].grad_weight), "with their gradients")
  T.eq(#g2.params, 2, "group 2: the last layer")
  T.ok(rawequal(g2.params[1], ls[3].weight) and rawequal(g2.params[2], ls[3].bias), "group 2 holds layer 3's tensors")
  T.eq(g1.weight_decay, 0, "group 1: weight_decay 0 (explicit)")
  T.eq(g2.weight_decay, 0, "group 2: Adam's default, 0")
  T.eq(g1.lr, 1e-3, "lr 1e-3")
  T.eq(g2.lr, 1e-3, "lr 1e-3 (the default)")
  T.ok(g1.betas[1] == 0.9 and g1.betas[2] == 0.999 and g1.eps == 1e-8, "Adam's defaults")
  local a = core.optimizer(m, opts { weight_decay = 0.1 })
  T.ok(a.groups[1].weight_decay == 0.1 and a.groups[2].weight_decay == 0.1, "--weight-decay: every layer")
  local b = core.optimizer(m, opts { weight_decay = 0.1, decay_last_only = true })
  T.ok(b.groups[1].weight_decay == 0 and b.groups[2].weight_decay == 0.1, "--decay-last-only: the last group only")
  local s = core.optimizer(m, opts { optimizer = "sgd", lr = 0.05, momentum = 0.9, weight_decay = 5e-3 })
  T.ok(s.name == "SGD" and #s.groups == 2 and s.groups[1].momentum == 0.9 and s.groups[1].weight_decay == 5e-3
    and s.groups[2].weight_decay == 5e-3 and s.groups[2].lr == 0.05, "--optimizer sgd: SGD in the same two groups")
end

-- One Adam step by hand (torch.optim.Adam's documented algorithm, step t = 1):
--   g <- g + wd p;  m = (1 - b1) g;  v = (1 - b2) g^2;  p <- p - lr / (1 - b1) * m / (sqrt(v) / sqrt(1 - b2) + eps)
-- with the last group decayed (--decay-last-only, wd 0.5) and the first not.
do
  local m = core.build(3, { 4 }, 3)
  local ls = m:linear_layers()
  local opt = core.optimizer(m, opts { weight_decay = 0.5, decay_last_only = true, lr = 0.01 })
  local X, Y = train:batch { 1, 2, 3, 4, 5 }
  local crit = nn.CrossEntropyLoss()
  opt:zero_grad()
  local y = m:forward(X)
  crit:forward(y, Y)
  m:backward(X, crit:backward(y, Y))
  local function expect(p, g, wd)
    local out = {}
    local P, G = p:totable(), g:totable()
    for i = 1, #P do
      out[i] = {}
      for j = 1, #P[i] do
        local gg = G[i][j] + wd * P[i][j]
        local mm, vv = 0.1 * gg, 0.001 * gg * gg
        out[i][j] = P[i][j] - 0.01 / 0.1 * mm / (math.sqrt(vv) / math.sqrt(0.001) + 1e-8)
      end
    end
    return out
  end
  local e1 = expect(ls[1].weight, ls[1].grad_weight, 0)
  local e2 = expect(ls[2].weight, ls[2].grad_weight, 0.5)
  opt:step()
  T.tensor_near(ls[1].weight, e1, 1e-6, "group 1 (no decay): PyTorch's Adam step")
  T.tensor_near(ls[2].weight, e2, 1e-6, "group 2 (wd 0.5 as L2 in the gradient): PyTorch's Adam step")
end

-- ---- ReduceLROnPlateau(threshold = 1e-2), mode 'rel' (PyTorch's default) ----
-- PyTorch: better when a < best * (1 - threshold); after more than patience (10) bad epochs
-- lr <- lr * factor (0.1). From best 10, a loss of 9.95 is not 1% better: bad epochs 1..11,
-- the lr falls at the 12th step. (In mode 'abs', 9.95 < 10 - 0.01 would count as better.)
do
  local m = core.build(3, { 4 }, 3)
  local opt = core.optimizer(m, opts())
  local s = core.scheduler(opt, opts())
  T.eq(s.threshold, 1e-2, "threshold 1e-2")
  T.eq(s.threshold_mode, "rel", "mode 'rel'")
  T.ok(s.patience == 10 and s.factor == 0.1 and s.mode == "min" and s.cooldown == 0, "PyTorch's other defaults")
  local trace = {}
  s:step(10)
  for i = 1, 11 do
    s:step(9.95)
    trace[i] = opt.groups[1].lr
  end
  T.eq(trace[10], 1e-3, "10 bad epochs: lr kept")
  T.near(trace[11], 1e-4, 1e-12, "the 11th bad epoch (step 12): lr * 0.1")
  T.near(opt.groups[2].lr, 1e-4, 1e-12, "in both groups")
  local opt2 = core.optimizer(m, opts())
  local s2 = core.scheduler(opt2, opts())
  s2:step(10)
  s2:step(9.89)
  T.eq(s2.best, 9.89, "9.89 < 10 * 0.99: better")
  T.eq(core.scheduler(opt2, opts { plateau = false }), nil, "--no-plateau: no scheduler")
end

-- ---- the check epochs and the evolve rule ----
do
  local checks = {}
  for e = 1, 10 do if core.is_check(e, 3) then checks[#checks + 1] = e end end
  T.eq(table.concat(checks, ","), "1,4,7,10", "range(10) with epoch % 3 == 0: epochs 1, 4, 7, 10")
  local ev = core.evolve
  T.ok(not ev({ 0.95, 0.95 }, nil, 0.9, 0.01), "the first check never evolves")
  T.ok(ev({ 0.95, 0.92 }, { 0.945, 0.915 }, 0.9, 0.01), "all >= 0.9, improvements 0.005: evolve")
  T.ok(ev({ 0.95, 0.92 }, { 0.96, 0.93 }, 0.9, 0.01), "a fall is no improvement: evolve")
  T.ok(not ev({ 0.95, 0.89 }, { 0.95, 0.89 }, 0.9, 0.01), "one network below 0.9: go on")
  T.ok(not ev({ 0.95, 0.931 }, { 0.95, 0.92 }, 0.9, 0.01), "one improved by 0.011 > 0.01: go on")
  T.ok(ev({ 0.95, 0.929 }, { 0.95, 0.92 }, 0.9, 0.01), "one improved by 0.009: evolve")
end

-- ---- next widths ----
T.eq(table.concat(core.next_widths { 5, 3, 7, 10 }, ","), "5,3,7", "the ranks of every layer but the classifier")
T.eq(table.concat(core.next_widths { 2.3, 4, 0, 9 }, ","), "3,4,1", "real ranks rounded up, never below 1")

-- ---- a meta-iteration: checks, scheduler, ranks, next widths ----
do
  local data = { train = train, eval = test, test = test, inputs = 3, classes = 3 }
  local recs = {}
  local o = opts { epochs = 5, lr = 0.05 }
  local res, evolved = core.meta_iteration(1, { { 6, 6 }, { 6, 6, 6 } }, data, o,
    { epoch = function(d, rec) recs[#recs + 1] = rec end })
  T.eq(evolved, nil, "accuracy 0.9 is out of reach here: no evolving")
  T.eq(#recs, 10, "5 epochs x 2 networks, recorded")
  T.eq(recs[1].depth, 1, "networks trained together: epoch 1 of network 1 ...")
  T.eq(recs[2].depth, 2, "... then epoch 1 of network 2")
  local ce = {}
  for _, r in ipairs(recs) do if r.depth == 1 and r.check then ce[#ce + 1] = r.epoch end end
  T.eq(table.concat(ce, ","), "1,4", "5 epochs: checks after epochs 1 and 4")
  T.eq(res[1].check_epoch, 4, "the last check was at epoch 4")
  -- the scheduler stepped on each epoch's last-batch loss: replayed, its state matches
  local m = core.build(3, { 4 }, 3)
  local replay = core.scheduler(core.optimizer(m, o), o)
  for _, r in ipairs(recs) do
    if r.depth == 1 then
      replay:step(r.last_loss)
      T.eq(r.plateau_best, replay.best, "epoch " .. r.epoch .. ": the plateau's best is that of the last-batch losses")
      T.eq(r.plateau_bad, replay.num_bad_epochs, "epoch " .. r.epoch .. ": its bad-epoch count too")
    end
  end
  local at4
  for _, r in ipairs(recs) do if r.depth == 1 and r.epoch == 4 then at4 = r end end
  T.eq(table.concat(res[1].next_widths, ","), at4.ranks[1] .. "," .. at4.ranks[2],
    "next widths: the ranks of epoch 4's check (the last), not of the weights after epoch 5")
  -- 4 epochs: the last check sees the final weights, which the ranks are compared with
  local r4 = core.meta_iteration(1, { { 6, 6 } }, data, opts { epochs = 4, lr = 0.05 })
  local c = r4[1].last
  -- the first layer maps 3 inputs to 6: rank 3, so the next meta-iteration's h_0 is 3
  T.eq(c.ranks[1], 3, "Linear(3 -> 6) has numerical rank 3")
  local ls = r4[1].model:linear_layers()
  for i, l in ipairs(ls) do
    T.eq(c.ranks[i], rh.rank.numerical(l.weight), "layer " .. i .. ": numpy's default numerical rank")
    T.near(c.norms[i], rh.linalg.svdvals(l.weight)[1], 1e-6, "layer " .. i .. ": spectral norm s_1")
    -- the gradient is the last batch's (10 = 8 + 2 at batch 8): a sum of 2 rank-one terms
    T.eq(c.grad_ranks[i], rh.rank.numerical(l.grad_weight), "layer " .. i .. ": the gradient's numerical rank")
    T.ok(c.grad_ranks[i] <= 2, "layer " .. i .. ": the last batch of 2 samples gives a gradient of rank <= 2")
  end
  T.near(c.figure, (c.ranks[1] + c.ranks[2] + c.ranks[3]) / (6 + 6 + 3), 1e-12, "figure = sum(ranks) / (sum(widths) + 10)")
  T.eq(table.concat(r4[1].next_widths, ","), c.ranks[1] .. "," .. c.ranks[2], "next widths: the last ranks but the classifier")
  T.eq(r4[1].next_widths[1], 3, "so h_0 shrinks from 6 to 3")
  T.eq(table.concat(r4[1].init.full, ","), "3,6,3", "full ranks min(m, n): 6x3, 6x6, 3x6")
  T.eq(r4[1].init.ranks[1], 3, "the control: as initialised, Linear(3 -> 6) has rank 3 too")
  T.near(c.accuracy, select(2, rh.train.evaluate(r4[1].model, test)), 1e-12, "accuracy on the rule's set")
  -- a rule that holds at the second check: evolve at epoch 4 of at most 10
  local _, at = core.meta_iteration(2, { { 6, 6 } }, data, opts { epochs = 10, evolve_acc = 0, evolve_delta = 1 })
  T.eq(at, 4, "evolves at the second check (epoch 4), not before")
  -- another measure: the widths follow it (energy rank at tau 0.5 is below the numerical rank)
  local r2 = core.meta_iteration(1, { { 6, 6 } }, data, opts { epochs = 1, measure = "energy", tol = 0.5 })
  T.eq(r2[1].last.ranks[1], rh.rank.energy(r2[1].model:linear_layers()[1].weight, { tau = 0.5 }), "--measure energy --tol 0.5")
  T.eq(r2[1].next_widths[1], r2[1].last.ranks[1], "its next widths are those ranks")
end

T.done()
