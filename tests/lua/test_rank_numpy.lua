-- test_rank_numpy.lua - every measure of rh.rank.all on noisy low-rank matrices equals what
-- numpy computes (tests/fixtures/rank_numpy.lua, from make_rank_fixtures.py): the singular
-- values from rankhost's own SVD of the same float32 entries, each count exactly, each
-- real-valued measure and threshold to float32 accuracy; gap_full, newer than the fixture, from
-- numpy's singular values by its definition.
local rh = require "rankhost"
local T = require "testlib"

local fx = dofile((os.getenv("RH_SOURCE") or "..") .. "/tests/fixtures/rank_numpy.lua")
T.ok(#fx >= 5, "the fixture's cases")
local COUNTS = { "numerical", "relative", "energy", "gavish_donoho", "spikes", "gap", "floor" }
local REALS = { "effective", "stable", "gavish_donoho_threshold", "spikes_sigma", "spikes_edge", "gap_ratio",
  "floor_threshold" }
-- gap_full (added after the fixture was made) from numpy's singular values by its definition:
-- the i <= k of the largest s_i / max(s_(i+1), 0.05 s_1) over s_i > 0.05 s_1, s_(k+1) = 0
local function gap_full_of(sv)
  local lo, best, r = 0.05 * sv[1], 0, 0
  for i = 1, #sv do
    if sv[i] <= lo then break end
    local ratio = sv[i] / math.max(sv[i + 1] or 0, lo)
    if ratio > best then best, r = ratio, i end
  end
  return r, best
end
for i, c in ipairs(fx) do
  local tag = string.format("case %d (%dx%d, k %d, snr %g)", i, c.m, c.n, c.k, c.snr)
  local W = rh.tensor(c.W)
  local r = rh.rank.all(W, { s0_max = c.expect.s0_max, horizon = c.expect.horizon })
  local s = r.svals:totable()
  local worst = 0
  for j = 1, #c.svals do worst = math.max(worst, math.abs(s[j] - c.svals[j]) / c.svals[1]) end
  T.ok(worst < 1e-5, tag .. ": singular values as numpy's (max rel diff " .. worst .. ")")
  for _, m in ipairs(COUNTS) do T.eq(r[m], c.expect[m], tag .. " " .. m) end
  for _, m in ipairs(REALS) do
    T.near(r[m], c.expect[m], 1e-4 * math.max(1, math.abs(c.expect[m])), tag .. " " .. m)
  end
  local gf, gfr = gap_full_of(c.svals)
  T.eq(r.gap_full, gf, tag .. " gap_full from numpy's singular values")
  T.near(r.gap_full_ratio, gfr, 1e-4 * math.max(1, gfr), tag .. " gap_full_ratio")
  -- the same from the singular values alone, given the shape
  local r2 = rh.rank.all(r.svals, { shape = { c.m, c.n }, s0_max = c.expect.s0_max, horizon = c.expect.horizon })
  for _, m in ipairs(COUNTS) do T.eq(r2[m], r[m], tag .. " " .. m .. " from svals") end
end
T.done()
