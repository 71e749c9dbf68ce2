#!/usr/bin/env bash
# test_host.sh - the rankhost program as a user meets it: options, arg and ..., exit
# statuses, error format, the prompt, and running from any folder with no files beside it.
set -u
RANKHOST=${RANKHOST:?set RANKHOST to the rankhost binary}
pass=0; fail=0
ok() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $1" >&2; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"   # no files of the project beside us

out=$("$RANKHOST" --version); ok "--version" '[[ $out == rankhost\ * ]]'
out=$("$RANKHOST" --help); ok "--help lists --device" '[[ $out == *--device* && $out == *--threads* && $out == *--seed* ]]'
"$RANKHOST" --bogus >/dev/null 2>"$tmp/err"; rc=$?
ok "unknown option exits 2" '[ $rc -eq 2 ] && grep -q "unrecognized option" "$tmp/err"'

cat > args.lua <<'LUA'
local a, b = ...
print(arg[0], arg[1], arg[2], a, b, #arg)
LUA
out=$("$RANKHOST" args.lua one two); ok "arg and ..." '[ "$out" = "args.lua	one	two	one	two	2" ]'

cat > req.lua <<'LUA'
local r = require("rankhost")
assert(r == rh, "require returns the global rh")
print(r.version)
LUA
out=$("$RANKHOST" req.lua); ok "require(\"rankhost\") is rh" '[ -n "$out" ]'

printf 'local x = 1\nlocal y = nil + x\n' > bad.lua
"$RANKHOST" bad.lua 2>"$tmp/err"; rc=$?
ok "script error exits 1" '[ $rc -eq 1 ]'
ok "error names file and line" 'grep -q "^rankhost: bad.lua:2: attempt to perform arithmetic on a nil value" "$tmp/err"'
ok "error has a traceback" 'grep -q "stack traceback" "$tmp/err"'

"$RANKHOST" missing.lua 2>"$tmp/err"; rc=$?
ok "missing script exits 1" '[ $rc -eq 1 ] && grep -q "cannot open missing.lua" "$tmp/err"'

out=$("$RANKHOST" -e 'print(rh.zeros(2,3):numel())'); ok "-e chunk" '[ "$out" = "6" ]'
out=$("$RANKHOST" --seed 5 -e 'print(rh.seed())'); ok "--seed" '[ "$out" = "5" ]'
a1=$("$RANKHOST" --seed 9 -e 'print(rh.randn(1):get(1))'); a2=$("$RANKHOST" --seed 9 -e 'print(rh.randn(1):get(1))')
ok "--seed makes runs repeat" '[ "$a1" = "$a2" ]'
out=$("$RANKHOST" --threads 1 -e 'print(rh.threads())'); ok "--threads" '[ "$out" = "1" ]'
"$RANKHOST" --threads x -e '' 2>/dev/null; rc=$?; ok "--threads x is a usage error" '[ $rc -eq 2 ]'
out=$("$RANKHOST" --device cpu -e 'print(rh.device())'); ok "--device cpu" '[ "$out" = "cpu" ]'
if ! "$RANKHOST" -e 'os.exit(rh.cuda_available() and 0 or 1)'; then
  "$RANKHOST" --device cuda -e 'print(1)' 2>"$tmp/err"; rc=$?
  ok "--device cuda without a GPU exits 1 with a message" '[ $rc -eq 1 ] && grep -qiE "cuda" "$tmp/err"'
fi

out=$(printf 'x = 20\nx + 22\nfor i = 1, 2 do\nx = x + i\nend\nprint(x)\n' | "$RANKHOST")
ok "interactive prompt evaluates lines and blocks" '[[ "$out" == *42* && "$out" == *23* ]]'

printf 'print("from stdin")' | "$RANKHOST" - > "$tmp/o"; ok "script from stdin" 'grep -q "from stdin" "$tmp/o"'

# stdout is line-buffered into a file (print flushes anyway; io.write now does per line): a
# run killed with SIGKILL keeps every line it wrote
"$RANKHOST" -e 'io.write("progress line\n"); os.execute("kill -9 $PPID; sleep 1")' > "$tmp/killed" 2>/dev/null
ok "a killed run's log keeps its printed lines" 'grep -q "progress line" "$tmp/killed"'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
