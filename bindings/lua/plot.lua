-- plot.lua - rh.plot: figures for results, drawn by gnuplot (Debian: gnuplot-nox).
--
-- Each call writes the data and a gnuplot script into a private temporary folder,
-- runs gnuplot on it, and renames the finished image onto `path` (so a reader never
-- sees half a PNG). The format follows the extension: .png (pngcairo) or .svg.
-- Every figure has a title, labelled axes and a legend (a colour box for heatmaps):
-- title, xlabel and ylabel are required.
local rh = require "rankhost"

local plot = {}

local function shq(s) return "'" .. s:gsub("'", "'\\''") .. "'" end   -- for the shell
local function gq(s) return "'" .. tostring(s):gsub("[\r\n]", " "):gsub("'", "''") .. "'" end -- gnuplot

-- Errors name the function; no position (the calls below are tail calls, so a level
-- would point at the wrong frame).
local function fail(fname, msg) error(string.format("rh.plot.%s: %s", fname, msg), 0) end

-- The gnuplot program: $RH_GNUPLOT, else `gnuplot` on the PATH.
local function gnuplot_cmd()
  local g = os.getenv("RH_GNUPLOT")
  if g and g ~= "" then return g end
  return "gnuplot"
end

-- rh.plot.available() -> true, or false and why
function plot.available()
  local ok = os.execute("command -v " .. shq(gnuplot_cmd()) .. " >/dev/null 2>&1")
  if ok then return true end
  return false, "gnuplot was not found (install it: apt-get install gnuplot-nox, or set RH_GNUPLOT)"
end

local function numbers(fname, v, what)
  if type(v) == "userdata" and v.totable then
    if v:dim() ~= 1 then fail(fname, what .. " must be a 1-D tensor or a list of numbers") end
    v = v:totable()
  end
  if type(v) ~= "table" then fail(fname, what .. " must be a list of numbers, got " .. type(v)) end
  for i = 1, #v do
    if type(v[i]) ~= "number" then fail(fname, string.format("%s[%d] is a %s, not a number", what, i, type(v[i]))) end
  end
  return v
end

local function check_common(fname, o)
  if type(o) ~= "table" then fail(fname, "a table of options expected") end
  if type(o.path) ~= "string" or not (o.path:match("%.png$") or o.path:match("%.svg$")) then
    fail(fname, "'path' must name a .png or .svg file")
  end
  for _, k in ipairs { "title", "xlabel", "ylabel" } do
    if type(o[k]) ~= "string" or o[k] == "" then
      fail(fname, string.format("'%s' is required (every figure has a title and labelled axes)", k))
    end
  end
  local ok, why = plot.available()
  if not ok then fail(fname, why) end
end

local function fmt(x) return string.format("%.10g", x) end

local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end

local function header(o, out)
  local w, h = o.width or 900, o.height or 600
  local term = o.path:match("%.svg$") and "svg" or "pngcairo"
  local s = {
    string.format("set terminal %s noenhanced size %d,%d font ',11'", term, w, h),
    "set output " .. gq(out),
    "set title " .. gq(o.title),
    "set xlabel " .. gq(o.xlabel),
    "set ylabel " .. gq(o.ylabel),
    "set grid",
    "set key outside right top box",
  }
  if o.logx then s[#s + 1] = "set logscale x" end
  if o.logy then s[#s + 1] = "set logscale y" end
  return s
end

-- Writes the files, runs gnuplot, renames the image into place, cleans up.
local function render(fname, o, write_data, script_lines)
  local dir = rh.io.mkdtemp("rankhost-plot")
  local data, script, errf = dir .. "/data.dat", dir .. "/plot.gp", dir .. "/stderr.txt"
  local out = dir .. "/figure" .. (o.path:match("%.%w+$"))
  local ok, err = pcall(function()
    local f = assert(io.open(data, "w"))
    write_data(f)
    f:close()
    local lines = header(o, out)
    for _, l in ipairs(script_lines(data)) do lines[#lines + 1] = l end
    lines[#lines + 1] = "unset output"
    local g = assert(io.open(script, "w"))
    g:write(table.concat(lines, "\n"), "\n")
    g:close()
    local ran = os.execute(shq(gnuplot_cmd()) .. " " .. shq(script) .. " 2>" .. shq(errf))
    if not ran then
      local ef = io.open(errf, "r")
      local msg = ef and ef:read("a") or ""
      if ef then ef:close() end
      error("gnuplot failed: " .. msg:gsub("%s+$", ""), 0)
    end
    -- a temporary name beside the target, then rename: readers never see half a file
    local tmp = o.path .. ".tmp"
    local src = assert(io.open(out, "rb"))
    local img = src:read("a")
    src:close()
    local dst, derr = io.open(tmp, "wb")
    if not dst then error("cannot write the figure: " .. derr, 0) end
    dst:write(img)
    dst:close()
    local moved, merr = os.rename(tmp, o.path)
    if not moved then os.remove(tmp); error("cannot write the figure: " .. merr, 0) end
  end)
  for _, p in ipairs { data, script, errf, out } do os.remove(p) end
  os.remove(dir)
  if not ok then fail(fname, tostring(err)) end
  return o.path
end

local function xy_plot(fname, o, style)
  check_common(fname, o)
  if type(o.series) ~= "table" or #o.series == 0 then fail(fname, "'series' must be a non-empty list") end
  local series = {}
  for i, s in ipairs(o.series) do
    local x = numbers(fname, s.x, "series[" .. i .. "].x")
    local y = numbers(fname, s.y, "series[" .. i .. "].y")
    if #x ~= #y then fail(fname, string.format("series[%d] has %d x values and %d y values", i, #x, #y)) end
    local e = s.err and numbers(fname, s.err, "series[" .. i .. "].err")
    if e and #e ~= #y then fail(fname, string.format("series[%d] has %d err values and %d y values", i, #e, #y)) end
    local b = s.band and numbers(fname, s.band, "series[" .. i .. "].band")
    if b and #b ~= #y then fail(fname, string.format("series[%d] has %d band values and %d y values", i, #b, #y)) end
    local xe = s.xerr and numbers(fname, s.xerr, "series[" .. i .. "].xerr")
    if xe and #xe ~= #x then fail(fname, string.format("series[%d] has %d xerr values and %d x values", i, #xe, #x)) end
    if xe and b then fail(fname, string.format("series[%d]: xerr and band cannot be drawn together", i)) end
    local px, py, pe, pb, pxe = {}, {}, {}, {}, {}
    for k = 1, #x do
      local okx = finite(x[k]) and (not o.logx or x[k] > 0)
      local oky = finite(y[k]) and (not o.logy or y[k] > 0)
      if okx and oky then
        local n = #px + 1
        px[n], py[n], pe[n], pb[n] = x[k], y[k], e and (finite(e[k]) and e[k] or 0), b and (finite(b[k]) and b[k] or 0)
        pxe[n] = xe and (finite(xe[k]) and xe[k] or 0)
      end
    end
    if #px == 0 then
      fail(fname, string.format("series[%d] ('%s') has no finite point to draw", i, tostring(s.name or i)))
    end
    series[i] = { name = tostring(s.name or ("series " .. i)), x = px, y = py, err = e and pe, band = b and pb,
      xerr = xe and pxe }
  end
  return render(fname, o, function(f)
    for i, s in ipairs(series) do
      if i > 1 then f:write("\n\n") end
      for k = 1, #s.x do
        if s.xerr then -- x y xerr yerr
          f:write(fmt(s.x[k]), " ", fmt(s.y[k]), " ", fmt(s.xerr[k]), " ", fmt(s.err and s.err[k] or 0), "\n")
        else
          f:write(fmt(s.x[k]), " ", fmt(s.y[k]), s.err and (" " .. fmt(s.err[k])) or "",
                  s.band and (" " .. fmt(s.band[k])) or "", "\n")
        end
      end
    end
  end, function(data)
    local parts = {}
    for i, s in ipairs(series) do
      local src = #parts == 0 and gq(data) or "''"
      -- a series with band first draws a shaded band of +-band around its line, in its colour
      if s.band then
        local col = s.err and 4 or 3
        parts[#parts + 1] = string.format("%s index %d using 1:($2-$%d):($2+$%d) with filledcurves lt %d "
          .. "fillstyle transparent solid 0.2 noborder notitle", src, i - 1, col, col, i)
        src = "''"
      end
      -- a series with err draws a bar of +-err at each point (the same line or point style);
      -- one with xerr a cross of +-xerr and +-err
      local st = s.xerr and (style:match("^lines") and style:gsub("^linespoints", "xyerrorlines"):gsub("^lines", "xyerrorlines")
                             or style:gsub("^points", "xyerrorbars"))
        or s.err and (style:match("^lines") and style:gsub("^linespoints", "yerrorlines"):gsub("^lines", "yerrorlines")
                            or style:gsub("^points", "yerrorbars")) or style
      parts[#parts + 1] = string.format("%s index %d using %s with %s lt %d title %s", src, i - 1,
                                        s.xerr and "1:2:3:4" or s.err and "1:2:3" or "1:2", st, i, gq(s.name))
    end
    -- a margin so that points on the data's edge are not drawn on the frame
    return { "set offsets graph 0.03, graph 0.03, graph 0.03, graph 0.03", "plot " .. table.concat(parts, ", ") }
  end)
end

-- rh.plot.scatter{path=, title=, xlabel=, ylabel=, series={{name=, x=, y= [, err=]}, ...}, logx=, logy=, width=,
-- height=}; err (optional, per series) draws an error bar of +-err[k] at point k, xerr one of
-- +-xerr[k] along x (both: a cross; not with band); band (optional,
-- per series) a shaded band from y[k]-band[k] to y[k]+band[k] in the series' colour
function plot.scatter(o) return xy_plot("scatter", o, "points pointtype 7 pointsize 0.9") end

-- rh.plot.line{...same...; points=true also marks each point}
function plot.line(o)
  return xy_plot("line", o, (type(o) == "table" and o.points) and "linespoints pointtype 7 pointsize 0.6 linewidth 2"
                              or "lines linewidth 2")
end

-- rh.plot.bars{path=, title=, xlabel=, ylabel=, labels={cat1, ...}, series={{name=, y={...}}, ...}}
-- grouped bars: one group per label, one bar per series.
function plot.bars(o)
  check_common("bars", o)
  if type(o.labels) ~= "table" or #o.labels == 0 then fail("bars", "'labels' must be a non-empty list") end
  if type(o.series) ~= "table" or #o.series == 0 then fail("bars", "'series' must be a non-empty list") end
  local ys = {}
  for i, s in ipairs(o.series) do
    ys[i] = numbers("bars", s.y, "series[" .. i .. "].y")
    if #ys[i] ~= #o.labels then
      fail("bars", string.format("series[%d] has %d values for %d labels", i, #ys[i], #o.labels))
    end
  end
  return render("bars", o, function(f)
    for k, label in ipairs(o.labels) do
      f:write('"', tostring(label):gsub('["\r\n]', "'"), '"')
      for i = 1, #ys do f:write(" ", finite(ys[i][k]) and fmt(ys[i][k]) or "NaN") end
      f:write("\n")
    end
  end, function(data)
    local parts = {}
    for i, s in ipairs(o.series) do
      parts[i] = string.format("%s using %d%s title %s", i == 1 and gq(data) or "''", i + 1,
                               i == 1 and ":xtic(1)" or "", gq(s.name or ("series " .. i)))
    end
    return { "set style data histogram", "set style histogram cluster gap 1", "set style fill solid 0.8 border -1",
             "set yrange [0:*]", "set xtics rotate by -30", "plot " .. table.concat(parts, ", ") }
  end)
end

-- rh.plot.heatmap{path=, title=, xlabel=, ylabel=, z=2-D tensor or table of rows, cblabel=}
-- row i of z is drawn at y = i, column j at x = j; the colour box is the legend.
function plot.heatmap(o)
  check_common("heatmap", o)
  local z = o.z
  if type(z) == "userdata" and z.totable then z = z:totable() end
  if type(z) ~= "table" or #z == 0 or type(z[1]) ~= "table" or #z[1] == 0 then
    fail("heatmap", "'z' must be a non-empty 2-D tensor or a table of rows")
  end
  for i = 1, #z do
    numbers("heatmap", z[i], "z[" .. i .. "]")
    if #z[i] ~= #z[1] then fail("heatmap", string.format("z[%d] has %d values, z[1] has %d", i, #z[i], #z[1])) end
  end
  return render("heatmap", o, function(f)
    for i = 1, #z do
      for j = 1, #z[i] do f:write(j, " ", i, " ", finite(z[i][j]) and fmt(z[i][j]) or "NaN", "\n") end
      f:write("\n")
    end
  end, function(data)
    return { "set cblabel " .. gq(o.cblabel or "value"), "set palette defined (0 '#440154', 0.5 '#21918c', 1 '#fde725')", "unset key",
             string.format("set xrange [0.5:%g]", #z[1] + 0.5), string.format("set yrange [0.5:%g]", #z + 0.5),
             "plot " .. gq(data) .. " using 1:2:3 with image title ''" }
  end)
end

return plot
