-- numerical.lua - the seed's rule: each hidden layer's new width is the numerical rank of
-- its weight (numpy's matrix_rank tolerance: smax * max(m, n) * eps). Shrinks or grows.
local rh = require "rankhost"
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = rh.rank.numerical(s.weight) end
    return w
  end,
}
