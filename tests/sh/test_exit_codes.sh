#!/bin/bash
# test_exit_codes.sh - scripts/problem1.lua refuses bad input with a clear message and the
# right status, and loses nothing already written: status 2 for usage errors (a wrong
# option or value, a config file that is missing, unreadable, not Lua or names an unknown
# option, an option out of range), status 1 for failures (an output folder that cannot be
# created, results files that are not a study's). Every refusal leaves an existing study's
# files byte for byte.
# Tests run as root, so "cannot be written" is a path under a regular file, not chmod.
set -u
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; cat "$out/err"; fail=1; fi; }
P1=("$RANKHOST" "$RH_SOURCE/scripts/problem1.lua")
S=$out/s
TINY=(--quick --n 0 --random-runs 0 --wd0-runs 0 --teacher-ranks 2 --ladder-seeds 2 --parity-k none --noise-levels none
  --teacher-n 200 --teacher-dim 16 --ladder-hidden 16 --max-epochs 1 --min-horizon 0 --cooldown 0 --probe 32 --jobs 1)
sweep() { "${P1[@]}" "${TINY[@]}" --out "$S" "$@"; }
state() { (cd "$S" && find . -type f ! -name .lock | sort | xargs md5sum); }

sweep > "$out/err" 2>&1
check "a small sweep to protect" '[ $? -eq 0 ] && [ -s "$S/runs.jsonl" ]'
state > "$out/before"
same() { state | cmp -s - "$out/before"; }
# runs "$@", expects status $1 and stderr matching $2, and the sweep untouched
expect() {
  local want=$1 pat=$2 name=$3; shift 3
  "$@" > "$out/err" 2>&1
  local rc=$?
  check "$name: status $want" '[ $rc -eq $want ]'
  check "$name: message" 'grep -q -- "$pat" "$out/err"'
  check "$name: no traceback" '! grep -q "stack traceback" "$out/err"'
  check "$name: the sweep's files unchanged" 'same'
}

expect 2 "unknown option --bogus" "wrong option" sweep --bogus
expect 2 "bad value 'x' for --max-epochs: expects an integer" "bad value" sweep --max-epochs x
expect 2 "option --lr needs a value" "missing value" sweep --lr
expect 2 "unexpected argument 'stray'" "stray argument" sweep stray
expect 2 "cannot load config file: cannot open $out/none.lua" "missing config" sweep --config "$out/none.lua"
mkdir "$out/dir.lua"
expect 2 "cannot load config file: cannot read $out/dir.lua" "config is a folder" sweep --config "$out/dir.lua"
printf 'return { max_epochs = \n' > "$out/syntax.lua"
expect 2 "cannot load config file: $out/syntax.lua:2:" "config not Lua" sweep --config "$out/syntax.lua"
printf 'return { max_epoch = 3 }\n' > "$out/unknown.lua"
expect 2 "unknown option 'max_epoch'" "config with an unknown option" sweep --config "$out/unknown.lua"
printf 'return { lr = "fast" }\n' > "$out/badval.lua"
expect 2 "bad value for 'lr'" "config with a bad value" sweep --config "$out/badval.lua"
printf 'os.exit(0)\n' > "$out/sandbox.lua"
expect 2 "attempt to index a nil value" "config cannot call the os library" sweep --config "$out/sandbox.lua"
expect 2 "holds a study with other settings" "other settings in --out" sweep --lr 0.2

touch "$out/afile"
expect 1 "cannot create the output folder $out/afile/sub" "--out under a regular file" \
  "${P1[@]}" "${TINY[@]}" --out "$out/afile/sub"
check "--out under a regular file: the file is untouched" '[ ! -s "$out/afile" ]'
expect 1 "cannot create the output folder $out/afile: .*exists and is not a directory" "--out is a regular file" \
  "${P1[@]}" "${TINY[@]}" --out "$out/afile"

# results that are not a sweep's: refused, and left as they are for the user to look at
cp "$S/runs.jsonl" "$out/runs.good"
{ echo "not json"; cat "$out/runs.good"; } > "$S/runs.jsonl"
state > "$out/before"
expect 1 "runs.jsonl:1: .*finished runs are read from it" "a corrupt line in runs.jsonl" sweep
cp "$out/runs.good" "$S/runs.jsonl"
cp "$S/config.json" "$out/config.good"
echo '{"another": "program"}' > "$S/config.json"
state > "$out/before"
expect 1 "config.json is not a problem1 study's settings" "another program's config.json" sweep
cp "$out/config.good" "$S/config.json"
mkdir "$out/t" && cp "$S/config.json" "$out/t/" && mkdir "$out/t/runs.jsonl"
S=$out/t; state > "$out/before"
expect 1 "cannot append to $out/t/runs.jsonl: .*is a directory" "runs.jsonl is a folder" sweep
# an option out of range for the ladder: a usage error naming it, the study untouched
expect 2 "--teacher-ranks: rank 20 is larger than the input dimension --teacher-dim 16" "ladder option out of range" \
  sweep --teacher-ranks 2,20
S=$out/s

# the host's own usage errors
"$RANKHOST" --bogus > "$out/err" 2>&1
check "rankhost --bogus: status 2" '[ $? -eq 2 ]'
"$RANKHOST" "$out/missing.lua" > "$out/err" 2>&1
check "rankhost missing.lua: status 1 and the name" '[ $? -eq 1 ] && grep -q "missing.lua" "$out/err"'
exit $fail
