-- energy.lua - width = smallest k whose top-k singular values hold a fraction tau of the
-- weight's energy sum s_i^2 (--tau, default 0.99).
local rh = require "rankhost"
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = rh.rank.energy(s.weight, ctx.options.tau) end
    return w
  end,
}
