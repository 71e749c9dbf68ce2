-- test_error_leaks.lua - a refused call gives back every tensor byte it took.
-- `t[i] = v` with a v that is neither a number nor a tensor used to leave the row view's
-- retain on t's storage: the whole storage outlived t (4 MB per 1000x1000 tensor). Each
-- refusal below runs in a loop on tensors made for it; after a full collection the bytes
-- held by live tensors (rh.memory().cpu, rankhost's own count) must be back where they
-- were, and under the sanitizer build LeakSanitizer reports any storage that never was.
-- (Refusals that only an allocation failure reaches are driven by tests/c/test_bindings_oom.c.)
local T = require "testlib"

local function live()
  collectgarbage("collect")
  collectgarbage("collect")
  return rh.memory().cpu
end

-- Runs make() n times; each call must raise an error containing `msg` and leave no
-- tensor bytes behind once what it made is collected.
local function refused_without_leak(what, msg, n, make)
  local before = live()
  local raised = 0
  for _ = 1, n do
    local ok, err = pcall(make)
    if not ok and tostring(err):find(msg, 1, true) then raised = raised + 1 end
  end
  T.eq(raised, n, what .. ": every call refused with '" .. msg .. "'")
  T.eq(live() - before, 0, what .. ": tensor bytes held after the refusals")
end

-- t[i] = v: the refused value after the row view was taken (the reported leak)
refused_without_leak("t[1] = {1, 2}", "tensor expected, got table", 20, function()
  local t = rh.zeros(1000, 1000)
  t[1] = { 1, 2 }
end)
refused_without_leak("t[2] = 'x'", "tensor expected, got string", 20, function()
  local t = rh.zeros(64, 64)
  t[2] = "x"
end)
refused_without_leak("t[1] = nil", "tensor expected, got nil", 20, function()
  local t = rh.zeros(8, 8)
  t[1] = nil
end)
refused_without_leak("t[1] = a released tensor", "tensor has been released", 20, function()
  local t, u = rh.zeros(8, 8), rh.zeros(8)
  u:release()
  t[1] = u
end)
-- refusals after the view that were already safe stay so
refused_without_leak("t[1] = a tensor of the wrong size", "cannot copy 5 into 8", 20, function()
  local t = rh.zeros(8, 8)
  t[1] = rh.zeros(5)
end)
refused_without_leak("t[9] = 0 (out of range)", "index 9 out of range 1..8", 20, function()
  local t = rh.zeros(8, 8)
  t[9] = 0
end)

-- the same refusals on a view of a transposed tensor (a strided row)
refused_without_leak("t:t()[1] = {}", "tensor expected, got table", 20, function()
  local t = rh.zeros(300, 200):t()
  t[1] = {}
end)

-- views and copies whose arguments are refused
refused_without_leak("t:select out of range", "out of range", 20, function()
  return rh.zeros(100, 100):select(1, 101)
end)
refused_without_leak("t:narrow out of range", "out of 1..100", 20, function()
  return rh.zeros(100, 100):narrow(2, 50, 60)
end)
refused_without_leak("t:view of the wrong size", "cannot view", 20, function()
  return rh.zeros(100, 100):t():contiguous():view(7, -1, 3)
end)
refused_without_leak("t:to an unknown device", "invalid option 'tpu'", 20, function()
  return rh.zeros(100, 100):t():to("tpu")
end)
refused_without_leak("rh.save of a strided tensor and a non-tensor", "is a string, not a tensor", 20, function()
  local dir = rh.io.mkdtemp("rh-leaks-")
  local ok, err = pcall(rh.save, dir .. "/x.safetensors", { a = rh.zeros(50, 40):t(), b = "no" })
  os.remove(dir .. "/x.safetensors")
  os.remove(dir)
  if not ok then error(err, 0) end
end)
refused_without_leak("rh.json.encode of a strided tensor and a function", "cannot encode a function", 20, function()
  return rh.json.encode({ a = rh.zeros(50, 40):t(), b = print })
end)
refused_without_leak("t:index with a bad index table", "is not an integer", 20, function()
  return rh.zeros(100, 100):index(1, { 1, "x" })
end)

-- and the memory is really back: a refused 4 MB row assignment, many times over
local before = live()
for _ = 1, 50 do
  local t = rh.zeros(1000, 1000)
  pcall(function() t[1] = { 1, 2 } end)
end
T.eq(live() - before, 0, "50 refused row assignments on 4 MB tensors hold nothing")

T.done()
