#!/bin/bash
# test_safetensors_python.sh - safetensors interop with Python both ways: rankhost
# writes, a few lines of numpy + json that follow the format's spec read and compare;
# numpy writes (sorted or not, with metadata, an empty tensor), rankhost reads and
# compares. Skips (77) without /usr/bin/python3 + numpy.
set -euo pipefail
PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -c 'import numpy' 2>/dev/null; then echo "SKIP: python3 with numpy not found"; exit 77; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# ---- rankhost -> Python ----
"$RANKHOST" -e "
rh.seed(3)
local w = rh.randn(4, 3)
rh.save('$dir/from_rh.safetensors', {w = w, b = rh.tensor{0.1, -2, 3e-8}, wt = w:t(), cube = rh.randn(2, 3, 4)},
        {epoch = '5'})
rh.io.write_atomic('$dir/expected.json', rh.json.encode({w = w, b = rh.tensor{0.1, -2, 3e-8}, wt = w:t()}))
"
"$PY" - "$dir" <<'PYEOF'
import json, struct, sys
import numpy as np
d = sys.argv[1]
raw = open(d + "/from_rh.safetensors", "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
assert n % 8 == 0, "header not aligned"
hdr = json.loads(raw[8:8 + n])
data = raw[8 + n:]
assert hdr["__metadata__"] == {"epoch": "5"}, hdr["__metadata__"]
def get(name):
    e = hdr[name]
    assert e["dtype"] == "F32"
    b, end = e["data_offsets"]
    return np.frombuffer(data[b:end], dtype="<f4").reshape(e["shape"])
exp = json.load(open(d + "/expected.json"))
for k in ("w", "b", "wt"):
    a = get(k)
    e = np.array(exp[k], dtype=np.float32)
    assert a.shape == e.shape, (k, a.shape, e.shape)
    assert np.array_equal(a, e), (k, a, e)
assert np.array_equal(get("wt"), get("w").T)
assert get("cube").shape == (2, 3, 4)
assert sorted(k for k in hdr if k != "__metadata__") == ["b", "cube", "w", "wt"]
ends = sorted(tuple(v["data_offsets"]) for k, v in hdr.items() if k != "__metadata__")
assert ends[0][0] == 0 and ends[-1][1] == len(data)
print("python read rankhost's file: ok")
PYEOF

# ---- Python -> rankhost ----
"$PY" - "$dir" <<'PYEOF'
import json, struct, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
tensors = {"zeta": rng.standard_normal((3, 5)).astype(np.float32),
           "alpha": np.arange(6, dtype=np.float32).reshape(2, 3),
           "empty": np.zeros((0, 2), dtype=np.float32),
           "scalarish": np.array([np.pi], dtype=np.float32)}
hdr, blobs, at = {"__metadata__": {"source": "numpy", "note": "é"}}, [], 0
for name in ["zeta", "empty", "alpha", "scalarish"]:   # data not in name order, as the spec allows
    b = tensors[name].astype("<f4").tobytes()
    hdr[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [at, at + len(b)]}
    blobs.append(b); at += len(b)
h = json.dumps(hdr).encode()
with open(d + "/from_py.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
json.dump({k: v.tolist() for k, v in tensors.items()}, open(d + "/py_expected.json", "w"))
PYEOF
"$RANKHOST" -e "
local t, meta = rh.load('$dir/from_py.safetensors')
local f = assert(io.open('$dir/py_expected.json')); local exp = rh.json.decode(f:read('a')); f:close()
local function same(name)
  local a, e = t[name]:totable(), exp[name]
  assert(#a == #e, name .. ': rows differ')
  for i = 1, #e do
    if type(e[i]) == 'table' then for j = 1, #e[i] do assert(a[i][j] == e[i][j], name .. ' differs') end
    else assert(math.abs(a[i] - e[i]) <= 1e-6 * math.abs(e[i]), name .. ' differs') end
  end
end
for _, k in ipairs{'zeta', 'alpha', 'scalarish'} do same(k) end
assert(t.zeta:size(1) == 3 and t.zeta:size(2) == 5, 'zeta shape')
assert(t.empty:size(1) == 0 and t.empty:size(2) == 2, 'empty shape')
assert(meta.source == 'numpy' and meta.note == 'é', 'metadata')
print('rankhost read python\'s file: ok')
"
