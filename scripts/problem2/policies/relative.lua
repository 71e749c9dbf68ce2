-- relative.lua - width = number of singular values above tol * ||W||_F (--tol, default 1e-3):
-- measure.stats's s.rank.relative, at --tol.
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = math.max(1, s.rank.relative) end
    return w
  end,
}
