-- plot.lua - rh.plot: figures for results, drawn by gnuplot (Debian: gnuplot-nox).
--
-- Each call writes the data and a gnuplot script into a private temporary folder,
-- runs gnuplot on it, and renames the finished image onto `path` (so a reader never
-- sees half a PNG). The format follows the extension: .png (pngcairo), .svg (gnuplot's
-- svg terminal) or .pdf (pdfcairo); svg = true (or pdf = true) also writes the same figure
-- beside a .png under the same name with that extension (vector copies for a paper).
-- Every figure has a title, labelled axes and a legend (a colour box for heatmaps):
-- title, xlabel and ylabel are required. The legend is one line above the frame, or below
-- it when there are more than KEY_ABOVE_MAX series (key = "above", "inside", "below",
-- "outside" or "off" chooses).
local rh = require "rankhost"

-- Marker shapes by the round of 8 colours a series is in: filled circle, square, triangle,
-- diamond, triangle down, open circle.
local POINT_TYPES = { 7, 5, 9, 13, 11, 6 }
local plot = {}

-- The legend's placements (o.key): by default one line above the frame, where it hides no data
-- and takes no width, below the frame for more than KEY_ABOVE_MAX series.
local KEY_ABOVE_MAX = 6
local KEYS = { above = "set key outside top center horizontal samplen 2 font ',10' maxrows 2",
  inside = "set key inside top right box opaque samplen 2 spacing 1.1 font ',10'",
  below = "set key below horizontal samplen 2 font ',10' maxrows 4",
  outside = "set key outside right top box samplen 2 font ',10'", off = "unset key" }

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
  if type(o.path) ~= "string" or not (o.path:match("%.png$") or o.path:match("%.svg$") or o.path:match("%.pdf$")) then
    fail(fname, "'path' must name a .png, .svg or .pdf file")
  end
  if o.key ~= nil and not KEYS[o.key] then fail(fname, "'key' must be above, inside, below, outside or off") end
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
  local term = o.path:match("%.svg$") and "svg" or o.path:match("%.pdf$") and "pdfcairo" or "pngcairo"
  local size = term == "pdfcairo" and string.format("%gin,%gin", w / 100, h / 100) or string.format("%d,%d", w, h)
  local s = {
    string.format("set terminal %s noenhanced size %s font ',11'", term, size),
    "set output " .. gq(out),
    "set title " .. gq(o.title),
    "set xlabel " .. gq(o.xlabel),
    "set ylabel " .. gq(o.ylabel),
    "set grid",
    KEYS[o.key or (o.nseries and o.nseries > KEY_ABOVE_MAX and "below") or "above"],
  }
  if o.logx then s[#s + 1] = "set logscale x" end
  if o.logy then s[#s + 1] = "set logscale y" end
  return s
end

-- Whether img is a whole image of its format: a PNG ends with its IEND chunk, a PDF with
-- %%EOF, an SVG with its closing tag (gnuplot on a full disk leaves a truncated file and may
-- still exit 0).
local function complete_image(img, path)
  if path:match("%.png$") then
    return img:sub(1, 8) == "\137PNG\r\n\26\n" and img:sub(-12) == "\0\0\0\0IEND\174\066\096\130"
  end
  if path:match("%.pdf$") then return img:sub(1, 5) == "%PDF-" and img:match("%%%%EOF%s*$") ~= nil end
  return img:match("</svg>%s*$") ~= nil
end

-- Writes the data and script into a private folder, runs gnuplot there, checks its exit and
-- that the image is whole, then puts it onto o.path with rh.io.write_atomic (a unique
-- temporary name beside it, checked writes, fsync, rename): on any failure the old figure
-- stays as it was and the error names the file.
local function render(fname, o, write_data, script_lines)
  local made, dir = pcall(rh.io.mkdtemp, "rankhost-plot")
  if not made then fail(fname, o.path .. ": " .. (tostring(dir):match("%((.*)%)$") or tostring(dir))) end
  local data, script, errf = dir .. "/data.dat", dir .. "/plot.gp", dir .. "/stderr.txt"
  local out = dir .. "/figure" .. (o.path:match("%.%w+$"))
  local function checked(what, ok, err) if not ok then error(what .. ": " .. tostring(err), 0) end end
  local function write_file(path, fill)
    local f = assert(io.open(path, "w"))
    local ok, err = pcall(fill, f)
    local closed, cerr = f:close()
    checked("cannot write " .. path, ok, err)
    checked("cannot write " .. path, closed, cerr)
  end
  local ok, err = pcall(function()
    -- f:write answers nil and a message on a full disk rather than raising: the data
    -- writers get a file whose write raises it
    write_file(data, function(f)
      write_data(setmetatable({}, { __index = { write = function(_, ...) assert(f:write(...)) end } }))
    end)
    local lines = header(o, out)
    for _, l in ipairs(script_lines(data)) do lines[#lines + 1] = l end
    lines[#lines + 1] = "unset output"
    write_file(script, function(f) assert(f:write(table.concat(lines, "\n"), "\n")) end)
    local ran = os.execute(shq(gnuplot_cmd()) .. " " .. shq(script) .. " 2>" .. shq(errf))
    local ef = io.open(errf, "r")
    local msg = ef and ef:read("a") or ""
    if ef then ef:close() end
    if not ran then error("gnuplot failed: " .. msg:gsub("%s+$", ""), 0) end
    local src = io.open(out, "rb")
    local img = src and src:read("a") or ""
    if src then src:close() end
    if not complete_image(img, o.path) then
      error(string.format("gnuplot left an incomplete image (%d bytes) for %s%s", #img, o.path,
                          msg ~= "" and (": " .. msg:gsub("%s+$", "")) or ""), 0)
    end
    local wrote, werr = pcall(rh.io.write_atomic, o.path, img)
    if not wrote then
      local why = tostring(werr):match("%((.*)%)$") or tostring(werr)
      error(why:find(o.path, 1, true) and why or (o.path .. ": " .. why), 0)
    end
  end)
  for _, p in ipairs { data, script, errf, out } do os.remove(p) end
  os.remove(dir)
  if not ok then -- every failure names the figure, whatever file the detail names
    err = tostring(err)
    fail(fname, err:find(o.path, 1, true) and err or (o.path .. ": " .. err))
  end
  return o.path
end

-- Renders the figure into o.path and, with o.svg / o.pdf, into the same name with that
-- extension; render() writes one file. nseries: how many entries the legend has.
local function emit(fname, o, nseries, write_data, script_lines)
  local paths = { o.path }
  for _, ext in ipairs { "svg", "pdf" } do
    if o[ext] and not o.path:match("%." .. ext .. "$") then paths[#paths + 1] = o.path:gsub("%.%w+$", "." .. ext) end
  end
  for _, p in ipairs(paths) do
    local c = {}
    for k, v in pairs(o) do c[k] = v end
    c.path, c.nseries = p, nseries
    render(fname, c, write_data, script_lines)
  end
  return o.path
end

-- Tics for a log axis over [lo, hi]: 1-2-5 steps of each decade, or every value 1, 1.5,
-- 2, 3, 5, 7 of it when that gives fewer than 3 (gnuplot's own marks whole decades only).
local function log_tics(lo, hi)
  for _, steps in ipairs { { 1 }, { 1, 2, 5 }, { 1, 1.5, 2, 3, 5, 7 } } do
    local t = {}
    for e = math.floor(math.log(lo, 10)) - 1, math.ceil(math.log(hi, 10)) + 1 do
      for _, c in ipairs(steps) do
        local v = c * 10 ^ e
        if v >= lo * (1 - 1e-9) and v <= hi * (1 + 1e-9) then t[#t + 1] = string.format("%s %s", gq(string.format("%g", v)), fmt(v)) end
      end
    end
    if #t >= 3 or steps[2] == 1.5 then return "(" .. table.concat(t, ", ") .. ")" end
  end
end

-- A log axis spans the data with a margin (gnuplot's autoscale widens it to whole decades:
-- data in 16-128 drew on 1-10000) and gets tics inside that span.
local function log_axis(axis, lo, hi)
  if lo == hi then lo, hi = lo / 2, hi * 2 end
  local m = (hi / lo) ^ 0.05
  return { string.format("set %srange [%s:%s]", axis, fmt(lo / m), fmt(hi * m)),
    string.format("set %stics %s", axis, log_tics(lo / m, hi * m)), string.format("set m%stics default", axis) }
end

local function xy_plot(fname, o, style)
  check_common(fname, o)
  if type(o.series) ~= "table" or #o.series == 0 then fail(fname, "'series' must be a non-empty list") end
  if o.categories ~= nil and (type(o.categories) ~= "table" or #o.categories == 0) then
    fail(fname, "'categories' must be a non-empty list of labels (drawn at x = 1, 2, ...)")
  end
  local lo_b, hi_b = -math.huge, math.huge
  if o.ybounds ~= nil then
    if type(o.ybounds) ~= "table" then fail(fname, "'ybounds' must be a table {low, high} (either may be nil)") end
    lo_b, hi_b = o.ybounds[1] or lo_b, o.ybounds[2] or hi_b
  end
  local series, range = {}, { x = { math.huge, -math.huge }, y = { math.huge, -math.huge } }
  local function grow(r, v) r[1], r[2] = math.min(r[1], v), math.max(r[2], v) end
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
        grow(range.x, x[k]); grow(range.y, y[k])
        pxe[n] = xe and (finite(xe[k]) and xe[k] or 0)
      end
    end
    if #px == 0 then
      fail(fname, string.format("series[%d] ('%s') has no finite point to draw", i, tostring(s.name or i)))
    end
    series[i] = { name = tostring(s.name or ("series " .. i)), x = px, y = py, err = e and pe, band = b and pb,
      line = s.line, xerr = xe and pxe }
  end
  -- series with interval bars at the same x are drawn side by side, a little apart
  local barred, clipped_lo, clipped_hi = {}, false, false
  for _, s in ipairs(series) do
    if s.err then barred[#barred + 1] = s end
    for k = 1, #s.y do
      local h = math.max(s.err and s.err[k] or 0, s.band and s.band[k] or 0)
      clipped_lo = clipped_lo or s.y[k] - h < lo_b
      clipped_hi = clipped_hi or s.y[k] + h > hi_b
    end
  end
  if #barred > 1 and range.x[2] > range.x[1] then
    for j, s in ipairs(barred) do
      local shift = (j - (#barred + 1) / 2) * 0.012
      for k = 1, #s.x do
        s.x[k] = o.logx and s.x[k] * (range.x[2] / range.x[1]) ^ shift or s.x[k] + shift * (range.x[2] - range.x[1])
      end
    end
  end
  return emit(fname, o, #series, function(f)
    for i, s in ipairs(series) do
      if i > 1 then f:write("\n\n") end
      for k = 1, #s.x do
        -- x, y, then the bar's (or band's) low and high ends clipped at the data's bounds; a
        -- series with xerr: x, y, x's low and high ends, y's low and high ends (a cross)
        local h = s.err and s.err[k] or s.band and s.band[k]
        if s.xerr then
          local hy = s.err and s.err[k] or 0
          f:write(fmt(s.x[k]), " ", fmt(s.y[k]), " ", fmt(s.x[k] - s.xerr[k]), " ", fmt(s.x[k] + s.xerr[k]), " ",
                  fmt(math.max(lo_b, s.y[k] - hy)), " ", fmt(math.min(hi_b, s.y[k] + hy)), "\n")
        else
          f:write(fmt(s.x[k]), " ", fmt(s.y[k]))
          if h then
            f:write(" ", fmt(math.max(lo_b, s.y[k] - h)), " ", fmt(math.min(hi_b, s.y[k] + h)))
            if s.err and s.band then
              f:write(" ", fmt(math.max(lo_b, s.y[k] - s.band[k])), " ", fmt(math.min(hi_b, s.y[k] + s.band[k])))
            end
          end
          f:write("\n")
        end
      end
    end
  end, function(data)
    local parts = {}
    for i, s in ipairs(series) do
      local src = #parts == 0 and gq(data) or "''"
      -- a series with band first draws a shaded band around its line, in its colour
      if s.band then
        local c = s.err and 5 or 3
        parts[#parts + 1] = string.format("%s index %d using 1:%d:%d with filledcurves lt %d "
          .. "fillstyle transparent solid 0.2 noborder notitle", src, i - 1, c, c + 1, i)
        src = "''"
      end
      -- a series with err draws a bar from its low to its high end at each point; one with xerr
      -- a cross of its x and y intervals
      local st = s.xerr and (style:match("^lines") and style:gsub("^linespoints", "xyerrorlines"):gsub("^lines", "xyerrorlines")
                             or style:gsub("^points", "xyerrorbars"))
        or s.err and (style:match("^lines") and style:gsub("^linespoints", "yerrorlines"):gsub("^lines", "yerrorlines")
                      or style:gsub("^points", "yerrorbars")) or style
      -- a reference line (y = x, say) in a scatter: a dashed grey line
      if s.line then st = "lines dashtype 2 linewidth 1.5 linecolor rgb 'gray30'" end
      -- colours repeat every 8 series (gnuplot's cycle): past the first 8, the marker's shape
      -- tells series of the same colour apart
      if not s.line and i > 8 then
        st = st:gsub("pointtype %d+", "pointtype " .. POINT_TYPES[(i - 1) // 8 % #POINT_TYPES + 1])
      end
      parts[#parts + 1] = string.format("%s index %d using %s with %s%s title %s", src, i - 1,
                                        s.xerr and "1:2:3:4:5:6" or s.err and "1:2:3:4" or "1:2", st,
                                        s.line and "" or (" lt " .. i), gq(s.name))
    end
    -- a margin so that points on the data's edge are not drawn on the frame
    local lines = { "set offsets graph 0.03, graph 0.03, graph 0.03, graph 0.03" }
    if o.logx then for _, l in ipairs(log_axis("x", range.x[1], range.x[2])) do lines[#lines + 1] = l end end
    if o.logy then for _, l in ipairs(log_axis("y", range.y[1], range.y[2])) do lines[#lines + 1] = l end end
    -- a bound of the data is the axis' end where a bar or band was clipped at it
    if not o.logy and (clipped_lo or clipped_hi) then
      lines[#lines + 1] = string.format("set yrange [%s:%s]", clipped_lo and fmt(lo_b) or "*", clipped_hi and fmt(hi_b) or "*")
    end
    if o.categories then
      local t = {}
      for k, c in ipairs(o.categories) do t[k] = gq(c) .. " " .. k end
      lines[#lines + 1] = "set xtics (" .. table.concat(t, ", ") .. ")"
      -- labels slanted when the longest would not fit its slot (about 7 pixels a character)
      local longest = 0
      for _, c in ipairs(o.categories) do longest = math.max(longest, #tostring(c)) end
      if longest * 7 > 0.8 * (o.width or 900) / #o.categories then lines[#lines + 1] = "set xtics rotate by -20" end
      lines[#lines + 1] = string.format("set xrange [0.5:%g]", #o.categories + 0.5)
      lines[#lines + 1] = "set grid noxtics ytics"
    end
    lines[#lines + 1] = "plot " .. table.concat(parts, ", ")
    return lines
  end)
end

-- rh.plot.scatter{path=, title=, xlabel=, ylabel=, series={{name=, x=, y= [, err=]}, ...}, logx=, logy=, width=,
-- height=, svg=, pdf=, key=, categories=, ybounds=}; err (optional, per series) draws an error bar
-- of +-err[k] at point k; band (optional, per series) a shaded band from y[k]-band[k] to
-- y[k]+band[k] in the series' colour; bars and bands are clipped at ybounds = {low, high} (the
-- data's bounds: {0} for ranks, {0, 1} for accuracies), and the bars of several series are
-- set a little apart along x. line = true (per series) draws that series as a dashed grey
-- line (a reference such as y = x). categories = {"a", "b", ...} labels x = 1, 2, ... with
-- them (a categorical axis). A log axis spans the data, with tics inside it. xerr (per series)
-- draws an interval of +-xerr[k] along x too (with err: a cross; not with band).
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
  return emit("bars", o, #o.series, function(f)
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
  return emit("heatmap", o, 0, function(f)
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
