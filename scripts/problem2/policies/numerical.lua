-- numerical.lua - the seed's rule: each hidden layer's new width is the numerical rank of
-- its weight (numpy's matrix_rank tolerance: smax * max(m, n) * eps, for the weight's shape).
-- Shrinks or grows.
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = math.max(1, s.rank.numerical) end
    return w
  end,
}
