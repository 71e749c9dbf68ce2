-- test_ops_cuda.lua - every CUDA tensor kernel against the CPU kernel on random inputs,
-- including broadcasting, transposed, narrowed and strided views.
-- Skips (exit 77) when no CUDA device is present. RH_GPU_TEST_DEVICE=cpu runs the same
-- comparisons CPU against CPU, which checks this script on a machine without a GPU.
local T = require "testlib"
local DEV = os.getenv("RH_GPU_TEST_DEVICE") or "cuda"
if DEV == "cuda" and not rh.cuda_available() then T.skip("no CUDA device") end

rh.seed(7)
local TOL = 2e-5

local function dev(t) return t:to(DEV) end
local function host(t) return t:to("cpu") end

-- Runs f on CPU tensors and on their device copies; compares every result.
local function same(name, f, inputs, tol)
  local d = {}
  for i, t in ipairs(inputs) do d[i] = type(t) == "userdata" and dev(t) or t end
  local rc = table.pack(f(table.unpack(inputs)))
  local rd = table.pack(f(table.unpack(d)))
  T.eq(rd.n, rc.n, name .. ": result count")
  for i = 1, rc.n do
    if type(rc[i]) == "number" then
      T.near(rd[i], rc[i], tol or TOL, name .. " #" .. i)
    else
      T.eq(rd[i]:device(), DEV, name .. " #" .. i .. " stays on the device")
      T.tensor_near(host(rd[i]), rc[i], tol or TOL, name .. " #" .. i)
    end
  end
end

local A = rh.randn(7, 13)
local B = rh.randn(7, 13)
local P = rh.rand(7, 13) + 0.1 -- positive, for log/sqrt/pow
local R = rh.randn(1, 13)
local C = rh.randn(7, 1)
local X4 = rh.randn(2, 3, 4, 5)
local Y3 = rh.randn(3, 1, 5)

-- ---- transfers ----
do
  local d = dev(A)
  T.eq(d:device(), DEV, "to() moves")
  T.tensor_near(host(d), A, 0, "round trip is exact")
  T.eq(d:get(2, 3), A:get(2, 3), "get reads one element")
  local e = d:clone()
  e:set(1, 1, 42)
  T.eq(e:get(1, 1), 42, "set writes one element")
  T.eq(d:get(1, 1), A:get(1, 1), "clone is a copy")
  T.eq(dev(rh.tensor{5}):item(), 5, "item")
  T.ok(tostring(d):find("7x13") ~= nil, "tostring of a device tensor")
end

-- ---- fills ----
same("fill", function(a) return a:clone():fill(3.5) end, {A})
same("zero of a transposed view", function(a) local c = a:clone(); c:t():narrow(1, 2, 3):zero(); return c end, {A})
same("fill of a strided view", function(a) local c = a:clone(); c:narrow(2, 3, 4):fill(-1); return c end, {A})

-- ---- unary maps, contiguous and strided ----
for _, op in ipairs{"neg", "abs", "exp", "relu", "square", "sign", "tanh", "sigmoid"} do
  same(op, function(a) return a[op](a) end, {A})
  same(op .. " (transposed)", function(a) return a:t()[op](a:t()) end, {A})
  same(op .. "_ (in place, narrowed)", function(a)
    local c = a:clone(); local v = c:narrow(2, 2, 5); v[op .. "_"](v); return c end, {A})
end
for _, op in ipairs{"log", "sqrt"} do
  same(op, function(p) return p[op](p) end, {P})
  same(op .. " (transposed)", function(p) return p:t()[op](p:t()) end, {P})
end
same("pow 3", function(p) return p:pow(3) end, {P})
same("pow 2", function(a) return a:pow(2) end, {A})
same("pow 0.5", function(p) return p:t():pow(0.5) end, {P})
same("clamp", function(a) return a:clamp(-0.5, 0.7) end, {A})
same("clamp (transposed)", function(a) return a:t():clamp(-0.5, 0.7) end, {A})

-- ---- scalar arithmetic (affine and the rest) ----
same("a + s", function(a) return a + 2 end, {A})
same("s - a", function(a) return 2 - a end, {A})
same("a * s", function(a) return a:t() * -3 end, {A})
same("a / s", function(a) return a / 3 end, {A})
same("s / a", function(p) return 3 / p end, {P})
same("a:mul_(s)", function(a) local c = a:clone(); c:mul_(0.25); return c end, {A})
same("a:div_(s) strided", function(a) local c = a:clone(); local v = c:t(); v:div_(4); return c end, {A})

-- ---- binary with broadcasting ----
for name, op in pairs{add = function(x, y) return x + y end, sub = function(x, y) return x - y end,
                      mul = function(x, y) return x * y end, div = function(x, y) return x / y end,
                      cmax = function(x, y) return x:cmax(y) end, cmin = function(x, y) return x:cmin(y) end} do
  same(name, op, {A, B})
  same(name .. " row broadcast", op, {A, R})
  same(name .. " column broadcast", op, {A, C})
  same(name .. " both broadcast", op, {C, R})
  same(name .. " transposed", function(a, b) return op(a:t(), b:t()) end, {A, B})
  same(name .. " 4-D with 3-D", op, {X4, Y3})
end
same("add with alpha", function(a, r) return a:add(r, -0.5) end, {A, R})
same("add_ broadcast", function(a, r) local c = a:clone(); c:add_(r, 2); return c end, {A, R})
same("add_ into a transposed view", function(a, b) local c = a:clone(); c:t():add_(b:t(), 0.5); return c end, {A, B})
same("sub_ broadcast", function(a, cc) local c = a:clone(); c:sub_(cc); return c end, {A, C})
same("mul_ broadcast 4-D", function(x, y) local c = x:clone(); c:mul_(y); return c end, {X4, Y3})
same("div_", function(a, p) local c = a:clone(); c:div_(p); return c end, {A, P})

-- ---- reductions ----
same("sum", function(a) return a:sum() end, {A}, 1e-5)
same("mean", function(a) return a:mean() end, {A}, 1e-5)
same("norm", function(a) return a:norm() end, {A}, 1e-5)
same("max", function(a) return a:max() end, {A})
same("min of a transposed view", function(a) return a:t():min() end, {A})
same("sum of a strided view", function(x) return x:select(4, 2):sum() end, {X4}, 1e-5)
for d = 1, 2 do
  same("sum dim " .. d, function(a) return a:sum(d) end, {A}, 1e-5)
  same("mean dim " .. d .. " transposed", function(a) return a:t():mean(d) end, {A}, 1e-5)
  same("max dim " .. d, function(a) return a:max(d) end, {A})
  same("min dim " .. d .. " transposed", function(a) return a:t():min(d) end, {A})
  same("argmax dim " .. d, function(a) return a:argmax(d) end, {A})
end
for d = 1, 4 do
  same("sum 4-D dim " .. d, function(x) return x:sum(d) end, {X4}, 1e-5)
  same("max 4-D dim " .. d, function(x) return x:max(d) end, {X4})
end
do -- long rows and many blocks
  local big = rh.randn(300, 2000)
  same("sum of 600000", function(a) return a:sum() end, {big}, 1e-6)
  same("max dim 2 of long rows", function(a) return a:max(2) end, {big})
  same("sum dim 1 of long columns", function(a) return a:sum(1) end, {big}, 1e-5)
end
do -- ties and NaN follow the CPU: the first position wins, a NaN wins
  local t = rh.tensor{{1, 3, 3, 2}, {0 / 0, 1, 0 / 0, 5}, {-1, -1, -1, -1}}
  local v, i = dev(t):max(2)
  T.tensor_near(host(i), {{2}, {1}, {1}}, 0, "argmax ties and NaN")
  T.ok(host(v):get(2, 1) ~= host(v):get(2, 1), "max of a row with NaN is NaN")
  local m = dev(t):max()
  T.ok(m ~= m, "max of a tensor with NaN is NaN")
  T.eq(dev(t):narrow(1, 1, 1):max(), 3, "max of a row")
end

-- ---- matrix products ----
local M1, M2 = rh.randn(37, 29), rh.randn(29, 41)
same("matmul", function(a, b) return rh.matmul(a, b) end, {M1, M2}, 1e-4)
same("matmul a^T b", function(a, b) return rh.matmul(a:t(), b) end, {rh.randn(29, 37), M2}, 1e-4)
same("matmul a b^T", function(a, b) return rh.matmul(a, b:t()) end, {M1, rh.randn(41, 29)}, 1e-4)
same("matmul a^T b^T", function(a, b) return a:t():mm(b:t()) end, {rh.randn(29, 37), rh.randn(41, 29)}, 1e-4)
same("matmul of narrowed views", function(a, b) return rh.matmul(a:narrow(2, 3, 20), b:narrow(1, 5, 20)) end,
     {M1, M2}, 1e-4)
same("matmul of a view with no unit stride", function(x, b) return rh.matmul(x:select(3, 2), b) end,
     {rh.randn(6, 7, 3), rh.randn(7, 5)}, 1e-4)
same("matrix-vector", function(a, v) return rh.matmul(a, v) end, {M1, rh.randn(29)}, 1e-4)
same("vector-matrix", function(v, b) return rh.matmul(v, b) end, {rh.randn(29), M2}, 1e-4)
same("addmm alpha beta", function(c, a, b) local o = c:clone(); rh.addmm(o, a, b, 0.5, -2); return o end,
     {rh.randn(37, 41), M1, M2}, 1e-4)
same("addmm into a transposed output", function(c, a, b) local o = c:clone(); rh.addmm(o:t(), b:t(), a:t(), 1, 1); return o end,
     {rh.randn(37, 41), M1, M2}, 1e-4)
same("matmul with an empty inner dim", function(a, b) return rh.matmul(a, b) end, {rh.zeros(3, 0), rh.zeros(0, 4)})
if DEV == "cuda" then
  rh.cuda.tf32(true)
  same("matmul in TF32", function(a, b) return rh.matmul(a, b) end, {M1, M2}, 2e-2)
  rh.cuda.tf32(false)
end

-- ---- gathers, copies, contiguous ----
same("index rows", function(a) return a:index(1, {3, 1, 7, 3}) end, {A})
same("index columns", function(a) return a:index(2, {13, 2, 2}) end, {A})
same("index rows of a transposed view", function(a) return a:t():index(1, {5, 1}) end, {A})
same("index of a 1-D tensor", function(v) return v:index(1, {4, 4, 1}) end, {rh.randn(6)})
same("index with a tensor of ids", function(a) return a:index(1, rh.tensor{2, 6}) end, {A})
same("contiguous of a transposed view", function(a) return a:t():contiguous() end, {A})
same("clone of a strided view", function(x) return x:select(2, 3):clone() end, {X4})
same("copy into a transposed view", function(a, b) local c = a:clone(); c:t():copy(b:t()); return c end, {A, B})
same("copy with a reshape", function(a) local c = rh.zeros(13, 7); if a:device() ~= "cpu" then c = c:to(a:device()) end;
  c:copy(a:t()); return c end, {A})
do -- host <-> device copies of strided views
  local d = dev(rh.zeros(13, 7))
  d:copy(A:t())
  T.tensor_near(host(d), A:t():contiguous(), 0, "host strided view into a device tensor")
  local h = rh.zeros(7, 13)
  h:t():copy(dev(A):t())
  T.tensor_near(h, A, 0, "device strided view into a host view")
end

-- ---- errors ----
if DEV == "cuda" then
  T.raises("different devices", function() return A + dev(B) end)
  T.raises("different devices", function() return rh.matmul(M1, dev(M2)) end)
  T.raises("out of range", function() return dev(A):index(1, {8}) end)
  -- the caching allocator reuses freed blocks
  collectgarbage()
  local before = rh.cuda.memory()
  local t = rh.zeros(1000, 1000):to("cuda")
  T.ok(rh.cuda.memory().in_use >= before.in_use + 4e6, "in_use counts a new tensor")
  t:release()
  T.ok(rh.cuda.memory().cached >= 4e6, "a released block is cached")
  rh.cuda.empty_cache()
  T.eq(rh.cuda.memory().cached, 0, "empty_cache returns the cache")
  rh.cuda.synchronize()
end

T.done()
