-- boundary.lua - errors placed once, at the public function the user called (torch/nn's
-- Container:rethrowErrors: catch at the boundary and re-raise with context). A helper at any
-- depth raises boundary.fail(message); the public function, made by boundary.wrap(f),
-- catches it and raises the message at its caller's line. No helper counts error levels, so
-- adding one moves no message to the wrong line.
--
-- An error that is not a failure (a user's callback or layer, a bug) passes through
-- unchanged: its message keeps its own position.
local rh = require "rankhost"

local boundary = {}

-- A failure raised inside the library: a message that is not placed yet. tostring gives
-- the message, should one ever escape a boundary.
local Failure = { __tostring = function(e) return e.msg end }

-- Raises a failure: the message, or string.format(fmt, ...) with more arguments.
function boundary.fail(fmt, ...)
  local msg = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  error(setmetatable({ msg = msg }, Failure))
end

function boundary.is_failure(e) return getmetatable(e) == Failure end

-- A failure is raised at the line that called the wrapper; the wrapper's `return rethrow(...)`
-- is a tail call, so that line is level 2 from here.
local function rethrow(ok, ...)
  if ok then return ... end
  local e = ...
  if getmetatable(e) == Failure then error(e.msg, 2) end
  error(e, 0)
end

-- The public function of f: the same arguments and results; a failure inside it is raised
-- at the line that called it.
function boundary.wrap(f)
  return function(...) return rethrow(pcall(f, ...)) end
end

-- The message of an error raised by a library function, without its position and without
-- lauxlib's "bad argument #n to 'f' (...)" frame around the detail.
local function detail(e)
  local msg = tostring(e):gsub("^[^\n:]+:%d+: ", "", 1)
  return msg:match("^bad argument #%d+ to '[^']*' %((.*)%)$") or msg
end

-- f(...) for a library function whose errors are about the caller's arguments (a kernel, a
-- constructor given the user's options): its error becomes the failure "context: detail".
-- Not for a user's function: its error would lose its position.
local function called(context, ok, ...)
  if ok then return ... end
  local e = ...
  if getmetatable(e) == Failure then e = e.msg end
  boundary.fail(context .. ": " .. detail(e))
end
function boundary.call(context, f, ...)
  return called(context, pcall(f, ...))
end

-- rh.check_options(fname, opts, names) raising a failure (placed by the boundary).
function boundary.check_options(fname, opts, names)
  local ok, e = pcall(rh.check_options, fname, opts, names, 0)
  if not ok then boundary.fail(detail(e)) end
  return opts
end

-- An integer option >= lo, or nil: "fname: key must be an integer >= lo, got v".
function boundary.check_count(fname, key, v, lo)
  if v ~= nil and (math.type(v) ~= "integer" or v < lo) then
    boundary.fail("%s: %s must be an integer >= %d, got %s", fname, key, lo, tostring(v))
  end
  return v
end

return boundary
