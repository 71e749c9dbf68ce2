-- test_data.lua - rh.data from Lua: Fashion-MNIST t10k, tiny IDX files, dataset operations,
-- synthetic tasks, the loader, and the errors a user sees.
local T = require "testlib"
local rh = require "rankhost"
local data = rh.data

local tmpdir = os.tmpname()
os.remove(tmpdir)
assert(os.execute("mkdir -p " .. tmpdir))

-- Writes an IDX file of unsigned bytes with the given dims.
local function write_idx(path, dims, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(string.pack(">BBBB", 0, 0, 8, #dims))
  for _, d in ipairs(dims) do f:write(string.pack(">I4", d)) end
  f:write(string.char(table.unpack(bytes)))
  f:close()
end

-- ---- Fashion-MNIST t10k (the real gzip files of Debian's dataset-fashion-mnist, found on
-- rh.data's search path: /usr/share/datasets/fashion-mnist) ----
local ds = data.fashion_mnist { split = "test" }
T.eq(ds:size(), 10000, "fashion-mnist size")
T.eq(#ds, 10000, "#ds")
T.eq(ds.dim, 784, "fashion-mnist dim")
T.eq(ds.classes, 10, "fashion-mnist classes")
T.eq(ds.name, "fashion-mnist-test", "fashion-mnist name")
T.eq(ds.features, "uint8", "kept as bytes")
T.eq(ds.bytes, 7840000, "store is the image bytes")
-- pixel checksum: numpy's sum of all bytes is 573469082 (scaled by 1/255 here)
local total = 0
for first = 1, 10000, 2500 do
  local idx = {}
  for i = first, first + 2499 do idx[#idx + 1] = i end
  local X = ds:batch(idx)
  total = total + X:sum()
end
T.near(total * 255, 573469082, 1e-6, "pixel checksum")
local x1, y1 = ds:get(1)
T.near(x1:sum() * 255, 33456, 1e-6, "first image")
T.eq(y1, 10, "first label is 9 (ankle boot) -> id 10")
local X, Y = ds:batch(rh.tensor { 1, 2, 3 })
T.eq(X:size(1), 3, "batch rows")
T.eq(Y:get(2), 3, "second label is 2 (pullover) -> id 3")
T.near(X[3]:sum() * 255, 51520, 1e-6, "third image")
T.ok(X:max() <= 1 and X:min() >= 0, "pixels in [0,1]")
local hist = {}
for _, v in ipairs(ds:labels():totable()) do hist[v] = (hist[v] or 0) + 1 end
for c = 1, 10 do T.eq(hist[c], 1000, "label histogram " .. c) end
-- rh.data.mnist reads the same file names from any dir= (here the Fashion-MNIST folder)
local as_mnist = data.mnist { dir = ds.dir, split = "test" }
T.eq(as_mnist.name, "mnist-test", "mnist name")
T.tensor_near(as_mnist:get(5000), ds:get(5000), 0, "mnist{dir=} reads the files of that folder")

-- views
local sub = ds:subset(101, 200)
T.eq(sub:size(), 100, "subset size")
T.tensor_near(sub:get(1), ds:get(101), 0, "subset is a view of rows 101..")
T.near(sub:get(1):sum() * 255, 36731, 1e-6, "image 101")
T.eq(sub.name, "fashion-mnist-test", "subset keeps the info fields")
local a, b = ds:split(0.8, 3)
T.eq(a:size(), 8000, "split a")
T.eq(b:size(), 2000, "split b")
local a2 = ds:split(0.8, 3)
T.tensor_near(a2:get(17), a:get(17), 0, "split is seeded")
-- method calls number arguments after self, as Lua's own libraries do
T.raises("bad argument #1 to 'get' (index 10001 is outside 1..10000)", function() return ds:get(10001) end)
T.raises("bad argument #1 to 'batch' (index 0 is outside 1..10000)", function() return ds:batch { 1, 0 } end)
T.raises("bad argument #2 to 'subset' (last 10001 is outside 4..10000)", function() return ds:subset(5, 10001) end)

-- ---- tiny IDX files: content read back, bad pairs refused ----
local bytes, labels = {}, {}
for i = 0, 99 do
  bytes[#bytes + 1] = i; bytes[#bytes + 1] = 255 - i
  labels[#labels + 1] = i % 10
end
write_idx(tmpdir .. "/img", { 100, 1, 2 }, bytes)
write_idx(tmpdir .. "/lbl", { 100 }, labels)
local tiny = data.idx(tmpdir .. "/img", tmpdir .. "/lbl")
T.eq(tiny:size(), 100, "tiny size")
T.eq(tiny.dim, 2, "tiny dim")
local tx, ty = tiny:get(43)
T.near(tx:get(1) * 255, 42, 1e-5, "tiny pixel")
T.near(tx:get(2) * 255, 213, 1e-5, "tiny pixel 2")
T.eq(ty, 3, "tiny label")
assert(os.execute("gzip -c " .. tmpdir .. "/img > " .. tmpdir .. "/img.gz"))
local tgz = data.idx(tmpdir .. "/img.gz", tmpdir .. "/lbl")
T.tensor_near(tgz:get(43), tx, 0, "gzip reads the same")
write_idx(tmpdir .. "/lbl99", { 99 }, { table.unpack(labels, 1, 99) })
T.raises("holds 100 images but " .. tmpdir .. "/lbl99 holds 99 labels", data.idx, tmpdir .. "/img", tmpdir .. "/lbl99")
labels[5] = 10
write_idx(tmpdir .. "/lbl10", { 100 }, labels)
T.raises(tmpdir .. "/lbl10: label 10 of example 5 is out of range 0..9", data.idx, tmpdir .. "/img", tmpdir .. "/lbl10")
T.raises("is a directory", data.idx, tmpdir, tmpdir .. "/lbl")
T.raises(tmpdir .. "/none: cannot open", data.idx, tmpdir .. "/none", tmpdir .. "/lbl")
local f = io.open(tmpdir .. "/empty", "wb"); f:close()
T.raises(tmpdir .. "/empty: empty file", data.idx, tmpdir .. "/empty", tmpdir .. "/lbl")

-- a missing dataset says where it looked and how to get it
local ok, err = pcall(data.mnist, { dir = tmpdir .. "/nothing" })
T.ok(not ok and err:find(tmpdir .. "/nothing", 1, true) and err:find("To get it", 1, true), "missing mnist: " .. tostring(err))
T.raises('split must be "train" or "test"', data.fashion_mnist, { split = "val" })
local sp = data.search_path("fashion_mnist")
T.eq(sp[#sp], "/usr/share/datasets/fashion-mnist", "fashion-mnist system folder")

-- ---- the loader ----
local function epoch_rows(loader)
  local rows, count, first_X = {}, 0, nil
  for Xb, Yb in loader do
    first_X = first_X or Xb
    count = count + 1
    for r = 1, Xb:size(1) do rows[#rows + 1] = math.floor(Xb:get(r, 1) * 255 + 0.5) + 1 end
    T.eq(Yb:size(1), Xb:size(1), "X and Y rows")
  end
  return rows, count, first_X
end
local L = data.loader(tiny, { batch = 32, shuffle = true, seed = 1 })
T.eq(#L, 4, "batches per epoch")
T.eq(L:epoch(), 1, "first epoch")
local r1, n1 = epoch_rows(L)
T.eq(n1, 4, "4 batches with the short last one")
T.eq(L:epoch(), 2, "epoch counter advanced")
local seen, once = {}, true
for _, r in ipairs(r1) do seen[r] = (seen[r] or 0) + 1 end
for i = 1, 100 do once = once and seen[i] == 1 end
T.ok(#r1 == 100 and once, "every index exactly once per epoch")
local r2 = epoch_rows(L)
local differ = 0
for i = 1, 100 do if r1[i] ~= r2[i] then differ = differ + 1 end end
T.ok(differ > 50, "epochs reshuffle")
local L2 = data.loader(tiny, { batch = 32, shuffle = true, seed = 1 })
local r1b = epoch_rows(L2)
T.eq(table.concat(r1b, ","), table.concat(r1, ","), "same seed, same order")
local Ld = data.loader(tiny, { batch = 32, seed = 2, drop_last = true })
local rd, nd = epoch_rows(Ld)
T.ok(nd == 3 and #rd == 96, "drop_last drops the short batch")
-- reseed: epoch e is ordered as the first epoch of a loader seeded seed + e (rh.train.fit's
-- order), from one loader; set_epoch moves it
local Lr = data.loader(tiny, { batch = 32, seed = 7, reseed = true })
for e = 1, 3 do
  T.eq(table.concat(epoch_rows(Lr), ","), table.concat(epoch_rows(data.loader(tiny, { batch = 32, seed = 7 + e })), ","),
       "reseed: epoch " .. e .. " is the first epoch of seed 7 + " .. e)
end
Lr:set_epoch(2)
T.eq(table.concat(epoch_rows(Lr), ","), table.concat(epoch_rows(data.loader(tiny, { batch = 32, seed = 9 })), ","),
     "reseed after set_epoch(2): seed 7 + 2")
local Ls = data.loader(tiny, { batch = 10, shuffle = false })
local rs = epoch_rows(Ls)
T.eq(table.concat(rs, ",", 1, 5), "1,2,3,4,5", "no shuffle keeps order")
-- buffers are reused
local objs = {}
for Xb in data.loader(tiny, { batch = 30, seed = 3 }) do objs[#objs + 1] = Xb end
T.ok(objs[1] == objs[2] and objs[2] == objs[3], "X is one object each full step")
T.eq(objs[4]:size(1), 10, "short last batch")
-- a break abandons the epoch; the next loop starts a fresh one
local Lb = data.loader(tiny, { batch = 10, seed = 4 })
for _ in Lb do break end
T.eq(Lb:epoch(), 1, "still epoch 1 after a break")
local _, nb = epoch_rows(Lb)
T.eq(nb, 10, "the next loop runs a whole epoch")
T.eq(Lb:epoch(), 3, "the broken epoch counted")

-- ---- synthetic tasks ----
local t1 = data.teacher { n = 2000, dim = 20, rank = 3, classes = 4, seed = 7 }
local t2 = data.teacher { n = 2000, dim = 20, rank = 3, classes = 4, seed = 7 }
local t3 = data.teacher { n = 2000, dim = 20, rank = 3, classes = 4, seed = 8 }
T.eq(t1:size(), 2000, "teacher n")
T.eq(t1.dim, 20, "teacher dim")
T.eq(t1.classes, 4, "teacher classes")
T.eq(t1.task, "teacher", "teacher task")
T.eq(t1.rank, 3, "teacher rank")
T.eq(t1.U:size(1), t1.hidden, "teacher U rows")
local all = {}
for i = 1, 2000 do all[i] = i end
local A1, B1 = t1:batch(all)
local A2, B2 = t2:batch(all)
local A3 = t3:batch(all)
T.tensor_near(A1, A2, 0, "teacher features seeded")
T.tensor_near(B1, B2, 0, "teacher labels seeded")
T.ok((A1 - A3):abs():sum() > 1, "another seed, other data")
local th = {}
for _, v in ipairs(B1:totable()) do th[v] = (th[v] or 0) + 1 end
for c = 1, 4 do T.ok((th[c] or 0) > 100, "teacher class " .. c .. " not empty: " .. tostring(th[c])) end
T.raises("rank must be in", data.teacher, { n = 10, dim = 5, rank = 6, classes = 2 })
T.raises("field 'n' (an integer) is required", data.teacher, { dim = 5, rank = 2, classes = 2 })

local p = data.parity { n = 2000, bits = 16, k = 3, seed = 1 }
T.eq(p.dim, 16, "parity dim")
T.eq(p.classes, 2, "parity classes")
T.eq(p.k, 3, "parity k")
T.eq(#p.coords, 3, "parity coords")
local ph = {}
for _, v in ipairs(p:labels():totable()) do ph[v] = (ph[v] or 0) + 1 end
T.ok(ph[1] > 900 and ph[2] > 900, "parity balanced")
local px, py = p:get(5)
local prod = 1
for _, c in ipairs(p.coords) do prod = prod * px:get(c) end
T.eq(py, prod > 0 and 1 or 2, "parity label rule")
rh.seed(42)
local g1 = data.parity { n = 50, bits = 8, k = 2 }
rh.seed(42)
local g2 = data.parity { n = 50, bits = 8, k = 2 }
T.tensor_near(g1:labels(), g2:labels(), 0, "rh.seed seeds the synthetic tasks")

local m = data.mixture { n = 600, dim = 5, classes = 3, spread = 4, seed = 2 }
T.eq(m.task, "mixture", "mixture task")
T.eq(m.means:size(1), 3, "mixture means")

local rl = data.random_labels(t1, 0.5, 9)
T.eq(rl:size(), 2000, "random_labels size")
T.eq(rl.replaced:sum(), 1000, "half replaced")
T.eq(rl.random_fraction, 0.5, "fraction recorded")
T.eq(rl.rank, 3, "info kept")
local changed = 0
local lt, lr, rep = t1:labels():totable(), rl:labels():totable(), rl.replaced:totable()
local clean = true
for i = 1, 2000 do
  if lt[i] ~= lr[i] then changed = changed + 1 end
  if rep[i] == 0 then clean = clean and lt[i] == lr[i] end
end
T.ok(clean and changed > 600 and changed <= 1000, "replaced labels only: " .. changed)
T.raises("bad argument #2 to 'random_labels' (fraction must be in [0, 1])",
         function() return data.random_labels(t1, 2, 1) end)

os.execute("rm -rf " .. tmpdir)
T.done()
