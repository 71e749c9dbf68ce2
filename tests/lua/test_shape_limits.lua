-- test_shape_limits.lua - shapes near the integer limits from a script (issue 24, item 2).
-- Each call below used to read or write out of bounds in a Release build (a segfault, heap
-- corruption) or to cast NaN or 1e30 to an integer; each is now refused with a message that
-- names the function and the argument, and a copy between overlapping views is correct.
local T = require "testlib"

local function refused(pattern, fn) return T.raises(pattern, fn) end

-- narrow: start + len wrapped past math.maxinteger, so get(100000, 1) read far outside
refused("bad argument #2 to 'narrow' (range 2..", function()
  return rh.ones(3, 4):narrow(1, 2, math.maxinteger):get(100000, 1)
end)
refused("bad argument #2 to 'narrow' (start", function() return rh.ones(3, 4):narrow(1, math.mininteger, 2) end)
refused("out of 1..3", function() return rh.ones(3, 4):narrow(1, math.maxinteger, math.maxinteger) end)
T.eq(rh.ones(3, 4):narrow(2, 5, 0):numel(), 0, "an empty range after the last column is a view")

-- view: 4 x 4611686018427387907 wrapped to 12 elements; set() then wrote past the storage
refused("more than 2^60 elements", function() return rh.ones(3, 4):view(4, 4611686018427387907) end)
refused("more than 2^60 elements", function() return rh.ones(3, 4):view { 4, 4611686018427387907 } end)
refused("more than 2^60 elements", function() return rh.ones(3, 4):view(-1, 4611686018427387907) end)
refused("more than 2^60 elements", function() return rh.ones(3, 4):view(65536, 65536, 65536, 65536) end)
-- a table entry that is not an integer was read with luaL_checkinteger at index -1: "#-2"
refused("bad argument #1 to 'view' (size 1 is not an integer)", function() return rh.ones(3, 4):view { 1.5, 8 } end)
T.eq(rh.ones(3, 4):view(2, -1):size(2), 6, "view with an inferred size still works")
-- nothing bigger than memory is made either, and the refusal says why
refused("more than 2^60 elements", function() return rh.zeros(2 ^ 31, 2 ^ 31, 2) end)
refused("more than 2^60 elements", function() return rh.zeros(0, 2 ^ 40, 2 ^ 40) end) -- no element, but its strides would wrap

-- rh.save of such a view wrote a file rh.load refuses: the view cannot be made, and a
-- narrow view (a real window of a bigger storage) saves and loads as its own elements
local dir = rh.io.mkdtemp("rankhost-shape")
local w = rh.arange(12):view(3, 4):narrow(2, 2, 2)
rh.save(dir .. "/w.safetensors", { w = w })
local back = rh.load(dir .. "/w.safetensors")
T.ok(T.same_elements(back.w, w) and back.w:size(1) == 3 and back.w:size(2) == 2, "a saved narrow view loads back whole")
os.remove(dir .. "/w.safetensors")
os.remove(dir)

-- index: NaN and 1e30 in a tensor of indices were cast to int64 (undefined: UBSan at
-- tensor_math.c:321), and 2.5 was truncated to 2; each is an error naming the entry
local t = rh.arange(12):view(3, 4)
refused("bad argument #2 to 'index' (entry 1 (", function() return t:index(1, rh.tensor { 0 / 0 }) end)
refused("is not an integer", function() return t:index(1, rh.tensor { 0 / 0 }) end)
-- 1e30 as a float32 prints as 1.0000000150475e+30
refused("entry 2 (1.0000000150475e+30)", function() return t:index(1, rh.tensor { 1, 1e30 }) end)
refused("is out of range 1..3 in dim 1", function() return t:index(1, rh.tensor { 1, 1e30 }) end)
refused("entry 1 (2.5) is not an integer", function() return t:index(1, rh.tensor { 2.5 }) end)
refused("entry 1 (2.5) is not an integer", function() return t:index(1, { 2.5 }) end)
refused("entry 3 (-1e+30) is out of range 1..4 in dim 2", function() return t:index(2, { 1, 2, -1e30 }) end)
refused("entry 1 (inf) is not an integer", function() return t:index(2, { math.huge }) end)
T.eq(t:index(1, rh.tensor { 3, 1 }):get(1, 4), 12, "index by a tensor of whole numbers still works")
T.eq(t:index(2, { 4.0 }):get(2, 1), 8, "an integral float index is an index")

-- messages print indices as they were given, not cast to int (2^32 + 1 printed "index 1")
refused("index 4294967297 out of range 1..3 in dim 1", function() return t:get(2 ^ 32 + 1, 1) end)
refused("index 4294967297 out of range 1..3", function() return t[2 ^ 32 + 1] end)
refused("index 2.5 is not an integer", function() return t[2.5] end) -- was read as index 0
refused("index 4294967297 out of range 1..3", function() return t:select(1, 2 ^ 32 + 1) end)
refused("dim 4294967297 out of range", function() return t:size(2 ^ 32 + 1) end)

-- copy between overlapping views of one storage: as if the source were read first
local x = rh.arange(10)
x:narrow(1, 2, 8):copy(x:narrow(1, 1, 8))
T.ok(T.same_elements(x, rh.tensor { 1, 1, 2, 3, 4, 5, 6, 7, 8, 10 }), "x[2..9] = x[1..8] shifts the old values")
x = rh.arange(10)
x:narrow(1, 1, 8):copy(x:narrow(1, 3, 8))
T.ok(T.same_elements(x, rh.tensor { 3, 4, 5, 6, 7, 8, 9, 10, 9, 10 }), "x[1..8] = x[3..10] shifts the other way")
local m = rh.arange(16):view(4, 4)
m:narrow(1, 2, 3):t():copy(m:narrow(1, 1, 3):t())
T.ok(T.same_elements(m:narrow(1, 2, 3), rh.arange(12):view(3, 4)), "strided overlapping rows copied as a whole")
m = rh.arange(9):view(3, 3)
m:copy(m:t())
T.ok(T.same_elements(m, rh.tensor { { 1, 4, 7 }, { 2, 5, 8 }, { 3, 6, 9 } }), "m:copy(m:t()) transposes in place")

T.done()
