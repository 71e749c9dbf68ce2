#!/bin/bash
# label: nosan
# test_valgrind.sh - memcheck finds no error in rankhost running a short example
# (examples/first.lua: tensors, a product, views) nor in a few training steps with rank
# measures and a checkpoint round trip; definite leaks count as errors. Labelled nosan:
# valgrind cannot run an AddressSanitizer binary. Skips (77) when valgrind is absent.
# No suppression: a CPU script no longer loads the CUDA libraries (the CUDA module loads on
# first use), so glibc's loader report that tests/valgrind.supp hides (cuBLAS's dlopen with
# an RPATH) cannot appear here; that file is for valgrind runs of CUDA scripts.
set -u
command -v valgrind > /dev/null || { echo "SKIP: valgrind is not installed (Debian: valgrind)"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
vg=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite -q)

cat > "$out/train.lua" <<'LUA'
rh.seed(2)
local ds = rh.data.teacher { n = 64, dim = 8, rank = 2, classes = 3, seed = 1 }
local model = rh.nn.MLP { 8, 16, 3 }
local h = rh.train.fit(model, function(e) return rh.data.loader(ds, { batch = 16, shuffle = true, seed = e }) end,
  { lr = 0.1, max_epochs = 2, progress = false })
local X = ds:batch { 1, 2, 3, 4, 5, 6, 7, 8 }
local net = rh.rank.network(model, { data = X })
local dir = rh.io.mkdtemp("rh-valgrind-")
rh.save(dir .. "/m.safetensors", { w = model:parameters()[1] })
local t = rh.load(dir .. "/m.safetensors")
local w = rh.log.jsonl(dir .. "/h.jsonl"); w:write { loss = h[#h].loss, rank = net.sum.numerical }; w:close()
assert(#rh.log.read_jsonl(dir .. "/h.jsonl") == 1 and t.w:numel() == 128)
os.remove(dir .. "/m.safetensors"); os.remove(dir .. "/h.jsonl"); os.remove(dir)
print("trained", h[#h].loss)
LUA
# one process for both (starting under valgrind costs ~30 s when the CUDA libraries load,
# as they did before the CUDA backend became a module loaded on first use)
"${vg[@]}" "$RANKHOST" -e "dofile('$RH_SOURCE/examples/first.lua')" "$out/train.lua" > "$out/log" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "^trained" "$out/log" && grep -q "rh.Tensor 4x1" "$out/log"; then
  echo "ok: examples/first.lua, training, ranks and a checkpoint under valgrind"
else
  echo "FAIL: valgrind (status $rc)"; cat "$out/log"; fail=1
fi
exit $fail
