-- testlib.lua - assertions for rankhost's Lua tests (required as `local T = require "testlib"`).
-- Each test file ends with `T.done()`, which prints "N passed, M failed" and exits 1 on failure.
local T = { passed = 0, failed = 0 }

local function where(level)
  local info = debug.getinfo(level + 1, "Sl")
  return info.short_src .. ":" .. (info.currentline or 0)
end

function T.ok(cond, msg)
  if cond then
    T.passed = T.passed + 1
  else
    T.failed = T.failed + 1
    io.stderr:write(where(2), ": FAIL ", tostring(msg or "assertion"), "\n")
  end
  return cond
end

function T.eq(a, b, msg)
  return T.ok(a == b, (msg or "eq") .. ": expected " .. tostring(b) .. ", got " .. tostring(a))
end

function T.near(a, b, tol, msg)
  tol = tol or 1e-5
  local ok = math.abs(a - b) <= tol * math.max(1, math.abs(b))
  return T.ok(ok, string.format("%s: expected %.9g, got %.9g (tol %g)", msg or "near", b, a, tol))
end

-- Compares two tensors (or a tensor and a nested table) elementwise.
function T.tensor_near(a, b, tol, msg)
  local ta = type(a) == "table" and a or a:totable()
  local tb = type(b) == "table" and b or b:totable()
  local worst, where_ = 0, ""
  local function walk(x, y, path)
    if type(x) == "table" then
      if type(y) ~= "table" or #x ~= #y then worst = math.huge; where_ = path .. " (shape)"; return end
      for i = 1, #x do walk(x[i], y[i], path .. "[" .. i .. "]") end
    else
      local d = math.abs(x - y) / math.max(1, math.abs(y))
      if d ~= d then d = math.huge end
      if d > worst then worst = d; where_ = path end
    end
  end
  walk(ta, tb, "")
  return T.ok(worst <= (tol or 1e-5), string.format("%s: max rel diff %.3g at %s", msg or "tensor_near", worst, where_))
end

-- Whether two tensors hold the same elements (==, any shape, compared flat): for results
-- that must be identical, not near.
function T.same_elements(a, b)
  local ta, tb = a:contiguous():view(-1):totable(), b:contiguous():view(-1):totable()
  if #ta ~= #tb then return false end
  for i = 1, #ta do if ta[i] ~= tb[i] then return false end end
  return true
end

-- Asserts that fn(...) raises an error whose message contains `pattern` (plain text).
function T.raises(pattern, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then
    return T.ok(false, "expected an error containing '" .. pattern .. "', but the call succeeded")
  end
  err = tostring(err)
  return T.ok(err:find(pattern, 1, true) ~= nil,
              "expected an error containing '" .. pattern .. "', got: " .. err)
end

function T.skip(why)
  print("SKIP: " .. why)
  os.exit(77)
end

-- T.fd_check(name, t, grad, f [, eps]): grad (a tensor) against central differences of f()
-- over every entry of t (1-D or 2-D), within 1% of the largest analytic value.
function T.fd_check(name, t, grad, f, eps)
  local worst, scale = 0, 1e-3
  eps = eps or 1e-2
  local r, c = t:size(1), t:dim() == 2 and t:size(2) or 1
  for i = 1, r do
    for j = 1, c do
      local get = t:dim() == 2 and function() return t:get(i, j) end or function() return t:get(i) end
      local set = t:dim() == 2 and function(v) t:set(i, j, v) end or function(v) t:set(i, v) end
      local v = get()
      set(v + eps); local fp = f()
      set(v - eps); local fm = f()
      set(v)
      local num = (fp - fm) / (2 * eps)
      local ana = t:dim() == 2 and grad:get(i, j) or grad:get(i)
      worst = math.max(worst, math.abs(num - ana))
      scale = math.max(scale, math.abs(ana))
    end
  end
  T.ok(worst <= 1e-2 * scale, string.format("%s: max |fd - analytic| %.3g (scale %.3g)", name, worst, scale))
end

function T.done()
  print(string.format("%d passed, %d failed", T.passed, T.failed))
  os.exit(T.failed == 0 and 0 or 1)
end

return T
