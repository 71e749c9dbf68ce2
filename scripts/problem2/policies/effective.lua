-- effective.lua - width = effective rank exp(H(s / sum s)) of the weight (Roy & Vetterli
-- 2007), rounded up: a real number between 1 and the rank.
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = math.max(1, math.ceil(s.rank.effective - 1e-9)) end
    return w
  end,
}
