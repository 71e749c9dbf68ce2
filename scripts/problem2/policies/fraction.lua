-- fraction.lua - the rank-blind baseline: every hidden layer keeps a fixed fraction of its
-- width each iteration (--fraction, default 0.5), whatever its spectrum.
return {
  widths = function(stats, ctx)
    local w = {}
    for i, s in ipairs(stats) do w[i] = math.max(1, math.floor(s.width * ctx.options.fraction + 0.5)) end
    return w
  end,
}
