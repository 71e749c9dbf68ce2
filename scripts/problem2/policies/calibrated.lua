-- calibrated.lua - the default width policy: every hidden layer's next width is its rank under
-- --width-measure (default gap_full, the gap rank with the tail step: docs/calibration.md
-- gives its calibration on tasks of known rank), so the width follows a measure validated
-- where the rank is known rather than an energy fraction that is always below the width.
--
-- A layer is saturated when its rank fills its width (every direction it has is used, which
-- needs width <= its inputs): it may be too narrow, so it grows by --widen (default 1.5), and
-- by more than the fixed-point slack (--fp-slack, --fp-rel-slack), so that growing is not
-- read as keeping the width. It grows only as far as its next inputs (the layer before's next
-- width; the input dimension for the first), so a deeper layer can grow in the same step as
-- the layer feeding it; when that bound leaves no more room than the slack, the answer is a
-- fixed point at the bound. A layer whose rank is below its width shrinks to it. A saturated
-- layer keeps its width instead of growing when this run already trained a wider network
-- whose rank for that layer was at most this width (it was given room and did not use it):
-- the widths a run that grows and then shrinks back settles on, a fixed point.
return {
  widths = function(stats, ctx)
    local o, w = ctx.options, {}
    local m = o.width_measure or "gap_full"
    for i, s in ipairs(stats) do
      local r = s.rank[m]
      if type(r) ~= "number" then error("--width-measure " .. tostring(m) .. " gave no rank for layer " .. i, 0) end
      r = math.max(math.floor(r + 0.5), 1)
      local room = i == 1 and s.shape[2] or w[i - 1] -- the layer's next inputs
      if r >= s.width and s.width < room then
        local tried = false
        for _, h in ipairs(ctx.history or {}) do
          local hr = h.ranks and h.ranks[i] and h.ranks[i][m]
          if h.widths and h.widths[i] and h.widths[i] > s.width and hr and hr <= s.width then tried = true end
        end
        local slack = math.floor(math.max(o.fp_slack or 0, (o.fp_rel_slack or 0) * s.width))
        local grown = math.max(math.ceil(s.width * o.widen), s.width + slack + 1)
        w[i] = tried and s.width or math.min(grown, room)
      else
        w[i] = math.min(r, s.width)
      end
    end
    return w
  end,
}
