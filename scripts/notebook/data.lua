-- data.lua - the notebook's data: MNIST's 60k training and 10k test images (28x28 in [0,1],
-- flattened to 784). Where MNIST is not on rh.data's search path (and no --data-dir names
-- it), Fashion-MNIST stands in and `note` says so; a folder holding only the t10k files is
-- split 5:1 into training and test images (as every study does). With --stop-on validation a --validation
-- fraction of the training images is held out for the evolve rule, which then never reads
-- the test set.
local rh = require "rankhost"

local M = {}

local function first(ds, n) return (n > 0 and n < ds:size()) and ds:subset(1, n) or ds end

local LOADERS = { mnist = "mnist", ["fashion-mnist"] = "fashion_mnist" }

-- train, test, where (a note) of dataset `name` from dir (nil: the search path), or nil, message.
local function splits(name, dir, seed)
  local load = rh.data[LOADERS[name]]
  local ok, test = pcall(load, { dir = dir, split = "test" })
  if not ok then return nil, tostring(test) end
  local ok_train, train = pcall(load, { dir = dir, split = "train" })
  if ok_train then return train, test end
  local a, b = test:split(5 / 6, seed)
  return a, b, "only the 10k test split was found: 5/6 of it train, 1/6 test"
end

-- M.load(o) -> {train, eval, test, inputs, classes, name, dataset, note} or nil, message.
function M.load(o)
  local dir = o.data_dir ~= "" and o.data_dir or nil
  local dataset, notes = o.dataset, {}
  local train, test, split_note = splits(dataset, dir, o.seed)
  if not train then
    if dir or dataset ~= "mnist" then return nil, test end
    -- the notebook's MNIST is not installed: Debian's Fashion-MNIST stands in
    notes[#notes + 1] = "MNIST was not found on rh.data's search path (" .. table.concat(rh.data.search_path("mnist"), ", ")
      .. "): Fashion-MNIST stands in"
    dataset = "fashion-mnist"
    train, test, split_note = splits(dataset, nil, o.seed)
    if not train then return nil, test end
  end
  if split_note then notes[#notes + 1] = split_note end
  local eval
  if o.stop_on == "validation" then
    eval, train = train:split(o.validation, o.seed + 1)
  end
  train, test = first(train, o.train_size), first(test, o.test_size)
  eval = eval or test
  local name = string.format("%s (%d train / %d test%s)", dataset, train:size(), test:size(),
    o.stop_on == "validation" and string.format(" / %d validation", eval:size()) or "")
  return { train = train, eval = eval, test = test, inputs = train.dim, classes = train.classes, name = name,
    dataset = dataset, note = #notes > 0 and table.concat(notes, "; ") or nil, source = train.dir }
end

return M
