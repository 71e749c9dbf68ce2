-- nn_state.lua - state dicts of rh.nn modules (loaded by nn.lua, which passes it the nn table):
-- m:state_dict(), m:load_state_dict(t), m:named_parameters(), nn.architecture(m). Names and
-- rules: docs/training.md, "State dicts and checkpoints".
local rh = require "rankhost"

return function(nn)
  local Module, Linear, Residual = nn.Module, nn.LinearClass, nn.ResidualClass
  local describe, is_tensor = nn.describe, nn.is_tensor

  -- ---------------------------------------------------------------- state dicts
  -- m:state_dict() -> {name = tensor}: every parameter under a dotted name, as PyTorch names
  -- them but with Lua's 1-based positions: a Linear's "weight" and "bias", a Sequential's
  -- "<i>.<name>" (module i), a Residual's "block.<name>", a layer not built on nn.Module
  -- "param<j>" (its parameters() in order). The tensors themselves, not copies.
  -- m:load_state_dict(t [, {strict = true}]) copies t's tensors into them (any device); a
  -- missing name, a shape that differs or (strict) a name the model lacks is an error naming it.

  -- Appends {name, tensor} pairs of module m under prefix to out.
  local function named_parameters(m, prefix, out)
    if type(m.named_parameters) == "function" then return m:named_parameters(prefix, out) end
    if type(m.parameters) == "function" then
      for j, p in ipairs((m:parameters())) do out[#out + 1] = { prefix .. "param" .. j, p } end
    end
    return out
  end

  function Module:named_parameters(prefix, out)
    out, prefix = out or {}, prefix or ""
    local kids = self:children()
    if #kids > 0 then
      for i, c in ipairs(kids) do named_parameters(c, prefix .. i .. ".", out) end
    elseif self.parameters ~= Module.parameters then
      for j, p in ipairs((self:parameters())) do out[#out + 1] = { prefix .. "param" .. j, p } end
    end
    return out
  end

  function Linear:named_parameters(prefix, out)
    out, prefix = out or {}, prefix or ""
    out[#out + 1] = { prefix .. "weight", self.weight }
    if self.bias then out[#out + 1] = { prefix .. "bias", self.bias } end
    return out
  end

  function Residual:named_parameters(prefix, out)
    return named_parameters(self.block, (prefix or "") .. "block.", out or {})
  end

  function Module:state_dict()
    local t = {}
    for _, np in ipairs(self:named_parameters()) do
      if t[np[1]] then error("state_dict: two parameters named '" .. np[1] .. "'", 2) end
      t[np[1]] = np[2]
    end
    return t
  end

  local function shape_of(x) return table.concat(x:shape(), "x") end

  function Module:load_state_dict(t, opts)
    if type(t) ~= "table" then error("bad argument #1 to 'load_state_dict' (table of tensors expected, got " .. type(t) .. ")", 2) end
    opts = rh.check_options("load_state_dict", opts or {}, { "strict" }, 3)
    local seen = {}
    local named = self:named_parameters()
    for _, np in ipairs(named) do -- every check before the first copy: a refused dict changes nothing
      local name, p = np[1], np[2]
      local src = t[name]
      if not is_tensor(src) then
        error(string.format("load_state_dict: the state dict %s '%s' (the model's is %s)",
                            src == nil and "lacks" or "holds no tensor under", name, shape_of(p)), 2)
      end
      if shape_of(src) ~= shape_of(p) then
        error(string.format("load_state_dict: '%s' is %s, the model's is %s", name, shape_of(src), shape_of(p)), 2)
      end
      seen[name] = true
    end
    if opts.strict ~= false then
      local extra = {}
      for k in pairs(t) do if not seen[k] then extra[#extra + 1] = tostring(k) end end
      table.sort(extra)
      if #extra > 0 then
        error("load_state_dict: names the model does not have: " .. table.concat(extra, ", ") .. " (strict = false ignores them)", 2)
      end
    end
    for _, np in ipairs(named) do
      local src = t[np[1]]
      np[2]:copy(src:device() == np[2]:device() and src or src:to(np[2]:device()))
    end
    return self
  end

  -- nn.architecture(m) -> one line: "MLP(784-256-10)", "Sequential(Linear 4->6, ReLU, Residual(...))".
  function nn.architecture(m)
    if type(m.sizes) == "table" then return describe(m) .. "(" .. table.concat(m.sizes, "-") .. ")" end
    local kids = type(m.children) == "function" and m:children() or {}
    if #kids == 0 then return describe(m) end
    local parts = {}
    for i, c in ipairs(kids) do parts[i] = nn.architecture(c) end
    return describe(m) .. "(" .. table.concat(parts, ", ") .. ")"
  end
end
