-- rank.lua - the Lua half of rh.rank: whole-network rank (rank.network) and spectra
-- written to a file per evaluation (rank.spectra_writer, through rh.log.jsonl). The single-matrix measures
-- (numerical, relative, effective, stable, energy, all) are C (bindings/linalg.c) and take a
-- matrix or its singular values, so one SVD per layer serves every measure.
local rh = require "rankhost"
local rank = rh.rank

-- What each measure is, so that every figure can name its measure and tolerance.
rank.measures = {
  numerical = "numerical rank: #{s_i > tol}; default tol = smax*max(m,n)*eps(float32) (numpy.linalg.matrix_rank), "
    .. "or the given tol (absolute) / rtol (tol = rtol*smax)",
  relative = "relative rank: #{s_i / ||W||_F > relative_tol}, default relative_tol = 1e-3 (Galanti et al.)",
  effective = "effective rank: exp(-sum p_i log p_i), p = s / sum(s) (Roy & Vetterli 2007)",
  stable = "stable rank: ||W||_F^2 / ||W||_2^2",
  energy = "energy rank: smallest k with sum_{i<=k} s_i^2 >= energy_tau * sum s_i^2, default energy_tau = 0.99",
}
rank.measure_names = { "numerical", "relative", "effective", "stable", "energy" }

local function is_tensor(x) return getmetatable(x) == rh.Tensor end

-- The list of Linear layers (tables with .weight) of a model, or of a list of layers or
-- of weight tensors (wrapped as {weight = W}).
local function linear_list(model, fname)
  local tm = type(model)
  if tm ~= "table" and tm ~= "userdata" then
    error(string.format("bad argument #1 to '%s' (model or list of layers expected, got %s)", fname, tm), 3)
  end
  local layers
  if type(model.linear_layers) == "function" then
    -- the protocol's checks (bindings/lua/nn.lua): a Linear left out is an error naming its module
    local ok, ls = pcall(require("rankhost.nn").rank_layers, model)
    if not ok then error(string.format("bad argument #1 to '%s' (%s)", fname, tostring(ls)), 3) end
    layers = ls
  elseif is_tensor(model) then
    layers = { model }
  else
    layers = model
  end
  local out = {}
  for i, l in ipairs(layers) do
    if is_tensor(l) then l = { weight = l } end
    -- read once: a layer may compute its weight when read (a factored layer's product)
    local w = (type(l) == "table" or type(l) == "userdata") and l.weight or nil
    if not is_tensor(w) then
      error(string.format("bad argument #1 to '%s' (layer %d has no weight tensor)", fname, i), 3)
    end
    if w:dim() ~= 2 then
      error(string.format("bad argument #1 to '%s' (layer %d's weight must be 2-D, got %d-D)", fname, i, w:dim()), 3)
    end
    out[i] = l
  end
  if #out == 0 then error(string.format("bad argument #1 to '%s' (model has no Linear layers)", fname), 3) end
  return out
end

local function copy_opts(opts)
  return { tol = opts.tol, rtol = opts.rtol, relative_tol = opts.relative_tol, energy_tau = opts.energy_tau }
end

-- Per-layer rank.all tables plus, per measure, their sum, the sum over sum(min(m,n)) and the
-- minimum. `what(i, layer)` gives the matrix to measure.
local function measure_list(layers, what, ropts)
  local res = { layers = {}, sum = {}, normalized = {}, min = {}, width_sum = 0 }
  for _, name in ipairs(rank.measure_names) do res.sum[name] = 0; res.min[name] = math.huge end
  for i, layer in ipairs(layers) do
    local M = what(i, layer)
    local ok, r = pcall(rank.all, M, ropts)
    if not ok then error(string.format("layer %d: %s", i, tostring(r)), 0) end
    r.index = i
    res.layers[i] = r
    res.width_sum = res.width_sum + math.min(r.shape[1], r.shape[2])
    for _, name in ipairs(rank.measure_names) do
      res.sum[name] = res.sum[name] + r[name]
      res.min[name] = math.min(res.min[name], r[name])
    end
  end
  for _, name in ipairs(rank.measure_names) do res.normalized[name] = res.sum[name] / res.width_sum end
  return res
end

-- Each layer's activation on data X. A model (anything with linear_layers()) is read
-- through the protocol: its own activations(X), or its forward traced (nn.rank_activations:
-- layer i's activation is the input of the Linear called next, the last one's the output);
-- one it cannot read is refused. Only a plain list of layers or weights, which has no
-- forward to trace, is read as an MLP: ReLU after every Linear but the last.
local function activations(model, layers, X)
  if type(model.linear_layers) == "function" then
    local ok, acts = pcall(require("rankhost.nn").rank_activations, model, layers, X)
    if not ok then error("bad argument #1 to 'network' (" .. tostring(acts) .. ")", 3) end
    return acts
  end
  local acts, x = {}, X
  for i, l in ipairs(layers) do
    x = rh.matmul(x, l.weight:t())
    if l.bias then x = x + l.bias end
    if i < #layers then x = x:relu() end
    acts[i] = x
  end
  return acts
end

-- rh.rank.svals(model_or_layers) -> svals, shapes: each Linear weight's singular values (one
-- SVD per layer; 1-D CPU tensors, largest first) and its shape {out, in}.
function rank.svals(model)
  local svals, shapes = {}, {}
  for i, l in ipairs(linear_list(model, "svals")) do
    local w = l.weight
    local s = rh.linalg.svdvals(w)
    if s:device() ~= "cpu" then s = s:to("cpu") end
    svals[i], shapes[i] = s, w:shape()
  end
  return svals, shapes
end

-- rh.rank.network(model [, opts]) -> table; see docs/rank.md.
function rank.network(model, opts)
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #2 to 'network' (options table expected, got " .. type(opts) .. ")", 2)
  end
  opts = opts or {}
  rh.check_options("network", opts, { "tol", "rtol", "relative_tol", "energy_tau", "data", "grads", "svals" })
  local layers = linear_list(model, "network")
  local ropts = copy_opts(opts)
  local svals = opts.svals
  if svals ~= nil and (type(svals) ~= "table" or #svals ~= #layers) then
    error(string.format("bad argument #2 to 'network' (opts.svals must list the singular values of each of the %d "
      .. "layers)", #layers), 2)
  end
  -- with opts.svals (e.g. rh.train.fit's history.svals) no SVD is computed again
  local res = measure_list(layers, function(i, l)
    if not svals then return l.weight end
    ropts.shape = l.weight:shape()
    return svals[i]
  end, ropts)
  ropts.shape = nil
  res.measures = rank.measures
  res.tolerances = {
    numerical = opts.tol and ("tol = " .. opts.tol) or opts.rtol and ("rtol = " .. opts.rtol)
      or "numpy default: smax*max(m,n)*eps(float32)",
    relative_tol = opts.relative_tol or 1e-3,
    energy_tau = opts.energy_tau or 0.99,
  }
  if opts.data ~= nil then
    if not is_tensor(opts.data) or opts.data:dim() ~= 2 then
      error("bad argument #2 to 'network' (opts.data must be a 2-D tensor n x in)", 2)
    end
    if opts.data:size(2) ~= layers[1].weight:size(2) then
      error(string.format("bad argument #2 to 'network' (opts.data has %d columns, the first layer takes %d)",
        opts.data:size(2), layers[1].weight:size(2)), 2)
    end
    local acts = activations(model, layers, opts.data)
    res.activations = measure_list(layers, function(i) return acts[i] end, ropts)
    for i, r in ipairs(res.activations.layers) do r.hidden = i < #layers end
  end
  if opts.grads then
    res.grads = measure_list(layers, function(i, l)
      if not is_tensor(l.grad_weight) then error("layer " .. i .. " has no grad_weight", 0) end
      return l.grad_weight
    end, ropts)
  end
  return res
end

-- ---- spectra out ----

local Writer = {}
Writer.__index = Writer

-- w:write(model_or_layers [, meta]): one JSON line {meta..., layers = [{index, shape, svals}]}.
function Writer:write(model, meta)
  if not self.log then error("spectra_writer: write after close", 2) end
  if meta ~= nil and type(meta) ~= "table" then
    error("bad argument #2 to 'write' (table expected, got " .. type(meta) .. ")", 2)
  end
  local rec = {}
  for k, v in pairs(meta or {}) do rec[k] = v end
  rec.layers = {}
  local svals, shapes = rank.svals(model)
  for i, s in ipairs(svals) do rec.layers[i] = { index = i, shape = shapes[i], svals = s:totable() } end
  self.log:write(rec) -- one whole line, fsynced (rh.log.jsonl)
  return self
end

function Writer:close()
  if self.log then self.log:close(); self.log = nil end
end
Writer.__close = Writer.close
Writer.__gc = Writer.close

-- rh.rank.spectra_writer(path) -> w; appends to path.
function rank.spectra_writer(path)
  if type(path) ~= "string" then
    error("bad argument #1 to 'spectra_writer' (path expected, got " .. type(path) .. ")", 2)
  end
  local ok, log = pcall(rh.log.jsonl, path, { append = true })
  if not ok then error("bad argument #1 to 'spectra_writer' (" .. tostring(log) .. ")", 2) end
  return setmetatable({ path = path, log = log }, Writer)
end

return rank
