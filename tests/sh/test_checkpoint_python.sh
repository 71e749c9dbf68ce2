#!/bin/bash
# test_checkpoint_python.sh - an rh.checkpoint file (a model's and an Adam optimizer's state
# dicts) read from Python with numpy + json only, following the safetensors layout (u64
# header length, JSON header, raw data): the documented names (docs/results.md), the
# values, the metadata. Skips (77) without /usr/bin/python3 + numpy.
set -euo pipefail
PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -c 'import numpy' 2>/dev/null; then echo "SKIP: python3 with numpy not found"; exit 77; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$RANKHOST" -e "
rh.seed(5)
local nn = rh.nn
local m = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Residual(nn.Linear(6, 6)), nn.Linear(6, 3))
local opt = rh.optim.Adam(m, {lr = 0.01})
local crit = nn.CrossEntropyLoss()
local X, Y = rh.randn(8, 4), rh.tensor{1, 2, 3, 1, 2, 3, 1, 2}
for _ = 1, 2 do
  opt:zero_grad(); local y = m:forward(X); crit:forward(y, Y); m:backward(X, crit:backward(y, Y)); opt:step()
end
rh.checkpoint.save('$dir/ck.safetensors', {model = m, optimizer = opt, meta = {seed = 5, iteration = 2, study = 'p-test'}})
local exp = {}
for k, t in pairs(m:state_dict()) do exp['model.' .. k] = t end
local t = opt:state_dict()
for k, x in pairs(t) do exp['optimizer.' .. k] = x end
rh.io.write_atomic('$dir/expected.json', rh.json.encode(exp))
"
"$PY" - "$dir" <<'PYEOF'
import json, struct, sys
import numpy as np
d = sys.argv[1]
raw = open(d + "/ck.safetensors", "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
hdr = json.loads(raw[8:8 + n])
data = raw[8 + n:]
meta = hdr.pop("__metadata__")
def get(name):
    e = hdr[name]
    assert e["dtype"] == "F32"
    b, end = e["data_offsets"]
    return np.frombuffer(data[b:end], dtype="<f4").reshape(e["shape"])
names = sorted(hdr)
model = ["model.1.bias", "model.1.weight", "model.3.block.bias", "model.3.block.weight", "model.4.bias", "model.4.weight"]
opt = ["optimizer.1.%d.%s" % (j, k) for j in range(1, 7) for k in ("exp_avg", "exp_avg_sq")]
assert names == sorted(model + opt), names
assert get("model.1.weight").shape == (6, 4) and get("model.4.bias").shape == (3,)
assert get("optimizer.1.1.exp_avg").shape == (6, 4)
exp = json.load(open(d + "/expected.json"))
for k in names:
    assert np.array_equal(get(k), np.array(exp[k], dtype=np.float32)), k
assert meta["format"] == "rankhost-checkpoint 1", meta
assert meta["architecture"] == "Sequential(Linear 4->6, ReLU, Residual(Linear 6->6), Linear 6->3)", meta["architecture"]
assert meta["seed"] == "5" and meta["iteration"] == "2" and meta["study"] == "p-test", meta
assert meta["parameters"] == str(6 * 4 + 6 + 36 + 6 + 18 + 3), meta["parameters"]
assert meta["optimizer.optimizer"] == "Adam" and meta["optimizer.groups"] == "1" and meta["optimizer.1.params"] == "6"
assert float(meta["optimizer.1.lr"]) == 0.01 and meta["optimizer.1.betas"] == "0.90000000000000002,0.999"
assert all(meta["optimizer.1.%d.step" % j] == "2" for j in range(1, 7))
print("python read the checkpoint: ok")
PYEOF
