-- nn_rank.lua - the protocol by which the rank tools (rh.rank.network, rh.rank.svals, fit's
-- rank rule, the studies) read a model (loaded by nn.lua, which passes it the nn table):
-- nn.rank_layers and nn.rank_activations. docs/training.md, "Modules the rank tools read".
return function(nn)
  local Linear = nn.LinearClass
  local describe = nn.describe

  -- ---------------------------------------------------------------- what the rank tools read
  -- (docs/training.md, "Modules the rank tools read"). One place walks a model for
  -- rh.rank.network, rh.rank.svals, spectra and rh.train.fit's rank rule: a model it cannot
  -- read is refused with the module named, never measured on a guess.

  -- "MLP module 3 (Residual) > Residual module 1 (MyBlock)": where parameter p lives.
  local function owner_path(model, p)
    local path, m = {}, model
    while true do
      local kids = type(m.children) == "function" and m:children() or m.modules or {}
      local found
      for i, c in ipairs(kids) do
        if type(c) == "table" and type(c.parameters) == "function" then
          for _, q in ipairs((c:parameters())) do
            if rawequal(q, p) then found = i; break end
          end
        end
        if found then
          path[#path + 1] = string.format("%s module %d (%s)", describe(m), i, describe(c))
          m = c
          break
        end
      end
      if not found then break end
    end
    if #path == 0 then return describe(model) end
    return table.concat(path, " > ")
  end

  -- The Linear layers a listed layer stands for: itself, or its .parts (a factored layer whose
  -- weight is a product computed when read lists the Linear layers it is made of).
  local function is_linear(l) -- nn.Linear or a class built on it (nn.MaskedLinear)
    local cls = getmetatable(l)
    while type(cls) == "table" do
      if cls == Linear then return true end
      local up = getmetatable(cls)
      cls = up and up.__index
    end
    return false
  end
  local function parts_of(l)
    if is_linear(l) then return { l } end
    local parts = type(l) == "table" and rawget(l, "parts")
    return type(parts) == "table" and parts or {}
  end

  -- nn.rank_layers(model) -> model:linear_layers(), checked: every Linear whose parameters the
  -- model holds must be listed (or be a part of a listed layer). Errors are plain messages
  -- (no position) for the caller to frame.
  function nn.rank_layers(model)
    if type(model.linear_layers) ~= "function" then
      error(describe(model) .. " has no linear_layers() (the rank tools' protocol, docs/training.md)", 0)
    end
    local ok, layers = pcall(model.linear_layers, model)
    if not ok then error(tostring(layers):gsub("^[^\n:]+:%d+: ", "", 1), 0) end
    if type(layers) ~= "table" then error(describe(model) .. ": linear_layers() must return a list", 0) end
    if type(model.parameters) == "function" then
      local listed = {}
      for _, l in ipairs(layers) do
        for _, lin in ipairs(parts_of(l)) do listed[lin] = true end
      end
      for _, p in ipairs((model:parameters())) do
        local lin = nn.linear_of[p]
        if lin and not listed[lin] then
          error(string.format("%s uses %s, which linear_layers() does not list: the rank tools would leave it out "
            .. "(list every Linear layer in forward order)", owner_path(model, p), describe(lin)), 0)
        end
      end
    end
    return layers
  end

  -- nn.rank_activations(model, layers, X) -> acts: acts[i] is the representation after layer
  -- i as the network carries it on: the input of the Linear layer called next (after every
  -- ReLU, skip connection or other module between them), and for the last layer the model's
  -- output. A model that gives activations(X) -> acts [, output] is asked; any other is traced:
  -- its forward runs once on X with every nn.Linear recording its input, and the Linear layers
  -- must be called once each, in the order linear_layers() lists them.
  function nn.rank_activations(model, layers, X)
    local n = #layers
    if type(model.activations) == "function" then
      local acts, out = model:activations(X)
      if type(acts) ~= "table" then error(describe(model) .. ": activations(X) must return a list", 0) end
      if #acts == n - 1 and out ~= nil then acts[n] = out end
      if #acts ~= n then
        error(string.format("%s: activations(X) gave %d tensors for %d layers", describe(model), #acts, n), 0)
      end
      return acts
    end
    if type(model.forward) ~= "function" then
      error(describe(model) .. " has linear_layers() but no forward() or activations(X): its activations cannot be "
        .. "traced", 0)
    end
    for i, l in ipairs(layers) do
      if not is_linear(l) then
        error(string.format("%s: layer %d (%s) is not an nn.Linear, so its activations cannot be traced: give the "
          .. "model an activations(X) method", describe(model), i, describe(l)), 0)
      end
    end
    local calls = {}
    local fwd, fwd_relu = Linear.forward, Linear.forward_relu
    Linear.forward = function(l, x) calls[#calls + 1] = { l, x:clone() }; return fwd(l, x) end
    Linear.forward_relu = function(l, x) calls[#calls + 1] = { l, x:clone() }; return fwd_relu(l, x) end
    local ok, y = pcall(model.forward, model, X)
    Linear.forward, Linear.forward_relu = fwd, fwd_relu
    if not ok then error(tostring(y), 0) end
    for k = 1, math.max(#calls, n) do
      local c, l = calls[k], layers[k]
      if not c or not rawequal(c[1], l) then
        local what = c and ("called " .. describe(c[1]) .. " as Linear call " .. k) or ("made only " .. #calls .. " Linear calls")
        error(string.format("%s cannot be traced: its forward %s, but linear_layers() lists %s there (every listed "
          .. "Linear must be called once, in the listed order)", describe(model), what,
          l and ("layer " .. k .. " (" .. describe(l) .. ")") or ("only " .. n .. " layers")), 0)
      end
    end
    local acts = {}
    for k = 1, n - 1 do acts[k] = calls[k + 1][2] end
    acts[n] = y:clone()
    return acts
  end
end
