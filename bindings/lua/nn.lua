-- nn.lua - rh.nn: layers and losses in Torch7's module protocol.
--
-- A module has forward(x) -> y, backward(x, grad_y [, skip_input_grad]) -> grad_x
-- (parameter gradients accumulate until zero_grad), parameters() -> {params}, {grads}.
-- The arithmetic is in C (rh._nn, kernels/nn.c); this file keeps the objects and their
-- buffers: outputs and gradients are allocated once per batch size and reused, so a
-- steady training loop allocates no tensor memory.
local rh = require "rankhost"
local B = require "rankhost.boundary"
local C = rh._nn

local nn = {}

-- param tensor -> its gradient tensor, for optimizers given a plain list of tensors.
nn.grads = setmetatable({}, { __mode = "k" })

local Tensor = assert(rh.Tensor, "rh.Tensor")
local function is_tensor(x) return getmetatable(x) == Tensor end
nn.is_tensor = is_tensor

-- ---------------------------------------------------------------- Module (base)

local describe -- below: the name of any module for error messages

local Module = {}
Module.__index = Module
Module.__name = "Module"
nn.Module = Module

-- nn.class(name [, parent]) -> a new module class; instances: setmetatable(obj, cls).
function nn.class(name, parent)
  parent = parent or Module
  local cls = setmetatable({}, { __index = parent })
  cls.__index = cls
  cls.__name = name
  cls.__tostring = parent.__tostring
  return cls
end

function Module:parameters() return {}, {} end

-- Whether ps[k..], gs[k..] are still module m's parameters and gradients, compared with the
-- lists m:parameters() builds: the next k, or false.
local function same_listed(m, ps, gs, k)
  local p, g = m:parameters()
  for j = 1, #p do
    if not (rawequal(ps[k], p[j]) and rawequal(gs[k], g and g[j])) then return false end
    k = k + 1
  end
  return k
end

-- Whether ps[k..], gs[k..] are still this module's parameters and gradients; the next k
-- (false when not). An optimizer checks this at every step: a module that keeps Module's
-- parameters() (none: ReLU, Tanh, ...) answers without building lists, Linear and
-- Sequential compare in place, and any other module compares its parameters() lists.
function Module:_same_parameters(ps, gs, k)
  if self.parameters == Module.parameters then return k end
  return same_listed(self, ps, gs, k)
end
-- The rank-tool protocol (docs/training.md, "Modules the rank tools read"): a module lists
-- every Linear layer it uses, in the order its forward calls them. The default answers {}
-- only for a module without parameters: one with parameters must say which are Linear
-- layers (a module whose parameters are not Linear layers, a scale, returns {}).
function Module:linear_layers()
  if self.parameters ~= Module.parameters and #(self:parameters()) > 0 then
    error(describe(self) .. " has parameters but does not define linear_layers() (list its Linear layers, "
      .. "or return {} when none of its parameters is a Linear layer's)", 0)
  end
  return {}
end
-- The modules a container holds (for naming the module that owns a parameter).
function Module:children() return {} end
function Module:train() self.training = true; return self end
function Module:evaluate() self.training = false; return self end
function Module:to(device) self._bufs = {}; return self end

function Module:zero_grad()
  local _, grads = self:parameters()
  for _, g in ipairs(grads) do g:zero() end
  return self
end

function Module:num_parameters()
  local n = 0
  for _, p in ipairs((self:parameters())) do n = n + p:numel() end
  return n
end

function Module:__tostring() return self:describe() end
function Module:describe() return self.__name or "Module" end

-- A reusable rows x cols tensor on like's device, cached per batch size (rows), so
-- that alternating batch sizes (a short last batch) do not reallocate every epoch.
local function buffer(self, key, like, rows, cols)
  local bufs = self._bufs
  local cache = bufs[key]
  if not cache then cache = {}; bufs[key] = cache end
  local b = cache[rows]
  if b == nil or b:size(2) ~= cols or b:device() ~= like:device() then
    if b == nil and next(cache) ~= nil then
      local n = 0
      for _ in pairs(cache) do n = n + 1 end
      if n >= 4 then for k in pairs(cache) do cache[k] = nil end end -- many sizes: start over
    end
    b = like:new_empty(rows, cols)
    cache[rows] = b
  end
  return b
end
nn.buffer = buffer

-- Name of any module for error messages ("Linear 784->256", "ReLU", "Lua module").
function describe(m)
  if type(m.describe) == "function" then return m:describe() end
  return m.name or "Lua module"
end
nn.describe = describe

-- ---------------------------------------------------------------- Linear

local Linear = nn.class("Linear")
nn.LinearClass = Linear

-- Initialisations: name -> function(self, opts). fan_in = in, fan_out = out.
local inits = {}
-- PyTorch's default: kaiming_uniform(a=sqrt(5)) => U(-1/sqrt(in), 1/sqrt(in)); same bound for bias.
inits.default = function(self)
  local bound = 1 / math.sqrt(self.in_features)
  self.weight:fill_uniform(-bound, bound)
  if self.bias then self.bias:fill_uniform(-bound, bound) end
end
inits.pytorch = inits.default
inits.kaiming_uniform = function(self) -- He et al. 2015, gain sqrt(2): U(-sqrt(6/in), sqrt(6/in))
  local bound = math.sqrt(6 / self.in_features)
  self.weight:fill_uniform(-bound, bound)
end
inits.kaiming_normal = function(self) self.weight:fill_normal(0, math.sqrt(2 / self.in_features)) end
inits.xavier_uniform = function(self) -- Glorot & Bengio 2010
  local bound = math.sqrt(6 / (self.in_features + self.out_features))
  self.weight:fill_uniform(-bound, bound)
end
inits.xavier_normal = function(self)
  self.weight:fill_normal(0, math.sqrt(2 / (self.in_features + self.out_features)))
end
inits.normal = function(self, opts) self.weight:fill_normal(0, opts.std or 0.01) end
inits.zeros = function(self) self.weight:zero() end
nn.inits = inits

local function check_size(n, what, fname)
  if math.type(n) ~= "integer" or n < 1 then
    error(string.format("%s: %s must be a positive integer, got %s", fname, what, tostring(n)), 3)
  end
end

-- The host's memory in bytes (Linux's MemTotal), or nil where it cannot be read.
local function host_memory()
  local f = io.open("/proc/meminfo", "r")
  local kb = f and f:read("a"):match("MemTotal:%s*(%d+)")
  if f then f:close() end
  return kb and tonumber(kb) * 1024
end
local HOST_MEMORY = host_memory() -- read once, when the library loads

-- A layer of in x out weights must fit: its weight and gradient (8 bytes an element on the
-- CPU) within the host's memory. A width of 1e9 from a policy is refused here, naming the
-- layer and its sizes, instead of failing deep inside an allocation.
local function check_fits(nin, nout, fname)
  local bytes = 8.0 * nin * nout -- as a float: no integer overflow
  local mem = rh.device() == "cpu" and HOST_MEMORY
  if mem and bytes > mem then
    error(string.format("%s(%d, %d): its weight and gradient need %.3g GB, more than this machine's %.3g GB of memory",
                        fname, nin, nout, bytes / 1e9, mem / 1e9), 3)
  end
end

-- nn.Linear(in, out [, {init="default"|"kaiming_uniform"|"kaiming_normal"|"xavier_uniform"|
--   "xavier_normal"|"normal"|"zeros", std=, bias=true}])
-- Other initialisations than the default set the bias to zero.
function nn.Linear(nin, nout, opts)
  check_size(nin, "in", "nn.Linear")
  check_size(nout, "out", "nn.Linear")
  check_fits(nin, nout, "nn.Linear")
  opts = opts or {}
  local init = opts.init or "default"
  if not inits[init] then error("nn.Linear: unknown init '" .. tostring(init) .. "'", 2) end
  local self = setmetatable({ in_features = nin, out_features = nout, training = true, _bufs = {} }, Linear)
  self.weight = rh.empty(nout, nin)
  self.grad_weight = rh.zeros(nout, nin)
  if opts.bias ~= false then
    self.bias = rh.zeros(nout)
    self.grad_bias = rh.zeros(nout)
  end
  inits[init](self, opts)
  self:_register()
  return self
end

-- parameter tensor -> the Linear that owns it: how the rank tools see a Linear layer that a
-- module's linear_layers() leaves out.
nn.linear_of = setmetatable({}, { __mode = "kv" })

function Linear:_register()
  nn.grads[self.weight] = self.grad_weight
  nn.linear_of[self.weight] = self
  if self.bias then
    nn.grads[self.bias] = self.grad_bias
    nn.linear_of[self.bias] = self
  end
end

function Linear:describe() return string.format("Linear %d->%d", self.in_features, self.out_features) end
function Linear:__tostring() return string.format("nn.Linear(%d -> %d%s)", self.in_features, self.out_features,
                                                  self.bias and "" or ", no bias") end

-- The batch size of an input checked against the layer; errors at `level` (above the caller).
local function check_input(self, x, level)
  level = (level or 1) + 2
  if not is_tensor(x) then error("input must be a tensor, got " .. type(x), level) end
  if x:dim() ~= 2 then
    error(string.format("input must be a 2-D batch (B x %d), got %d-D", self.in_features, x:dim()), level)
  end
  local w = x:size(2)
  if w ~= self.in_features then
    error(string.format("bad input width %d, expected %d", w, self.in_features), level)
  end
  return x:size(1)
end

local linear_forward, linear_backward = C.linear_forward, C.linear_backward

-- The output buffer of a forward on x. The layers' inputs are the same tensors step after
-- step (a loader's batch buffer, the layer before's output), so the last buffer is kept
-- with the input it served and the widths it had, and reused without a lookup when all
-- three match; anything else is checked and looked up.
local function forward_buffer(self, x)
  local bufs = self._bufs
  if rawequal(bufs._fx, x) and bufs._fin == self.in_features and bufs._fout == self.out_features then
    return bufs._fy
  end
  local y = buffer(self, "output", x, check_input(self, x, 2), self.out_features)
  bufs._fx, bufs._fy, bufs._fin, bufs._fout = x, y, self.in_features, self.out_features
  return y
end

function Linear:forward(x)
  local y = forward_buffer(self, x)
  linear_forward(y, x, self.weight, self.bias, false)
  self.output = y
  return y
end

-- y = relu(x W^T + b) in one pass: used by Sequential for a Linear followed by ReLU.
function Linear:forward_relu(x)
  local y = forward_buffer(self, x)
  linear_forward(y, x, self.weight, self.bias, true)
  self.output = y
  return y
end

function Linear:backward(x, gy, skip_input_grad)
  local gx = nil
  local bufs = self._bufs
  if not (rawequal(bufs._bx, x) and bufs._bin == self.in_features) then
    bufs._bB = check_input(self, x, 1)
    bufs._bx, bufs._bin, bufs._bgx = x, self.in_features, nil
  end
  if not skip_input_grad then
    gx = bufs._bgx
    if not gx then
      gx = buffer(self, "grad_input", x, bufs._bB, self.in_features)
      bufs._bgx = gx
    end
  end
  linear_backward(gx, self.grad_weight, self.grad_bias, x, self.weight, gy)
  self.grad_input = gx
  return gx
end

function Linear:parameters()
  if self.bias then return { self.weight, self.bias }, { self.grad_weight, self.grad_bias } end
  return { self.weight }, { self.grad_weight }
end

-- Module:_same_parameters without building lists.
function Linear:_same_parameters(ps, gs, k)
  if not (rawequal(ps[k], self.weight) and rawequal(gs[k], self.grad_weight)) then return false end
  if self.bias then
    if not (rawequal(ps[k + 1], self.bias) and rawequal(gs[k + 1], self.grad_bias)) then return false end
    return k + 2
  end
  return k + 1
end

function Linear:zero_grad()
  C.zero(self.grad_weight, self.grad_bias)
  return self
end

function Linear:linear_layers() return { self } end

function Linear:to(device)
  for _, k in ipairs { "weight", "bias", "grad_weight", "grad_bias" } do
    if self[k] then self[k] = self[k]:to(device) end
  end
  self._bufs = {}
  self:_register()
  return self
end

-- ---------------------------------------------------------------- ReLU

local ReLU = nn.class("ReLU")
nn.ReLUClass = ReLU
local relu_backward = C.relu_backward

function nn.ReLU() return setmetatable({ training = true, _bufs = {} }, ReLU) end
function ReLU:__tostring() return "nn.ReLU()" end

function ReLU:forward(x)
  if x:dim() ~= 2 then self.output = x:relu(); return self.output end
  local y = buffer(self, "output", x, x:size(1), x:size(2))
  C.relu_forward(y, x)
  self.output = y
  return y
end

-- The mask comes from the output (y > 0 exactly where x > 0), which also holds when a
-- Sequential fused this ReLU into the Linear before it.
-- The gradient buffer is kept with the output it served (the same tensor step after step).
function ReLU:backward(x, gy)
  local y = self.output
  if not y then error("backward called before forward", 2) end
  local bufs = self._bufs
  local gx
  if rawequal(bufs._by, y) then
    gx = bufs._bgx
  elseif y:dim() == 2 then
    gx = buffer(self, "grad_input", y, y:size(1), y:size(2))
    bufs._by, bufs._bgx = y, gx
  else
    gx = rh.zeros_like(y)
  end
  relu_backward(gx, y, gy)
  self.grad_input = gx
  return gx
end

-- ---------------------------------------------------------------- MaskedLinear
-- nn.MaskedLinear(in, out [, opts]): a Linear whose weight is multiplied by a fixed 0/1
-- mask (out x in; opts.mask, default all ones; m:set_mask(mask) later). The masked
-- entries of the weight are held at exactly zero: forward zeroes them in place before the
-- product (so writing into .weight cannot bring them back), backward zeroes their gradient,
-- and every rh.optim step zeroes them again in the weight and in the optimizer's buffers
-- (nn.masks[weight] = mask, read by the optimizers), so weight decay, momentum and Adam's
-- moments never move them. The mask is a named tensor of the module ("mask", beside
-- "weight" and "bias", in named_parameters()) so that a checkpoint keeps it; it is not a
-- parameter (parameters() is weight and bias, as Linear's). Options as nn.Linear's.

-- param tensor -> its 0/1 mask, for the optimizers (weak keys, as nn.grads).
nn.masks = setmetatable({}, { __mode = "k" })

local MaskedLinear = nn.class("MaskedLinear", Linear)
nn.MaskedLinearClass = MaskedLinear

-- The mask m checked for the layer: a tensor of the weight's shape holding only 0 and 1.
local function check_mask(self, m, fname, level)
  level = level + 1
  if not is_tensor(m) then error(fname .. ": mask must be a tensor, got " .. type(m), level) end
  if m:dim() ~= 2 or m:size(1) ~= self.out_features or m:size(2) ~= self.in_features then
    error(string.format("%s: mask must be %dx%d (out x in), got %s", fname, self.out_features, self.in_features,
                        table.concat(m:shape(), "x")), level)
  end
  local off = (m * (m - 1)):abs():sum()
  if not (off == 0) then error(fname .. ": mask must hold only 0 and 1", level) end
end

function nn.MaskedLinear(nin, nout, opts)
  opts = opts or {}
  local lopts = {}
  for k, v in pairs(opts) do if k ~= "mask" then lopts[k] = v end end
  local ok, self = pcall(nn.Linear, nin, nout, lopts)
  if not ok then error((tostring(self):gsub("^[^\n:]+:%d+: ", "", 1):gsub("^nn%.Linear", "nn.MaskedLinear")), 2) end
  setmetatable(self, MaskedLinear)
  if opts.mask ~= nil then
    check_mask(self, opts.mask, "nn.MaskedLinear", 1)
    self.mask = opts.mask:clone()
  else
    self.mask = rh.ones(nout, nin)
  end
  self.weight:mul_(self.mask)
  self:_register()
  return self
end

function MaskedLinear:_register()
  Linear._register(self)
  nn.masks[self.weight] = self.mask
end

-- m:set_mask(mask): copies mask (0/1, out x in) into the layer's mask and zeroes the
-- weight where it is 0. An optimizer built before keeps working: the weight is the same
-- tensor, and its next step zeroes the new masked entries of its buffers.
function MaskedLinear:set_mask(m)
  check_mask(self, m, "set_mask", 1)
  self.mask:copy(m:device() == self.mask:device() and m or m:to(self.mask:device()))
  self.weight:mul_(self.mask)
  return self
end

-- The fraction of the weight's entries the mask keeps.
function MaskedLinear:density() return self.mask:sum() / self.mask:numel() end

function MaskedLinear:describe()
  return string.format("MaskedLinear %d->%d", self.in_features, self.out_features)
end
function MaskedLinear:__tostring()
  return string.format("nn.MaskedLinear(%d -> %d%s, density %.3g)", self.in_features, self.out_features,
                       self.bias and "" or ", no bias", self:density())
end

function MaskedLinear:forward(x)
  self.weight:mul_(self.mask)
  return Linear.forward(self, x)
end

function MaskedLinear:forward_relu(x)
  self.weight:mul_(self.mask)
  return Linear.forward_relu(self, x)
end

function MaskedLinear:backward(x, gy, skip_input_grad)
  local gx = Linear.backward(self, x, gy, skip_input_grad)
  self.grad_weight:mul_(self.mask)
  return gx
end

-- {name, tensor} pairs under prefix (the state-dict protocol): weight, bias, mask.
function MaskedLinear:named_parameters(prefix, out)
  out, prefix = out or {}, prefix or ""
  out[#out + 1] = { prefix .. "weight", self.weight }
  if self.bias then out[#out + 1] = { prefix .. "bias", self.bias } end
  out[#out + 1] = { prefix .. "mask", self.mask }
  return out
end

function MaskedLinear:to(device)
  self.mask = self.mask:to(device)
  return Linear.to(self, device) -- re-registers the weight's mask
end

-- ---------------------------------------------------------------- Sequential

local Sequential = nn.class("Sequential")
nn.SequentialClass = Sequential

local function check_module(m, i, fname)
  if type(m) ~= "table" or type(m.forward) ~= "function" or type(m.backward) ~= "function" then
    error(string.format("%s: module %d is not a layer (a table with forward and backward), got %s", fname, i,
                        type(m)), 3)
  end
end

function nn.Sequential(...)
  local self = setmetatable({ modules = {}, training = true, _inputs = {} }, Sequential)
  for i = 1, select("#", ...) do
    local m = select(i, ...)
    check_module(m, i, "nn.Sequential")
    self.modules[i] = m
  end
  return self
end

function Sequential:add(m)
  check_module(m, #self.modules + 1, "add")
  self.modules[#self.modules + 1] = m
  return self
end

function Sequential:describe() return self.name or "Sequential" end

-- Raises "Sequential module i (name): message", the inner position stripped.
local function fail(self, i, m, err)
  if type(err) == "string" then err = err:gsub("^[^\n:]+:%d+: ", "", 1) end
  error(string.format("%s module %d (%s): %s", self:describe(), i, describe(m), tostring(err)), 3)
end

function Sequential:forward(x)
  local mods, inputs = self.modules, self._inputs
  local i, n = 1, #mods
  while i <= n do
    local m = mods[i]
    inputs[i] = x
    local nxt = mods[i + 1]
    local ok, y
    if nxt and getmetatable(m) == Linear and getmetatable(nxt) == ReLU then
      ok, y = pcall(m.forward_relu, m, x) -- fused: Linear's output is already ReLU'd
      if not ok then fail(self, i, m, y) end
      inputs[i + 1] = y
      nxt.output = y
      i = i + 2
    else
      ok, y = pcall(m.forward, m, x)
      if not ok then fail(self, i, m, y) end
      i = i + 1
    end
    x = y
  end
  self.output = x
  return x
end

-- skip_input_grad: the gradient with respect to x is not needed (x is data), which
-- saves the first layer's grad_x product.
function Sequential:backward(x, gy, skip_input_grad)
  local mods, inputs = self.modules, self._inputs
  if #mods > 0 and not rawequal(inputs[1], x) then inputs[1] = x end
  for i = #mods, 1, -1 do
    local m = mods[i]
    local ok, g = pcall(m.backward, m, inputs[i], gy, skip_input_grad and i == 1)
    if not ok then fail(self, i, m, g) end
    gy = g
  end
  self.grad_input = gy
  return gy
end

function Sequential:parameters()
  local ps, gs = {}, {}
  for _, m in ipairs(self.modules) do
    if m.parameters then
      local p, g = m:parameters()
      for j = 1, #p do
        ps[#ps + 1] = p[j]
        gs[#gs + 1] = g and g[j]
      end
    end
  end
  return ps, gs
end

function Sequential:_same_parameters(ps, gs, k)
  local mods = self.modules
  for i = 1, #mods do
    local m = mods[i]
    if m._same_parameters then
      k = m:_same_parameters(ps, gs, k)
    elseif m.parameters then -- a layer not built on nn.Module
      k = same_listed(m, ps, gs, k)
    end
    if not k then return false end
  end
  return k
end

function Sequential:zero_grad()
  for _, m in ipairs(self.modules) do
    if m.zero_grad then
      m:zero_grad()
    elseif m.parameters then
      local _, gs = m:parameters()
      for _, g in ipairs(gs or {}) do g:zero() end
    end
  end
  return self
end

local function each(self, method, ...)
  for _, m in ipairs(self.modules) do
    if type(m[method]) == "function" then m[method](m, ...) end
  end
  return self
end

function Sequential:train() self.training = true; return each(self, "train") end
function Sequential:evaluate() self.training = false; return each(self, "evaluate") end
function Sequential:to(device) return each(self, "to", device) end

-- Each module's Linear layers in order. A module with parameters and no linear_layers() is
-- an error naming it: its Linear layers would otherwise be left out without a word.
function Sequential:linear_layers()
  local out = {}
  for i, m in ipairs(self.modules) do
    local ok, ls
    if type(m.linear_layers) == "function" then
      ok, ls = pcall(m.linear_layers, m)
    elseif type(m.parameters) == "function" and #(m:parameters()) > 0 then
      ok, ls = false, "has parameters but no linear_layers() (list its Linear layers, or return {} when none "
        .. "of its parameters is a Linear layer's)"
    else
      ok, ls = true, {}
    end
    if not ok then
      error(string.format("%s module %d (%s): %s", self:describe(), i, describe(m),
                          tostring(ls):gsub("^[^\n:]+:%d+: ", "", 1)), 0)
    end
    for _, l in ipairs(ls) do out[#out + 1] = l end
  end
  return out
end

function Sequential:children() return self.modules end

function Sequential:__tostring()
  local lines = { string.format("nn.%s {  -- %d parameters", self:describe(), self:num_parameters()) }
  for i, m in ipairs(self.modules) do
    -- a Lua table layer without __tostring prints its name, not "table: 0x..."
    local mt = getmetatable(m)
    local s = ((mt and mt.__tostring) and tostring(m) or describe(m)):gsub("\n", "\n  ")
    lines[#lines + 1] = string.format("  (%d) %s", i, s)
  end
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n")
end

-- nn.MLP{784, 256, 256, 10 [, init=...]}: Linear+ReLU for each hidden layer, the last
-- Linear bare (logits). Options in the same table (string keys) go to every Linear.
function nn.MLP(sizes)
  if type(sizes) ~= "table" or #sizes < 2 then
    error("nn.MLP: a table of at least two layer sizes expected, e.g. nn.MLP{784, 256, 10}", 2)
  end
  local opts = {}
  for k, v in pairs(sizes) do if type(k) == "string" then opts[k] = v end end
  local mods = {}
  for i = 1, #sizes - 1 do
    check_size(sizes[i], "size " .. i, "nn.MLP")
    check_size(sizes[i + 1], "size " .. (i + 1), "nn.MLP")
    mods[#mods + 1] = nn.Linear(sizes[i], sizes[i + 1], opts)
    if i < #sizes - 1 then mods[#mods + 1] = nn.ReLU() end
  end
  local s = nn.Sequential(table.unpack(mods))
  s.name = "MLP"
  s.sizes = { table.unpack(sizes) }
  return s
end

-- ---------------------------------------------------------------- Residual

local Residual = nn.class("Residual")
nn.ResidualClass = Residual

-- nn.Residual(f [, name]): y = x + f(x); f must keep the width (B x d -> B x d).
function nn.Residual(f, name)
  check_module(f, 1, "nn.Residual")
  return setmetatable({ block = f, name = name, training = true, _bufs = {} }, Residual)
end

function Residual:describe() return self.name or "Residual" end
function Residual:__tostring()
  local mt = getmetatable(self.block)
  local inner = ((mt and mt.__tostring) and tostring(self.block) or describe(self.block)):gsub("\n", "\n  ")
  return "nn." .. self:describe() .. "(x + f(x), f = " .. inner .. ")"
end

-- Errors inside f name it: "Residual (f = Sequential): message".
local function residual_call(self, method, ...)
  local f = self.block
  local ok, y = pcall(f[method], f, ...)
  if not ok then
    if type(y) == "string" then y = y:gsub("^[^\n:]+:%d+: ", "", 1) end
    error(string.format("%s (f = %s): %s", self:describe(), describe(f), tostring(y)), 3)
  end
  return y
end

function Residual:forward(x)
  local fx = residual_call(self, "forward", x)
  if not is_tensor(fx) or fx:dim() ~= x:dim() or (x:dim() == 2 and (fx:size(1) ~= x:size(1) or fx:size(2) ~= x:size(2))) then
    error(string.format("%s: f must keep its input's shape (%s), got %s", self:describe(), table.concat(x:shape(), "x"),
                        is_tensor(fx) and table.concat(fx:shape(), "x") or type(fx)), 2)
  end
  local y = x:dim() == 2 and buffer(self, "output", x, x:size(1), x:size(2)) or rh.zeros_like(x)
  y:copy(x):add_(fx)
  self.output = y
  return y
end

-- grad_x = grad_y + f's grad_x; with skip_input_grad only f's parameter gradients are made.
function Residual:backward(x, gy, skip_input_grad)
  local gf = residual_call(self, "backward", x, gy, skip_input_grad)
  if skip_input_grad then self.grad_input = nil; return nil end
  local gx = gy:dim() == 2 and buffer(self, "grad_input", gy, gy:size(1), gy:size(2)) or rh.zeros_like(gy)
  gx:copy(gy):add_(gf)
  self.grad_input = gx
  return gx
end

function Residual:parameters()
  if type(self.block.parameters) ~= "function" then return {}, {} end
  return self.block:parameters()
end
function Residual:_same_parameters(ps, gs, k)
  local f = self.block
  if f._same_parameters then return f:_same_parameters(ps, gs, k) end
  if f.parameters then return same_listed(f, ps, gs, k) end
  return k
end
function Residual:zero_grad()
  local f = self.block
  if f.zero_grad then f:zero_grad() else Module.zero_grad(self) end
  return self
end
function Residual:linear_layers()
  return Sequential.linear_layers({ modules = { self.block }, describe = function() return self:describe() end })
end
function Residual:children() return { self.block } end
function Residual:train() self.training = true; if self.block.train then self.block:train() end; return self end
function Residual:evaluate() self.training = false; if self.block.evaluate then self.block:evaluate() end; return self end
function Residual:to(device)
  if self.block.to then self.block:to(device) end
  self._bufs = {}
  return self
end

-- ---------------------------------------------------------------- losses

-- Criterions follow Torch7: l = crit:forward(y, target); g = crit:backward(y, target).
-- The fused kernels compute the loss and its gradient in one pass; backward returns the
-- gradient forward computed when given the same tensors (else computes it anew).
--
-- forward returns a number, which on the device means waiting for the GPU. forward_async
-- does the same work but records the loss in the criterion's meter (a small tensor on
-- y's device, kernels/nn.h) and returns the meter's 1-element "last loss" slot without
-- reading it; crit:totals() reads the meter once (mean loss, accuracy, steps, the first
-- non-finite step) and crit:reset_totals() starts again. MSELoss has no device meter
-- kernel: its forward_async reads the loss and records it in a CPU meter.
local function criterion(name, kernel, kernel_acc)
  local cls = nn.class(name)
  cls.__tostring = function() return "nn." .. name .. "()" end
  -- Errors are failures (rankhost.boundary) placed by forward, forward_async and backward at
  -- the line that called them; a kernel's error keeps its detail.
  local function check(y, target)
    if not is_tensor(y) then B.fail("%s: prediction must be a tensor, got %s", name, type(y)) end
    if not is_tensor(target) then B.fail("%s: target must be a tensor, got %s", name, type(target)) end
  end
  -- The gradient buffer for y (checked with target), kept with the y it served: a model's
  -- output is the same tensor step after step.
  local function grad_buffer(self, y, target)
    local bufs = self._bufs
    if rawequal(bufs._gy, y) and is_tensor(target) then return bufs._gg end
    check(y, target)
    if y:dim() ~= 2 then return rh.zeros_like(y) end
    local g = buffer(self, "grad", y, y:size(1), y:size(2))
    bufs._gy, bufs._gg = y, g
    self._classes = y:size(2)
    return g
  end
  local function run(self, y, target)
    local g = grad_buffer(self, y, target)
    local loss = B.call(name, kernel, y, target, g)
    self.output, self.grad_input, self._y, self._t = loss, g, y, target
    return loss
  end
  -- The meter on like's device (a new one, zeroed, when the device changes).
  local function meter(self, like)
    local m = self._meter
    if rawequal(self._meter_for, like) then return m end -- the same tensor: the same device
    if not m or m:device() ~= like:device() then
      m = C.meter(like)
      self._meter, self._last = m, m:narrow(1, 1, 1)
    end
    self._meter_for = like
    return m
  end
  local cpu_like
  local function record(self, y, target)
    local g = grad_buffer(self, y, target)
    if kernel_acc then
      B.call(name, kernel_acc, y, target, g, meter(self, y))
    else
      local loss = B.call(name, kernel, y, target, g)
      cpu_like = cpu_like or rh.zeros(1)
      C.meter_record(meter(self, cpu_like), loss, y:dim() > 0 and y:size(1) or 1)
    end
    self.output, self.grad_input, self._y, self._t = self._last, g, y, target
    return self._last
  end
  cls.forward = B.wrap(run)
  cls.backward = B.wrap(function(self, y, target)
    if not (rawequal(y, self._y) and rawequal(target, self._t)) then run(self, y, target) end
    return self.grad_input
  end)
  cls.forward_async = B.wrap(record)
  -- {loss = mean loss per row, accuracy = (CrossEntropyLoss), n = rows, steps =,
  --  last = the last step's loss, nonfinite_step = 0 or the first step whose loss was NaN
  --  or infinite (counted since reset_totals), nonfinite_loss =}; reads the meter (waits
  -- for the device). A bad label refused on the device is raised here.
  cls.totals = B.wrap(function(self)
    local m = self._meter
    if not m then return { loss = 0 / 0, n = 0, steps = 0, last = 0 / 0, nonfinite_step = 0 } end
    local t = C.meter_read(m)
    if t.bad_pos > 0 then
      B.fail("%s: label %g at position %d of step %d is not a class id (an integer in 1..%s)", name, t.bad_value,
             t.bad_pos, t.bad_step, tostring(self._classes or "C"))
    end
    t.loss = t.n > 0 and t.sum / t.n or 0 / 0
    if kernel_acc then t.accuracy = t.n > 0 and t.correct / t.n or 0 / 0 end
    return t
  end)
  function cls:reset_totals()
    if self._meter then self._meter:zero() end
    return self
  end
  return function() return setmetatable({ _bufs = {} }, cls) end, cls
end

nn.CrossEntropyLoss, nn.CrossEntropyLossClass = criterion("CrossEntropyLoss", C.cross_entropy, C.cross_entropy_acc)
nn.MSELoss, nn.MSELossClass = criterion("MSELoss", C.mse)

-- state dicts (nn_state.lua) and what the rank tools read (nn_rank.lua), in files of their own
require("rankhost.nn_state")(nn)
require("rankhost.nn_rank")(nn)

return nn
