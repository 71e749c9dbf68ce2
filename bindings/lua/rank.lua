-- rank.lua - the Lua half of rh.rank: the registry of rank measures (each declared once:
-- name, definition, parameters with defaults and checks, scale invariance, its function of
-- the singular values) with the functions built from it (rank.<name>, rank.all), then
-- whole-network rank (rank.network) and spectra written to a file per evaluation
-- (rank.spectra_writer, through rh.log.jsonl). The measures' arithmetic is C
-- (kernels/rank.c, through bindings/linalg.c's rank._svals and rank._measure); every
-- measure reads the same vector of singular values, so one SVD per layer serves them all.
local rh = require "rankhost"
local rank = rh.rank

-- ---- the registry of measures ----

local C_svals, C_measure = rank._svals, rank._measure

local registry = {}          -- entries in registration order
rank.registry = registry     -- read-only by convention: add with rank.register
rank.measure_info = {}       -- name -> entry
rank.measure_names = {}      -- ordered names (a view of the registry)
rank.measures = {}           -- name -> definition (a view of the registry)

local fill -- below: a measure's parameters from the options, checked

local param_owner = {}       -- parameter name -> measure name (names are unique across measures)

-- Parameter checks: each returns nil for a good value, else what the value must be.
local function number_in(lo, hi, lo_open, hi_open)
  local text = string.format("a number in %s%g, %s%s", lo_open and "(" or "[", lo, hi == math.huge and "inf" or
    string.format("%g", hi), hi_open and ")" or "]")
  return function(v)
    if type(v) ~= "number" or v ~= v or v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi) then
      return text
    end
  end
end
local finite_nonneg = function(v) if type(v) ~= "number" or not (v >= 0) or v == math.huge then return "a finite number >= 0" end end
local positive = function(v) if type(v) ~= "number" or not (v > 0) or v == math.huge then return "a finite number > 0" end end

-- rank.register{name=, doc=, params = {{name=, default=, check=, doc=, alias=}, ...},
-- scale_invariant = bool, integer = bool, fn = function(s, shape, p) -> value [, extras]}.
-- fn gets the singular values s (1-D CPU tensor, descending, finite, >= 0), the matrix
-- shape {m, n} and p, the parameters (defaults filled; a default may be a function of the
-- shape); `extras` (a table) adds fields to rank.all's result (e.g. the threshold used).
-- check(v) returns nil or what the value must be; `alias` is another key the measure's own
-- function takes for that parameter (not rank.all); `check_all(p)` a cross-parameter check.
-- Registering makes rank.<name>(W_or_s [, opts]) and adds the measure to rank.all,
-- rank.network, measure_names and measures.
function rank.register(e)
  local function bad(msg) error("rank.register: " .. msg, 3) end
  if type(e) ~= "table" then bad("a table expected, got " .. type(e)) end
  rh.check_options("rank.register", e,
    { "name", "doc", "params", "scale_invariant", "integer", "fn", "check_all" }, 3)
  if type(e.name) ~= "string" or not e.name:match("^[%a_][%w_]*$") then bad("name must be an identifier") end
  if rank.measure_info[e.name] or (rank[e.name] ~= nil) then bad("'" .. e.name .. "' is already a name in rh.rank") end
  if type(e.doc) ~= "string" or e.doc == "" then bad("doc must be a one-line definition") end
  if type(e.scale_invariant) ~= "boolean" then bad("scale_invariant must be true or false") end
  if type(e.fn) ~= "function" then bad("fn must be a function(s, shape, params)") end
  local params = e.params or {}
  local names = {}
  for i, p in ipairs(params) do
    if type(p) ~= "table" or type(p.name) ~= "string" then bad("params[" .. i .. "] must be a table with a name") end
    if p.name == "shape" or param_owner[p.name] or names[p.name] then
      bad(string.format("parameter '%s' of '%s' is already %s", p.name, e.name,
        p.name == "shape" and "rank.all's" or ("a parameter of '" .. (param_owner[p.name] or e.name) .. "'")))
    end
    names[p.name] = true
  end
  local entry = { name = e.name, doc = e.doc, params = params, scale_invariant = e.scale_invariant,
    integer = e.integer and true or false, fn = e.fn, check_all = e.check_all }
  for _, p in ipairs(params) do param_owner[p.name] = e.name end
  registry[#registry + 1] = entry
  rank.measure_info[e.name] = entry
  rank.measure_names[#rank.measure_names + 1] = e.name
  rank.measures[e.name] = e.doc
  -- the measure's own function: only its parameters (and their aliases) and shape
  local keys = { "shape" }
  for _, p in ipairs(params) do
    keys[#keys + 1] = p.name
    if p.alias then keys[#keys + 1] = p.alias end
  end
  rank[e.name] = function(M, opts)
    if type(opts) == "number" then
      if #params == 0 then
        error(string.format("bad argument #2 to '%s' (the %s rank has no parameter)", e.name, e.name), 2)
      end
      opts = { [params[1].name] = opts }
    elseif opts ~= nil and type(opts) ~= "table" then
      error(string.format("bad argument #2 to '%s' (options table expected, got %s)", e.name, type(opts)), 2)
    end
    rh.check_options(e.name, opts, keys, 2)
    local s, m, n = C_svals(e.name, M, opts and opts.shape)
    local shape = { m, n }
    local p = {}
    for _, q in ipairs(params) do
      local v = opts and opts[q.name]
      if v == nil and q.alias and opts then v = opts[q.alias] end
      p[q.name] = v
    end
    return (entry.fn(s, shape, fill(e.name, entry, p, shape, 2)))
  end
  return entry
end

-- The parameters of a measure from opts (defaults filled) after their checks; errors name
-- fname and the key, at `level` above fill's caller.
function fill(fname, entry, given, shape, level)
  local p = {}
  for _, q in ipairs(entry.params) do
    local v = given[q.name]
    if v == nil then
      if type(q.default) == "function" then v = q.default(shape) else v = q.default end
    elseif q.check then
      local want = q.check(v)
      if want then
        error(string.format("bad argument #2 to '%s' (field '%s' must be %s, got %s)", fname, q.name, want,
          tostring(v)), level + 1)
      end
    end
    p[q.name] = v
  end
  if entry.check_all then
    local msg = entry.check_all(p)
    if msg then error(string.format("bad argument #2 to '%s' (%s)", fname, msg), level + 1) end
  end
  return p
end

-- ---- the measures ----

local eps32 = 1.1920928955078125e-07

rank.register {
  name = "numerical", integer = true, scale_invariant = true,
  doc = "numerical rank: #{s_i > tol}; default tol = smax*max(m,n)*eps(float32) (numpy.linalg.matrix_rank), "
    .. "or the given tol (absolute) / rtol (tol = rtol*smax)",
  params = {
    { name = "tol", check = finite_nonneg, doc = "absolute tolerance (default: smax*max(m,n)*eps(float32))" },
    { name = "rtol", check = finite_nonneg, doc = "tolerance relative to s_1 (default max(m,n)*eps(float32))" },
  },
  check_all = function(p) if p.tol and p.rtol then return "give tol (absolute) or rtol (relative to s_1), not both" end end,
  fn = function(s, shape, p)
    local r, tol, rtol = C_measure("numerical", s, shape[1], shape[2], p.tol or -1, p.rtol or -1)
    return r, { tol = tol, rtol = rtol }
  end,
}

rank.register {
  name = "relative", integer = true, scale_invariant = true,
  doc = "relative rank: #{s_i / ||W||_F > relative_tol}, default relative_tol = 1e-3 (Galanti et al.)",
  params = { { name = "relative_tol", default = 1e-3, check = finite_nonneg, alias = "tol",
    doc = "threshold on s_i / ||W||_F" } },
  fn = function(s, shape, p) return (C_measure("relative", s, shape[1], shape[2], p.relative_tol)) end,
}

rank.register {
  name = "effective", integer = false, scale_invariant = true,
  doc = "effective rank: exp(-sum p_i log p_i), p = s / sum(s) (Roy & Vetterli 2007)",
  fn = function(s, shape) return (C_measure("effective", s, shape[1], shape[2])) end,
}

rank.register {
  name = "stable", integer = false, scale_invariant = true,
  doc = "stable rank: ||W||_F^2 / ||W||_2^2",
  fn = function(s, shape) return (C_measure("stable", s, shape[1], shape[2])) end,
}

rank.register {
  name = "energy", integer = true, scale_invariant = true,
  doc = "energy rank: smallest k with sum_{i<=k} s_i^2 >= energy_tau * sum s_i^2, default energy_tau = 0.99",
  params = { { name = "energy_tau", default = 0.99, check = number_in(0, 1, true, false), alias = "tau",
    doc = "fraction of sum s_i^2 to reach" } },
  fn = function(s, shape, p) return (C_measure("energy", s, shape[1], shape[2], p.energy_tau)) end,
}

rank.register {
  name = "gavish_donoho", integer = true, scale_invariant = true,
  doc = "Gavish-Donoho rank: #{s_i > omega(beta) * median(s)}, omega(beta) = 0.56 b^3 - 0.95 b^2 + 1.82 b + 1.43, "
    .. "beta = min(m,n)/max(m,n) (the optimal hard threshold for unknown noise, Gavish & Donoho 2014)",
  fn = function(s, shape)
    local r, t = C_measure("gavish_donoho", s, shape[1], shape[2])
    return r, { gavish_donoho_threshold = t }
  end,
}

rank.register {
  name = "spikes", integer = true, scale_invariant = true,
  doc = "spikes: #{s_i above the Marchenko-Pastur bulk edge sigma*(sqrt(m)+sqrt(n)) moved up by spikes_tw "
    .. "Tracy-Widom scales}, sigma fitted so the bulk's median sits at the MP median (WeightWatcher's num_spikes)",
  params = { { name = "spikes_tw", default = 2.02, check = finite_nonneg,
    doc = "Tracy-Widom scales above the bulk edge (2.02: TW1's 99th percentile; 0: the bare edge)" } },
  fn = function(s, shape, p)
    local r, edge, sigma = C_measure("spikes", s, shape[1], shape[2], p.spikes_tw)
    return r, { spikes_edge = edge, spikes_sigma = sigma }
  end,
}

rank.register {
  name = "gap", integer = true, scale_invariant = true,
  doc = "gap rank: the i of the largest s_i / max(s_(i+1), gap_floor * s_1) over the s_i above gap_floor * s_1 "
    .. "(default 0.05; s_(k+1) = 0): the tail below the floor is ignored",
  params = { { name = "gap_floor", default = 0.05, check = number_in(0, 1, true, true),
    doc = "values below gap_floor * s_1 count as that floor (the tail's ratios are ignored)" } },
  fn = function(s, shape, p)
    local r, ratio = C_measure("gap", s, shape[1], shape[2], p.gap_floor)
    return r, { gap_ratio = ratio }
  end,
}

rank.register {
  name = "gap_full", integer = true, scale_invariant = true,
  doc = "gap rank with the tail step: as gap, and the step from the last of the min(m,n) singular values down to "
    .. "gap_full_floor * s_1 (default 0.05) competes too, so a matrix using all its directions has full rank "
    .. "(gap's rank is at most min(m,n) - 1): the rank a width policy can saturate",
  params = { { name = "gap_full_floor", default = 0.05, check = number_in(0, 1, true, true),
    doc = "values below gap_full_floor * s_1, and the value after the last, count as that floor" } },
  fn = function(s, shape, p)
    local r, ratio = C_measure("gap_full", s, shape[1], shape[2], p.gap_full_floor)
    return r, { gap_full_ratio = ratio }
  end,
}

-- PyTorch's default init U(-1/sqrt(in), 1/sqrt(in)) has entries of variance 1/(3 in): its
-- largest singular value is about (sqrt(out) + sqrt(in)) / sqrt(3 in).
local function default_s0_max(shape) return (math.sqrt(shape[1]) + math.sqrt(shape[2])) / math.sqrt(3 * shape[2]) end
rank.default_s0_max = default_s0_max

rank.register {
  name = "floor", integer = true, scale_invariant = false,
  doc = "decay floor: #{s_i > floor_c * s0_max * exp(-horizon)}, s0_max the initial weights' largest singular value "
    .. "(default: that of PyTorch's default init), horizon H = lr*wd*steps, floor_c = 2: above what weight decay "
    .. "alone leaves of the initialisation",
  params = {
    { name = "s0_max", default = default_s0_max, check = finite_nonneg,
      doc = "largest singular value of the initial weights (default (sqrt(out)+sqrt(in))/sqrt(3 in))" },
    { name = "horizon", default = 0, check = finite_nonneg, doc = "weight-decay horizon H" },
    { name = "floor_c", default = 2, check = positive, doc = "margin over pure decay" },
  },
  fn = function(s, shape, p)
    local r, t = C_measure("floor", s, shape[1], shape[2], p.s0_max, p.horizon, p.floor_c)
    return r, { floor_threshold = t }
  end,
}

-- Every parameter key rank.all takes (the union over measures, and shape); the list is
-- rebuilt when a measure was registered since (rank.all runs once per layer per check).
local keys_cache, keys_count
local function all_keys()
  if keys_count ~= #registry then
    keys_cache = { "shape" }
    for _, e in ipairs(registry) do for _, q in ipairs(e.params) do keys_cache[#keys_cache + 1] = q.name end end
    keys_count = #registry
  end
  local copy = {}
  for i, k in ipairs(keys_cache) do copy[i] = k end
  return copy
end
rank.all_keys = all_keys

-- rh.rank.all(W_or_s [, opts]) -> table: every registered measure from one SVD, each
-- parameter used, each measure's extras (tol, rtol, thresholds), svals, shape, k, smax,
-- fro, nuclear. opts: the union of the measures' parameters, and shape.
function rank.all(M, opts, level)
  level = level or 2
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #2 to 'all' (options table expected, got " .. type(opts) .. ")", level)
  end
  if opts ~= nil then
    if keys_count ~= #registry then all_keys() end
    rh.check_options("all", opts, keys_cache, level)
  end
  local s, m, n = C_svals("all", M, opts and opts.shape)
  local shape = { m, n }
  local res = {}
  local given = opts or {}
  local filled = {}
  for _, e in ipairs(registry) do filled[e.name] = fill("all", e, given, shape, level) end
  for _, e in ipairs(registry) do
    local p = filled[e.name]
    for k, v in pairs(p) do res[k] = v end
    local v, extras = e.fn(s, shape, p)
    res[e.name] = v
    if extras then for k, x in pairs(extras) do res[k] = x end end
  end
  res.svals, res.shape, res.k = s, shape, s:size(1)
  res.smax, res.fro, res.nuclear = C_measure("summary", s, m, n)
  return res
end

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

-- The measures' parameters among a network's options (every key rank.all takes but shape).
local function copy_opts(opts)
  local o = {}
  for _, k in ipairs(all_keys()) do if k ~= "shape" then o[k] = opts[k] end end
  return o
end

-- Per-layer rank.all tables plus, per measure, their sum, the sum over sum(min(m,n)) and the
-- minimum. `what(i, layer)` gives the matrix to measure.
local function measure_list(layers, what, ropts)
  local res = { layers = {}, sum = {}, normalized = {}, min = {}, width_sum = 0 }
  for _, name in ipairs(rank.measure_names) do res.sum[name] = 0; res.min[name] = math.huge end
  local per_layer = type(ropts.s0_max) == "table"
  for i, layer in ipairs(layers) do
    local M = what(i, layer)
    local o = ropts
    if per_layer then -- each layer's own initial largest singular value
      o = {}
      for k, v in pairs(ropts) do o[k] = v end
      o.s0_max = ropts.s0_max[i]
    end
    local ok, r = pcall(rank.all, M, o)
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
  local keys = { "data", "grads", "svals" }
  for _, k in ipairs(all_keys()) do if k ~= "shape" then keys[#keys + 1] = k end end
  rh.check_options("network", opts, keys)
  if type(opts.s0_max) == "table" and #opts.s0_max ~= #linear_list(model, "network") then
    error("bad argument #2 to 'network' (opts.s0_max must be a number or list one value per layer)", 2)
  end
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
  for _, e in ipairs(registry) do -- every other parameter, as given (nil: its default)
    for _, q in ipairs(e.params) do
      if res.tolerances[q.name] == nil and e.name ~= "numerical" then 
        local d = q.default
        if type(d) == "function" then d = "default of each layer's shape" end
        res.tolerances[q.name] = opts[q.name] or d
      end
    end
  end
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
