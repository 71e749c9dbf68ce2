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
  return check_range(o, v)
end
function scalar.string(_, s) return s end

-- Converts text (from the command line) to the option's type.
local function convert(o, s)
  local t = o.type
  if scalar[t] then return scalar[t](o, s) end
  if t == "choice" then
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

local function index(spec)
  local by = {}
  for _, o in ipairs(spec) do by[o.name] = o end
  return by
end

function M.help(spec, usage)
  local lines = { usage, "", "options (default in brackets):" }
  for _, o in ipairs(spec) do
    local lhs = "--" .. o.name
    if o.type ~= "bool" and o.type ~= "preset" then
      lhs = lhs .. " " .. (o.metavar or (o.type == "choice" and table.concat(o.choices, "|")) or o.type:upper())
    end
    local def = ""
    if o.type ~= "preset" and o.name ~= "help" then def = " [" .. show(o.default) .. "]" end
    lines[#lines + 1] = string.format("  %-28s %s%s", lhs, o.help or "", def)
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
  local by = index(spec)
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
    if not name then return nil, "unexpected argument '" .. a .. "' (options start with --; see --help)" end
    local o, negated = by[name], false
    if not o and name:sub(1, 3) == "no-" and by[name:sub(4)] and by[name:sub(4)].type == "bool" then
      o, negated = by[name:sub(4)], true
    end
    if not o then return nil, "unknown option --" .. name .. " (see --help)" end
    if o.name == "help" then opts.help = true; return opts end
    if o.type == "preset" or o.type == "bool" then
      if inline then return nil, "option --" .. name .. " takes no value" end
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
      local o = type(k) == "string" and (by[k] or by[(k:gsub("_", "-"))])
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
