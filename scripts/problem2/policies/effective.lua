-- effective.lua - width = effective rank exp(H(s / sum s)) of the weight (Roy & Vetterli
-- 2007), rounded up: a real number between 1 and the rank.
local rh = require "rankhost"
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = math.ceil(rh.rank.effective(s.weight) - 1e-9) end
    return w
  end,
}
