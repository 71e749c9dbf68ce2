-- baselines.lua - the controls a reviewer asks for, each trained once by the same rules
-- (problem2/train.lua) on the same data, at the base weight decay and learning rate:
--   same_time   a dense network of the same architecture, from scratch, trained for the loop
--               run's total training time (then the same cooldown): does iterating beat
--               spending the time on the dense network?
--   magnitude   the trained dense network pruned to the loop's final widths by structured
--               magnitude pruning (the neurons of largest incoming-weight norm kept, the next
--               layer's columns sliced), then trained: is rank a better guide than norms?
--   scratch     the final widths, from a fresh initialisation: does the iteration matter, or
--               only the widths it finds?
--   oneshot     one-shot rank pruning: each hidden layer of the trained dense network cut to its
--               energy rank at run.tau (from the dense record's singular values) by --inherit's
--               surgery (qr: the neurons a pivoted QR picks, the next layer refit), trained once
--   cuttlefish  a one-shot automatic rank choice in the style of Cuttlefish (Wang et al.,
--               MLSys 2023): each hidden layer of the trained dense network is factored by its
--               truncated SVD at rank ceil(stable rank now x full rank / stable rank at
--               initialisation), full rank = min(out, in), and trained once.
-- Total seconds count the dense network's training where a method starts from it (magnitude,
-- cuttlefish); scratch counts only its own (the widths came from a loop run).
local rh = require "rankhost"
local Net = require "problem2.net"
local surgery = require "problem2.surgery"
local loop = require "problem2.loop"
local train = require "problem2.train"

local M = {}

local function dense_spec(task, widths)
  return { input = task.dim, classes = task.classes, hidden = Net.plain_hidden(widths) }
end

-- The trained dense network of run.dense.
local function trained_dense(env, task, dense)
  return Net.from_tensors(dense_spec(task, dense.widths), rh.load(env.checkpoint(dense.id)))
end

-- The per-layer ranks Cuttlefish chooses from the dense record: stable ranks now (from the
-- singular values of its last check) and at initialisation.
function M.cuttlefish_ranks(dense)
  local ranks = {}
  for i = 1, #dense.widths do
    local full = math.min(dense.shapes[i][1], dense.shapes[i][2])
    local r = math.ceil(dense.ranks[i].stable * full / dense.stable_init[i] - 1e-9)
    ranks[i] = math.max(1, math.min(full, r))
  end
  return ranks
end

-- One-shot rank pruning's widths: each hidden layer's energy rank at tau, from the singular
-- values of the dense network's last rank check.
function M.oneshot_widths(dense, tau)
  local w = {}
  for i = 1, #dense.widths do
    w[i] = math.max(1, rh.rank.energy(rh.tensor(dense.svals[i]), { tau = tau }))
  end
  return w
end

-- Trains net by the rules (or for `budget` seconds) and returns its record.
local function record(run, env, net, seed, budget, dense)
  local o = env.options
  local rec = train.fit(net, env.task, env.rules, o.weight_decay, o.lr, seed, budget)
  local r = loop.row(0, net, rec, o.weight_decay, o.lr, run.kind, nil, o)
  r.iteration = nil
  r.id, r.kind, r.task, r.wstar, r.variant, r.seed_index, r.of, r.dense = run.id, run.kind, run.task, run.wstar,
    run.variant, run.seed_index, run.of, run.dense
  -- a method that starts from the trained dense network also spent its training
  local from_dense = run.kind == "magnitude" or run.kind == "cuttlefish" or run.kind == "oneshot"
  r.total_seconds = r.seconds + (from_dense and dense.seconds or 0)
  r.total_flops = r.cum_flops + (from_dense and dense.cum_flops or 0)
  r.dense_test_acc, r.dense_parameters, r.dense_seconds = dense.test_acc, dense.parameters, dense.seconds
  r.dense_val_acc = dense.val_acc
  r.dense_flops = dense.cum_flops
  return r
end

-- ---- lottery tickets: unstructured magnitude pruning with rewinding (Frankle et al. 2019,
-- 2020). The rewind point is the dense network after LOTTERY_REWIND_EPOCHS epochs of its own
-- training (the same initialisation and batch order as the dense run, trained again that far).
-- Round r keeps, of every layer's weights still kept, the LOTTERY_KEEP fraction of largest
-- magnitude in the network trained last (the trained dense one for round 1), rewinds the kept
-- weights to the rewind point and trains by the rules (nn.MaskedLinear: the removed weights
-- stay exactly zero under SGD and weight decay); each round is a point of the fronts.
M.LOTTERY_ROUNDS, M.LOTTERY_KEEP, M.LOTTERY_REWIND_EPOCHS = 3, 0.5, 1

-- The 0/1 mask keeping the `keep` fraction of largest |W| among the entries old_mask keeps.
function M.magnitude_mask(W, old_mask, keep)
  local a, m = W:to("cpu"):abs():totable(), old_mask:to("cpu"):totable()
  local vals = {}
  for i = 1, #a do for j = 1, #a[i] do if m[i][j] ~= 0 then vals[#vals + 1] = a[i][j] end end end
  table.sort(vals, function(x, y) return x > y end)
  local k = math.max(1, math.floor(#vals * keep + 0.5))
  local cut, out, taken = vals[k], {}, 0
  for i = 1, #a do
    out[i] = {}
    for j = 1, #a[i] do
      local on = m[i][j] ~= 0 and a[i][j] >= cut and taken < k
      if on then taken = taken + 1 end
      out[i][j] = on and 1 or 0
    end
  end
  return rh.tensor(out)
end

local function plain_linears(net)
  local l = {}
  for i, layer in ipairs(net.hidden) do l[i] = layer.lin end
  l[#l + 1] = net.out
  return l
end

local function lottery(run, env, dense)
  local o, task = env.options, env.task
  local spec = { input = task.dim, classes = task.classes, hidden = Net.plain_hidden(dense.widths), masked = true }
  -- the rewind point: the dense run's initialisation (its seed) trained LOTTERY_REWIND_EPOCHS epochs
  rh.seed(run.run_seed)
  local rewind = Net.build(spec)
  local h = rh.train.fit(rewind, task.train, { lr = o.lr, momentum = o.momentum, weight_decay = o.weight_decay,
    batch = o.batch, seed = run.run_seed, max_epochs = M.LOTTERY_REWIND_EPOCHS, progress = false })
  local rewind_w = {}
  for i, l in ipairs(plain_linears(rewind)) do rewind_w[i] = { l.weight:clone(), l.bias:clone() } end
  local last = trained_dense(env, task, dense)
  local masks = {}
  for i, l in ipairs(plain_linears(last)) do masks[i] = rh.ones(l.weight:size(1), l.weight:size(2)) end
  local cum_seconds, cum_flops = dense.seconds + h.train_time, dense.cum_flops + 6 * dense.parameters * h.steps * o.batch
  local rounds, r = {}, nil
  for round = 1, M.LOTTERY_ROUNDS do
    local net = Net.build(spec)
    for i, l in ipairs(plain_linears(net)) do
      masks[i] = M.magnitude_mask(plain_linears(last)[i].weight, masks[i], M.LOTTERY_KEEP)
      l.weight:copy(rewind_w[i][1]); l.bias:copy(rewind_w[i][2])
      l:set_mask(masks[i])
    end
    r = record(run, env, net, run.run_seed + 19 + round, nil, dense)
    cum_seconds, cum_flops = cum_seconds + r.seconds, cum_flops + r.cum_flops
    rounds[round] = { round = round, keep = M.LOTTERY_KEEP ^ round, parameters = r.parameters, test_acc = r.test_acc,
      val_acc = r.val_acc, train_acc = r.train_acc, epochs = r.epochs, wd_horizon = r.wd_horizon,
      converged = r.converged, cum_seconds = cum_seconds, cum_flops = cum_flops }
    last = net
  end
  -- the record is the last round's network; every round is in rounds
  r.rounds, r.total_seconds, r.total_flops = rounds, cum_seconds, cum_flops
  return r
end

-- ---- Cuttlefish with its early switch (Wang et al., MLSys 2023): the dense network trains
-- from the dense run's initialisation (same seed and batch order), its hidden layers' stable
-- ranks read at every rank check (every --rank-every epochs); once no layer's stable rank moves
-- by more than CF_SWITCH_RATE a epoch since the check before, training switches: each hidden
-- layer is factored by its truncated SVD at rank ceil(stable rank now x full rank / stable rank
-- at initialisation) and the factored network trains by the rules. Its cost is the dense
-- epochs before the switch plus the factored training, not a full dense training.
M.CF_SWITCH_RATE = 0.1

local function cuttlefish_early(run, env, dense)
  local o, task = env.options, env.task
  rh.seed(run.run_seed)
  local net = Net.build({ input = task.dim, classes = task.classes, hidden = Net.plain_hidden(dense.widths) })
  local nh, prev, prev_epoch, switch = #dense.widths, nil, nil, nil
  local h = rh.train.fit(net, task.train, { lr = o.lr, momentum = o.momentum, weight_decay = o.weight_decay,
    batch = o.batch, seed = run.run_seed, max_epochs = o.max_epochs, min_epochs = o.max_epochs, progress = false,
    rank_converged = { measure = "stable", every = o.rank_every, patience = 1000000 },
    callback = function(epoch, rec)
      if not rec.svals then return true end
      local now = {}
      for i = 1, nh do now[i] = rh.rank.stable(rec.svals[i]) end
      if prev then
        local settled = true
        for i = 1, nh do
          if math.abs(now[i] - prev[i]) / (epoch - prev_epoch) > M.CF_SWITCH_RATE then settled = false end
        end
        if settled then switch = { epoch = epoch, stable = now }; return false end
      end
      prev, prev_epoch = now, epoch
      return true
    end })
  local stable = switch and switch.stable or prev
  local ranks = {}
  for i = 1, nh do
    local full = math.min(dense.shapes[i][1], dense.shapes[i][2])
    ranks[i] = math.max(1, math.min(full, math.ceil(stable[i] * full / dense.stable_init[i] - 1e-9)))
  end
  local lr_net = surgery.lowrank(net, ranks)
  local r = record(run, env, lr_net, run.run_seed + 23, nil, dense)
  r.cuttlefish_ranks, r.switch_epoch = ranks, switch and switch.epoch or h.epochs
  r.total_seconds = h.train_time + r.seconds
  r.total_flops = 6 * dense.parameters * h.steps * o.batch + r.cum_flops
  return r
end

-- run: a plan entry of kind same_time, magnitude, scratch, oneshot, lottery or cuttlefish. env = {options,
-- task, rules, done (records by id), checkpoint(id) -> path}.
function M.run(run, env)
  local dense = env.done[run.dense]
  local task = env.task
  local it = run.of and env.done[run.of]
  if run.kind == "same_time" then
    rh.seed(run.run_seed + 7)
    local net = Net.build(dense_spec(task, dense.widths))
    -- the loop's total time, less the cooldown this network will also get
    local budget = it.total_seconds - (dense.cooldown_seconds or 0)
    local r = record(run, env, net, run.run_seed + 7, budget, dense)
    r.budget = it.total_seconds
    return r
  elseif run.kind == "magnitude" then
    rh.seed(run.run_seed + 9)
    local net = surgery.next_net(trained_dense(env, task, dense), it.final.widths, "magnitude", task.sample)
    return record(run, env, net, run.run_seed + 9, nil, dense)
  elseif run.kind == "scratch" then
    rh.seed(run.run_seed + 11)
    local net = Net.build(dense_spec(task, it.final.widths))
    return record(run, env, net, run.run_seed + 11, nil, dense)
  elseif run.kind == "cuttlefish_early" then
    return cuttlefish_early(run, env, dense)
  elseif run.kind == "lottery" then
    return lottery(run, env, dense)
  elseif run.kind == "oneshot" then
    local widths = M.oneshot_widths(dense, run.tau)
    rh.seed(run.run_seed + 17)
    local method = env.options.inherit ~= "none" and env.options.inherit or "qr"
    local net = surgery.next_net(trained_dense(env, task, dense), widths, method, task.sample)
    local r = record(run, env, net, run.run_seed + 17, nil, dense)
    r.tau, r.oneshot_widths = run.tau, widths
    return r
  elseif run.kind == "cuttlefish" then
    local ranks = M.cuttlefish_ranks(dense)
    local net = surgery.lowrank(trained_dense(env, task, dense), ranks)
    local r = record(run, env, net, run.run_seed + 13, nil, dense)
    r.cuttlefish_ranks = ranks
    return r
  end
  error("baselines: no baseline of kind " .. tostring(run.kind), 0)
end

return M
