#!/bin/bash
# test_cuda_absent.sh - without a usable CUDA device the same binary runs CPU-only, and
# asking for the device fails with a clear message and exit status 1 (never a crash).
set -u
: "${RANKHOST:?}"
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; fi; }

avail=$("$RANKHOST" -e 'io.write(tostring(rh.cuda_available()))')
check "rankhost -e runs" '[ $? -eq 0 ]'
if [ "$avail" = "true" ]; then
  echo "SKIP: a CUDA device is present (this test covers machines without one)"
  exit 77
fi

# CPU work goes on as usual in a build with or without CUDA.
out=$("$RANKHOST" -e 'local a = rh.ones(2,3) * 2; io.write(a:sum(), " ", rh.cuda.device_count(), " ", rh.device())')
check "CPU-only run works ($out)" '[ "$out" = "12.0 0 cpu" ] || [ "$out" = "12 0 cpu" ]'

# --device cuda: exit status 1 and a message that says why.
err=$("$RANKHOST" --device cuda -e 'print("ran")' 2>&1)
rc=$?
check "--device cuda exits 1 (got $rc)" '[ $rc -eq 1 ]'
check "--device cuda says why: $err" 'echo "$err" | grep -Eq "no CUDA device is present|built without CUDA"'
check "--device cuda did not run the chunk" '! echo "$err" | grep -qx "ran"'

# rh.device("cuda") and t:to("cuda") raise Lua errors naming the function.
err=$("$RANKHOST" -e 'rh.device("cuda")' 2>&1)
check "rh.device('cuda') exits 1" '[ $? -eq 1 ]'
check "rh.device names itself: $err" 'echo "$err" | grep -q "bad argument #1 to .device"'
err=$("$RANKHOST" -e 'rh.ones(2,2):to("cuda")' 2>&1)
check "t:to('cuda') exits 1" '[ $? -eq 1 ]'
check "t:to names itself: $err" 'echo "$err" | grep -q "to '"'"'to'"'"'"'
out=$("$RANKHOST" -e 'local ok = pcall(function() return rh.ones(2,2):to("cuda") end); io.write(tostring(ok))')
check "the error is catchable with pcall" '[ "$out" = "false" ]'

# rh.cuda settings are harmless without a device.
out=$("$RANKHOST" -e 'rh.cuda.tf32(true); local m = rh.cuda.memory(); rh.cuda.synchronize(); rh.cuda.empty_cache(); io.write(tostring(rh.cuda.tf32()), " ", m.in_use, " ", m.cached)')
check "rh.cuda settings ($out)" '[ "$out" = "true 0 0" ]'
err=$("$RANKHOST" -e 'rh.cuda.tf32(1)' 2>&1)
check "rh.cuda.tf32 checks its argument: $err" 'echo "$err" | grep -q "bad argument #1 to .tf32. (boolean expected"'

[ $fail -eq 0 ] && echo "ok"
exit $fail
