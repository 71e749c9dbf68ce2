-- test_perf_surface.lua - what the benchmarks read: rh.rss / rh.peak_rss (VmRSS, VmHWM),
-- rh.blas(), rh._nn.gemm (a product into an existing tensor) and rh._nn.gemm_clock.
local T = require "testlib"

-- resident memory: positive, the peak at least the current, and a touched 64 MB tensor
-- raises both by about its size
local r0, p0 = rh.rss(), rh.peak_rss()
T.ok(math.type(r0) == "integer" and r0 > 1024 * 1024, "rss is a byte count")
T.ok(p0 >= r0, "peak >= current")
local big = rh.ones(4096, 4096) -- 64 MiB, every page written
local r1, p1 = rh.rss(), rh.peak_rss()
T.ok(r1 - r0 > 60 * 1024 * 1024, "rss grew by the tensor: " .. (r1 - r0))
T.ok(p1 - p0 > 50 * 1024 * 1024, "peak grew by the tensor: " .. (p1 - p0))
big = nil
collectgarbage()
collectgarbage()
-- (the kernel's RSS counters are approximate to some pages: VmHWM may read a little lower)
T.ok(rh.peak_rss() > p1 - 1024 * 1024, "the peak stays after the tensor is freed")
T.ok(rh.rss() < r1, "rss falls after the tensor is freed")

local b = rh.blas()
T.ok(type(b.core) == "string" and #b.core > 0, "blas core name")
T.ok(b.config:find("OpenBLAS", 1, true) ~= nil, "blas config names OpenBLAS")
T.eq(b.threads, rh.threads(), "blas threads")

-- gemm into an existing tensor, with transposed views, alpha and beta, against matmul
rh.seed(3)
local G = rh._nn.gemm
local A, B = rh.randn(5, 7), rh.randn(7, 4)
local C = rh.randn(5, 4)
local C0 = C:clone()
T.ok(rawequal(G(C, A, B), C), "gemm returns its output")
T.tensor_near(C, rh.matmul(A, B), 1e-5, "c = a b")
C:copy(C0)
G(C, A, B, 2, 0.5)
T.tensor_near(C, rh.matmul(A, B) * 2 + C0 * 0.5, 1e-5, "c = 2 a b + c / 2")
local W = rh.randn(4, 7) -- x W^T with W^T a view
local Y = rh.zeros(5, 4)
G(Y, A, W:t())
T.tensor_near(Y, rh.matmul(A, W:t():contiguous()), 1e-5, "transposed operand")
T.raises("bad argument #2 to 'gemm' (shapes 7x4 and 5x7 do not match)", function() rh._nn.gemm(C, B, A) end)
T.raises("bad argument #1 to 'gemm' (tensor expected, got string)", function() rh._nn.gemm("x", A, B) end)

-- the clock counts each CPU product once
local s0, c0 = rh._nn.gemm_clock()
G(C, A, B)
G(Y, A, W:t())
local s1, c1 = rh._nn.gemm_clock()
T.eq(c1 - c0, 2, "two products counted")
T.ok(s1 >= s0, "time does not decrease")
T.done()
