-- options.lua - command-line options for study scripts: a declarative spec, --help text,
-- presets (--quick, --full), Lua config files, and strict checking of names and values.
--
-- A spec is a list of options, in the order --help lists them:
--   { name = "max-epochs", type = "int", default = 30, help = "stop after N epochs", min = 1 }
-- types: "string", "int", "number", "bool" (a flag: --name sets true, --no-name false),
--        "ints" / "numbers" / "strings" (comma-separated lists; "none" is the empty list),
--        "choice" (with choices = {...}), "preset" (a flag whose `sets` table overrides defaults).
-- Values are stored under the name with '-' turned into '_' (opts.max_epochs).
-- Precedence, lowest first: defaults < presets < config file (--config FILE.lua, a Lua file
-- returning a table of options) < the command line.
-- An option's old names (aliases = { "train-subset" }) and a choice's old values
-- (value_aliases = { fashion_mnist = "fashion-mnist" }) are accepted with a warning on stderr
-- (M.warn); an unknown option is answered with the nearest names ("did you mean --quick?").
--
-- parse() returns opts or nil, message; parse_or_exit() prints the message and exits with
-- status 2 on a usage error, and prints the help and exits 0 on --help.
local M = {}

local function key(name) return (name:gsub("-", "_")) end

local function show(v)
  if type(v) == "table" then
    if #v == 0 then return "none" end
    local parts = {}
    for i, x in ipairs(v) do parts[i] = tostring(x) end
    return table.concat(parts, ",")
  end
  return tostring(v)
end

local function check_range(o, v)
  if o.min and v < o.min then return nil, "must be >= " .. o.min end
  if o.max and v > o.max then return nil, "must be <= " .. o.max end
  return v
end

local scalar = {}
function scalar.int(o, s)
  local v = math.tointeger(tonumber(s))
  if not v then return nil, "expects an integer" end
  return check_range(o, v)
end
function scalar.number(o, s)
  local v = tonumber(s)
  if not v or v ~= v then return nil, "expects a number" end
  -- 1e400 reads as infinity, which "inf" would not: neither is a setting
  if v == math.huge or v == -math.huge then return nil, "expects a finite number" end
  return check_range(o, v)
end
function scalar.string(_, s) return s end

-- Converts text (from the command line) to the option's type.
local function convert(o, s)
  local t = o.type
  if scalar[t] then return scalar[t](o, s) end
  if t == "choice" then
    if o.value_aliases and o.value_aliases[s] then
      M.warn(string.format("--%s %s is now --%s %s (the old value is accepted for now)", o.name, s, o.name,
        o.value_aliases[s]))
      s = o.value_aliases[s]
    end
    for _, c in ipairs(o.choices) do if c == s then return s end end
    return nil, "must be one of " .. table.concat(o.choices, ", ")
  end
  if t == "ints" or t == "numbers" or t == "strings" then
    local list = {}
    if s == "none" or s == "" then return list end
    local elem = { ints = "int", numbers = "number", strings = "string" }
    for part in (s .. ","):gmatch("([^,]*),") do
      local v, err = scalar[elem[t]](o, part)
      if v == nil then return nil, err .. " list (e.g. 1,2,3)" end
      list[#list + 1] = v
    end
    return list
  end
  if t == "bool" then
    if s == "true" or s == "1" or s == "yes" then return true end
    if s == "false" or s == "0" or s == "no" then return false end
    return nil, "expects true or false"
  end
  error("options: bad type '" .. tostring(t) .. "' for --" .. o.name)
end

-- Checks a value from a config file (a Lua value, not text).
local function accept(o, v)
  local t = o.type
  if t == "bool" or t == "preset" then
    if type(v) ~= "boolean" then return nil, "expects true or false" end
    return v
  end
  if t == "ints" or t == "numbers" or t == "strings" then
    if type(v) == "string" then return convert(o, v) end
    if type(v) ~= "table" then return nil, "expects a list" end
    local out = {}
    for i, x in ipairs(v) do
      local c, err = convert(o, tostring(x))
      if c == nil or #c ~= 1 then return nil, err or "bad list element" end
      out[i] = c[1]
    end
    return out
  end
  if type(v) ~= "string" and type(v) ~= "number" then
    return nil, "expects a " .. (t == "choice" and "string" or t)
  end
  return convert(o, tostring(v))
end

-- Where warnings go (stderr); a test may replace it.
function M.warn(msg) io.stderr:write("warning: ", msg, "\n") end

-- name -> option, for every name and old name (an old name maps to { old = name, option }).
local function index(spec)
  local by, old = {}, {}
  for _, o in ipairs(spec) do
    if o.name then
      by[o.name] = o
      for _, a in ipairs(o.aliases or {}) do old[a] = o end
    end
  end
  return by, old
end

-- Levenshtein distance of two short strings.
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a:sub(i, i) == b:sub(j, j) and 0 or 1))
    end
    prev = cur
  end
  return prev[#b]
end

-- The option names nearest to an unknown one (at most 3, within a third of its length, or
-- one that it is the beginning of), as " (did you mean --a or --b?)", or "".
function M.suggest(spec, name)
  local cands = {}
  for _, o in ipairs(spec) do
    if o.name then
      local names = { o.name }
      if o.type == "bool" then names[2] = "no-" .. o.name end
      for _, n in ipairs(names) do
        local d = distance(name, n)
        if d <= math.max(1, #name // 3) or (#name >= 3 and n:sub(1, #name) == name) then
          cands[#cands + 1] = { n = n, d = d }
        end
      end
    end
  end
  table.sort(cands, function(a, b) if a.d ~= b.d then return a.d < b.d end return a.n < b.n end)
  if #cands == 0 then return "" end
  local list = {}
  for i = 1, math.min(3, #cands) do list[i] = "--" .. cands[i].n end
  return " (did you mean " .. table.concat(list, " or ") .. "?)"
end

-- The --help text: every option with its default; a boolean as --x / --no-x; what each
-- preset (--quick, --full) changes.
function M.help(spec, usage)
  local by = index(spec)
  local lines = { usage, "", "options (default in brackets):" }
  for _, o in ipairs(spec) do
    local lhs = "--" .. o.name
    if o.type == "bool" and o.name ~= "help" then lhs = lhs .. " / --no-" .. o.name end
    if o.type ~= "bool" and o.type ~= "preset" then
      lhs = lhs .. " " .. (o.metavar or (o.type == "choice" and table.concat(o.choices, "|")) or o.type:upper())
    end
    local def = ""
    if o.type == "bool" and o.name ~= "help" then def = " [" .. (o.default and "--" or "--no-") .. o.name .. "]"
    elseif o.type ~= "preset" and o.name ~= "help" then def = " [" .. show(o.default) .. "]" end
    lines[#lines + 1] = string.format("  %-28s %s%s", lhs, o.help or "", def)
    if o.type == "preset" then
      local sets = {}
      for k in pairs(o.sets) do sets[#sets + 1] = (k:gsub("_", "-")) end
      table.sort(sets)
      for i, k in ipairs(sets) do
        local v = o.sets[k] ~= nil and o.sets[k] or o.sets[(k:gsub("-", "_"))]
        local opt = by[k]
        sets[i] = opt and opt.type == "bool" and ("--" .. (v and "" or "no-") .. k) or ("--" .. k .. " " .. show(v))
      end
      lines[#lines + 1] = string.format("  %-28s   sets %s", "", table.concat(sets, ", "))
    end
  end
  for _, o in ipairs(spec) do
    if o.aliases and #o.aliases > 0 then
      local old = {}
      for i, a in ipairs(o.aliases) do old[i] = "--" .. a end
      lines[#lines + 1] = string.format("  (%s: the old name%s of --%s, accepted with a warning)",
        table.concat(old, ", "), #old > 1 and "s" or "", o.name)
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

-- Loads a config file: a Lua chunk returning a table (keys with '-' or '_').
function M.load_config(path)
  local chunk, err = loadfile(path, "t", {})
  if not chunk then return nil, "cannot load config file: " .. err end
  local ok, t = pcall(chunk)
  if not ok then return nil, "config file " .. path .. " failed: " .. tostring(t) end
  if type(t) ~= "table" then return nil, "config file " .. path .. " must return a table" end
  return t
end

-- Parses argv (a list of strings). Returns opts, or nil and a message.
-- opts.help is true when --help was given; opts._given[k] is true for options set explicitly.
function M.parse(spec, argv)
  local by, old = index(spec)
  -- an old name: the option it now is, with a warning
  local function renamed(name)
    local o = old[name]
    if o then M.warn(string.format("--%s is now --%s (the old name is accepted for now)", name, o.name)) end
    return o
  end
  local opts, given, presets, cmdline = {}, {}, {}, {}
  for _, o in ipairs(spec) do
    if o.type ~= "preset" then opts[key(o.name)] = o.default end
  end
  local config_path
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local name, inline = a:match("^%-%-([%w%-]+)=(.*)$")
    if not name then name = a:match("^%-%-([%w%-]+)$") end
    if not name then
      local prev = argv[i - 1] and argv[i - 1]:match("^%-%-([%w%-]+)$")
      local po = prev and (by[prev] or by[prev:gsub("^no%-", "")])
      if po and po.type == "bool" and (a == "true" or a == "false" or a == "yes" or a == "no") then
        return nil, string.format("--%s takes no value: say --%s or --no-%s", po.name, po.name, po.name)
      end
      return nil, "unexpected argument '" .. a .. "' (options start with --; see --help)"
    end
    local o, negated = by[name] or renamed(name), false
    if not o and name:sub(1, 3) == "no-" then
      local base = by[name:sub(4)] or old[name:sub(4)]
      if base and base.type == "bool" then o, negated = renamed(name:sub(4)) or base, true end
    end
    if not o then return nil, "unknown option --" .. name .. M.suggest(spec, name) .. " (see --help)" end
    if o.name == "help" then opts.help = true; return opts end
    if o.type == "preset" or o.type == "bool" then
      if inline then
        if o.type == "bool" then return nil, string.format("--%s takes no value: say --%s or --no-%s", o.name, o.name, o.name) end
        return nil, "option --" .. name .. " takes no value"
      end
      if o.type == "preset" then presets[#presets + 1] = o else cmdline[#cmdline + 1] = { o, not negated } end
    else
      local text = inline
      if text == nil then
        i = i + 1
        text = argv[i]
        if text == nil then return nil, "option --" .. name .. " needs a value" end
      end
      local v, err = convert(o, text)
      if v == nil then return nil, "bad value '" .. text .. "' for --" .. name .. ": " .. err end
      if o.name == "config" then config_path = v end
      cmdline[#cmdline + 1] = { o, v }
    end
    i = i + 1
  end
  local function set(o, v) opts[key(o.name)] = v end
  for _, p in ipairs(presets) do
    opts[key(p.name)] = true
    for k, v in pairs(p.sets) do opts[key(k)] = v end
  end
  if config_path then
    local t, err = M.load_config(config_path)
    if not t then return nil, err end
    -- presets named in the file first, so that the file's explicit options win over them
    local entries = {}
    for k, v in pairs(t) do
      local o = type(k) == "string" and (by[k] or by[(k:gsub("_", "-"))] or renamed((k:gsub("_", "-"))))
      if not o or o.name == "config" or o.name == "help" then
        return nil, "config file " .. config_path .. ": unknown option '" .. tostring(k) .. "'"
      end
      local c, err2 = accept(o, v)
      if c == nil then return nil, "config file " .. config_path .. ": bad value for '" .. k .. "': " .. err2 end
      entries[#entries + 1] = { o, c }
    end
    table.sort(entries, function(a, b)
      local pa, pb = a[1].type == "preset", b[1].type == "preset"
      if pa ~= pb then return pa end
      return a[1].name < b[1].name
    end)
    for _, e in ipairs(entries) do
      local o, c = e[1], e[2]
      if o.type == "preset" and c then
        for pk, pv in pairs(o.sets) do opts[key(pk)] = pv end
      end
      set(o, c)
      given[key(o.name)] = true
    end
  end
  for _, entry in ipairs(cmdline) do
    set(entry[1], entry[2])
    given[key(entry[1].name)] = true
  end
  opts._given = given
  return opts
end

-- parse(), or print and exit: status 0 after --help, status 2 on a usage error.
function M.parse_or_exit(spec, argv, usage, progname)
  local opts, err = M.parse(spec, argv)
  if not opts then
    io.stderr:write((progname or "script"), ": ", err, "\n")
    os.exit(2)
  end
  if opts.help then
    io.stdout:write(M.help(spec, usage))
    os.exit(0)
  end
  return opts
end

-- A one-line "name=value" listing of the options (for logs and reports).
function M.describe(spec, opts)
  local parts = {}
  for _, o in ipairs(spec) do
    local v = opts[key(o.name)]
    if o.type ~= "preset" and o.name ~= "help" and o.name ~= "config" and v ~= nil then
      parts[#parts + 1] = o.name .. "=" .. show(v)
    end
  end
  return table.concat(parts, " ")
end

-- The two ways a study script gives up, each with a message and no traceback: a usage error
-- (status 2: the command line is wrong) and a failure (status 1: what is on disk stays).
-- Returns usage_error(msg), fail(msg).
function M.exits(progname)
  local function leave(status)
    return function(msg)
      io.stderr:write(progname, ": ", msg, "\n")
      os.exit(status)
    end
  end
  return leave(2), leave(1)
end

-- The script's own folder (from arg[0]), for finding helper libraries and data beside it.
function M.script_dir(arg0)
  return (arg0 or ""):match("^(.*)/[^/]*$") or "."
end

return M
