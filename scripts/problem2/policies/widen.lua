-- widen.lua - grows a layer whose rank saturates its width and shrinks the others.
-- A layer is saturated when the numerical rank of its activations on the data sample
-- reaches --saturation (default 0.9) of its width: it may be too narrow, so it widens by
-- --widen (default 1.5). Otherwise it shrinks to its weight's numerical rank. New neurons
-- start small and random; kept neurons keep their weights (see docs/problem2.md, --init).
local rh = require "rankhost"
return {
  widths = function(stats, ctx)
    local o, w = ctx.options, {}
    for i, s in ipairs(stats) do
      local rank = math.min(rh.rank.numerical(s.weight), s.act_rank)
      if s.act_rank >= o.saturation * s.width then
        w[i] = math.ceil(s.width * o.widen)
      else
        w[i] = math.max(rank, 1)
      end
    end
    return w
  end,
}
