-- report.lua - writing study results: CSV tables, Markdown tables and a report document,
-- each file written atomically (readers never see a half-written report).
local rh = require "rankhost"

local M = {}

-- A number for a table cell: integers as integers, others with `digits` significant
-- digits; nil (an undefined value, e.g. a correlation of a constant) as "n/a".
function M.num(x, digits)
  if x == nil then return "n/a" end
  if type(x) ~= "number" then return tostring(x) end
  if x ~= x then return "nan" end
  if math.type(x) == "integer" or (x == math.floor(x) and math.abs(x) < 1e15) then
    return string.format("%d", math.floor(x))
  end
  return string.format("%." .. (digits or 4) .. "g", x)
end

local function csv_field(v)
  local s = type(v) == "number" and M.num(v, 8) or tostring(v == nil and "" or v)
  if s:find('[,"\n]') then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

-- CSV text (RFC 4180 quoting) from a header list and rows (lists of values).
function M.csv(header, rows)
  local out = {}
  local function line(cells)
    local f = {}
    for i = 1, #header do f[i] = csv_field(cells[i]) end
    out[#out + 1] = table.concat(f, ",")
  end
  line(header)
  for _, r in ipairs(rows) do line(r) end
  return table.concat(out, "\n") .. "\n"
end

-- A Markdown table; cells are formatted with M.num.
function M.md_table(header, rows)
  local function line(cells)
    local f = {}
    for i = 1, #header do
      local c = cells[i]
      f[i] = (type(c) == "number" or c == nil) and M.num(c) or tostring(c):gsub("|", "\\|")
    end
    return "| " .. table.concat(f, " | ") .. " |"
  end
  local out = { line(header) }
  local sep = {}
  for i = 1, #header do sep[i] = "---" end
  out[2] = "|" .. table.concat(sep, "|") .. "|"
  for _, r in ipairs(rows) do out[#out + 1] = line(r) end
  return table.concat(out, "\n") .. "\n"
end

-- A document built piece by piece: doc:h(level, title), doc:p(text), doc:add(raw),
-- doc:image(alt, file, caption), doc:text().
function M.document()
  local parts = {}
  local d = {}
  function d:h(level, title) parts[#parts + 1] = string.rep("#", level) .. " " .. title .. "\n\n" end
  function d:p(text) parts[#parts + 1] = text .. "\n\n" end
  function d:add(raw) parts[#parts + 1] = raw .. "\n" end
  function d:image(alt, file, caption)
    parts[#parts + 1] = string.format("![%s](%s)\n\n", alt, file)
    if caption then parts[#parts + 1] = "*" .. caption .. "*\n\n" end
  end
  function d:text() return table.concat(parts) end
  return d
end

function M.write(path, text) rh.io.write_atomic(path, text) end

return M
