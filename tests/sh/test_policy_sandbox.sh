#!/bin/bash
# test_policy_sandbox.sh - a policy cannot make a study look successful or reach outside its
# sandbox (issue 24 item 7), end to end through scripts/problem2.lua: os.exit(0) while the
# policy loads is a usage error (status 2), os.exit(0) while it decides ends the run with
# status 1 and keeps the iterations done, io.open is refused; each message names the file.
# (The sandbox itself, budgets and the shipped policies: tests/lua/test_sandbox.lua.)
set -u
RANKHOST=${RANKHOST:?} RH_SOURCE=${RH_SOURCE:?}
FASHION=/usr/share/datasets/fashion-mnist  # Debian's dataset-fashion-mnist (debian-packages.txt)
[ -f "$FASHION/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $FASHION: apt-get install dataset-fashion-mnist"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/data" && ln -s "$FASHION"/t10k-*-ubyte.gz "$TMP/data"/ || exit 1
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; cat "$TMP/err"; fail=1; fi; }
TINY=(--data-dir "$TMP/data" --train-size 480 --test-size 300 --hidden 24,16 --seeds 1 --min-horizon 0.2
      --max-epochs 2 --rank-every 1 --rank-patience 2 --cooldown 1 --max-iters 2 --margin 1 --sample 100
      --teacher-widths none --no-baselines --schedule constant --jobs 1)
run() { "$RANKHOST" "$RH_SOURCE/scripts/problem2.lua" "${TINY[@]}" --policy "$1" --out "$TMP/out-$(basename "$1" .lua)" > "$TMP/err" 2>&1; }

printf 'os.exit(0)\nreturn { widths = function(s) return {1, 1} end }\n' > "$TMP/exit_load.lua"
run "$TMP/exit_load.lua"; rc=$?
check "os.exit(0) while loading: status 2, not 0" "[ $rc -eq 2 ]"
check "... naming the policy file" "grep -q 'policy $TMP/exit_load.lua: os.exit is not allowed' '$TMP/err'"

printf 'return { widths = function(s) os.exit(0) end }\n' > "$TMP/exit_call.lua"
run "$TMP/exit_call.lua"; rc=$?
check "os.exit(0) while deciding: status 1, not 0" "[ $rc -eq 1 ]"
check "... naming the policy file and the iteration" \
  "grep -q 'policy $TMP/exit_call.lua failed deciding iteration 1: .*os.exit is not allowed' '$TMP/err'"
check "... and keeping the iteration trained before" "[ -s '$TMP/out-exit_call/iterations/p2-1-img-constant-s1.jsonl' ]"

printf 'return { widths = function(s) io.open("%s/written", "w"):write("x") return {1, 1} end }\n' "$TMP" > "$TMP/io.lua"
run "$TMP/io.lua"; rc=$?
check "io.open while deciding: status 1" "[ $rc -eq 1 ]"
check "... refused, naming the policy file" "grep -q \"policy $TMP/io.lua failed deciding iteration 1: .*'io' is not available here\" '$TMP/err'"
check "... and nothing was written" "[ ! -e '$TMP/written' ]"
exit $fail
