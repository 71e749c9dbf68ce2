-- test_boundary.lua - errors placed once, at the public function (rankhost.boundary): the
-- text and the reported line (the caller's) of a misspelt option and of bad arguments to
-- rh.train.fit, evaluate and batches, the stop-rule constructors and the losses; a failure
-- raised however deep under the boundary still names the caller's line; an error that is
-- not the library's (a callback's, a layer's) keeps its own position; a failure never
-- escapes as a table.
local T = require "testlib"
local B = require "rankhost.boundary"
local nn = rh.nn

-- The error of f() as a string ("no error" when it succeeds).
local function err_of(f)
  local ok, e = pcall(f)
  return ok and "no error" or (type(e) == "string" and e or "a " .. type(e) .. ": " .. tostring(e))
end
local function line() return debug.getinfo(2, "l").currentline end
local here = "test_boundary.lua:"
-- Asserts that e is exactly "<this file>:<line>: <msg>".
local function at(e, l, msg)
  local want = here .. l .. ": " .. msg
  return T.ok(e:sub(-#want) == want and e:find("^[^:]*" .. here:gsub("%.", "%%.")), "expected '" .. want .. "', got '" .. e .. "'")
end

rh.seed(2)
local m = nn.MLP { 4, 3, 2 }
local data = { x = rh.randn(10, 4), y = rh.tensor { 1, 2, 1, 2, 1, 2, 1, 2, 1, 2 } }
local quiet = { progress = false }

-- ---- rh.train.fit ----
local l, e
l, e = line(), err_of(function() local h = rh.train.fit(m, data, { weight_decy = 5e-3 }); return h end)
at(e, l, "rh.train.fit: unknown option 'weight_decy'; did you mean 'weight_decay'?")
l, e = line(), err_of(function() local h = rh.train.fit(m, data, { rank_converged = { patiense = 3 } }); return h end)
at(e, l, "rh.train.fit: rank_converged: unknown option 'patiense'; did you mean 'patience'?")
l, e = line(), err_of(function() local h = rh.train.fit(m, 5); return h end)
at(e, l, "rh.train.fit: data must be a dataset, {x=, y=} or a function, got number")
l, e = line(), err_of(function() local h = rh.train.fit(42, data); return h end)
at(e, l, "rh.train.fit: a model expected")
l, e = line(), err_of(function() local h = rh.train.fit(m, data, { lr = -1 }); return h end)
at(e, l, "rh.train.fit: optim.SGD: lr must be a number >= 0, got -1")
l, e = line(), err_of(function() local h = rh.train.fit(m, data, { eval = true, progress = false }); return h end)
at(e, l, "rh.train.fit: eval must be a dataset, {x=, y=} or a function, got boolean")
l, e = line(), err_of(function() local h = rh.train.fit(m, { x = data.x, y = rh.zeros(3) }); return h end)
at(e, l, "rh.train.fit: data: x has 10 rows but y has 3")
l, e = line(), err_of(function() local h = rh.train.fit(m, data, { rank_converged = { measure = "nuclear" } }); return h end)
at(e, l, "rh.train.fit: rank_converged.measure 'nuclear' is not a rank measure ("
         .. table.concat(rh.rank.measure_names, ", ") .. ")")
l, e = line(), err_of(function() local h = rh.train.fit(m, data, { patience = 1, threshold = -1 }); return h end)
at(e, l, "rh.train.fit: threshold must be a number >= 0, got -1")
l, e = line(), err_of(function() local h = rh.train.fit(m, data, { callback = 3 }); return h end)
at(e, l, "rh.train.fit: callback must be a function, got number")
-- raised from inside the loop: nonfinite = "error" at the step
local big = { x = data.x * 1e4, y = data.y }
l, e = line(), err_of(function() local h = rh.train.fit(nn.MLP { 4, 3, 2 }, big, { lr = 1e8, nonfinite = "error", progress = false }); return h end)
T.ok(e:find(here .. l .. ": rh.train.fit: loss is", 1, true), "nonfinite error at the caller's line: " .. e)

-- ---- evaluate, batches, the stop rules ----
l, e = line(), err_of(function() local a = rh.train.evaluate(m, data, { bach = 3 }); return a end)
at(e, l, "rh.train.evaluate: unknown option 'bach'; did you mean 'batch'?")
l, e = line(), err_of(function() local a = rh.train.evaluate(m, { x = data.x, y = data.y * 2 }); return a end)
at(e, l, "rh.train.evaluate: label 4 at position 2 is outside 1..2")
l, e = line(), err_of(function() local a = rh.train.evaluate(m, "data"); return a end)
at(e, l, "rh.train.evaluate: data must be a dataset, {x=, y=} or a function, got string")
l, e = line(), err_of(function() local it = rh.train.batches({ x = data.x, y = rh.zeros(2) }); return it end)
at(e, l, "rh.train.batches: x has 10 rows but y has 2")
l, e = line(), err_of(function() local s = rh.train.stop.saturation { patiense = 2 }; return s end)
at(e, l, "rh.train.stop.saturation: unknown option 'patiense'; did you mean 'patience'?")
l, e = line(), err_of(function() local s = rh.train.stop.ranks { patience = 0 }; return s end)
at(e, l, "rh.train.stop.ranks: patience must be an integer >= 2, got 0")

-- ---- the losses ----
local ce, mse = nn.CrossEntropyLoss(), nn.MSELoss()
l, e = line(), err_of(function() local v = ce:forward(rh.zeros(2, 3), 5); return v end)
at(e, l, "CrossEntropyLoss: target must be a tensor, got number")
l, e = line(), err_of(function() local v = ce:forward("y", rh.tensor { 1 }); return v end)
at(e, l, "CrossEntropyLoss: prediction must be a tensor, got string")
l, e = line(), err_of(function() local v = ce:forward(rh.zeros(2, 3), rh.tensor { 1, 9 }); return v end)
at(e, l, "CrossEntropyLoss: label 9 at position 2 is outside 1..3")
l, e = line(), err_of(function() local v = ce:forward_async(rh.zeros(2, 3), rh.tensor { 1, 2, 3 }); return v end)
at(e, l, "CrossEntropyLoss: labels 3 do not match logits 2x3 (one class id per row expected)")
l, e = line(), err_of(function() local v = ce:backward(rh.zeros(2, 3), {}); return v end)
at(e, l, "CrossEntropyLoss: target must be a tensor, got table")
l, e = line(), err_of(function() local v = mse:forward(rh.zeros(2, 3), rh.zeros(3, 2)); return v end)
at(e, l, "MSELoss: prediction 2x3 and target 3x2 do not match")

-- ---- the boundary itself: depth does not matter, foreign errors keep their position ----
do
  local function deep(n) if n == 0 then B.fail("f: bad %s", "thing") end; deep(n - 1); return n end
  local f = B.wrap(function(n) deep(n); return n end)
  for _, depth in ipairs { 0, 1, 5 } do
    l, e = line(), err_of(function() local v = f(depth); return v end)
    at(e, l, "f: bad thing")
  end
  local g = B.wrap(function(a, b) return a + b, a * b end)
  local s, p = g(2, 3)
  T.ok(s == 5 and p == 6, "results pass through")
  -- a failure inside a boundary inside a boundary: placed by the inner one, at its caller
  local inner = B.wrap(function() B.fail("inner: no") end)
  local outer = B.wrap(function() local v = inner(); return v end)
  T.ok(err_of(outer):find("test_boundary.lua:%d+: inner: no$"), "a nested boundary places its own failure: " .. err_of(outer))
  -- an error of the user's code: its own position and message, untouched
  local cb_line
  e = err_of(function()
    local h = rh.train.fit(nn.MLP { 4, 3, 2 }, data, { progress = false, max_epochs = 2, callback = function()
      cb_line = line(); error("my callback failed")
    end })
    return h
  end)
  at(e, cb_line, "my callback failed")
  local obj = setmetatable({}, { __tostring = function() return "an error object" end })
  local ok2, e2 = pcall(B.wrap(function() error(obj) end))
  T.ok(not ok2 and rawequal(e2, obj), "an error object passes through as itself")
  -- a layer's error inside fit keeps the Sequential's text
  e = err_of(function() local h = rh.train.fit(m, { x = rh.zeros(4, 7), y = rh.tensor { 1, 2, 1, 2 } }, quiet); return h end)
  T.ok(e:find("MLP module 1 (Linear 4->3): bad input width 7, expected 4", 1, true), "a layer's error: " .. e)
  -- a failure raised outside any boundary is still readable
  local ok3, e3 = pcall(B.fail, "loose")
  T.ok(not ok3 and tostring(e3) == "loose" and B.is_failure(e3), "tostring of a failure is its message")
end

T.done()
