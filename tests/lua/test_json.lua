-- test_json.lua - rh.json.encode / decode: determinism, precision, strictness, errors.
local T = require "testlib"
local json = rh.json

-- ---- encode ----
T.eq(json.encode { b = 1, a = { 1, 2, 3 }, c = "x" }, '{"a":[1,2,3],"b":1,"c":"x"}', "sorted keys, arrays")
T.eq(json.encode(3), "3", "integer")
T.eq(json.encode(2 ^ 53), "9007199254740992", "integral float without exponent noise")
T.eq(json.encode(0.1), "0.1", "shortest round-trip float")
T.eq(json.encode(1 / 3), "0.3333333333333333", "16 digits when needed")
T.eq(json.encode(0.1 + 0.2), "0.30000000000000004", "17 digits when needed")
T.eq(json.encode(-1e300), "-1e+300", "large float")
T.eq(json.encode(0 / 0), "null", "NaN is null")
T.eq(json.encode(math.huge), "null", "Inf is null")
T.eq(json.encode { x = -math.huge }, '{"x":null}', "-Inf is null")
T.eq(json.encode(math.mininteger), tostring(math.mininteger), "min integer")
T.eq(json.encode(true), "true", "boolean")
T.eq(json.encode(nil), "null", "nil")
T.eq(json.encode(json.null), "null", "json.null")
T.eq(json.encode {}, "[]", "empty table is an empty array")
T.eq(json.encode "a\"b\\c\n\t\1/é", '"a\\"b\\\\c\\n\\t\\u0001/é"', "string escapes")
T.eq(json.encode(rh.tensor { { 1, 2 }, { 3, 0.5 } }), "[[1,2],[3,0.5]]", "tensor as nested arrays")
T.eq(json.encode(rh.tensor { { 1, 2 }, { 3, 4 } }:t()), "[[1,3],[2,4]]", "transposed tensor view")
T.eq(json.encode(rh.tensor { 0.1 }), "[0.1]", "float32 at float precision")
local deep = { a = { b = { c = { 1, { d = "e" } } } } }
T.eq(json.encode(deep), '{"a":{"b":{"c":[1,{"d":"e"}]}}}', "nested")
-- deterministic whatever the insertion order
local t1, t2 = {}, {}
for i = 1, 50 do t1["k" .. i] = i end
for i = 50, 1, -1 do t2["k" .. i] = i end
T.eq(json.encode(t1), json.encode(t2), "same text for the same table")

T.raises("array with holes", json.encode, { 1, nil, 3 })
T.raises("mixes array entries and string keys", json.encode, { 1, 2, x = 3 })
T.raises("neither a string nor a positive integer", json.encode, { [0.5] = 1 })
T.raises("cannot encode a function at .a.f", json.encode, { a = { f = print } })
T.raises("at [2]", json.encode, { 1, print })
T.raises("not valid UTF-8", json.encode, "\xff")
local cyc = {}
cyc.self = cyc
T.raises("a cycle?", json.encode, cyc)
T.raises("bad argument #1 to 'encode'", function() return json.encode(coroutine.create(print)) end)

-- ---- decode ----
local v = json.decode ' { "a" : [1, -2, 3.5, 1e2, null, true, false, "x\\u00e9\\ud83d\\ude00"], "b": {} } '
T.eq(v.a[1], 1, "int")
T.eq(math.type(v.a[1]), "integer", "integers decode as Lua integers")
T.eq(v.a[2], -2, "negative")
T.eq(v.a[3], 3.5, "float")
T.eq(math.type(v.a[4]), "float", "exponent form is a float")
T.eq(v.a[5], json.null, "null is json.null")
T.eq(v.a[6], true, "true")
T.eq(v.a[7], false, "false")
T.eq(v.a[8], "x\xc3\xa9\xf0\x9f\x98\x80", "\\u escapes and surrogate pairs to UTF-8")
T.eq(#v.a, 8, "array length with null kept")
T.eq(type(v.b), "table", "empty object")
T.eq(json.decode "12345678901234567890", 12345678901234567890.0, "beyond int64 becomes a float")

-- round trips
local rt = { x = 0.1, y = 1 / 3, z = -1e-300, n = 42, s = "a\nb", l = { 1, 2, { q = true } } }
local back = json.decode(json.encode(rt))
T.eq(back.x, rt.x, "0.1 exact")
T.eq(back.y, rt.y, "1/3 exact")
T.eq(back.z, rt.z, "tiny exact")
T.eq(json.encode(back), json.encode(rt), "encode(decode(encode(v))) stable")

-- strictness, with positions
local bad = {
  { "[1,2,]", "line 1, column 6" },
  { "{\"a\":1,}", "expected a string key" },
  { "[01]", "leading zero" },
  { "[1.]", "expected a digit after '.'" },
  { "[.5]", "expected a value" },
  { "NaN", "expected a value" },
  { "[Infinity]", "expected a value" },
  { "{'a':1}", "expected a string key" },
  { "{\"a\" 1}", "expected ':'" },
  { "[1 2]", "expected ',' or ']'" },
  { "\"abc", "unterminated string" },
  { "\"a\tb\"", "control character" },
  { "\"\\x\"", "invalid escape" },
  { "\"\\ud800\"", "not followed by a low surrogate" },
  { "\"\\udc00\"", "lone low surrogate" },
  { "\"\xff\"", "invalid UTF-8" },
  { "\"\xc0\xaf\"", "invalid UTF-8" },
  { "[1]x", "unexpected data after" },
  { "", "unexpected end of input" },
  { "1e999", "out of range" },
  { "{\"a\":1,\"a\":2}", "key 'a' appears twice" },
  { "[\n1,\n  ?]", "line 3, column 3" },
  { string.rep("[", 300) .. string.rep("]", 300), "nesting deeper than" },
  { "tru", "expected a value" },
}
for _, case in ipairs(bad) do T.raises(case[2], json.decode, case[1]) end
T.raises("bad argument #1 to 'decode'", function() return json.decode("[") end)
T.raises("string expected", json.decode, {})

T.done()
