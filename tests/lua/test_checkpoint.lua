-- test_checkpoint.lua - rh.save / rh.load: round trips, layout on disk, and every
-- kind of malformed file refused with an error naming the file and the problem.
local T = require "testlib"

local dir = rh.io.mkdtemp("rh-test-ckpt")
local function path(name) return dir .. "/" .. name end

-- ---- round trip ----
local w = rh.randn(5, 3)
local b = rh.tensor { 1, 2, 3 }
local wt = w:t() -- a non-contiguous view: saved as its contiguous content
local s4 = rh.randn(2, 3):view(1, 2, 3, 1)
local empty = rh.zeros(0, 4)
rh.save(path("a.safetensors"), { w = w, b = b, wt = wt, s4 = s4, empty = empty }, { epoch = "7", note = "a \"quoted\" note" })
local t, meta = rh.load(path("a.safetensors"))
T.tensor_near(t.w, w, 0, "w round trip")
T.tensor_near(t.b, b, 0, "b round trip")
T.tensor_near(t.wt, wt, 0, "transposed view round trip")
T.eq(t.wt:size(1), 3, "wt rows")
T.eq(t.s4:dim(), 4, "4-D tensor keeps its dims")
T.eq(t.empty:size(1), 0, "empty tensor rows")
T.eq(t.empty:size(2), 4, "empty tensor cols")
T.eq(meta.epoch, "7", "metadata")
T.eq(meta.note, 'a "quoted" note', "metadata with quotes")
local n = 0
for _ in pairs(t) do n = n + 1 end
T.eq(n, 5, "tensor count")

-- ---- layout: header length, sorted names, aligned data section ----
local f = assert(io.open(path("a.safetensors"), "rb"))
local raw = f:read("a")
f:close()
local hlen = string.unpack("<I8", raw)
T.eq(hlen % 8, 0, "header padded to a multiple of 8")
local header = raw:sub(9, 8 + hlen)
local order = {}
for name in header:gmatch('"([%w_]+)":{"dtype"') do order[#order + 1] = name end
T.eq(table.concat(order, ","), "b,empty,s4,w,wt", "tensors written sorted by name")
local hdr = rh.json.decode(header)
T.eq(hdr.w.dtype, "F32", "dtype F32")
T.eq(#raw, 8 + hlen + 4 * (15 + 3 + 15 + 6), "file size = header + data")
-- the first float of b's data is 1.0 little-endian
T.eq(string.unpack("<f", raw, 9 + hlen + hdr.b.data_offsets[1]), 1.0, "little-endian data")

-- no temporary file is left beside the checkpoint
local names = rh.io.listdir(dir)
T.eq(#names, 1, "only the checkpoint in the folder: " .. table.concat(names, ","))

-- overwriting is atomic: a failed save leaves the old file
T.raises("is a table, not a tensor", rh.save, path("a.safetensors"), { w = {} })
T.tensor_near(rh.load(path("a.safetensors")).w, w, 0, "old checkpoint intact after a failed save")

-- ---- argument errors ----
T.raises("tensor names must be strings", rh.save, path("x.st"), { [1] = w })
T.raises("metadata must map strings to strings", rh.save, path("x.st"), { w = w }, { epoch = 3 })
T.raises("__metadata__' is reserved", rh.save, path("x.st"), { __metadata__ = w })
T.raises("cannot create a temporary file", rh.save, dir .. "/no/such/dir/x.st", { w = w })

-- ---- hostile files ----
local function header_file(name, hdr_json, data, len_override)
  local p = path(name)
  local g = assert(io.open(p, "wb"))
  g:write(string.pack("<I8", len_override or #hdr_json), hdr_json, data or "")
  g:close()
  return p
end
local function refuses(pattern, p)
  T.raises(pattern, rh.load, p)
  T.raises(p, rh.load, p) -- every message names the file
end
local floats = string.pack("<ffff", 1, 2, 3, 4)

local function raw_file(name, bytes)
  local p = path(name)
  local g = assert(io.open(p, "wb"))
  g:write(bytes)
  g:close()
  return p
end

refuses("empty file", raw_file("empty.st", ""))
refuses("too short", raw_file("short.st", "abc"))
refuses("is a directory", dir)
refuses("cannot open", path("missing.st"))
refuses("header length is 0", header_file("zero.st", ""))
refuses("exceeds the limit", raw_file("huge.st", string.pack("<I8", 1 << 40) .. "{}"))
refuses("exceeds the 2 bytes after the length field", raw_file("trunc_hdr.st", string.pack("<I8", 100) .. "{}"))
local good = '{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}'
T.ok(rh.load(header_file("good.st", good, floats)).a, "a valid hand-made file loads")
refuses("data_offsets [0, 16] lie outside the data section", header_file("trunc_data.st", good, floats:sub(1, 10)))
refuses("header is not valid JSON", header_file("badjson.st", '{"a":{"dtype":"F32",}}', floats))
refuses("line 1, column", header_file("badjson2.st", '{"a": tru}', floats))
refuses("header must be a JSON object", header_file("array.st", "[1,2]", ""))
refuses("dtype F16; rankhost reads F32 only", header_file("f16.st", '{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', "abcd"))
refuses("dtype BF16", header_file("bf16.st", '{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}', "abcd"))
refuses("dtype F64", header_file("f64.st", '{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}', floats))
refuses("not a safetensors dtype", header_file("q.st", '{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,4]}}', "abcd"))
refuses("lie outside the data section", header_file("oob.st", '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,32]}}', floats))
refuses("span 16 bytes but its shape needs 12", header_file("mismatch.st", '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}', floats))
refuses("overlap", header_file("overlap.st",
  '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', floats))
refuses("belong to no tensor", header_file("hole.st", '{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', floats))
refuses("tensors cover 8", header_file("tail.st", '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', floats))
refuses("end before they begin", header_file("rev.st", '{"a":{"dtype":"F32","shape":[0],"data_offsets":[16,0]}}', floats))
refuses("non-negative integers", header_file("neg.st", '{"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}', floats))
refuses("non-negative integers", header_file("frac.st", '{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,16]}}', floats))
refuses("shape overflows", header_file("overflow.st",
  '{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}', floats))
refuses("at most 4", header_file("5d.st", '{"a":{"dtype":"F32","shape":[1,1,1,1,4],"data_offsets":[0,16]}}', floats))
refuses("unknown field 'extra'", header_file("extra.st",
  '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"extra":1}}', floats))
refuses("lacks 'shape'", header_file("noshape.st", '{"a":{"dtype":"F32","data_offsets":[0,16]}}', floats))
refuses("tensor 'a' appears twice", header_file("dup.st",
  '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', floats))
refuses("__metadata__ value of 'k' must be a string", header_file("meta.st",
  '{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', floats))
refuses("data_offsets must be [begin, end]", header_file("offs3.st", '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,8,16]}}', floats))

-- ---- device: a CUDA tensor is saved through a host copy ----
if rh.cuda_available() then
  local g = rh.randn(4, 4):to("cuda")
  rh.save(path("gpu.st"), { g = g })
  T.tensor_near(rh.load(path("gpu.st"), { device = "cpu" }).g, g:to("cpu"), 0, "cuda tensor saved via host")
end

for _, name in ipairs(rh.io.listdir(dir)) do os.remove(path(name)) end
os.remove(dir)
T.done()
