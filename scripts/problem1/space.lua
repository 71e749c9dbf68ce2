-- space.lua - problem 1's space of architectures: the hidden widths of draw (seed, index)
-- are a function of those two numbers only (an rh.generator stream of their own), so the
-- same --n and --seed give the same networks, a larger --n extends a smaller one, and a
-- sweep can be split across machines by index (problem1/plan.lua).
--
-- Architecture space: depth d uniform in [depth_min, depth_max] hidden layers; each hidden
-- width drawn log-uniformly in [width_min, width_max] and rounded to a multiple of 8
-- (at least 8). "Enough capacity": every hidden width >= 2 x classes and the parameter count
-- >= min_params; a draw that fails is drawn again from the same stream (up to 100 times).
local rh = require "rankhost"

local M = {}

function M.num_parameters(sizes)
  local p = 0
  for i = 1, #sizes - 1 do p = p + sizes[i] * sizes[i + 1] + sizes[i + 1] end
  return p
end

local function draw_widths(g, o, classes)
  local d = g:int(o.depth_min, o.depth_max)
  local lo, hi = math.log(o.width_min), math.log(o.width_max)
  local w = {}
  for i = 1, d do
    local x = math.exp(lo + (hi - lo) * g:uniform())
    w[i] = math.max(8, math.floor(x / 8 + 0.5) * 8)
    w[i] = math.min(w[i], math.max(8, o.width_max))
  end
  return w
end

-- Hidden widths for run (seed, index) on inputs of size dim with `classes` outputs.
-- o: depth_min, depth_max, width_min, width_max, min_params.
function M.architecture(seed, index, o, dim, classes)
  local g = rh.generator(seed, index)
  for _ = 1, 100 do
    local w = draw_widths(g, o, classes)
    local sizes = { dim }
    for i, x in ipairs(w) do sizes[i + 1] = x end
    sizes[#sizes + 1] = classes
    local ok = M.num_parameters(sizes) >= o.min_params
    for _, x in ipairs(w) do if x < 2 * classes then ok = false end end
    if ok then return sizes end
  end
  error(string.format("no architecture with enough capacity in 100 draws (widths %d..%d, >= %d parameters, "
    .. "min width %d): widen --width-min/--width-max or lower --min-params",
    o.width_min, o.width_max, o.min_params, 2 * classes), 0)
end

return M
