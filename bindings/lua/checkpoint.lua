-- checkpoint.lua - rh.checkpoint: a model's and an optimizer's state dicts in one safetensors
-- file (rh.save / rh.load), with the metadata a study needs to know what it holds.
--
--   rh.checkpoint.save(path, {model = m [, optimizer = opt] [, scheduler = s] [, meta = {seed =, iteration =, study =}]})
--   local meta, tensors = rh.checkpoint.load(path, {model = m [, optimizer = opt] [, scheduler = s] [, strict = true]})
--
-- Tensor names: "model.<name>" for each of m:state_dict()'s, "optimizer.<name>" for each of
-- opt:state_dict()'s. Metadata: "format" = "rankhost-checkpoint 1", "architecture" =
-- nn.architecture(m), "parameters" (the count), the optimizer's metadata under "optimizer.",
-- the scheduler's under "scheduler.", and the caller's meta (values turned into strings; numbers with 17 digits). docs/results.md.
local rh = require "rankhost"
local nn = require "rankhost.nn"

local checkpoint = { FORMAT = "rankhost-checkpoint 1" }

local function str(v)
  if math.type(v) == "float" then return string.format("%.17g", v) end
  return tostring(v)
end

local function check(fname, path, o)
  if type(path) ~= "string" then error("bad argument #1 to '" .. fname .. "' (path expected, got " .. type(path) .. ")", 3) end
  if type(o) ~= "table" then error("bad argument #2 to '" .. fname .. "' (options table expected, got " .. type(o) .. ")", 3) end
  rh.check_options(fname, o, { "model", "optimizer", "scheduler", "meta", "strict" }, 4)
  if type(o.model) ~= "table" or type(o.model.state_dict) ~= "function" then
    error("bad argument #2 to '" .. fname .. "' (opts.model must be an rh.nn module)", 3)
  end
end

function checkpoint.save(path, o)
  check("checkpoint.save", path, o)
  local tensors, meta = {}, {}
  for k, v in pairs(o.meta or {}) do meta[tostring(k)] = str(v) end
  for k, t in pairs(o.model:state_dict()) do tensors["model." .. k] = t end
  if o.optimizer then
    local t, m = o.optimizer:state_dict()
    for k, x in pairs(t) do tensors["optimizer." .. k] = x end
    for k, v in pairs(m) do meta["optimizer." .. k] = v end
  end
  if o.scheduler then
    for k, v in pairs(o.scheduler:state_dict()) do meta["scheduler." .. k] = v end
  end
  meta.format = checkpoint.FORMAT
  meta.architecture = meta.architecture or nn.architecture(o.model)
  meta.parameters = tostring(o.model:num_parameters())
  rh.save(path, tensors, meta)
end

-- Loads into o.model (and o.optimizer); returns the file's metadata and all its tensors.
function checkpoint.load(path, o)
  check("checkpoint.load", path, o)
  local tensors, meta = rh.load(path)
  if meta.format ~= checkpoint.FORMAT then
    error(string.format("checkpoint.load: %s is not a rankhost checkpoint (format %s)", path, tostring(meta.format)), 2)
  end
  local function part(prefix, from)
    local out = {}
    for k, v in pairs(from) do
      if k:sub(1, #prefix) == prefix then out[k:sub(#prefix + 1)] = v end
    end
    return out
  end
  local ok, err = pcall(o.model.load_state_dict, o.model, part("model.", tensors), { strict = o.strict })
  if not ok then error(string.format("checkpoint.load: %s: %s", path, tostring(err):gsub("^[^\n:]+:%d+: ", "", 1)), 2) end
  if o.optimizer then
    ok, err = pcall(o.optimizer.load_state_dict, o.optimizer, part("optimizer.", tensors), part("optimizer.", meta))
    if not ok then error(string.format("checkpoint.load: %s: %s", path, tostring(err):gsub("^[^\n:]+:%d+: ", "", 1)), 2) end
  end
  if o.scheduler then
    ok, err = pcall(o.scheduler.load_state_dict, o.scheduler, part("scheduler.", meta))
    if not ok then error(string.format("checkpoint.load: %s: %s", path, tostring(err):gsub("^[^\n:]+:%d+: ", "", 1)), 2) end
  end
  return meta, tensors
end

return checkpoint
