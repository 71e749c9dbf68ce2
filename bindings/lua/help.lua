-- help.lua - rh.help(f): the doc line of an rh function, read from docs/API.md (embedded at
-- build time as the module "rankhost.doc_API"), so the help text is the documented surface
-- itself and lives in one place. The host sets the global `help` to it.
--
--   help(rh.rank.energy)   -->  rh.rank.energy(W [, tau=0.99])  -- smallest k with ...
--   help("rh.rank.energy"), help(rh.rank) (the documented functions of a table), help()
local rh = require "rankhost"

local M = {}

local doc_lines -- docs/API.md's lines, read once
local function lines()
  if not doc_lines then
    doc_lines = {}
    local ok, text = pcall(require, "rankhost.doc_API")
    if ok and type(text) == "string" then
      for l in (text .. "\n"):gmatch("([^\n]*)\n") do doc_lines[#doc_lines + 1] = l end
    end
  end
  return doc_lines
end

-- "rh.rank.energy" for every function and table reachable from rh (depth 3), by value.
local names
local function name_of(v)
  if not names then
    names = {}
    local function walk(t, prefix, depth)
      local keys = {}
      for k in pairs(t) do if type(k) == "string" and not k:match("^_") then keys[#keys + 1] = k end end
      table.sort(keys) -- the same name for a value reachable twice, whatever the order of pairs
      for _, k in ipairs(keys) do
        local x = rawget(t, k)
        local name = prefix .. "." .. k
        if (type(x) == "function" or type(x) == "table") and names[x] == nil then
          names[x] = name
          if type(x) == "table" and depth < 3 then walk(x, name, depth + 1) end
        end
      end
    end
    names[rh] = "rh"
    walk(rh, "rh", 1)
  end
  return names[v]
end

local function escape(s) return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0")) end

-- The documented spellings of a name: "rh.nn.Linear", then "nn.Linear" (API.md writes the
-- rh.nn, rh.optim and rh.data entries without "rh.").
local function spellings(name)
  local out = { name }
  local short = name:match("^rh%.(.+%..+)$")
  if short then out[2] = short end
  return out
end

-- Whether pattern pat occurs in line l where an entry starts: after white space (first on
-- the line, several entries on a line, "opt = optim.SGD(...)", "for X, Y in data.loader(")
-- and before the line's comment; not inside another entry's text (help(rh.rank.energy) in
-- help's own line) or in a comment.
local function at_entry(l, pat)
  local init = 1
  while true do
    local i, j = l:find(pat, init)
    if not i then return false end
    local before = l:sub(1, i - 1)
    if before:find("--", 1, true) then return false end
    if before == "" or before:match("%s$") then return true end
    init = j + 1
  end
end

-- The entry of `name` in API.md: its line (indentation removed) and the continuation lines
-- under it (more indented comments), or nil.
function M.entry(name)
  local L = lines()
  for _, s in ipairs(spellings(name)) do
    local pat = "%f[%w_.:]" .. escape(s) .. "%f[^%w_]"
    -- or a compact listing of one table's functions: "rh.mpi.available() launched() rank()"
    local tbl, fn = s:match("^(.+%.)([%w_]+)$")
    local compact = tbl and ("%f[%w_]" .. escape(fn) .. "%(")
    for i, l in ipairs(L) do
      if l:match("^    ") and (at_entry(l, pat) or (compact and at_entry(l, escape(tbl)) and l:find(compact))) then
        local out = { (l:gsub("^%s+", "")) }
        local indent = #l:match("^(%s*)")
        for j = i + 1, #L do
          local n = L[j]
          local ind = #n:match("^(%s*)")
          if ind > indent and n:match("^%s*%-%-") then out[#out + 1] = (n:gsub("^%s+", "  ")) else break end
        end
        return table.concat(out, "\n")
      end
    end
  end
  return nil
end

local USAGE = "help(f): the documentation line of an rh function, e.g. help(rh.rank.energy) or "
  .. 'help("rh.rank.energy"); help(rh.rank): the functions of a table. The whole surface: docs/API.md'

-- The value a name like "rh.rank.energy" stands for (fields read raw), or nil.
local function resolve(name)
  if not name:match("^rh%f[^%w_]") then return nil end
  local v = rh
  for part in name:gmatch("[.:]([%w_]+)") do
    if type(v) ~= "table" then return nil end
    v = rawget(v, part)
  end
  return v
end

-- The functions of table t under name, each marked when docs/API.md has no line for it.
local function listing(name, t)
  local keys = {}
  for k, x in pairs(t) do
    if type(k) == "string" and type(x) == "function" and not k:match("^_") then keys[#keys + 1] = k end
  end
  table.sort(keys)
  local out = { name .. ": " .. #keys .. " functions (help(" .. name .. ".NAME) for one)" }
  for _, k in ipairs(keys) do
    out[#out + 1] = "  " .. name .. "." .. k .. (M.entry(name .. "." .. k) and "" or "  (not in docs/API.md)")
  end
  return table.concat(out, "\n")
end

-- help([f]) prints the text (and returns nothing, so that the prompt does not print it twice;
-- M.text(f) returns it).
function M.text(v)
  local text
  local name = type(v) == "string" and v or (v ~= nil and name_of(v))
  local value = type(v) == "string" and resolve(v) or v
  if v == nil then
    text = USAGE
  elseif not name then
    text = "help: not a function or table of rh (" .. type(v) .. "); " .. USAGE
  elseif type(value) == "table" then
    text = listing(name, value)
  else
    text = M.entry(name) or ("help: " .. name .. " has no entry in docs/API.md")
  end
  return text
end

function M.help(v) print(M.text(v)) end

return M
