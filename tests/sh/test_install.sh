#!/bin/bash
# label: nosan
# test_install.sh - `cmake --install` into a temporary prefix gives a working tree: the
# program (bin/), the Lua module (lib/lua/5.4/rankhost.so), the study scripts with their
# policies and schedules (share/rankhost/scripts), examples and docs (share/doc/rankhost);
# the installed program runs an example and a tiny problem 1 study from the installed
# scripts, and a stock lua5.4 loads the installed module and computes what the program does.
# (nosan: a sanitized rankhost.so cannot be loaded into an interpreter built without ASan.)
set -uo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
command -v lua5.4 > /dev/null || { echo "FAIL: no lua5.4 (apt-get install lua5.4; it is in debian-packages.txt)"; exit 1; }
p=$tmp/prefix
cmake --install "$RH_BUILD" --prefix "$p" > "$tmp/install.log" 2>&1
check "cmake --install exits 0" '[ $? -eq 0 ] || { cat "$tmp/install.log"; false; }'
mod=$(find "$p" -name rankhost.so -path "*/lua/5.4/*" | head -1)
check "the module in lib/.../lua/5.4" '[ -n "$mod" ] && [ -s "$mod" ]'
for f in bin/rankhost share/rankhost/scripts/problem1.lua share/rankhost/scripts/problem2.lua \
         share/rankhost/scripts/problem2/policies/energy.lua share/rankhost/scripts/problem2/schedules/gamma.lua \
         share/rankhost/scripts/common/regime.lua share/doc/rankhost/README.md share/doc/rankhost/training.md \
         share/doc/rankhost/API.md share/doc/rankhost/examples/first.lua; do
  check "installed $f" '[ -s "$p/$f" ]'
done
if [ -f "$RH_BUILD/librankhost_cuda.so" ]; then
  check "the CUDA module in lib/rankhost" '[ -s "$p/lib/rankhost/librankhost_cuda.so" ]'
fi

# the installed program, from another folder, on installed files only
cd "$tmp"
"$p/bin/rankhost" "$p/share/doc/rankhost/examples/first.lua" > "$tmp/first.log" 2>&1
check "installed rankhost runs an installed example" '[ $? -eq 0 ] && grep -q "rh.Tensor" "$tmp/first.log" || { cat "$tmp/first.log"; false; }'
data=/usr/share/datasets/fashion-mnist
"$p/bin/rankhost" --threads 1 "$p/share/rankhost/scripts/problem1.lua" --quick --data-dir "$data" --train-split test \
  --holdout 0.25 --train-subset 400 --test-subset 100 --n 1 --seeds 1 --wd0-runs 0 --random-runs 0 --max-epochs 2 \
  --min-horizon 0 --cooldown 0 --rank-every 1 --rank-patience 2 --ladder off --probe 32 --jobs 1 --out "$tmp/p1" \
  > "$tmp/p1.log" 2>&1
check "installed rankhost runs the installed problem 1 script" '[ $? -eq 0 ] && [ -s "$tmp/p1/report.md" ] || { tail -20 "$tmp/p1.log"; false; }'
"$p/bin/rankhost" "$p/share/rankhost/scripts/problem2.lua" --help > "$tmp/p2.log" 2>&1
check "the installed problem 2 script answers --help" '[ $? -eq 0 ] && grep -q "policy" "$tmp/p2.log"'

# a stock interpreter loads the installed module: the same numbers as the program
prog='local rh = require "rankhost"; rh.seed(3); local W = rh.randn(6, 4)
local m = rh.nn.MLP{4, 5, 2}; local y = m:forward(W)
print(string.format("%.6f %d %.6f %s", W:sum(), rh.rank.energy(W), y:sum(), rh.version))'
LUA_CPATH="$(dirname "$mod")/?.so;;" lua5.4 -e "$prog" > "$tmp/lua.out" 2>&1
check "lua5.4 loads the installed rankhost.so" '[ $? -eq 0 ] || { cat "$tmp/lua.out"; false; }'
"$p/bin/rankhost" -e "$prog" > "$tmp/rh.out" 2>&1
check "and computes what the program computes" 'cmp -s "$tmp/lua.out" "$tmp/rh.out" || { cat "$tmp/lua.out" "$tmp/rh.out"; false; }'
if [ -f "$RH_BUILD/librankhost_cuda.so" ]; then # the CUDA module is found from the installed module too
  LUA_CPATH="$(dirname "$mod")/?.so;;" lua5.4 -e 'local rh = require "rankhost"; print(select(2, pcall(rh.cuda.module)))' \
    > "$tmp/cuda.out" 2>&1
  check "lua5.4 + the installed module load the installed CUDA module" 'grep -q "^$p/lib/rankhost/librankhost_cuda.so$" "$tmp/cuda.out" || { cat "$tmp/cuda.out"; false; }'
fi
LUA_CPATH="$(dirname "$mod")/?.so;;" lua5.4 "$p/share/rankhost/scripts/problem1.lua" --quick --data-dir "$data" \
  --train-split test --holdout 0.25 --train-subset 400 --test-subset 100 --n 1 --seeds 1 --wd0-runs 0 --random-runs 0 \
  --max-epochs 2 --min-horizon 0 --cooldown 0 --rank-every 1 --rank-patience 2 --ladder off --probe 32 --jobs 1 \
  --out "$tmp/p1lua" > "$tmp/p1lua.log" 2>&1
check "lua5.4 runs the installed problem 1 script with the module" '[ $? -eq 0 ] && [ -s "$tmp/p1lua/report.md" ] || { tail -20 "$tmp/p1lua.log"; false; }'
# and the module built beside the program, with LUA_CPATH
LUA_CPATH="$RH_BUILD/?.so;;" lua5.4 -e 'local rh = require "rankhost"; assert(rh.nn.Residual and rh.checkpoint)' > "$tmp/b.out" 2>&1
check "lua5.4 loads build/rankhost.so" '[ $? -eq 0 ] || { cat "$tmp/b.out"; false; }'
exit $fail
