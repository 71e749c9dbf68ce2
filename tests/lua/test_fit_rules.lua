-- test_fit_rules.lua - rh.train.fit's stop rules and records: rank convergence, loss
-- saturation and both together, min/max epochs, max_seconds, divergence as a result, the
-- weight-decay horizon against a hand sum, the singular values kept for the caller, and a
-- misspelt option in every options table (fit, optimizers, groups, schedulers, loader,
-- rank functions, data constructors, log writers) named with its nearest valid key;
-- rh.train.format_time.
local T = require "testlib"
local nn, optim = rh.nn, rh.optim

rh.seed(3)
local X = rh.randn(96, 6)
local labels = {}
for i = 1, 96 do labels[i] = X:get(i, 1) + X:get(i, 2) > 0 and 2 or 1 end
local data = { x = X, y = rh.tensor(labels) }
local quiet = { progress = false }
local function opts(t)
  local o = {}
  for k, v in pairs(quiet) do o[k] = v end
  for k, v in pairs(t) do o[k] = v end
  return o
end

-- An MLP 6-4-2 with one more parameter the loss does not use (its gradient stays 0), for a
-- callback to make non-finite: returns the model and that parameter.
local function spare_model()
  local mlp, spare, spare_grad = nn.MLP{ 6, 4, 2 }, rh.zeros(3), rh.zeros(3)
  local model = setmetatable({ parameters = function()
    local ps, gs = mlp:parameters()
    ps[#ps + 1], gs[#gs + 1] = spare, spare_grad
    return ps, gs
  end }, { __index = mlp })
  return model, spare
end

-- ---- rank convergence alone: lr = 0 leaves every rank where it is ----
do
  local h = rh.train.fit(nn.MLP{ 6, 16, 8, 2 }, data, opts { lr = 0, batch = 32, max_epochs = 50,
    rank_converged = { measure = "relative", patience = 3 } })
  T.eq(h.stopped, "rank_converged", "ranks that do not move converge")
  T.eq(#h, 3, "after `patience` checks")
  T.eq(#h.ranks, 3, "one rank per Linear layer")
  T.eq(h.ranks[1], 6, "first layer 16x6: relative rank 6")
  T.ok(h[3].ranks and h[3].rank_converged == true and h[2].rank_converged == false, "per-epoch records")
  -- every = 2: checks at epochs 2, 4, 6; min_epochs holds it back
  local h2 = rh.train.fit(nn.MLP{ 6, 16, 2 }, data, opts { lr = 0, max_epochs = 50, min_epochs = 9,
    rank_converged = { patience = 2, every = 2 } })
  T.eq(h2.stopped, "rank_converged", "every = 2")
  T.eq(#h2, 9, "the rule (met at the check of epoch 4) stops at min_epochs = 9")
  T.ok(h2[1].ranks == nil and h2[2].ranks ~= nil, "ranks only on check epochs")
end

-- ---- rel_slack: a spread allowed in proportion to the rank ----
do
  -- the relative rank of a random 40x40 layer under weight decay moves; a slack of half the
  -- rank lets it count as converged at the first full window, no slack does not
  local m1, m2 = nn.MLP{ 6, 40, 2 }, nn.MLP{ 6, 40, 2 }
  local function run(m, rule)
    return rh.train.fit(m, data, opts { lr = 0.5, weight_decay = 0.2, batch = 96, max_epochs = 3,
      rank_converged = rule })
  end
  local loose = run(m1, { measure = "energy", patience = 3, rel_slack = 0.5 })
  local strict = run(m2, { measure = "energy", patience = 3 })
  local spread = strict.ranks and strict[3].rank_moved or 0
  T.eq(loose.stopped, "rank_converged", "rel_slack 0.5 admits the spread")
  T.ok(spread == 0 or strict.stopped == "max_epochs", "no slack: a spread of " .. spread .. " is not converged")
end

-- ---- a rank that keeps falling does not converge: strong weight decay shrinks W ----
do
  local m = nn.MLP{ 6, 32, 2 }
  local h = rh.train.fit(m, data, opts { lr = 0.5, weight_decay = 0.3, batch = 96, max_epochs = 12,
    rank_converged = { measure = "energy", tol = 0.99, patience = 4, slack = 0 } })
  local moved = false
  for e = 2, #h do if h[e].ranks[1] ~= h[e - 1].ranks[1] then moved = true end end
  T.ok(moved or h.stopped == "rank_converged", "energy rank is tracked per epoch")
end

-- ---- both rules: stop only when both hold ("converged") ----
do
  local h = rh.train.fit(nn.MLP{ 6, 16, 2 }, data, opts { lr = 0, max_epochs = 50, patience = 2,
    rank_converged = { patience = 5 } })
  T.eq(h.stopped, "converged", "saturated and rank-converged")
  T.eq(#h, 5, "the later of the two rules decides (rank patience 5)")
  local h2 = rh.train.fit(nn.MLP{ 6, 16, 2 }, data, opts { lr = 0, max_epochs = 50, patience = 4 })
  T.eq(h2.stopped, "saturated", "loss rule alone")
  T.eq(#h2, 5, "patience 4: epoch 1 sets the best, 4 more without improvement")
  local h3 = rh.train.fit(nn.MLP{ 6, 16, 2 }, data, opts { lr = 0, max_epochs = 50, patience = 1, min_epochs = 7 })
  T.eq(#h3, 7, "min_epochs holds the loss rule back")
  local h4 = rh.train.fit(nn.MLP{ 6, 16, 2 }, data, opts { lr = 0.1, max_epochs = 4, patience = 50,
    rank_converged = { patience = 50 } })
  T.eq(h4.stopped, "max_epochs", "cap")
  T.ok(h4.ranks and h4.ranks_epoch == 4, "the final epoch's ranks are measured even off the check schedule")
  T.ok(h4[4].ranks and h4[4].rank_moved ~= nil and h4[4].rank_converged == false,
       "the final check's record has ranks, rank_moved and rank_converged")
  -- off the schedule (every = 3, 4 epochs): the final check at epoch 4 fills its record too
  local h5 = rh.train.fit(nn.MLP{ 6, 16, 2 }, data, opts { lr = 0, max_epochs = 4,
    rank_converged = { patience = 2, every = 3 } })
  T.eq(h5.stopped, "max_epochs", "every = 3: no rule met at epoch 3")
  T.ok(h5[3].rank_converged == false and h5[4].rank_converged == true and h5.ranks_epoch == 4,
       "the off-schedule final check sets rank_converged: " .. tostring(h5[4].rank_converged))
end

-- ---- the singular values kept are those of the final weights, one SVD per layer ----
do
  local m = nn.MLP{ 6, 12, 2 }
  local h = rh.train.fit(m, data, opts { lr = 0.2, max_epochs = 3, rank_converged = { every = 2 } })
  local layers = m:linear_layers()
  for i, l in ipairs(layers) do
    T.tensor_near(h.svals[i], rh.linalg.svdvals(l.weight), 1e-5, "svals of layer " .. i)
    T.eq(table.concat(h.shapes[i], "x"), table.concat(l.weight:shape(), "x"), "shape of layer " .. i)
  end
  local net = rh.rank.network(m, { svals = h.svals })
  T.eq(net.layers[1].relative, rh.rank.relative(layers[1].weight), "rank.network from the kept singular values")
  T.raises("opts.svals must list", rh.rank.network, m, { svals = { h.svals[1] } })
  -- the callback sees each check's svals and shapes; the records history keeps do not
  local seen = {}
  local h2 = rh.train.fit(nn.MLP{ 6, 12, 2 }, data, opts { lr = 0.2, max_epochs = 4, rank_converged = { every = 2 },
    callback = function(e, rec) seen[e] = rec.svals ~= nil and rec.shapes ~= nil and #rec.svals == 2 end })
  T.ok(seen[2] and seen[4] and not seen[1] and not seen[3], "svals and shapes reach the callback on check epochs")
  for e = 1, #h2 do
    T.ok(h2[e].svals == nil and h2[e].shapes == nil, "history record " .. e .. " holds no svals or shapes")
  end
  T.ok(h2.svals and #h2.svals == 2 and #h2.shapes == 2, "history.svals and history.shapes keep the last check's")
  T.ok(h.svals and h[3].svals == nil, "nor does the final off-schedule check's record")
end

-- ---- divergence is a result: the step, the reason, and the run returns ----
do
  local big = { x = X * 1e3, y = data.y }
  local h = rh.train.fit(nn.MLP{ 6, 16, 2 }, big, opts { lr = 1e6, max_epochs = 20, batch = 16, shuffle = false })
  T.eq(h.stopped, "diverged", "a huge learning rate diverges and returns")
  T.ok(math.type(h.diverged_step) == "integer" and h.diverged_step >= 1 and h.diverged_step <= h.steps,
       "diverged_step within the steps taken: " .. tostring(h.diverged_step))
  T.ok(#h < 20, "stopped early")
  T.raises("at step", rh.train.fit, nn.MLP{ 6, 16, 2 }, big,
           opts { lr = 1e6, max_epochs = 20, batch = 16, shuffle = false, nonfinite = "error" })
  -- a non-finite weight with a finite loss is divergence too: a model with a parameter the
  -- loss does not use (its gradient stays 0), made infinite by the callback
  local model, spare = spare_model()
  local h2 = rh.train.fit(model, data, opts { lr = 0.1, batch = 32, max_epochs = 5, callback = function(e)
    if e == 2 then spare:set(2, 1 / 0) end
  end })
  T.eq(h2.stopped, "diverged", "an infinite weight with a finite loss")
  T.eq(h2.diverged, "parameter 5 is not finite at step 9 (epoch 3, batch 3)", "names the parameter and the step")
  T.eq(h2.diverged_step, 9, "the last step of the epoch whose end found it")
end

-- ---- the weight-decay horizon against a hand sum ----
do
  -- 96 samples, batch 32: 3 steps an epoch; lr halves every epoch (StepLR after each epoch)
  local m = nn.MLP{ 6, 8, 2 }
  local opt = optim.SGD(m, { lr = 0.1, momentum = 0.9, weight_decay = 5e-3 })
  local h = rh.train.fit(m, data, opts { optimizer = opt, batch = 32, max_epochs = 3,
    scheduler = optim.StepLR(opt, { step = 1, gamma = 0.5 }) })
  local hand = 0
  for e = 1, 3 do hand = hand + 3 * (0.1 * 0.5 ^ (e - 1)) * 5e-3 / (1 - 0.9) end
  T.near(h.wd_horizon, hand, 1e-12, "SGD horizon: sum of lr * wd / (1 - momentum) over steps")
  T.near(h[1].wd_horizon, 3 * 0.1 * 5e-3 / 0.1, 1e-12, "per-epoch cumulative horizon")
  T.near(h[2].wd_horizon_epoch, 3 * 0.05 * 5e-3 / 0.1, 1e-12, "the epoch's own share")
  local optw = optim.AdamW(nn.MLP{ 6, 8, 2 }, { lr = 0.01, weight_decay = 0.1 })
  local hw = rh.train.fit(optw.groups[1].module, data, opts { optimizer = optw, batch = 32, max_epochs = 2 })
  T.near(hw.wd_horizon, 6 * 0.01 * 0.1, 1e-12, "AdamW horizon: sum of lr * wd")
  local opta = optim.Adam(nn.MLP{ 6, 8, 2 }, { lr = 0.01, weight_decay = 0.1 })
  local ha = rh.train.fit(opta.groups[1].module, data, opts { optimizer = opta, batch = 32, max_epochs = 1 })
  T.eq(ha.wd_horizon, nil, "Adam's L2 form has no horizon")
  local sgd0 = rh.train.fit(nn.MLP{ 6, 8, 2 }, data, opts { lr = 0.1, batch = 32, max_epochs = 2 })
  T.eq(sgd0.wd_horizon, 0, "no weight decay: horizon 0")
end

-- ---- max_seconds: training time, checked every step ----
do
  local h = rh.train.fit(nn.MLP{ 6, 64, 64, 2 }, data, opts { lr = 0.01, batch = 1, max_epochs = 100000,
    max_seconds = 0.05 })
  T.eq(h.stopped, "max_seconds", "stops on the time budget")
  T.ok(h.train_time >= 0.05 and h.train_time < 1, "train_time just over the budget: " .. h.train_time)
end

-- ---- errors of fit point at the user's line: the count checks, fit's own and the rank rule's,
-- and nonfinite = "error" on each of its paths (a loss looked at every step, a loss in a
-- criterion's totals, a parameter) ----
do
  local function at(f)
    local ok, err = pcall(f)
    return not ok and tostring(err) or "no error"
  end
  local function here(err, line)
    T.ok(err:find("test_fit_rules.lua:" .. line .. ": rh.train.fit: ", 1, true), "the caller's line " .. line .. ": " .. err)
  end
  local m = nn.MLP{ 6, 4, 2 }
  local line = debug.getinfo(1, "l").currentline + 1
  here(at(function() local h = rh.train.fit(m, data, opts { batch = 0 }); return h end), line)
  line = debug.getinfo(1, "l").currentline + 1
  here(at(function() local h = rh.train.fit(m, data, opts { max_epochs = 0 }); return h end), line)
  line = debug.getinfo(1, "l").currentline + 1
  here(at(function() local h = rh.train.fit(m, data, opts { patience = 0 }); return h end), line)
  line = debug.getinfo(1, "l").currentline + 1
  here(at(function() local h = rh.train.fit(m, data, opts { rank_converged = { every = 0 } }); return h end), line)
  local big = { x = X * 1e3, y = data.y }
  line = debug.getinfo(1, "l").currentline + 1
  here(at(function() local h = rh.train.fit(m, big, opts { lr = 1e6, max_epochs = 20, nonfinite = "error" }); return h end),
       line)
  -- a criterion whose per-step loss looks finite but whose totals (read at the epoch's end)
  -- name a non-finite step, as a device's meter does
  local ce = nn.CrossEntropyLoss()
  local liar = {
    forward_async = function(_, y, t) ce:forward(y, t); return rh.tensor{ 0.5 } end,
    backward = function(_, y, t) return ce:backward(y, t) end,
    reset_totals = function() end,
    totals = function() return { sum = 1, n = 1, correct = 0, nonfinite_step = 1, nonfinite_loss = 0 / 0 } end,
  }
  line = debug.getinfo(1, "l").currentline + 1
  local err = at(function() local h = rh.train.fit(m, data, opts { loss = liar, nonfinite = "error" }); return h end)
  here(err, line)
  T.ok(err:find("loss is NaN at step 1 (epoch 1, batch 1)", 1, true), "the totals' step: " .. err)
  -- a parameter made infinite by the callback (the loss does not use it)
  local model, spare = spare_model()
  local function poison(e) if e == 1 then spare:set(1, 1 / 0) end end
  line = debug.getinfo(1, "l").currentline + 1
  err = at(function() local h = rh.train.fit(model, data, opts { callback = poison, nonfinite = "error" }); return h end)
  here(err, line)
  T.ok(err:find("parameter 5 is not finite", 1, true), "names the parameter: " .. err)
end

-- ---- misspelt options, each table: the function, the key and the nearest name ----
do
  local m = nn.MLP{ 6, 4, 2 }
  T.raises("rh.train.fit: unknown option 'weight_decy'; did you mean 'weight_decay'?", rh.train.fit, m, data,
           { weight_decy = 5e-3 })
  T.raises("rh.train.fit: rank_converged: unknown option 'patiense'; did you mean 'patience'?", rh.train.fit, m, data,
           { rank_converged = { patiense = 3 } })
  T.raises("rank_converged.tol is not used by the effective rank", rh.train.fit, m, data,
           { rank_converged = { measure = "effective", tol = 1 } })
  T.raises("'nuclear' is not a rank measure", rh.train.fit, m, data, { rank_converged = { measure = "nuclear" } })
  T.raises("give either optimizer or lr", rh.train.fit, m, data, { optimizer = optim.SGD(m), lr = 0.1 })
  T.raises("rh.train.evaluate: unknown option 'bach'; did you mean 'batch'?", rh.train.evaluate, m, data, { bach = 3 })
  T.raises("optim.SGD: unknown option 'weight_decy'; did you mean 'weight_decay'?", optim.SGD, m, { weight_decy = 1 })
  T.raises("optim.SGD: unknown option 'nesterow'; did you mean 'nesterov'?", optim.SGD, m, { nesterow = true })
  T.raises("optim.Adam: unknown option 'beta'; did you mean 'betas'?", optim.Adam, m, { beta = { 0.9, 0.99 } })
  T.raises("optim.AdamW: unknown option 'lr_'; did you mean 'lr'?", optim.AdamW, m, { lr_ = 1 })
  T.raises("optim.SGD: group 1: unknown option 'wd'", optim.SGD, { { params = m, wd = 1 } }, {})
  local opt = optim.SGD(m, { lr = 0.1 })
  T.raises("optim.StepLR: unknown option 'gama'; did you mean 'gamma'?", optim.StepLR, opt, { step = 1, gama = 0.5 })
  T.raises("optim.CosineLR: unknown option 'tmax'; did you mean 't_max'?", optim.CosineLR, opt, { tmax = 3 })
  T.raises("optim.ReduceLROnPlateau: unknown option 'patient'; did you mean 'patience'?", optim.ReduceLROnPlateau,
           opt, { patient = 3 })
  local ds = rh.data.teacher { n = 20, dim = 4, rank = 2, classes = 3, seed = 1 }
  T.raises("unknown option 'shufle'; did you mean 'shuffle'?", rh.data.loader, ds, { shufle = false })
  T.raises("unknown option 'rnak'; did you mean 'rank'?", rh.data.teacher, { n = 20, dim = 4, rnak = 2, classes = 3 })
  T.raises("unknown option 'bit'; did you mean 'bits'?", rh.data.parity, { n = 20, bit = 4, k = 2 })
  T.raises("unknown option 'relative_tl'; did you mean 'relative_tol'?", rh.rank.all, rh.eye(3), { relative_tl = 1e-3 })
  T.raises("unknown option 'to'; did you mean 'tol'?", rh.rank.relative, rh.eye(3), { to = 1e-3 })
  T.raises("unknown option 'energy'; did you mean 'energy_tau'?", rh.rank.network, m, { energy = 0.9 })
  T.raises("unknown option 'xyzzy'; valid options: append, sync", rh.log.jsonl, os.tmpname(), { xyzzy = 1 })
  -- options that are not a table: a type error naming the function, not "attempt to index"
  T.raises("bad argument #2 to 'wait' (options table expected, got boolean)",
           function() return rh.proc.wait(-1, true) end)
  T.raises("bad argument #3 to 'idx' (options table expected, got number)",
           function() return rh.data.idx("img", "lbl", 5) end)
  T.raises("bad argument #2 to 'loader' (options table expected, got number)",
           function() return rh.data.loader(ds, 5) end)
  T.ok(pcall(rh.data.loader, ds, nil), "loader: nil options pass")
  -- a key that is no string, in the C check and in rh.check_options
  T.raises("options must have string keys, got a number key", rh.data.loader, ds, { 4 })
  T.raises("f: options must have string keys, got a number key", rh.check_options, "f", { 4 }, { "a" })
  -- the right keys still work
  T.ok(pcall(rh.data.loader, ds, { batch = 4, shuffle = false, seed = 2, drop_last = true }), "loader's keys")
  T.ok(pcall(rh.rank.all, rh.eye(3), { tol = 0.1, relative_tol = 1e-3, energy_tau = 0.9, shape = { 3, 3 } }), "rank keys")
end

-- rh.train.format_time: progress lines' durations; an unknown one (NaN, inf: an estimate
-- from no progress) is "?", never an error
do
  local f = rh.train.format_time
  T.eq(f(12.34), "12.3s", "seconds")
  T.eq(f(185), "3m05s", "minutes")
  T.eq(f(3725), "1h02m", "hours")
  T.eq(f(0 / 0), "?", "NaN")
  T.eq(f(math.huge), "?", "inf")
  T.eq(f(-math.huge), "?", "-inf")
end

T.done()
