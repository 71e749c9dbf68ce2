#!/bin/bash
# test_my_study.sh - docs/studies.md's worked example, examples/my_study.lua, a study in one
# file on the study driver: --quick trains its 6 networks and writes summary.csv (6 rows) and
# report.md (a row per weight decay with n = 3), config.json names the study; a second
# start trains nothing; another --epochs in the same folder is refused naming the setting.
set -u
data=/usr/share/datasets/fashion-mnist
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || { echo "FAIL: no $data: apt-get install dataset-fashion-mnist"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
E=("$RANKHOST" --threads 1 "$RH_SOURCE/examples/my_study.lua" --quick --jobs 2 --data-dir "$data" --out "$T/s")
"${E[@]}" > "$T/log1" 2>&1
check "the example study exits 0" '[ $? -eq 0 ] || { cat "$T/log1"; false; }'
check "summary.csv: 6 networks" '[ "$(tail -n +2 "$T/s/summary.csv" | wc -l)" = 6 ]'
check "report.md: a row per weight decay, n = 3" '[ "$(grep -c "^| 0 | 3 |\|^| 0.05 | 3 |" "$T/s/report.md")" = 2 ]'
check "config.json names the study" 'grep -q "\"study\":\"my_study\"" "$T/s/config.json"'
"${E[@]}" > "$T/log2" 2>&1
check "a second start trains nothing" '[ $? -eq 0 ] && grep -q "6 of 6 runs already finished" "$T/log2" && ! grep -q "^run " "$T/log2"'
"${E[@]}" --epochs 9 > "$T/log3" 2>&1
check "other settings are refused" '[ $? -eq 2 ] && grep -q -- "--epochs (was 8, now 9)" "$T/log3" || { cat "$T/log3"; false; }'
exit $fail
