-- optim.lua - rh.optim: SGD, Adam, AdamW with PyTorch's update rules, parameter groups,
-- and the learning-rate schedules StepLR, CosineLR, ReduceLROnPlateau.
--
-- Each parameter's update is one fused C kernel (kernels/optim.c); Lua only walks the
-- groups. Group fields (lr, weight_decay, momentum, ...) are read at every step, so a
-- script changes them between steps to write schedules.
local rh = require "rankhost"
local nn = require "rankhost.nn"
local C = rh._nn

local optim = {}

local function is_module(x) return type(x) == "table" and type(x.parameters) == "function" end

local function shape_str(t) return table.concat(t:shape(), "x") end

-- The params and grads of one group spec (a module, a Linear, or a list of tensors).
local function resolve(spec, grads, fname, gi)
  if is_module(spec) then
    local ps, gs = spec:parameters()
    return ps, gs, spec
  end
  if nn.is_tensor(spec) then spec = { spec } end
  if type(spec) ~= "table" then
    error(string.format("%s: group %d: params must be a module or a list of tensors, got %s", fname, gi, type(spec)), 4)
  end
  local ps, gs = {}, {}
  for j, p in ipairs(spec) do
    if not nn.is_tensor(p) then
      error(string.format("%s: group %d: parameter %d is a %s, not a tensor", fname, gi, j, type(p)), 4)
    end
    local g = grads and grads[j] or nn.grads[p]
    if not g then
      error(string.format("%s: group %d: parameter %d has no gradient (pass a module, or {params=..., grads=...})",
                          fname, gi, j), 4)
    end
    ps[j], gs[j] = p, g
  end
  return ps, gs, nil
end

-- The option names of an optimizer (its defaults' keys) and those a parameter group may set
-- (the same, params and grads), each sorted.
local function option_names(defaults)
  local names, group_names = {}, { "params", "grads" }
  for k in pairs(defaults) do
    names[#names + 1], group_names[#group_names + 1] = k, k
  end
  table.sort(names)
  table.sort(group_names)
  return names, group_names
end

-- Builds opt.groups from params_or_groups and the defaults; group_names: the keys a group
-- may set.
local function build_groups(self, spec, defaults, group_names, fname)
  local specs
  if is_module(spec) or nn.is_tensor(spec) then
    specs = { { params = spec } }
  elseif type(spec) == "table" and type(spec[1]) == "table" and not is_module(spec[1]) and spec[1].params ~= nil then
    specs = spec
  elseif type(spec) == "table" then
    specs = { { params = spec } }
  else
    error(fname .. ": a module, a list of tensors or a list of groups expected, got " .. type(spec), 3)
  end
  self.groups = {}
  for gi, s in ipairs(specs) do
    local g = {}
    for k, v in pairs(defaults) do g[k] = v end
    rh.check_options(string.format("%s: group %d", fname, gi), s, group_names, 4)
    for k, v in pairs(s) do if k ~= "params" and k ~= "grads" then g[k] = v end end
    g.params, g.grads, g.module = resolve(s.params, s.grads, fname, gi)
    if #g.params == 0 then error(string.format("%s: group %d has no parameters", fname, gi), 3) end
    g.state = {}
    g.shapes = {}
    for j, p in ipairs(g.params) do g.shapes[j] = shape_str(p) end
    self.groups[gi] = g
  end
end

-- A module's parameters must still be the tensors the optimizer was built with. Modules
-- with _same_parameters (every nn module: Linear, Sequential and the parameterless ones say
-- so without building lists) are asked first; the lists are built only for others, or to
-- name what changed.
-- The settings a step multiplies by: a NaN or infinite one (a typo'd 1e400, a schedule gone
-- wrong) would silently turn every weight into NaN, so each step refuses it.
local FINITE = { "lr", "momentum", "dampening", "weight_decay", "eps" }

local function finite(v) return v == v and v ~= math.huge and v ~= -math.huge end

local function check_group(self, g, gi)
  for _, k in ipairs(FINITE) do
    local v = g[k]
    if type(v) == "number" and not finite(v) then
      error(string.format("optim.%s:step: group %d's %s is %s (it must be a finite number)", self.name, gi, k,
                          tostring(v)), 3)
    end
  end
  local m = g.module
  if not m then return end
  if m._same_parameters and m:_same_parameters(g.params, g.grads, 1) == #g.params + 1 then return end
  local ps, gs = m:parameters()
  for j = 1, math.max(#ps, #g.params) do
    local p = ps[j]
    if not rawequal(p, g.params[j]) or not rawequal(gs[j], g.grads[j]) then
      local now = p and shape_str(p) or "gone"
      error(string.format("%s:step: parameter %d of group %d was replaced or resized after the optimizer was " ..
                          "built (now %s, was %s); build a new optimizer", self.name, j, gi, now,
                          g.shapes[j] or "absent"), 3)
    end
  end
end

local Optimizer = {}
Optimizer.__index = Optimizer

-- Masked weights (nn.MaskedLinear: nn.masks[p] = its 0/1 mask) are zeroed again after a
-- group's step, in the parameter and in the optimizer's buffers for it (SGD's momentum,
-- Adam's moments), so that no decay or momentum term moves an entry the mask removed.
-- buffers(state_j) -> the buffer tensors of one parameter's state.
local masks = nn.masks
local function apply_masks(g, buffers)
  if next(masks) == nil then return end
  local params, state = g.params, g.state
  for j = 1, #params do
    local mask = masks[params[j]]
    if mask then
      params[j]:mul_(mask)
      local s = state[j]
      if s then buffers(s, mask) end
    end
  end
end
local function sgd_buffers(buf, mask) buf:mul_(mask) end
local function adam_buffers(s, mask) s.m:mul_(mask); s.v:mul_(mask) end

local zero, unpack = C.zero, table.unpack

function Optimizer:zero_grad() -- a group's gradients in one call
  local groups = self.groups
  for i = 1, #groups do
    local grads = groups[i].grads
    zero(unpack(grads, 1, #grads))
  end
  return self
end

function Optimizer:__tostring()
  local parts = {}
  for i, g in ipairs(self.groups) do
    parts[#parts + 1] = string.format("group %d: %d tensors, lr=%g, weight_decay=%g", i, #g.params, g.lr, g.weight_decay)
  end
  return "optim." .. self.name .. " (" .. table.concat(parts, "; ") .. ")"
end

local function nonneg(fname, k, v)
  if type(v) ~= "number" or not finite(v) or v < 0 then
    error(string.format("%s: %s must be a finite number >= 0, got %s", fname, k, tostring(v)), 4)
  end
end

local function new(name, params, opts, defaults, validate)
  opts = opts or {}
  if type(opts) ~= "table" then error("optim." .. name .. ": options must be a table", 3) end
  local names, group_names = option_names(defaults)
  rh.check_options("optim." .. name, opts, names, 3)
  local d = {}
  for k, v in pairs(defaults) do d[k] = v end
  for k, v in pairs(opts) do d[k] = v end
  local self = setmetatable({ name = name, defaults = d }, Optimizer)
  build_groups(self, params, d, group_names, "optim." .. name)
  for _, g in ipairs(self.groups) do validate("optim." .. name, g) end
  return self
end

-- ---------------------------------------------------------------- SGD

local SGD = setmetatable({}, { __index = Optimizer })
SGD.__index = SGD
SGD.__tostring = Optimizer.__tostring

local function validate_sgd(fname, g)
  for _, k in ipairs { "lr", "momentum", "dampening", "weight_decay" } do nonneg(fname, k, g[k]) end
  if g.nesterov and (g.momentum <= 0 or g.dampening ~= 0) then
    error(fname .. ": nesterov momentum requires a momentum > 0 and zero dampening", 4)
  end
end

function optim.SGD(params, opts)
  local self = new("SGD", params, opts, { lr = 1e-3, momentum = 0, dampening = 0, nesterov = false, weight_decay = 0 },
                   validate_sgd)
  return setmetatable(self, SGD)
end

-- The weight decay one step applies in steady state, of the first group: with momentum m
-- and dampening d the buffer settles at (1 - d) / (1 - m) times the gradient (1 / (1 - m)
-- with Nesterov), so the decay term wd * p moves p by lr * wd * (1 - d) / (1 - m) a step.
-- Summed over steps it is rh.train.fit's weight-decay horizon H: weights that only decayed
-- would have shrunk by exp(-H).
function SGD:decay_per_step()
  local g = self.groups[1]
  if g.momentum >= 1 then return math.huge end
  local gain = g.nesterov and 1 / (1 - g.momentum) or (1 - (g.momentum > 0 and g.dampening or 0)) / (1 - g.momentum)
  return g.lr * g.weight_decay * gain
end

local sgd_step, sgd_steps = C.sgd_step, C.sgd_steps

function SGD:step()
  local groups = self.groups
  for gi = 1, #groups do
    local g = groups[gi]
    check_group(self, g, gi)
    local lr, mom, damp, wd, nest = g.lr, g.momentum, g.dampening, g.weight_decay, g.nesterov and true or false
    local params, grads, state = g.params, g.grads, g.state
    -- past the first step (every buffer made), the whole group in one call
    if sgd_steps(params, grads, state, lr, mom, damp, wd, nest) then goto next_group end
    for j = 1, #params do
      local p = params[j]
      local buf, first = nil, false
      if mom ~= 0 then
        buf = state[j]
        if not buf then -- PyTorch: the buffer starts as the first step's gradient
          buf = rh.zeros_like(p)
          state[j] = buf
          first = true
        end
      end
      sgd_step(p, grads[j], buf, lr, mom, damp, wd, nest, first)
    end
    ::next_group::
    apply_masks(g, sgd_buffers)
  end
end

-- ---------------------------------------------------------------- Adam, AdamW

local Adam = setmetatable({}, { __index = Optimizer })
Adam.__index = Adam
Adam.__tostring = Optimizer.__tostring

local function validate_adam(fname, g)
  for _, k in ipairs { "lr", "eps", "weight_decay" } do nonneg(fname, k, g[k]) end
  local b = g.betas
  if type(b) ~= "table" or type(b[1]) ~= "number" or type(b[2]) ~= "number" or b[1] < 0 or b[1] >= 1 or b[2] < 0 or
      b[2] >= 1 then
    error(fname .. ": betas must be {beta1, beta2} with each in [0, 1)", 4)
  end
end

local function adam(name, params, opts, wd, decoupled)
  local self = new(name, params, opts, { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = wd },
                   validate_adam)
  self.decoupled = decoupled
  for _, g in ipairs(self.groups) do
    for j, p in ipairs(g.params) do g.state[j] = { m = rh.zeros_like(p), v = rh.zeros_like(p), step = 0 } end
  end
  return setmetatable(self, Adam)
end

function optim.Adam(params, opts) return adam("Adam", params, opts, 0, false) end
function optim.AdamW(params, opts) return adam("AdamW", params, opts, 1e-2, true) end

-- AdamW's decoupled decay shrinks p by lr * wd each step. Adam's L2 term passes through
-- the adaptive normalisation (divided by sqrt(v)), so it has no steady rate in lr and wd
-- alone: nil, and rh.train.fit records no horizon for Adam.
function Adam:decay_per_step()
  if not self.decoupled then return nil end
  local g = self.groups[1]
  return g.lr * g.weight_decay
end

function Adam:step()
  local dec = self.decoupled
  for gi, g in ipairs(self.groups) do
    check_group(self, g, gi)
    local lr, b1, b2, eps, wd = g.lr, g.betas[1], g.betas[2], g.eps, g.weight_decay
    local params, grads, state = g.params, g.grads, g.state
    for j = 1, #params do
      local s = state[j]
      s.step = s.step + 1
      C.adam_step(params[j], grads[j], s.m, s.v, lr, b1, b2, eps, wd, dec, s.step)
    end
    apply_masks(g, adam_buffers)
  end
end

-- ---------------------------------------------------------------- state dicts
-- opt:state_dict() -> tensors, meta: what the next step depends on, under names (docs/training.md):
--   tensors "<g>.<j>.momentum_buffer" (SGD, once made), "<g>.<j>.exp_avg", "<g>.<j>.exp_avg_sq"
--   (Adam, AdamW) for parameter j of group g; meta (strings, as safetensors metadata wants)
--   "optimizer" (SGD|Adam|AdamW), "groups", "<g>.params", "<g>.<option>" (lr, momentum, ...,
--   betas as "b1,b2"; numbers written with 17 digits, so they read back exactly) and
--   "<g>.<j>.step" (Adam). The tensors are the optimizer's own, not copies.
-- opt:load_state_dict(tensors, meta) sets them on an optimizer built the same way (the same
-- kind, groups and parameter shapes; anything else is an error naming what differs).

local function encode(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  if v == math.huge then return "inf" elseif v == -math.huge then return "-inf" end
  if type(v) == "number" then return string.format("%.17g", v) end
  if type(v) == "boolean" then return tostring(v) end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = encode(x) end
    return table.concat(parts, ",")
  end
  error("state_dict: cannot store a " .. type(v), 3)
end

-- The value of a stored string, of the kind `like` is.
local decode
function decode(str, like, key)
  local v
  if type(like) == "boolean" then
    if str == "true" then v = true elseif str == "false" then v = false end
  elseif type(like) == "table" then
    v = {}
    for x in tostring(str):gmatch("[^,]+") do v[#v + 1] = decode(x, 0, key) end
    if #v ~= #like then v = nil end
  else
    v = math.tointeger(str) or tonumber(str) or (str == "inf" and math.huge) or (str == "-inf" and -math.huge) or nil
  end
  if v == nil then error(string.format("load_state_dict: '%s' = %s is not a %s", key, tostring(str), type(like)), 4) end
  return v
end

function Optimizer:state_dict()
  local t = {}
  local meta = { optimizer = self.name, groups = encode(#self.groups) }
  local names = option_names(self.defaults)
  for gi, g in ipairs(self.groups) do
    local pre = gi .. "."
    meta[pre .. "params"] = encode(#g.params)
    for _, k in ipairs(names) do meta[pre .. k] = encode(g[k]) end
    for j in ipairs(g.params) do self:_state_out(g.state[j], pre .. j .. ".", t, meta) end
  end
  return t, meta
end

function Optimizer:load_state_dict(t, meta)
  if type(t) ~= "table" or type(meta) ~= "table" then
    error("bad arguments to 'load_state_dict' (tensors and metadata expected, as state_dict returns them)", 2)
  end
  if meta.optimizer ~= self.name then
    error(string.format("load_state_dict: the state is %s's, this optimizer is %s", tostring(meta.optimizer), self.name), 2)
  end
  if tonumber(meta.groups) ~= #self.groups then
    error(string.format("load_state_dict: the state has %s groups, this optimizer %d", tostring(meta.groups), #self.groups), 2)
  end
  local names = option_names(self.defaults)
  local opts = {}
  for gi, g in ipairs(self.groups) do -- every check before anything is set
    local pre = gi .. "."
    if tonumber(meta[pre .. "params"]) ~= #g.params then
      error(string.format("load_state_dict: group %d has %s parameters in the state, %d here", gi,
                          tostring(meta[pre .. "params"]), #g.params), 2)
    end
    opts[gi] = {}
    for _, k in ipairs(names) do
      if meta[pre .. k] == nil then error("load_state_dict: the state lacks '" .. pre .. k .. "'", 2) end
      opts[gi][k] = decode(meta[pre .. k], g[k], pre .. k)
    end
    for j, p in ipairs(g.params) do
      for name, x in pairs(t) do
        if name:sub(1, #(pre .. j .. ".")) == pre .. j .. "." and x:numel() ~= p:numel() then
          error(string.format("load_state_dict: '%s' is %s, parameter %d of group %d is %s", name,
                              shape_str(x), j, gi, shape_str(p)), 2)
        end
      end
    end
  end
  for gi, g in ipairs(self.groups) do
    for k, v in pairs(opts[gi]) do g[k] = v end
    for j, p in ipairs(g.params) do g.state[j] = self:_state_in(g.state[j], gi .. "." .. j .. ".", t, meta, p) end
  end
  return self
end

-- A copy of x on p's device, shaped as p.
local function like_param(x, p)
  local y = x:to(p:device())
  if rawequal(y, x) then y = x:clone() end
  return y:view(table.unpack(p:shape()))
end

function SGD:_state_out(buf, pre, t)
  if buf then t[pre .. "momentum_buffer"] = buf end
end
function SGD:_state_in(_, pre, t, _, p)
  local b = t[pre .. "momentum_buffer"]
  return b and like_param(b, p) or nil
end

function Adam:_state_out(st, pre, t, meta)
  t[pre .. "exp_avg"], t[pre .. "exp_avg_sq"] = st.m, st.v
  meta[pre .. "step"] = encode(st.step)
end
function Adam:_state_in(st, pre, t, meta, p)
  local m, v, step = t[pre .. "exp_avg"], t[pre .. "exp_avg_sq"], math.tointeger(meta[pre .. "step"])
  if not (m and v and step) then error("load_state_dict: the state lacks " .. pre .. "exp_avg, exp_avg_sq or step", 3) end
  return { m = like_param(m, p), v = like_param(v, p), step = step }
end

-- ---------------------------------------------------------------- schedules
-- Each scheduler is stepped once per epoch (or per evaluation) after training steps,
-- as in PyTorch; it writes the new learning rates into opt.groups[i].lr.

local function lrs(opt)
  local out = {}
  for i, g in ipairs(opt.groups) do out[i] = g.lr end
  return out
end

local Scheduler = {}
Scheduler.__index = Scheduler
function Scheduler:get_last_lr() return lrs(self.opt) end

-- sched:state_dict() -> meta: the scheduler's counters and numbers (last_epoch, base_lrs,
-- ReduceLROnPlateau's best, num_bad_epochs, cooldown_counter, ...) as strings, written as the
-- optimizer's are; sched:load_state_dict(meta) sets them on a scheduler built the same way.
local function plain(v)
  if type(v) == "number" or type(v) == "boolean" then return true end
  if type(v) ~= "table" or #v == 0 then return false end
  for _, x in ipairs(v) do if type(x) ~= "number" then return false end end
  return true
end

function Scheduler:state_dict()
  local meta = {}
  for k, v in pairs(self) do
    if type(k) == "string" and k ~= "opt" and plain(v) then meta[k] = encode(v) end
  end
  return meta
end

function Scheduler:load_state_dict(meta)
  if type(meta) ~= "table" then error("bad argument #1 to 'load_state_dict' (metadata table expected)", 2) end
  local new = {}
  for k, v in pairs(self) do
    if type(k) == "string" and k ~= "opt" and plain(v) then
      if meta[k] == nil then error("load_state_dict: the scheduler's state lacks '" .. k .. "'", 2) end
      new[k] = decode(meta[k], v, k)
    end
  end
  for k, v in pairs(new) do self[k] = v end
  return self
end

local function scheduler(opt, fname)
  if type(opt) ~= "table" or type(opt.groups) ~= "table" then error(fname .. ": an optimizer expected", 3) end
  return setmetatable({ opt = opt, base_lrs = lrs(opt), last_epoch = 0 }, Scheduler)
end

-- StepLR: lr *= gamma every `step` epochs.
function optim.StepLR(opt, o)
  o = o or {}
  local s = scheduler(opt, "optim.StepLR")
  rh.check_options("optim.StepLR", o, { "step", "step_size", "gamma" })
  s.step_size, s.gamma = o.step or o.step_size, o.gamma or 0.1
  if math.type(s.step_size) ~= "integer" or s.step_size < 1 then
    error("optim.StepLR: step must be a positive integer", 2)
  end
  function s:step()
    self.last_epoch = self.last_epoch + 1
    if self.last_epoch % self.step_size == 0 then
      for _, g in ipairs(self.opt.groups) do g.lr = g.lr * self.gamma end
    end
  end
  return s
end

-- CosineLR (PyTorch's CosineAnnealingLR, its recursive form):
--   lr_t = eta_min + (lr_{t-1} - eta_min) (1 + cos(pi t / T)) / (1 + cos(pi (t-1) / T))
-- which equals eta_min + (base - eta_min) (1 + cos(pi t / T)) / 2 when nothing else moves lr.
function optim.CosineLR(opt, o)
  o = o or {}
  local s = scheduler(opt, "optim.CosineLR")
  rh.check_options("optim.CosineLR", o, { "t_max", "T_max", "eta_min" })
  s.t_max, s.eta_min = o.t_max or o.T_max, o.eta_min or 0
  if type(s.t_max) ~= "number" or s.t_max <= 0 then error("optim.CosineLR: t_max must be a number > 0", 2) end
  function s:step()
    local t, T, emin = self.last_epoch + 1, self.t_max, self.eta_min
    self.last_epoch = t
    for i, g in ipairs(self.opt.groups) do
      if (t - 1 - T) % (2 * T) == 0 then
        g.lr = g.lr + (self.base_lrs[i] - emin) * (1 - math.cos(math.pi / T)) / 2
      else
        g.lr = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (g.lr - emin) + emin
      end
    end
  end
  return s
end

-- ReduceLROnPlateau: lr = max(lr * factor, min_lr) after `patience` evaluations without
-- an improvement of the metric (rel: better than best * (1 -/+ threshold); abs: by threshold),
-- then `cooldown` evaluations of rest. Changes smaller than eps=1e-8 are ignored.
function optim.ReduceLROnPlateau(opt, o)
  o = o or {}
  local s = scheduler(opt, "optim.ReduceLROnPlateau")
  rh.check_options("optim.ReduceLROnPlateau", o, { "mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps" })
  s.mode, s.factor, s.patience = o.mode or "min", o.factor or 0.1, o.patience or 10
  s.threshold, s.threshold_mode = o.threshold or 1e-4, o.threshold_mode or "rel"
  s.cooldown, s.min_lr, s.eps = o.cooldown or 0, o.min_lr or 0, o.eps or 1e-8
  if s.mode ~= "min" and s.mode ~= "max" then error("optim.ReduceLROnPlateau: mode must be 'min' or 'max'", 2) end
  if s.threshold_mode ~= "rel" and s.threshold_mode ~= "abs" then
    error("optim.ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs'", 2)
  end
  if s.factor >= 1 then error("optim.ReduceLROnPlateau: factor must be < 1", 2) end
  s.best = s.mode == "min" and math.huge or -math.huge
  s.num_bad_epochs, s.cooldown_counter = 0, 0
  function s:is_better(a)
    local best, th = self.best, self.threshold
    if self.mode == "min" then
      return self.threshold_mode == "rel" and a < best * (1 - th) or (self.threshold_mode == "abs" and a < best - th)
    end
    return self.threshold_mode == "rel" and a > best * (1 + th) or (self.threshold_mode == "abs" and a > best + th)
  end
  function s:step(metric)
    if type(metric) ~= "number" then error("ReduceLROnPlateau:step: a metric (number) expected", 2) end
    self.last_epoch = self.last_epoch + 1
    if self:is_better(metric) then
      self.best, self.num_bad_epochs = metric, 0
    else
      self.num_bad_epochs = self.num_bad_epochs + 1
    end
    if self.cooldown_counter > 0 then
      self.cooldown_counter = self.cooldown_counter - 1
      self.num_bad_epochs = 0
    end
    if self.num_bad_epochs > self.patience then
      for i, g in ipairs(self.opt.groups) do
        local min_lr = type(self.min_lr) == "table" and self.min_lr[i] or self.min_lr
        local new_lr = math.max(g.lr * self.factor, min_lr)
        if g.lr - new_lr > self.eps then g.lr = new_lr end
      end
      self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
    end
  end
  return s
end

return optim
