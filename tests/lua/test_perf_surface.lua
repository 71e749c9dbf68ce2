-- test_perf_surface.lua - what the benchmarks read: rh.rss / rh.peak_rss (VmRSS, VmHWM),
-- rh.blas() and rh.gemm_clock (time inside cblas_sgemm).
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

local b = rh.blas()
T.ok(type(b.core) == "string" and #b.core > 0, "blas core name")
T.ok(b.config:find("OpenBLAS", 1, true) ~= nil, "blas config names OpenBLAS")
T.eq(b.threads, rh.threads(), "blas threads")

rh.seed(3)
local A, B, C = rh.randn(5, 7), rh.randn(7, 4), rh.zeros(5, 4)
local W, Y = rh.randn(4, 7), rh.zeros(5, 4)
local G = rh.addmm

-- the clock counts each CPU product once
local s0, c0 = rh.gemm_clock()
G(C, A, B)
G(Y, A, W:t(), 1, 0)
pcall(G, C, B, A) -- a shape error: no product, not counted
local s1, c1 = rh.gemm_clock()
T.eq(c1 - c0, 2, "two products counted")
T.ok(s1 >= s0, "time does not decrease")
T.done()
