#!/bin/bash
# test_problem1_answers.sh - scripts/problem1_answers.lua: with no study folders every
# question but the calibration's is "cannot tell" naming the missing facts and the command
# that makes them; without a calibration folder the default calibration table answers the
# complexity question (gap recovers k on 2 of its 6 tasks); facts.json holds each answer.
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
mkdir -p "$T/empty"
"$RANKHOST" "$RH_SOURCE/scripts/problem1_answers.lua" --results "$T/empty" --calibration "$T/none" --out "$T/a" > "$T/log" 2>&1
check "exits 0" '[ $? -eq 0 ] || { cat "$T/log"; false; }'
check "answers.md and facts.json written" '[ -s "$T/a/answers.md" ] && [ -s "$T/a/facts.json" ]'
check "four questions without facts say cannot tell with the command" \
  '[ "$(grep -c "\*\*cannot tell\*\*: no facts at .*(run \`build/rankhost scripts/problem1" "$T/a/answers.md")" = 4 ]'
check "the default calibration table: gap recovers k on 2 of 6 tasks" \
  'grep -q "on 2 of 6 tasks (no calibration at .*default_calibration.csv" "$T/a/answers.md"'
check "facts.json: each answer" 'grep -q "\"complexity\":{\"answer\":\"on some tasks\"" "$T/a/facts.json" &&
  grep -q "\"memorise\":{\"answer\":\"cannot tell\"" "$T/a/facts.json"'
exit $fail
