-- compare_sweeps.lua - rankhost compare_sweeps.lua DIR_A DIR_B: do two problem 1 output
-- folders hold the same sweep? (Used by test_shard_merge.sh and test_shard_mpi.sh.)
--
-- Same run ids (from every results file, scripts/common/results.lua) with every field equal
-- but the timing ones (results.TIMING), numbers to a relative 1e-6 (with one thread training is
-- deterministic, so they are expected bit-identical; the largest difference is printed);
-- the same history files line by line but their times; summary.csv equal but its timing
-- column; classes.csv, complexity.csv and report.md byte-identical (the report's paragraph on
-- the measured time aside); the same figure files, byte-identical.
-- Prints what differs and exits 1, or prints "same" and exits 0.
local a_dir, b_dir = ...
local src = os.getenv("RH_SOURCE") or "."
package.path = src .. "/scripts/?.lua;" .. package.path
local merge = require "common.results"

local problems, max_rel = {}, 0
local function problem(fmt, ...) problems[#problems + 1] = string.format(fmt, ...) end

local function set_of(list)
  local s = {}
  for _, k in ipairs(list) do s[k] = true end
  return s
end

-- Deep comparison of decoded JSON values; `skip` names top-level keys to ignore.
local function equal(x, y, where, skip)
  if type(x) == "number" and type(y) == "number" then
    if x ~= x and y ~= y then return end
    local rel = math.abs(x - y) / math.max(1e-30, math.abs(x), math.abs(y))
    if x ~= y then max_rel = math.max(max_rel, rel) end
    if rel > 1e-6 then problem("%s: %.9g vs %.9g", where, x, y) end
  elseif type(x) == "table" and type(y) == "table" then
    for k, v in pairs(x) do
      if not (skip and skip[k]) then equal(v, y[k], where .. "." .. tostring(k)) end
    end
    for k in pairs(y) do
      if x[k] == nil and not (skip and skip[k]) then problem("%s.%s: only in %s", where, tostring(k), b_dir) end
    end
  elseif x ~= y then
    problem("%s: %s vs %s", where, tostring(x), tostring(y))
  end
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

-- runs
local ra, rb = merge.read(a_dir), merge.read(b_dir)
local ids = {}
for id in pairs(ra) do ids[#ids + 1] = id end
table.sort(ids)
for id in pairs(rb) do if not ra[id] then problem("run %s only in %s", id, b_dir) end end
local skip_rec, skip_hist = set_of(merge.TIMING.record), set_of(merge.TIMING.history)
for _, id in ipairs(ids) do
  if not rb[id] then
    problem("run %s only in %s", id, a_dir)
  else
    equal(ra[id], rb[id], id, skip_rec)
    local ha = rh.log.read_jsonl(a_dir .. "/history/" .. id .. ".jsonl")
    local hb = rh.log.read_jsonl(b_dir .. "/history/" .. id .. ".jsonl")
    if #ha ~= #hb or #ha == 0 then problem("history/%s.jsonl: %d vs %d lines", id, #ha, #hb) end
    for i = 1, math.min(#ha, #hb) do equal(ha[i], hb[i], "history/" .. id .. ":" .. i, skip_hist) end
  end
end

-- summary.csv without its timing columns (RFC 4180 fields: quoted ones may hold commas)
local function csv_rows(path)
  local text = slurp(path)
  if not text then problem("%s is missing", path); return {} end
  local rows = {}
  for line in text:gmatch("[^\n]+") do
    local cells, pos = {}, 1
    while pos <= #line + 1 do
      if line:sub(pos, pos) == '"' then
        local close = pos + 1
        while true do
          close = line:find('"', close, true) or #line + 1
          if line:sub(close + 1, close + 1) == '"' then close = close + 2 else break end
        end
        cells[#cells + 1] = line:sub(pos + 1, close - 1):gsub('""', '"')
        pos = close + 2
      else
        local comma = line:find(",", pos, true) or #line + 1
        cells[#cells + 1] = line:sub(pos, comma - 1)
        pos = comma + 1
      end
    end
    rows[#rows + 1] = cells
  end
  return rows
end
local sa, sb = csv_rows(a_dir .. "/summary.csv"), csv_rows(b_dir .. "/summary.csv")
local timing_cols = set_of(merge.TIMING.summary)
if #sa ~= #sb or #sa < 2 then problem("summary.csv: %d vs %d lines", #sa, #sb) end
for i = 1, math.min(#sa, #sb) do
  for j = 1, math.max(#sa[i], #sb[i]) do
    if not timing_cols[sa[1][j]] and sa[i][j] ~= sb[i][j] then
      problem("summary.csv line %d column %s: %s vs %s", i, tostring(sa[1][j]), tostring(sa[i][j]), tostring(sb[i][j]))
    end
  end
end

-- classes, report and figures: byte for byte
local function files(dir, pattern)
  local out = {}
  for _, name in ipairs(rh.io.listdir(dir)) do if name:match(pattern) then out[#out + 1] = name end end
  return out
end
local figs_a, figs_b = files(a_dir, "%.png$"), files(b_dir, "%.png$")
if table.concat(figs_a, " ") ~= table.concat(figs_b, " ") then
  problem("figures differ: {%s} vs {%s}", table.concat(figs_a, " "), table.concat(figs_b, " "))
end
if #figs_a == 0 then problem("no figures in %s", a_dir) end
local same_bytes = { "classes.csv", "complexity.csv", "report.md" }
for _, f in ipairs(figs_a) do same_bytes[#same_bytes + 1] = f end
for _, name in ipairs(same_bytes) do
  local x, y = slurp(a_dir .. "/" .. name), slurp(b_dir .. "/" .. name)
  if name == "report.md" and x and y then
    local timing = "%*%*Time%.%*%*[^\n]*"
    x, y = x:gsub(timing, "T"), y:gsub(timing, "T")
  end
  if not x or not y then
    problem("%s missing in %s", name, x and b_dir or a_dir)
  elseif x ~= y then
    problem("%s differs", name)
  end
end

if #ids == 0 then problem("no runs in %s", a_dir) end
print(string.format("%d runs compared; largest relative difference of a number %g", #ids, max_rel))
if #problems > 0 then
  for i = 1, math.min(#problems, 30) do print("DIFF " .. problems[i]) end
  os.exit(1)
end
print("same")
