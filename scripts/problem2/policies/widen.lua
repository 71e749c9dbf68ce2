-- widen.lua - grows a layer whose rank saturates its width and shrinks the others. A layer
-- is saturated when its energy rank (--tau) reaches --saturation (default 0.9) of its width:
-- it may be too narrow, so it widens by --widen (default 1.5). Otherwise it shrinks to its
-- energy rank. New neurons start small and random with --init qr|norm|lowrank; kept neurons
-- keep their weights (docs/problem2.md, --init).
return {
  widths = function(stats, ctx)
    local o, w = ctx.options, {}
    for i, s in ipairs(stats) do
      if s.rank.energy >= o.saturation * s.width then
        w[i] = math.ceil(s.width * o.widen)
      else
        w[i] = math.max(s.rank.energy, 1)
      end
    end
    return w
  end,
}
