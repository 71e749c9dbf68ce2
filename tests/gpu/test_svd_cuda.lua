-- test_svd_cuda.lua - cuSOLVER singular values and thin SVD against LAPACK on the CPU,
-- for tall, wide, square, transposed and low-rank matrices; rank measures on the device.
-- Skips (exit 77) without a CUDA device; RH_GPU_TEST_DEVICE=cpu checks the script itself.
local T = require "testlib"
local DEV = os.getenv("RH_GPU_TEST_DEVICE") or "cuda"
if DEV == "cuda" and not rh.cuda_available() then T.skip("no CUDA device") end

rh.seed(11)
local function dev(t) return t:to(DEV) end

local function check(name, W)
  local s_cpu = rh.linalg.svdvals(W)
  local Wd = dev(W)
  local s = rh.linalg.svdvals(Wd)
  T.eq(s:device(), DEV, name .. ": values stay on the device")
  -- singular values relative to the largest (float32 SVDs agree to ~1e-6 * s_1)
  local smax = s_cpu:get(1)
  T.tensor_near(s:to("cpu") / smax, s_cpu / smax, 2e-5, name .. ": svdvals")

  local U, S, Vt = rh.linalg.svd(Wd)
  local m, n = W:size(1), W:size(2)
  local k = math.min(m, n)
  T.eq(U:size(1), m, name .. ": U rows"); T.eq(U:size(2), k, name .. ": U cols")
  T.eq(Vt:size(1), k, name .. ": Vt rows"); T.eq(Vt:size(2), n, name .. ": Vt cols")
  T.tensor_near(S:to("cpu") / smax, s_cpu / smax, 2e-5, name .. ": svd values")
  -- U diag(S) Vt reconstructs W; U and V have orthonormal columns
  local US = U * S:view(1, k)
  local back = rh.matmul(US, Vt):to("cpu")
  T.tensor_near(back / smax, W / smax, 1e-4, name .. ": U S Vt = W")
  T.tensor_near(rh.matmul(U:t(), U):to("cpu"), rh.eye(k), 1e-4, name .. ": U^T U = I")
  T.tensor_near(rh.matmul(Vt, Vt:t()):to("cpu"), rh.eye(k), 1e-4, name .. ": Vt Vt^T = I")
end

check("square", rh.randn(20, 20))
check("tall", rh.randn(50, 17))
check("wide", rh.randn(13, 40))
check("transposed view", rh.randn(30, 12):t())
check("narrowed view", rh.randn(30, 40):narrow(2, 5, 25))
check("1 x n", rh.randn(1, 9))
check("n x 1", rh.randn(9, 1))
check("low rank", rh.matmul(rh.randn(40, 3), rh.randn(3, 30)))
check("layer-sized", rh.randn(256, 784) * 0.05)

-- rank measures read the device values and agree with the CPU
local L = rh.matmul(rh.randn(60, 5), rh.randn(5, 40)) + rh.randn(60, 40) * 1e-3
local a, b = rh.rank.all(L), rh.rank.all(dev(L))
for _, key in ipairs{"numerical", "relative", "energy"} do T.ok(a[key] ~= nil, key); T.eq(b[key], a[key], "rank." .. key) end
for _, key in ipairs{"effective", "stable"} do T.near(b[key], a[key], 1e-4, "rank." .. key) end

-- NaN input is refused on the device too
local bad = rh.randn(4, 4); bad:set(2, 2, 0 / 0)
T.raises("NaN", function() return rh.linalg.svdvals(dev(bad)) end)

T.done()
