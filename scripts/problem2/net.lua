-- net.lua - the network that problem 2 prunes: an MLP whose hidden layers are either one
-- Linear (in -> neurons) or a low-rank pair (in -> rank -> neurons, a linear bottleneck),
-- each followed by ReLU, then a bare output Linear. Keeps its own list of Linear objects so
-- that surgery can read and replace weights layer by layer, and builds an nn.Sequential over
-- the same objects for training.
--
-- A Net is itself an rh.nn model (forward, backward, parameters, train, evaluate, ...: the
-- Sequential's), so rh.train.fit and rh.train.evaluate take it as it is; its
-- linear_layers() are the layers as a policy sees them - a factored layer is one layer whose
-- weight is the product up * down - so that fit's rank check (one SVD per layer) measures
-- what the policy reads.
local rh = require "rankhost"
local nn = rh.nn

local Net = {}
Net.__index = Net

-- A bias as a 1 x n view, whatever shape nn.Linear gives it.
local function row(b) return b:view(1, b:numel()) end
Net.row = row

-- Sets a Linear's weight (out x in) and bias (1-D or 1 x out) from tensors.
function Net.set_linear(lin, W, b)
  lin.weight:copy(W)
  row(lin.bias):copy(row(b))
end

-- spec = {input=, classes=, hidden = {{neurons=, rank=nil|r}, ...} [, masked = true]}. Fresh
-- initialisation. masked: every plain layer an nn.MaskedLinear (unstructured pruning; all kept).
function Net.build(spec)
  local self = setmetatable({ spec = spec, hidden = {}, training = true }, Net)
  local prev = spec.input
  local Lin = spec.masked and nn.MaskedLinear or nn.Linear
  for i, h in ipairs(spec.hidden) do
    local layer = { neurons = h.neurons, rank = h.rank }
    if h.rank then
      layer.down = nn.Linear(prev, h.rank)
      layer.up = nn.Linear(h.rank, h.neurons)
    else
      layer.lin = Lin(prev, h.neurons)
    end
    self.hidden[i] = layer
    prev = h.neurons
  end
  self.out = Lin(prev, spec.classes)
  local mods = {}
  for _, layer in ipairs(self.hidden) do
    if layer.lin then mods[#mods + 1] = layer.lin else
      mods[#mods + 1] = layer.down
      mods[#mods + 1] = layer.up
    end
    mods[#mods + 1] = nn.ReLU()
  end
  mods[#mods + 1] = self.out
  self.module = nn.Sequential(table.unpack(mods))
  if rh.device() ~= "cpu" then self.module:to(rh.device()) end
  return self
end

-- A spec with the same input/classes and new hidden layers.
function Net.spec_with(spec, hidden)
  return { input = spec.input, classes = spec.classes, hidden = hidden }
end

-- Plain (unfactored) hidden layers of the given widths.
function Net.plain_hidden(widths)
  local h = {}
  for i, w in ipairs(widths) do h[i] = { neurons = w } end
  return h
end

-- The width a policy sees and sets: the bottleneck rank of a factored layer, else its neurons.
function Net:widths()
  local w = {}
  for i, layer in ipairs(self.hidden) do w[i] = layer.rank or layer.neurons end
  return w
end

function Net:neurons()
  local w = {}
  for i, layer in ipairs(self.hidden) do w[i] = layer.neurons end
  return w
end

-- Hidden layer i (or the output layer, i = #hidden + 1) as one affine map: W (out x in), b (1 x out).
-- A factored layer's map is up o down: W = Wu Wd, b = bu + bd Wu^T.
function Net:affine(i)
  local layer = self.hidden[i]
  if not layer then return self.out.weight, row(self.out.bias) end
  if layer.lin then return layer.lin.weight, row(layer.lin.bias) end
  local Wu, Wd = layer.up.weight, layer.down.weight
  return rh.matmul(Wu, Wd), row(layer.up.bias) + rh.matmul(row(layer.down.bias), Wu:t())
end

-- ---- the rh.nn model protocol, delegated to the Sequential ----
function Net:forward(x) return self.module:forward(x) end
function Net:backward(x, gy, skip_input_grad) return self.module:backward(x, gy, skip_input_grad) end
function Net:parameters() return self.module:parameters() end
function Net:zero_grad() return self.module:zero_grad() end
function Net:train() self.training = true; self.module:train(); return self end
function Net:evaluate() self.training = false; self.module:evaluate(); return self end

-- The layers fit's rank check measures: each hidden layer as one map (a factored layer's
-- weight is computed when read), then the output Linear.
function Net:linear_layers()
  local layers = {}
  for i, layer in ipairs(self.hidden) do
    if layer.lin then layers[i] = layer.lin else
      layers[i] = setmetatable({ parts = { layer.down, layer.up } }, { __index = function(_, k)
        if k == "weight" then return (self:affine(i)) end
      end })
    end
  end
  layers[#layers + 1] = self.out
  return layers
end

-- Post-ReLU activations of every hidden layer on X (N x input), and the logits.
function Net:activations(X)
  local acts, h = {}, X
  for i = 1, #self.hidden do
    local W, b = self:affine(i)
    h = (rh.matmul(h, W:t()) + b):relu()
    acts[i] = h
  end
  local W, b = self:affine(#self.hidden + 1)
  return acts, rh.matmul(h, W:t()) + b
end

function Net:num_parameters()
  local n = 0
  -- a masked layer counts the weights its mask keeps
  local function add(lin) n = n + (lin.mask and math.floor(lin.mask:sum() + 0.5) or lin.weight:numel()) + lin.bias:numel() end
  for _, layer in ipairs(self.hidden) do
    if layer.lin then add(layer.lin) else add(layer.down); add(layer.up) end
  end
  add(self.out)
  return n
end

-- Calls fn(prefix, linear) for every Linear of net, named as in checkpoints:
-- h<i> (or h<i>.down and h<i>.up for a factored layer), then out.
local function each_linear(net, fn)
  for i, layer in ipairs(net.hidden) do
    if layer.lin then fn("h" .. i, layer.lin) else
      fn("h" .. i .. ".down", layer.down)
      fn("h" .. i .. ".up", layer.up)
    end
  end
  fn("out", net.out)
end

function Net:tensors()
  local t = {}
  each_linear(self, function(prefix, lin)
    t[prefix .. ".weight"] = lin.weight:to("cpu")
    t[prefix .. ".bias"] = lin.bias:to("cpu")
  end)
  return t
end

-- A checkpoint's metadata (docs/problem2.md): study, architecture ("784-256-r8:64-10": a
-- factored layer is r<rank>:<neurons>), plus the caller's fields (id, seed, iteration) as strings.
function Net:metadata(fields)
  local parts = { tostring(self.spec.input) }
  for _, h in ipairs(self.spec.hidden) do parts[#parts + 1] = h.rank and ("r" .. h.rank .. ":" .. h.neurons) or tostring(h.neurons) end
  parts[#parts + 1] = tostring(self.spec.classes)
  local meta = { study = "problem2", architecture = table.concat(parts, "-") }
  for k, v in pairs(fields or {}) do meta[k] = tostring(v) end
  return meta
end

-- The inverse of tensors(): a net of `spec` holding the saved weights.
function Net.from_tensors(spec, t)
  local net = Net.build(spec)
  each_linear(net, function(prefix, lin)
    local W, b = t[prefix .. ".weight"], t[prefix .. ".bias"]
    if not W or not b then error("checkpoint lacks " .. prefix .. ".weight/.bias", 0) end
    Net.set_linear(lin, W:to(lin.weight:device()), b:to(lin.weight:device()))
  end)
  return net
end

return Net
