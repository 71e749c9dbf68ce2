-- relative.lua - width = number of singular values above tol * ||W||_F (--tol, default 1e-3).
local rh = require "rankhost"
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = math.max(1, rh.rank.relative(s.svals, { tol = ctx.options.tol })) end
    return w
  end,
}
