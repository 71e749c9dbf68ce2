-- log.lua - rh.log: results files that survive a crash at any moment.
--
-- JSON lines (one object a line) and CSV rows, each appended whole with a single
-- write(2) on a file opened O_APPEND and then fsync'd (rh.io.appender), so that a
-- kill or a crash leaves every earlier line intact; at worst the last line is torn,
-- and the readers skip (and count) a torn last line. Reopening with append=true cuts
-- a torn tail so that the next line starts on its own line.
local rh = require "rankhost"
local json = rh.json

local log = {}

local function opts_table(fname, opts)
  if opts ~= nil and type(opts) ~= "table" then
    error(string.format("bad argument #2 to '%s' (options table expected, got %s)", fname, type(opts)), 3)
  end
  return rh.check_options(fname, opts, { "append", "sync" }, 3) or {}
end

local function read_all(fname, path)
  local f, err = io.open(path, "rb")
  if not f then error(string.format("%s: cannot open %s", fname, err), 3) end
  local s = f:read("a")
  f:close()
  return s
end

-- Splits s into lines; the last element is the text after the last newline ("" when
-- s ends with a newline, i.e. when nothing is torn).
local function split_lines(s)
  local lines, start = {}, 1
  while true do
    local nl = s:find("\n", start, true)
    if not nl then lines[#lines + 1] = s:sub(start); return lines end
    lines[#lines + 1] = s:sub(start, nl - 1)
    start = nl + 1
  end
end

-- ---- JSON lines ----

local Writer = {}
Writer.__index = Writer

function Writer:close()
  if not self.file:closed() then self.file:close() end
end
Writer.__close = Writer.close
Writer.__gc = Writer.close

-- The checks every w:write makes: a table argument, an open file. Errors name the caller.
function Writer:check_write(v)
  if type(v) ~= "table" then
    error("bad argument #1 to 'write' (table expected, got " .. type(v) .. ")", 3)
  end
  if self.file:closed() then error("write: " .. self.path .. " has been closed", 3) end
end

local JsonlWriter = setmetatable({}, { __index = Writer })
JsonlWriter.__index = JsonlWriter
JsonlWriter.__close = Writer.close
JsonlWriter.__gc = Writer.close

-- w:write(tbl): appends rh.json.encode(tbl) and a newline as one write, then fsync.
function JsonlWriter:write(tbl)
  self:check_write(tbl)
  -- compact JSON never holds a raw newline (strings escape it), so the line is whole
  self.file:write(json.encode(tbl) .. "\n")
  self.lines = self.lines + 1
end

-- Opens path for appending through rh.io.appender; a refusal (unwritable folder, another
-- writer holding the file) is raised as an argument error of the calling function fname.
local function open_appender(fname, path, append, sync, complete)
  local ok, file, cut, completed = pcall(rh.io.appender, path, { append = append, sync = sync, complete = complete })
  if not ok then
    local why = tostring(file):match("%((.*)%)$") or tostring(file)
    error("bad argument #1 to '" .. fname .. "' (" .. why .. ")", 3)
  end
  return file, cut, completed
end

-- Whether a last line without its newline is a whole JSON value (kept: the record is whole;
-- a write cut just before its newline, an editor or a copy can leave it so) rather than a
-- torn one (cut).
local function whole_json(line)
  return (pcall(json.decode, line))
end

-- rh.log.jsonl(path [, {append=false, sync=true}]) -> writer
-- append=false starts an empty file; append=true continues one (cutting a torn tail: w.cut
-- is its length in bytes; a complete last line without its newline is kept and given one,
-- and w.completed is true).
function log.jsonl(path, opts)
  if type(path) ~= "string" then error("bad argument #1 to 'jsonl' (path expected, got " .. type(path) .. ")", 2) end
  opts = opts_table("jsonl", opts)
  local file, cut, completed = open_appender("jsonl", path, opts.append == true, opts.sync ~= false, whole_json)
  return setmetatable({ file = file, path = path, lines = 0, cut = cut, completed = completed }, JsonlWriter)
end

-- rh.log.read_jsonl(path) -> list of values, number of torn lines skipped (0 or 1)
-- A last line without its newline that does not parse is torn (a crash mid-write)
-- and skipped; a bad line anywhere else is an error naming the file and line.
function log.read_jsonl(path)
  local lines = split_lines(read_all("read_jsonl", path))
  local rows, torn = {}, 0
  for i, line in ipairs(lines) do
    if line:match("^%s*$") then goto continue end
    local ok, v = pcall(json.decode, line)
    if ok then
      rows[#rows + 1] = v
    elseif i == #lines then
      torn = 1
    else
      local msg = tostring(v):match("%((.*)%)$") or tostring(v)
      error(string.format("read_jsonl: %s:%d: %s", path, i, msg), 2)
    end
    ::continue::
  end
  return rows, torn
end

-- ---- CSV (RFC 4180 quoting) ----

local function csv_field(v, col)
  local t = type(v)
  if v == nil or v == json.null then return "" end
  if t == "number" then
    if v ~= v then return "nan" end
    if v == math.huge then return "inf" end
    if v == -math.huge then return "-inf" end
    return json.encode(v) -- integers as integers, floats at full precision
  end
  if t == "boolean" then return tostring(v) end
  if t ~= "string" then
    error(string.format("bad argument #1 to 'write' (column '%s' holds a %s; only numbers, strings and booleans go into CSV)", col, t), 3)
  end
  if v:find('[,"\r\n]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end

local function csv_line(values, columns)
  local out = {}
  for i, col in ipairs(columns) do out[i] = csv_field(values[col], col) end
  return table.concat(out, ",") .. "\n"
end

local CsvWriter = setmetatable({}, { __index = Writer })
CsvWriter.__index = CsvWriter
CsvWriter.__close = Writer.close
CsvWriter.__gc = Writer.close

-- w:write(row): row maps column names to values; missing ones are empty, unknown
-- ones are an error (a misspelt column would otherwise vanish silently).
function CsvWriter:write(row)
  self:check_write(row)
  for k in pairs(row) do
    if not self.known[k] then
      error(string.format("bad argument #1 to 'write' (unknown column '%s' for %s)", tostring(k), self.path), 2)
    end
  end
  self.file:write(csv_line(row, self.columns))
  self.lines = self.lines + 1
end

-- Parses CSV text into a list of records (lists of fields); `quoted[i][j]` marks
-- fields that were quoted. A last record without its newline is torn.
local function parse_csv(s, path)
  local records, quoted, i, n = {}, {}, 1, #s
  local rec, qrec, field, fq = {}, {}, {}, false
  local torn = false
  while i <= n do
    local c = s:sub(i, i)
    if c == '"' and #field == 0 and not fq then
      fq = true
      local j = i + 1
      while true do
        local q = s:find('"', j, true)
        if not q then torn = true; i = n + 1; break end
        if s:sub(q + 1, q + 1) == '"' then
          field[#field + 1] = s:sub(j, q)
          j = q + 2
        else
          field[#field + 1] = s:sub(j, q - 1)
          i = q + 1
          break
        end
      end
      if torn then break end
    elseif c == "," then
      rec[#rec + 1] = table.concat(field); qrec[#rec] = fq
      field, fq = {}, false
      i = i + 1
    elseif c == "\n" or c == "\r" then
      rec[#rec + 1] = table.concat(field); qrec[#rec] = fq
      records[#records + 1], quoted[#records + 1] = rec, qrec
      rec, qrec, field, fq = {}, {}, {}, false
      i = i + ((c == "\r" and s:sub(i + 1, i + 1) == "\n") and 2 or 1)
    else
      local j = s:find('[,\r\n"]', i) or n + 1
      if fq or (s:sub(j, j) == '"') then
        error(string.format("read_csv: %s: a quote inside an unquoted field near byte %d", path, j), 3)
      end
      field[#field + 1] = s:sub(i, j - 1)
      i = j
    end
  end
  local partial = #rec > 0 or #field > 0 or fq
  return records, quoted, (torn or partial) and 1 or 0
end

local function csv_value(text, was_quoted)
  if was_quoted then return text end
  if text == "" then return nil end
  if text == "nan" then return 0 / 0 end
  if text == "inf" then return math.huge end
  if text == "-inf" then return -math.huge end
  if text == "true" then return true end
  if text == "false" then return false end
  return math.tointeger(tonumber(text)) or tonumber(text) or text
end

-- rh.log.read_csv(path) -> rows (tables keyed by column), columns, torn (0 or 1)
-- Unquoted fields that read as numbers become numbers (nan/inf too), true/false
-- booleans, empty fields nil; quoted fields stay strings.
function log.read_csv(path)
  local records, quoted, torn = parse_csv(read_all("read_csv", path), path)
  local columns = records[1] or {}
  local rows = {}
  for r = 2, #records do
    local row = {}
    if #records[r] ~= #columns then
      error(string.format("read_csv: %s: row %d has %d fields, the header %d", path, r, #records[r], #columns), 2)
    end
    for c, col in ipairs(columns) do row[col] = csv_value(records[r][c], quoted[r][c]) end
    rows[#rows + 1] = row
  end
  return rows, columns, torn
end

-- rh.log.csv(path, columns [, {append=false, sync=true}]) -> writer
-- Writes the header line when the file is new or empty; with append=true on a file
-- that has a header, the header must name the same columns.
function log.csv(path, columns, opts)
  if type(path) ~= "string" then error("bad argument #1 to 'csv' (path expected, got " .. type(path) .. ")", 2) end
  if type(columns) ~= "table" or #columns == 0 then
    error("bad argument #2 to 'csv' (a non-empty list of column names expected)", 2)
  end
  local known = {}
  for i, c in ipairs(columns) do
    if type(c) ~= "string" then error("bad argument #2 to 'csv' (column " .. i .. " is not a string)", 2) end
    if known[c] then error("bad argument #2 to 'csv' (column '" .. c .. "' appears twice)", 2) end
    known[c] = true
  end
  opts = opts_table("csv", opts)
  local append = opts.append == true
  local header_fields = {}
  for _, c in ipairs(columns) do header_fields[c] = c end
  local header = csv_line(header_fields, columns)
  local file, cut = open_appender("csv", path, append, opts.sync ~= false)
  local existing = append and read_all("csv", path) or ""
  if existing == "" then
    file:write(header)
  else
    local records = parse_csv(existing, path)
    local have = records[1] or {}
    if table.concat(have, ",") ~= table.concat(columns, ",") then
      file:close()
      error(string.format("bad argument #2 to 'csv' (%s has columns %s, not %s)", path,
                          table.concat(have, ","), table.concat(columns, ",")), 2)
    end
  end
  return setmetatable({ file = file, path = path, columns = { table.unpack(columns) }, known = known,
                        lines = 0, cut = cut }, CsvWriter)
end

return log
