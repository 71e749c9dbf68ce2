#!/bin/bash
# test_cuda_lazy.sh - in a build with CUDA the backend is a module (librankhost_cuda.so)
# loaded only when a script first touches CUDA: the program links no CUDA library, starts
# small (the CUDA libraries cost ~180 MB resident when loaded), a CPU-only training run never
# maps them, and a module that cannot be loaded makes --device cuda fail with exit status 1
# and a message naming the file. Skips (77) in a build without CUDA.
set -u
: "${RANKHOST:?}"
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

mod=$("$RANKHOST" -e 'local p, why = rh.cuda.module(); io.write(p or why)')
if echo "$mod" | grep -q "built without CUDA"; then
  echo "SKIP: built without CUDA ($mod)"
  exit 77
fi
check "rh.cuda.module() loads the module beside the program: $mod" \
  '[ "$mod" = "$(cd "$(dirname "$RANKHOST")" && pwd -P)/librankhost_cuda.so" ]'

libs=$(ldd "$RANKHOST")
check "the program links no CUDA library" '! echo "$libs" | grep -Eq "libcu(blas|blasLt|dart|solver|sparse)|libnvJitLink"'
check "the module does link them" 'ldd "$(dirname "$RANKHOST")/librankhost_cuda.so" | grep -q libcublas'

# CPU work: start-up and a few training steps, then look at what is mapped. The bound (60 MB)
# sits between the ~8 MB this takes and the ~190 MB of a program that loads the CUDA libraries.
cpu_run=$("$RANKHOST" -e '
  local start = rh.rss()
  rh.seed(1)
  local ds = rh.data.teacher { n = 256, dim = 16, rank = 2, classes = 3, seed = 1 }
  local model = rh.nn.MLP { 16, 32, 3 }
  rh.train.fit(model, function(e) return rh.data.loader(ds, { batch = 32, shuffle = true, seed = e }) end,
    { lr = 0.1, max_epochs = 2, progress = false })
  local maps = io.open("/proc/self/maps"):read("a")
  io.write(start // 1000000, " ", rh.peak_rss() // 1000000, " ", tostring(maps:find("libcu", 1, true) ~= nil), " ",
    rh.device(), " ", tostring(rh.cuda.tf32(true)), " ", rh.cuda.memory().in_use)')
read -r start_mb peak_mb mapped dev tf in_use <<< "$cpu_run"
echo "CPU run: $start_mb MB at start, peak $peak_mb MB, CUDA libraries mapped: $mapped"
check "resident memory at start under 60 MB ($start_mb MB)" '[ -n "$start_mb" ] && [ "$start_mb" -lt 60 ]'
check "a CPU training run peaks under 60 MB ($peak_mb MB)" '[ -n "$peak_mb" ] && [ "$peak_mb" -lt 60 ]'
check "a CPU training run maps no CUDA library, tf32/memory included ($cpu_run)" \
  '[ "$mapped" = "false" ] && [ "$dev" = "cpu" ] && [ "$tf" = "true" ] && [ "$in_use" = "0" ]'

# asking for CUDA maps them (the module's libraries), GPU or not
mapped=$("$RANKHOST" -e 'rh.cuda_available(); io.write(tostring(io.open("/proc/self/maps"):read("a"):find("libcublas", 1, true) ~= nil))')
check "rh.cuda_available() loads the module and its libraries" '[ "$mapped" = "true" ]'

# a module that cannot be loaded: exit status 1, the reason names the file
err=$(RANKHOST_CUDA_MODULE=/nonexistent/librankhost_cuda.so "$RANKHOST" --device cuda -e 'print("ran")' 2>&1)
rc=$?
check "RANKHOST_CUDA_MODULE=/nonexistent: --device cuda exits 1 (got $rc)" '[ $rc -eq 1 ]'
check "the message names the module: $err" \
  'echo "$err" | grep -q "CUDA backend not available: /nonexistent/librankhost_cuda.so: cannot open"'
check "the chunk did not run" '! echo "$err" | grep -qx "ran"'
out=$(RANKHOST_CUDA_MODULE=/nonexistent "$RANKHOST" -e 'local n = rh.cuda.device_count(); local ok, e = pcall(function() return rh.ones(2):to("cuda") end); io.write(n, " ", tostring(rh.cuda_available()), " ", tostring(ok), " ", e)' 2>&1)
check "without the module: no device, catchable errors naming it ($out)" \
  'echo "$out" | grep -q "^0 false false .*bad argument #1 to .to. (CUDA backend not available: /nonexistent"'

# a file that is not a module of this program (a library without the table) is refused
err=$(RANKHOST_CUDA_MODULE=$(ldd "$RANKHOST" | awk '/libz\.so/ { print $3 }') "$RANKHOST" --device cuda -e 1 2>&1)
check "a library without the table is refused: $err" 'echo "$err" | grep -q "the module has no rh_cuda_api_get"'

exit $fail
