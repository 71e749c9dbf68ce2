-- test_plot.lua - rh.plot through gnuplot: each kind of figure is a real PNG (magic
-- bytes, a non-trivial size), written without leaving temporaries; bad options are
-- clear errors. The paper options: an SVG beside the PNG, well-formed; a PDF; a categorical
-- axis with its labels; a reference line (y = x) drawn as a line; a log axis spanning the
-- data with tics inside it; interval bars clipped at the data's bounds and set apart; the
-- legend's placement. Skips (77) when gnuplot is not installed.
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
T.raises("'path' must name a .png, .svg or .pdf file", rh.plot.line, opts { path = path("e.jpg"), series = {} })
T.raises("series[1] has 2 x values and 1 y values", rh.plot.line, opts { path = path("e.png"), series = { { x = { 1, 2 }, y = { 1 } } } })
T.raises("series[1].y[2] is a string", rh.plot.line, opts { path = path("e.png"), series = { { x = { 1, 2 }, y = { 1, "a" } } } })
T.raises("no finite point", rh.plot.line, opts { path = path("e.png"), series = { { x = { 0 / 0 }, y = { 1 } } } })
T.raises("'series' must be a non-empty list", rh.plot.line, opts { path = path("e.png") })
T.raises("missing/e.png: cannot create a temporary file beside it", rh.plot.line,
         opts { path = dir .. "/missing/e.png", series = { { x = { 1 }, y = { 1 } } } })

-- gnuplot that leaves half a PNG and exits 0 (what it does on a full disk), or fails: the
-- figure already there stays byte for byte, the error names it, nothing is left beside it.
-- $RH_GNUPLOT is rh.plot's documented choice of program; a child rankhost gets it.
local function read(p) local f = assert(io.open(p, "rb")); local s = f:read("a"); f:close(); return s end
local good = path("good.png")
rh.plot.line(opts { path = good, series = { { name = "a", x = { 1, 2 }, y = { 1, 2 } } } })
local before = read(good)
local function with_gnuplot(body)
  local fake = path("fake-gnuplot.sh")
  local f = assert(io.open(fake, "w"))
  f:write("#!/bin/sh\n", body, "\n")
  f:close()
  os.execute("chmod +x '" .. fake .. "'")
  local child = path("child.lua")
  f = assert(io.open(child, "w"))
  f:write(string.format([[local ok, err = pcall(rh.plot.line, { path = %q, title = "t", xlabel = "x", ylabel = "y",
    series = { { name = "a", x = { 1, 2 }, y = { 2, 1 } } } }) print(ok and "succeeded" or err)]], good))
  f:close()
  local p = io.popen("RH_GNUPLOT='" .. fake .. "' '" .. os.getenv("RANKHOST") .. "' '" .. child .. "' 2>&1")
  local said = p:read("a")
  p:close()
  os.remove(fake)
  os.remove(child)
  return said
end
-- the output name is on the script's "set output" line; half of a real PNG is written there
local said = with_gnuplot([[out=$(sed -n "s/^set output '\\(.*\\)'$/\\1/p" "$1"); head -c 300 ']] .. good .. [[' > "$out"; exit 0]])
T.ok(said:find("gnuplot left an incomplete image (300 bytes) for " .. good, 1, true), "a truncated PNG is refused: " .. said)
T.eq(read(good), before, "the old figure is kept when gnuplot leaves half a PNG")
said = with_gnuplot("echo 'no room' >&2; exit 1")
T.ok(said:find(good .. ": gnuplot failed: no room", 1, true), "gnuplot's failure names the figure: " .. said)
T.eq(read(good), before, "the old figure is kept when gnuplot fails")
local left = {}
for _, name in ipairs(rh.io.listdir(dir)) do if not name:match("^%a+%.png$") then left[#left + 1] = name end end
T.eq(table.concat(left, " "), "", "no temporary file is left beside the figures")

-- ---- figures for a paper ----
local function slurp(p)
  local f = io.open(p, "rb")
  if not f then return nil end
  local t = f:read("a")
  f:close()
  return t
end
-- an SVG is well-formed XML here when it has the prolog and <svg> root and every element
-- opened is closed in order (gnuplot writes no CDATA or comments without mouse support)
local function well_formed_svg(text)
  if not text or not text:find("^<%?xml") or not text:find("<svg") or not text:find("</svg>%s*$") then return false, "no svg root" end
  local stack = {}
  for close, name, rest in text:gmatch("<(/?)([%a_][%w:_%-%.]*)([^>]*)>") do
    if close == "/" then
      if stack[#stack] ~= name then return false, "</" .. name .. "> closes <" .. tostring(stack[#stack]) .. ">" end
      stack[#stack] = nil
    elseif not rest:find("/%s*$") then
      stack[#stack + 1] = name
    end
  end
  return #stack == 0, "unclosed <" .. tostring(stack[#stack]) .. ">"
end
-- RH_GNUPLOT as a wrapper that keeps the last script and data for the checks below
local keep = dir .. "/kept"
local wrapper = dir .. "/gnuplot.sh"
do
  local f = assert(io.open(wrapper, "w"))
  f:write("#!/bin/sh\ncp \"$1\" '", keep, ".gp'; cp \"$(dirname \"$1\")/data.dat\" '", keep, ".dat'; exec gnuplot \"$1\"\n")
  f:close()
  os.execute("chmod +x '" .. wrapper .. "'")
end

-- SVG beside the PNG, well formed; the categories and the y = x line are in it
local sv = rh.plot.scatter(opts { path = path("cat.png"), svg = true, categories = { "real", "wd0", "random labels" },
  series = { { name = "runs", x = { 1, 2, 3, 1.1 }, y = { 0.2, 0.5, 0.7, 0.3 } },
    { name = "y = x", x = { 0, 1 }, y = { 0, 1 }, line = true } } })
T.eq(sv, path("cat.png"), "svg = true returns the PNG's path")
T.ok(is_png(path("cat.png")), "the PNG is written")
local svg = slurp(path("cat.svg"))
T.ok(svg ~= nil, "svg = true writes cat.svg beside it")
local okx, why = well_formed_svg(svg)
T.ok(okx, "the SVG is well formed: " .. tostring(why))
for _, label in ipairs { "real", "wd0", "random labels" } do
  T.ok(svg:find("<text>" .. label .. "</text>", 1, true) ~= nil, "categorical axis label '" .. label .. "' drawn")
end
T.ok(svg:find("<text> 2</text>", 1, true) == nil and svg:find("<text> 3</text>", 1, true) == nil,
  "no numeric x tics on a categorical axis")
T.ok(svg:find("<text>y = x</text>", 1, true) ~= nil, "the y = x reference is in the legend")
T.ok(svg:find("stroke='rgb%( 77,  77,  77%)' stroke%-dasharray='[%d.,]+'  d='M[%d.]+,[%d.]+ L[%d.]+,[%d.]+") ~= nil,
  "y = x is drawn as a dashed line from one end to the other, not as two points")
-- .svg and .pdf as the main path
rh.plot.line(opts { path = path("l.svg"), series = { { name = "loss", x = x, y = y1 } } })
T.ok(well_formed_svg(slurp(path("l.svg"))), "a .svg path is an SVG")
rh.plot.line(opts { path = path("l.pdf"), series = { { name = "loss", x = x, y = y1 } } })
T.eq((slurp(path("l.pdf")) or ""):sub(1, 5), "%PDF-", "a .pdf path is a PDF")
T.raises("'key' must be above, inside, below, outside or off", rh.plot.line,
  opts { path = path("e.png"), key = "left", series = { { x = { 1 }, y = { 1 } } } })
T.raises("'categories' must be a non-empty list", rh.plot.scatter,
  opts { path = path("e.png"), categories = {}, series = { { x = { 1 }, y = { 1 } } } })

-- what gnuplot was given, through a wrapper named by RH_GNUPLOT in a child rankhost
local child = os.getenv("RANKHOST")
if child then
  local script = dir .. "/child.lua"
  local f = assert(io.open(script, "w"))
  f:write([[
local dir = ...
local w = {}
local it = {}
for i = 1, 10 do it[i], w[i] = i, 16 * 2 ^ ((i - 1) / 3) end   -- widths 16 .. 128
rh.plot.line { path = dir .. "/log.png", title = "t", xlabel = "iteration", ylabel = "width", logy = true,
  series = { { name = "w", x = it, y = w } } }
os.rename(dir .. "/kept.gp", dir .. "/log.gp")
-- two series with intervals at the same x, the lower ends below rank 0
rh.plot.line { path = dir .. "/bars.png", title = "t", xlabel = "k", ylabel = "rank", points = true, ybounds = { 0 },
  series = { { name = "a", x = { 1, 2, 4 }, y = { 1, 5, 9 }, err = { 3, 1, 2 } },
             { name = "b", x = { 1, 2, 4 }, y = { 2, 6, 8 }, err = { 1, 8, 1 } } } }
]])
  f:close()
  local ok = os.execute(string.format("RH_GNUPLOT='%s' '%s' '%s' '%s'", wrapper, child, script, dir))
  T.ok(ok, "the child drew its figures through the wrapper")
  local gp = slurp(dir .. "/log.gp") or ""
  local tics = gp:match("set ytics (%b())") or ""
  T.ok(tics:find("'20'", 1, true) and tics:find("'50'", 1, true) and tics:find("'100'", 1, true),
    "log axis over 16-128 has tics 20, 50, 100: " .. tics)
  T.ok(not tics:find("'1000'", 1, true) and not tics:find("'1'", 1, true), "and none outside the data")
  local lo, hi = gp:match("set yrange %[([%d.e+-]+):([%d.e+-]+)%]")
  T.ok(lo and tonumber(lo) > 14 and tonumber(lo) < 16 and tonumber(hi) > 128 and tonumber(hi) < 150,
    "log axis spans the data with a margin: [" .. tostring(lo) .. ":" .. tostring(hi) .. "]")
  local rows = {}
  for line in (slurp(dir .. "/kept.dat") or ""):gmatch("[^\n]+") do
    local r = {}
    for v in line:gmatch("%S+") do r[#r + 1] = tonumber(v) end
    rows[#rows + 1] = r
  end
  T.eq(#rows, 6, "two series of three points")
  T.eq(rows[1][3], 0, "a's bar at x=1 (1 +- 3) is clipped at the bound 0")
  T.eq(rows[1][4], 4, "and keeps its upper end")
  T.eq(rows[5][3], 0, "b's bar at x=2 (6 +- 8) is clipped at 0")
  T.eq(rows[2][3], 4, "a bar inside the bounds is unchanged")
  T.ok(rows[1][1] < 1 and rows[4][1] > 1 and rows[4][1] - rows[1][1] < 0.2, "the two series' bars at x=1 are set apart")
  T.ok((slurp(dir .. "/kept.gp") or ""):find("set yrange [0:*]", 1, true) ~= nil, "the axis ends at the bound where a bar was clipped")
  T.ok((slurp(dir .. "/kept.gp") or ""):find("set key outside top center horizontal", 1, true) ~= nil,
    "the legend sits in one line above the frame by default")
end

for _, name in ipairs(rh.io.listdir(dir)) do os.remove(path(name)) end
os.remove(dir)
T.done()
