#!/bin/sh
# problem1_all.sh [--quick|--full] [--jobs N] [--resume] - problem 1's main job: the study
# (scripts/problem1.lua), the memorisation grid, the width x depth factorial and the
# weight-decay sweep, each into its default folder results/<name>/ (the arguments go to
# each), then the users' questions answered from their facts (results/problem1_answers/).
# $RANKHOST names the binary (default build/rankhost).
set -e
R=${RANKHOST:-build/rankhost}
for s in problem1 problem1_memorise problem1_width_depth problem1_wd_sweep; do
  "$R" "scripts/$s.lua" "$@"
done
"$R" scripts/problem1_answers.lua
