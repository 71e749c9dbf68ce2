-- prune_run.lua - the iterative pruning study of scripts/problem2.lua as an object: data,
-- the loop (train, measure, ask the policy, build the next network), the stop rules,
-- checkpoints and resume, and the two baselines.
local rh = require "rankhost"
local Net = require "prune_net"
local surgery = require "prune_surgery"
local pstats = require "prune_stats"
local train = require "prune_train"
local output = require "prune_output"

local M = {}
local Study = {}
Study.__index = Study

-- First n samples of ds as one tensor (N x dim), for activation ranks and refits.
local function first_batch(ds, n)
  n = math.min(n, ds:size())
  for X in rh.data.loader(ds:subset(1, n), { batch = n, shuffle = false }) do return X end
end

local function cap(ds, n)
  if n > 0 and n < ds:size() then return ds:subset(1, n) end
  return ds
end

-- {train, test, train_eval, sample, name}; usage_error(msg) for a missing data folder.
function M.load_data(opts, usage_error)
  local train_ds, test_ds
  if opts.dataset == "teacher" then
    local ntrain = opts.train_size > 0 and opts.train_size or 5000
    local ntest = opts.test_size > 0 and opts.test_size or 1000
    local all = rh.data.teacher { n = ntrain + ntest, dim = 64, rank = 8, classes = 10, seed = opts.seed }
    train_ds, test_ds = all:subset(1, ntrain), all:subset(ntrain + 1, ntrain + ntest)
  else
    local load = opts.dataset == "mnist" and rh.data.mnist or rh.data.fashion_mnist
    local dir = opts.data_dir ~= "" and opts.data_dir or nil
    local ok, test = pcall(load, { dir = dir, split = "test" })
    if not ok then usage_error(tostring(test)) end
    local ok_train, full_train = pcall(load, { dir = dir, split = "train" })
    if ok_train then
      train_ds, test_ds = full_train, test
    else
      -- only the 10k test set (e.g. the shared MNIST copy for tests): 5/6 train, 1/6 test
      train_ds, test_ds = test:split(5 / 6, opts.seed)
    end
  end
  train_ds, test_ds = cap(train_ds, opts.train_size), cap(test_ds, opts.test_size)
  return {
    name = opts.dataset,
    train = train_ds,
    test = test_ds,
    train_eval = cap(train_ds, 10000),   -- train accuracy on at most 10k samples
    sample = first_batch(train_ds, opts.sample),
  }
end

function M.new(opts, data, policy, schedule, spec)
  local self = setmetatable({ opts = opts, data = data, policy = policy, schedule = schedule, spec = spec }, Study)
  self.out = opts.out
  output.prepare(self.out)
  return self
end

-- What must match for a checkpoint to be resumed (anything else may change between runs).
function Study:signature()
  local o = self.opts
  return table.concat({ o.policy, o.schedule, o.init, o.dataset, o.data_dir, o.train_size, o.test_size,
    table.concat(o.hidden, ","), o.epochs, o.batch, o.lr, o.momentum, o.weight_decay, o.seed }, "|")
end

function Study:ctx(iteration)
  return { iteration = iteration, history = self.state.rows, dataset = self.data, options = self.opts,
           widths = self.net and self.net:widths() or nil }
end

-- Weight decay and learning rate of an iteration, from the schedule.
function Study:hyper(iteration)
  local ctx = self:ctx(iteration)
  local wd = self.schedule.weight_decay(iteration, ctx)
  local lr = self.schedule.lr and self.schedule.lr(iteration, ctx) or self.opts.lr
  if type(wd) ~= "number" or wd < 0 or type(lr) ~= "number" or lr <= 0 then
    error(string.format("schedule %s gave weight_decay=%s lr=%s at iteration %d (need numbers, wd >= 0, lr > 0)",
      self.schedule.path, tostring(wd), tostring(lr), iteration), 0)
  end
  return wd, lr
end

-- Trains self.net for one iteration, appends its row, writes history and checkpoint.
function Study:train_iteration(k, init)
  local o, st = self.opts, self.state
  local wd, lr = self:hyper(k)
  local epochs_log = {}
  local before = (k > 0) and train.accuracy(self.net, self.data.test) or nil
  local r = train.fit(self.net, self.data.train, {
    epochs = o.epochs, batch = o.batch, lr = lr, momentum = o.momentum, weight_decay = wd, seed = o.seed + k,
    label = "iteration " .. k,
    on_epoch = function(e, s, loss) epochs_log[#epochs_log + 1] = { epoch = e, seconds = s, loss = loss } end,
  })
  local params = self.net:num_parameters()
  st.cum_seconds = st.cum_seconds + r.seconds
  st.cum_flops = st.cum_flops + 6 * params * r.samples
  local row = {
    iteration = k, widths = self.net:widths(), neurons = self.net:neurons(), parameters = params,
    train_acc = train.accuracy(self.net, self.data.train_eval), test_acc = train.accuracy(self.net, self.data.test),
    test_acc_at_start = before, epochs = r.epochs, seconds = r.seconds, cum_seconds = st.cum_seconds,
    cum_flops = st.cum_flops, weight_decay = wd, lr = lr, loss = r.loss, init = init,
  }
  st.rows[#st.rows + 1] = row
  self.stats = pstats.collect(self.net, self.data.sample)
  io.write(string.format("iteration %d: widths %s, %d parameters, test accuracy %.4f (train %.4f), %.1f s\n",
    k, table.concat(row.widths, ","), params, row.test_acc, row.train_acc, r.seconds))
  output.history(self.out, row, epochs_log, pstats.summary(self.stats))
  st.iteration = k
  output.checkpoint(self.out, k, self.net, st)
end

function Study:resume_or_start()
  local o = self.opts
  local st = (not o.restart) and output.load_state(self.out) or nil
  if st and st.signature ~= self:signature() then
    error("the checkpoint in " .. self.out .. " belongs to a run with other settings; use --restart or another --out", 0)
  end
  if st then
    self.state = st
    self.net = output.load_net(self.out, st.iteration, st.spec)
    self.stats = pstats.collect(self.net, self.data.sample)
    io.write("problem2: resuming after iteration " .. st.iteration .. "\n")
    return
  end
  self.state = { signature = self:signature(), rows = {}, cum_seconds = 0, cum_flops = 0 }
  rh.seed(o.seed)
  self.net = Net.build({ input = self.data.train.dim, classes = self.data.train.classes,
                         hidden = Net.plain_hidden(o.hidden) })
  self:train_iteration(0, "fresh")
end

-- Clamps and checks the widths a policy returned.
function Study:checked_widths(w)
  local n = #self.net.hidden
  if type(w) ~= "table" or #w ~= n then
    error(string.format("policy %s: widths() must return a list of %d widths, got %s",
      self.policy.path, n, type(w) == "table" and (#w .. " values") or type(w)), 0)
  end
  local out = {}
  for i = 1, n do
    local v = math.tointeger(w[i]) or (type(w[i]) == "number" and w[i] == w[i] and math.floor(w[i] + 0.5))
    if not v then error("policy " .. self.policy.path .. ": width " .. i .. " is not a number: " .. tostring(w[i]), 0) end
    out[i] = math.max(v, self.opts.min_width)
  end
  return out
end

local function same(a, b)
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return #a == #b
end

function Study:stop(reason)
  self.state.stop_reason = reason
  output.save_state(self.out, self.state)
  io.write("problem2: stop - " .. reason .. "\n")
end

-- The loop: ask the policy, build the next network, train it; stop on a rule.
function Study:iterate()
  local o, st = self.opts, self.state
  while not st.stop_reason do
    local k = st.iteration + 1
    if k > o.max_iters then self:stop("reached --max-iters " .. o.max_iters); break end
    local ctx = self:ctx(k)
    local widths = self:checked_widths(self.policy.widths(self.stats, ctx))
    if same(widths, self.net:widths()) then self:stop("widths unchanged at iteration " .. k); break end
    rh.seed(o.seed + k)
    local old, method = self.net, o.init
    if self.policy.init and not o._given.init then
      method = "policy"
      local fresh = Net.build(Net.spec_with(old.spec, Net.plain_hidden(widths)))
      self.net = self.policy.init(fresh, old, self.stats, ctx) or fresh
    else
      self.net = surgery.next_net(old, widths, method, self.data.sample)
    end
    self:train_iteration(k, method)
    local dense = st.rows[1].test_acc
    if st.rows[#st.rows].test_acc < dense - o.margin then
      self:stop(string.format("test accuracy %.4f fell more than %g below the dense network's %.4f",
        st.rows[#st.rows].test_acc, o.margin, dense))
    end
  end
end

-- Baselines under the same budget: the dense network trained on for the rank run's total
-- training time (continuing iteration 0: one dense run of that length), and structured
-- magnitude pruning to the widths the policy chose, with the same epochs and schedule.
function Study:baselines()
  local o, st = self.opts, self.state
  if st.baselines then return end
  local rows0 = st.rows[1]
  local dense = output.load_net(self.out, 0, st.specs[1])
  local curve = { { seconds = rows0.seconds, test_acc = rows0.test_acc } }
  local budget = st.cum_seconds - rows0.seconds
  if budget > 0 then
    rh.seed(o.seed + 1000)
    train.fit(dense, self.data.train, {
      batch = o.batch, lr = rows0.lr, momentum = o.momentum, weight_decay = rows0.weight_decay, seed = o.seed + 1000,
      budget = budget, label = "dense baseline",
      on_epoch = function(_, s)
        curve[#curve + 1] = { seconds = rows0.seconds + s, test_acc = train.accuracy(dense, self.data.test) }
      end,
    })
  end
  io.write(string.format("baseline dense: test accuracy %.4f after %.1f s\n", curve[#curve].test_acc, curve[#curve].seconds))
  local mag, net, cum = {}, output.load_net(self.out, 0, st.specs[1]), rows0.seconds
  for i = 2, #st.rows do
    local r = st.rows[i]
    rh.seed(o.seed + r.iteration)
    net = surgery.next_net(net, r.widths, "magnitude", self.data.sample)
    local f = train.fit(net, self.data.train, {
      epochs = o.epochs, batch = o.batch, lr = r.lr, momentum = o.momentum, weight_decay = r.weight_decay,
      seed = o.seed + r.iteration, label = "magnitude baseline " .. r.iteration,
    })
    cum = cum + f.seconds
    mag[#mag + 1] = { iteration = r.iteration, widths = net:widths(), parameters = net:num_parameters(),
                      train_acc = train.accuracy(net, self.data.train_eval), test_acc = train.accuracy(net, self.data.test),
                      seconds = f.seconds, cum_seconds = cum }
    io.write(string.format("baseline magnitude %d: test accuracy %.4f\n", r.iteration, mag[#mag].test_acc))
  end
  st.baselines = { dense = curve, magnitude = mag }
  output.save_state(self.out, st)
end

return M
