#!/bin/bash
# sweep_jobs.sh - networks per hour of a problem 1 study run with --jobs 1 and with --jobs 2,
# each into a fresh folder, and the peak memory of each whole job (all its processes).
#
#   bench/sweep_jobs.sh [--reps R] [--rankhost PATH] [-- problem1 options...]
#
# Default study (a few minutes in all on 2 idle cores): --n 6 --seeds 2 --wd0-runs 2
# --random-runs 1 --ladder off, the rest problem 1's defaults (10,000 images, batch 32, to
# convergence). Both runs use `rankhost --threads 1`: one BLAS thread per network, which a
# --jobs worker sets anyway, so --jobs 1 is the best single process and the ratio is the
# gain from the second worker alone. R rounds alternate the order (1 then 2, 2 then 1, ...).
#
# Figures, per run:
#   networks/hour  networks trained (lines of runs.jsonl) / the job's wall time, which
#                  includes loading the data and writing the analysis (the serial parts);
#   busy           the sum of the runs' own wall times / the job's wall time (about the
#                  number of networks training at once);
#   peak PSS       the largest sum, over the job's processes alive at one moment, of their
#                  proportional set size (/proc/PID/smaps_rollup: a page shared by k
#                  processes counts 1/k in each, so the sum is the memory the job holds:
#                  workers forked after the data is loaded share its pages);
#   peak RSS sum   the same sum of resident sizes (counts a shared page in every process
#                  that maps it: an upper bound);
# sampled every second (a process that lives less than that can be missed; sampling every
# 0.1 s took a third of a core in bash, every 0.5 s a tenth: CPU taken from the job measured). The results of the
# two runs are compared, wall times aside (they must be equal: same ids, same numbers).
# Other work on the machine slows both runs; the load average is printed beside each.
set -u
cd "$(dirname "$0")/.." || exit 1

reps=1
rankhost=build/rankhost
study=(--n 6 --seeds 2 --wd0-runs 2 --random-runs 1 --ladder off)
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --rankhost) rankhost=$2; shift 2 ;;
    --) shift; study=("$@"); break ;;
    *) echo "usage: $0 [--reps R] [--rankhost PATH] [-- problem1 options...]" >&2; exit 2 ;;
  esac
done
[ -x "$rankhost" ] || { echo "$0: $rankhost not found (build first)" >&2; exit 2; }

work=$(mktemp -d /tmp/sweep_jobs.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkfifo "$work/tick" && exec 3<> "$work/tick"

# Arithmetic on decimals (awk: no bc needed).
calc() { awk "BEGIN { printf \"%.6f\", $* }"; }

# The job's process tree into the array `pids`: its pid and its descendants' (workers are
# its children). Builtins only: the sampler should not take CPU from the job it measures.
collect() {
  pids=("$1")
  local i=0 t kids
  while [ $i -lt ${#pids[@]} ]; do
    for t in /proc/"${pids[$i]}"/task/*/children; do
      kids=()
      [ -r "$t" ] && read -r -a kids 2>/dev/null < "$t" # (a task may end in between)
      pids+=("${kids[@]}")
    done
    i=$((i + 1))
  done
}

# Sums Pss and Rss (kB) over the pids given, into pss and rss.
measure() {
  local p k v _
  pss=0 rss=0
  for p in "$@"; do
    [ -r /proc/"$p"/smaps_rollup ] || continue
    while read -r k v _; do
      case "$k" in
        Pss:) pss=$((pss + v)) ;;
        Rss:) rss=$((rss + v)) ;;
      esac
    done 2>/dev/null < /proc/"$p"/smaps_rollup
  done
}

# CPU seconds (user + system) of this shell's waited-for children so far (cutime and
# cstime of /proc/$$/stat: a child's count includes its own waited-for children).
ticks=$(getconf CLK_TCK 2>/dev/null || echo 100)
children_cpu() {
  local st
  read -r -a st < /proc/$$/stat
  calc "(${st[15]} + ${st[16]}) / $ticks"
}

# One study: run_job JOBS DIR -> prints a line of figures and leaves them in res_*.
run_job() {
  local jobs=$1 dir=$2 load pid t0 t1 c0 c1 peak_pss=0 peak_rss=0 nprocs=0
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  c0=$(children_cpu)
  t0=$(date +%s.%N)
  "$rankhost" --threads 1 scripts/problem1.lua "${study[@]}" --jobs "$jobs" --out "$dir" > "$dir.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    collect "$pid"
    measure "${pids[@]}"
    [ "$pss" -gt "$peak_pss" ] && peak_pss=$pss
    [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
    [ ${#pids[@]} -gt "$nprocs" ] && nprocs=${#pids[@]}
    read -r -t 1 -u 3 # a pause without starting a process (nothing writes the fifo)
  done
  wait "$pid"
  local rc=$?
  t1=$(date +%s.%N)
  c1=$(children_cpu)
  if [ $rc -ne 0 ]; then
    echo "--jobs $jobs failed (exit $rc); its output: $dir.log" >&2
    tail -5 "$dir.log" >&2
    exit 1
  fi
  local nets busy wall cpu
  nets=$(wc -l < "$dir/runs.jsonl")
  busy=$(RUNS="$dir/runs.jsonl" "$rankhost" -e '
    local s = 0
    for line in io.lines(os.getenv("RUNS")) do s = s + rh.json.decode(line).wall_time end
    io.write(string.format("%.1f", s))') || exit 1
  wall=$(calc "$t1 - $t0")
  cpu=$(calc "$c1 - $c0")
  res_wall=$wall res_nets=$nets res_pss=$peak_pss res_rss=$peak_rss res_cpu=$cpu
  printf -- "--jobs %d: %2d networks in %6.1f s = %6.0f networks/hour; busy %.2f (the runs' own times: %s s); " \
    "$jobs" "$nets" "$wall" "$(calc "$nets * 3600 / $wall")" "$(calc "$busy / $wall")" "$busy"
  printf "CPU %.1f s (%.2f cores); peak PSS %.1f MB, peak RSS sum %.1f MB (%d processes at most); load before: %s\n" \
    "$cpu" "$(calc "$cpu / $wall")" "$(calc "$peak_pss / 1024")" "$(calc "$peak_rss / 1024")" "$nprocs" "$load"
}

# The records of a results file without their wall times, sorted by id, as one text.
records() {
  RUNS="$1" "$rankhost" -e '
    local recs = {}
    for line in io.lines(os.getenv("RUNS")) do
      local r = rh.json.decode(line)
      r.wall_time = nil
      recs[#recs + 1] = r
    end
    table.sort(recs, function(a, b) return a.id < b.id end)
    for _, r in ipairs(recs) do print(rh.json.encode(r)) end' || exit 1
}

echo "sweep_jobs: $rankhost --threads 1 scripts/problem1.lua ${study[*]} --jobs 1|2 ($(nproc) cores, $reps round(s))"
declare -a r1 r2 m1 m2
for ((i = 1; i <= reps; i++)); do
  order="1 2"
  [ $((i % 2)) -eq 0 ] && order="2 1"
  for j in $order; do
    dir="$work/jobs$j-$i"
    run_job "$j" "$dir"
    if [ "$j" = 1 ]; then r1+=("$(calc "$res_nets * 3600 / $res_wall")"); m1+=("$res_pss")
    else r2+=("$(calc "$res_nets * 3600 / $res_wall")"); m2+=("$res_pss"); fi
  done
  a=$(records "$work/jobs1-$i/runs.jsonl") && b=$(records "$work/jobs2-$i/runs.jsonl") || exit 1
  if [ -n "$a" ] && [ "$a" = "$b" ]; then
    echo "round $i: the two runs' results are equal (wall times aside)"
  else
    echo "round $i: the two runs' results DIFFER"
  fi
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
n1=$(median "${r1[@]}") n2=$(median "${r2[@]}")
p1=$(median "${m1[@]}") p2=$(median "${m2[@]}")
printf "\nmedians: --jobs 1 %.0f networks/hour, --jobs 2 %.0f networks/hour: ratio %.2f (target >= 1.8)\n" \
  "$n1" "$n2" "$(calc "$n2 / $n1")"
printf "peak memory of the whole job (sum of PSS): --jobs 1 %.1f MB, --jobs 2 %.1f MB: ratio %.2f (target < 2)\n" \
  "$(calc "$p1 / 1024")" "$(calc "$p2 / 1024")" "$(calc "$p2 / $p1")"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
