-- test_plot.lua - rh.plot through gnuplot: each kind of figure is a real PNG (magic
-- bytes, a non-trivial size), written without leaving temporaries; bad options are
-- clear errors. Skips (77) when gnuplot is not installed.
local T = require "testlib"

if not rh.plot.available() then T.skip("gnuplot not installed") end

local dir = rh.io.mkdtemp("rh-test-plot")
local function path(name) return dir .. "/" .. name end
local function is_png(p)
  local f = io.open(p, "rb")
  if not f then return false, 0 end
  local s = f:read("a")
  f:close()
  return s:sub(1, 8) == "\137PNG\r\n\26\n", #s
end

local x, y1, y2 = {}, {}, {}
for i = 1, 50 do x[i] = i; y1[i] = math.sqrt(i); y2[i] = math.log(i + 1) end
local common = { title = "rank vs accuracy", xlabel = "rank", ylabel = "test accuracy" }
local function opts(extra)
  local o = {}
  for k, v in pairs(common) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return o
end

T.eq(rh.plot.scatter(opts { path = path("s.png"), series = { { name = "real", x = x, y = y1 },
  { name = "random labels", x = rh.arange(1, 50), y = y2 } }, logx = true }), path("s.png"), "scatter returns its path")
T.eq(rh.plot.line(opts { path = path("l.png"), series = { { name = "loss", x = x, y = y1 } }, points = true }), path("l.png"))
T.eq(rh.plot.bars(opts { path = path("b.png"), labels = { "layer 1", "layer 2", "layer 3" },
  series = { { name = "rank", y = { 5, 3, 2 } }, { name = "stable rank", y = { 2.5, 1.5, 1.1 } } } }), path("b.png"))
T.eq(rh.plot.heatmap(opts { path = path("h.png"), z = rh.randn(6, 8), cblabel = "weight" }), path("h.png"))
for _, name in ipairs { "s.png", "l.png", "b.png", "h.png" } do
  local ok, size = is_png(path(name))
  T.ok(ok, name .. " has the PNG magic")
  T.ok(size > 3000, name .. " is a real figure (" .. size .. " bytes)")
end
T.eq(table.concat(rh.io.listdir(dir), ","), "b.png,h.png,l.png,s.png", "no temporaries left")
-- NaN and, on log axes, non-positive points are left out rather than breaking the plot
rh.plot.scatter(opts { path = path("n.png"), series = { { name = "a", x = { 1, 2, 0 / 0, -1 }, y = { 1, 2, 3, 4 } } }, logx = true })
T.ok(is_png(path("n.png")), "figure with NaN points")
-- a mean with a shaded band (and a series without one, in its own colour)
rh.plot.line(opts { path = path("band.png"), points = true, series = { { name = "mean", x = x, y = y1, band = y2 },
  { name = "other", x = x, y = y2 } } })
T.ok(is_png(path("band.png")), "figure with a band")
T.raises("series[1] has 1 band values and 2 y values", rh.plot.line, opts { path = path("e.png"),
  series = { { x = { 1, 2 }, y = { 1, 2 }, band = { 1 } } } })

-- error bars along both axes (a Pareto front's intervals), as points and as a line
rh.plot.scatter(opts { path = path("xy.png"), series = { { name = "m", x = { 1, 2, 3 }, y = { 3, 2, 1 },
  xerr = { 0.1, 0.2, 0.3 }, err = { 0.3, 0.2, 0.1 } }, { name = "plain", x = { 1 }, y = { 1 } } } })
T.ok(is_png(path("xy.png")), "scatter with x and y error bars")
rh.plot.line(opts { path = path("xyl.png"), series = { { name = "m", x = { 1, 2 }, y = { 1, 2 }, xerr = { 0.1, 0.1 } } } })
T.ok(is_png(path("xyl.png")), "line with x error bars")
T.raises("series[1] has 1 xerr values and 2 x values", rh.plot.scatter, opts { path = path("e.png"),
  series = { { x = { 1, 2 }, y = { 1, 2 }, xerr = { 1 } } } })
T.raises("xerr and band cannot be drawn together", rh.plot.line, opts { path = path("e.png"),
  series = { { x = { 1 }, y = { 1 }, xerr = { 1 }, band = { 1 } } } })
T.raises("'title' is required", rh.plot.scatter, { path = path("e.png"), xlabel = "a", ylabel = "b", series = { { x = { 1 }, y = { 1 } } } })
T.raises("'path' must name a .png or .svg file", rh.plot.line, opts { path = path("e.jpg"), series = {} })
T.raises("series[1] has 2 x values and 1 y values", rh.plot.line, opts { path = path("e.png"), series = { { x = { 1, 2 }, y = { 1 } } } })
T.raises("series[1].y[2] is a string", rh.plot.line, opts { path = path("e.png"), series = { { x = { 1, 2 }, y = { 1, "a" } } } })
T.raises("no finite point", rh.plot.line, opts { path = path("e.png"), series = { { x = { 0 / 0 }, y = { 1 } } } })
T.raises("'series' must be a non-empty list", rh.plot.line, opts { path = path("e.png") })
T.raises("cannot write the figure", rh.plot.line, opts { path = dir .. "/missing/e.png", series = { { x = { 1 }, y = { 1 } } } })

for _, name in ipairs(rh.io.listdir(dir)) do os.remove(path(name)) end
os.remove(dir)
T.done()
