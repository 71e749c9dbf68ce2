-- plot.lua - figures for study scripts: a figure is a table (title, axis labels, series of
-- points or lines), rendered to PNG by gnuplot (pngcairo) in one call. Figures always carry a
-- title, labelled axes and a legend.
--
--   plot.render("out/fig.png", {
--     title = "...", xlabel = "...", ylabel = "...", logx = false, logy = false,
--     series = { { label = "real labels", style = "points"|"lines"|"linespoints",
--                  points = { {x, y}, ... } }, ... },
--     key = "outside" | "inside" (default inside, top right), width = 900, height = 600 })
--
-- Non-finite values are dropped (gnuplot would refuse them); a series with no points is
-- left out; a figure with no points at all still renders, with a note saying so.
local M = {}

local function finite(x) return type(x) == "number" and x == x and x ~= math.huge and x ~= -math.huge end

local function quote(s)
  return '"' .. tostring(s):gsub('\\', '\\\\'):gsub('"', '\\"'):gsub("\n", " ") .. '"'
end

-- The gnuplot program for a figure (exposed for tests).
function M.script(path, fig)
  local out = {
    string.format("set terminal pngcairo size %d,%d enhanced font 'sans,10'", fig.width or 900, fig.height or 600),
    "set output " .. quote(path),
    "set encoding utf8",
    "set title " .. quote(fig.title or "") .. " noenhanced",
    "set xlabel " .. quote(fig.xlabel or "") .. " noenhanced",
    "set ylabel " .. quote(fig.ylabel or "") .. " noenhanced",
    "set grid",
    fig.key == "outside" and "set key outside right top noenhanced" or "set key top right noenhanced",
  }
  if fig.logx then out[#out + 1] = "set logscale x" end
  if fig.logy then out[#out + 1] = "set logscale y" end
  local plots, blocks = {}, {}
  for i, s in ipairs(fig.series or {}) do
    local rows = {}
    for _, p in ipairs(s.points or {}) do
      local ok = finite(p[1]) and finite(p[2])
      if ok and fig.logx and p[1] <= 0 then ok = false end
      if ok and fig.logy and p[2] <= 0 then ok = false end
      if ok then rows[#rows + 1] = string.format("%.9g %.9g", p[1], p[2]) end
    end
    if #rows > 0 then
      local name = "$s" .. i
      blocks[#blocks + 1] = name .. " << EOD\n" .. table.concat(rows, "\n") .. "\nEOD"
      local style = s.style or "points"
      local with = style == "lines" and "lines lw 1.5" or style == "linespoints" and "linespoints pt 7 ps 0.6"
        or "points pt 7 ps 0.9"
      plots[#plots + 1] = string.format("%s using 1:2 with %s title %s", name, with, quote(s.label or ""))
    end
  end
  for _, b in ipairs(blocks) do table.insert(out, 3, b) end
  if #plots == 0 then
    out[#out + 1] = "set label 1 'no finished runs to show' at graph 0.5, 0.5 center"
    out[#out + 1] = "set xrange [0:1]; set yrange [0:1]"
    out[#out + 1] = "plot NaN title ''"
  else
    out[#out + 1] = "plot " .. table.concat(plots, ", \\\n  ")
  end
  return table.concat(out, "\n") .. "\n"
end

-- Renders a figure to a PNG at path. Raises an error when gnuplot is missing or fails.
function M.render(path, fig)
  local src = os.tmpname()
  local f = assert(io.open(src, "w"))
  f:write(M.script(path, fig))
  f:close()
  local okrun, _, code = os.execute("gnuplot " .. src .. " 2>" .. src .. ".err")
  local ef = io.open(src .. ".err")
  local err = ef and ef:read("a") or ""
  if ef then ef:close() end
  os.remove(src); os.remove(src .. ".err")
  if not okrun then
    error(string.format("plot: gnuplot failed for %s (status %s): %s", path, tostring(code), err), 0)
  end
  return path
end

return M
