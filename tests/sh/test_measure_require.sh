#!/bin/bash
# test_measure_require.sh - a rank measure of one's own in a study without touching a study
# file: problem 1 with --require examples/my_measure.lua (which registers "above_top") takes
# --measure above_top and --rank-measure above_top, records the measure for every layer and
# figure, writes its columns in summary.csv, its classes in classes.csv and defines it in the
# report (beside the network figures, listed from common/measure.lua's registry); --help
# lists it; a module that cannot be loaded is a usage error (status 2) naming it.
set -u
. "$RH_SOURCE/tests/sh/sweep_common.sh"
M="$RH_SOURCE/examples/my_measure.lua"
sweep "$tmp/s" --require "$M" --measure above_top --rank-measure above_top > "$tmp/s.log" 2>&1
check "the study with a registered measure exits 0" '[ $? -eq 0 ] || { cat "$tmp/s.log"; false; }'
head -1 "$tmp/s/summary.csv" | tr , '\n' > "$tmp/cols"
for c in ranks:above_top bottleneck:above_top last_hidden:above_top normalized:above_top init_bottleneck:above_top; do
  check "summary.csv has $c" 'grep -qx "$c" "$tmp/cols"'
done
check "summary.csv's rows have a value under bottleneck:above_top" \
  '[ "$(awk -F, -v c="$(grep -nx bottleneck:above_top "$tmp/cols" | cut -d: -f1)" "NR > 1 && \$c ~ /^[0-9]+$/" "$tmp/s/summary.csv" | wc -l)" -ge 3 ]'
check "fit watched above_top (the run records' rank rule)" 'grep -q "\"rank_measure\":\"above_top\"" "$tmp/s/runs.jsonl"'
check "classes.csv: classes under above_top" 'grep -q "above_top" "$tmp/s/classes.csv"'
check "the report defines the measure among the rank measures" 'grep -q "^- \*\*above_top\*\*: above-top rank" "$tmp/s/report.md"'
check "the report defines the network figures from their registry" \
  'grep -q "^- \*\*bottleneck\*\*: the lowest rank" "$tmp/s/report.md" && grep -q "^- \*\*first_layer\*\*: " "$tmp/s/report.md"'
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --require "$M" --help > "$tmp/help" 2>&1
check "--help lists the measure among --measure's choices" 'grep -q "above_top" "$tmp/help"'
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --measure above_top --help > "$tmp/no" 2>&1; rc=$?
check "without --require the measure is refused (status 2)" '[ $rc -eq 2 ] && grep -q "above_top" "$tmp/no"'
"$RANKHOST" "$RH_SOURCE/scripts/problem1.lua" --require "$tmp/none.lua" > "$tmp/bad" 2>&1; rc=$?
check "a module that cannot be loaded: status 2, naming it" '[ $rc -eq 2 ] && grep -q -- "--require $tmp/none.lua" "$tmp/bad" || { cat "$tmp/bad"; false; }'
exit $fail
