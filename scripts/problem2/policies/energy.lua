-- energy.lua - width = smallest k whose top-k singular values hold a fraction tau of the
-- weight's energy sum s_i^2 (--tau, default 0.99), from the singular values of fit's last
-- rank check (no SVD here).
local rh = require "rankhost"
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = rh.rank.energy(s.svals, { tau = ctx.options.tau }) end
    return w
  end,
}
