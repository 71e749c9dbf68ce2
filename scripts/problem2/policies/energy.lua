-- energy.lua - width = smallest k whose top-k singular values hold a fraction tau of the
-- weight's energy sum s_i^2 (--tau, default 0.99): measure.stats's s.rank.energy, from the
-- singular values of fit's last rank check at --tau (no SVD here).
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = s.rank.energy end
    return w
  end,
}
