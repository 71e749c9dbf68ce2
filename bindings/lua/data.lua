-- data.lua - rh.data's Lua half: where MNIST and Fashion-MNIST are looked for.
-- The readers, datasets, synthetic tasks and the loader are C (bindings/data.c).
local rh = require "rankhost"
local data = rh.data

-- A regular file that can be read (a directory opens but fails to read).
local function readable(path)
  local f = io.open(path, "rb")
  if not f then return false end
  local _, err = f:read(1)
  f:close()
  return err == nil
end

local function find_file(dir, stem)
  for _, name in ipairs { stem .. ".gz", stem, (stem:gsub("%-(idx%d)", ".%1")) } do
    local p = dir .. "/" .. name
    if readable(p) then return p end
  end
end

local SETS = {
  mnist = {
    fn = "mnist", title = "MNIST", sub = "mnist", system = {},
    how = "download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and "
       .. "t10k-labels-idx1-ubyte.gz from http://yann.lecun.com/exdb/mnist/ into ./data/mnist "
       .. "(or any folder, then pass dir= or set RH_DATA_DIR)",
  },
  fashion_mnist = {
    fn = "fashion_mnist", title = "Fashion-MNIST", sub = "fashion-mnist",
    system = { "/usr/share/datasets/fashion-mnist" },
    how = "apt-get install dataset-fashion-mnist (Debian, installs /usr/share/datasets/fashion-mnist), or "
       .. "download the four files from https://github.com/zalandoresearch/fashion-mnist into ./data/fashion-mnist",
  },
}

-- The folders searched when opts.dir is absent, in order.
function data.search_path(which)
  local set = SETS[which]
  if not set then
    error(string.format("bad argument #1 to 'search_path' (\"mnist\" or \"fashion_mnist\" expected, got %s)",
                        tostring(which)), 2)
  end
  local dirs = {}
  local env = os.getenv("RH_DATA_DIR")
  if env and env ~= "" then
    dirs[#dirs + 1] = env
    dirs[#dirs + 1] = env .. "/" .. set.sub
  end
  dirs[#dirs + 1] = "./data/" .. set.sub
  for _, d in ipairs(set.system) do dirs[#dirs + 1] = d end
  return dirs
end

local function load(which, opts)
  local set = SETS[which]
  opts = opts or {}
  if type(opts) ~= "table" then
    error(string.format("bad argument #1 to '%s' (table expected, got %s)", set.fn, type(opts)), 3)
  end
  local split = opts.split or "train"
  if split ~= "train" and split ~= "test" then
    error(string.format("bad argument #1 to '%s' (split must be \"train\" or \"test\", got %s)",
                        set.fn, tostring(split)), 3)
  end
  local prefix = split == "train" and "train" or "t10k"
  local istem, lstem = prefix .. "-images-idx3-ubyte", prefix .. "-labels-idx1-ubyte"
  local dirs = opts.dir and { opts.dir } or data.search_path(which)
  for _, dir in ipairs(dirs) do
    local ip, lp = find_file(dir, istem), find_file(dir, lstem)
    if ip and lp then
      local ds = data.idx(ip, lp, { classes = 10, name = set.sub .. "-" .. split })
      ds.split, ds.dir = split, dir
      return ds
    end
  end
  local lines = {}
  for _, d in ipairs(dirs) do lines[#lines + 1] = "  " .. d end
  error(string.format("%s: the %s %s split was not found: looked for %s[.gz] and %s[.gz] in\n%s\n"
                      .. "To get it: %s", set.fn, set.title, split, istem, lstem, table.concat(lines, "\n"),
                      set.how), 3)
end

-- data.mnist{dir=, split="train"|"test"}
function data.mnist(opts) return load("mnist", opts) end
-- data.fashion_mnist{dir=, split="train"|"test"}
function data.fashion_mnist(opts) return load("fashion_mnist", opts) end

return data
