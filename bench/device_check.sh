#!/bin/bash
# device_check.sh - the whole GPU check in one call, for a fresh machine with an NVIDIA GPU
# and its driver but none of the build's Debian packages (docs/cuda.md, "The device check"):
#
#   bench/device_check.sh [--cpu-only] [--deps auto|debs|prebuilt|system] [--payload DIR]
#                         [--work DIR] [--deadline SECONDS] [--jobs N] [OUTDIR]
#
# Writes every verdict and figure under OUTDIR (default $OUT), at most 6 files: summary.txt
# (the one-screen summary it also prints), verdicts.jsonl (one line a step), bench.jsonl (the
# timings), compare.txt (the study comparisons), env.txt (the machine), logs.tar.gz (every
# step's log and both studies' runs.jsonl). All are rewritten after each step, so a run
# killed from outside still leaves what it had done.
#
# Steps, each under `timeout` (a hang costs that step, not the call), all within --deadline
# (default 360 s with a GPU, 3600 s with --cpu-only; a step that no longer fits is skipped):
#   env           the machine: GPU, compute capability (nvidia-smi, else PyTorch), nvcc,
#                 cmake, python3/torch
#   deps          the build's libraries: auto takes the payload's .debs unpacked with dpkg -x
#                 into WORK/prefix (CMake pointed at it), else the system's (a Debian
#                 machine), else the payload's prebuilt build
#   build         CMake + build for that compute capability (sm_90 on an H100/H200), MPI off;
#                 with --cpu-only a CPU-only build (-DRANKHOST_CUDA=OFF)
#   prebuilt      the payload's CUDA build made by device_prepare.sh: unpacked, run with its
#                 libraries, its module loaded; used by the later steps when the build failed
#   cuda          the module loads and sees a device
#   c.*           tests/c/test_cuda_*.c (the C tests with a device half), one verdict each
#   gpu.*         tests/gpu/test_*.lua on the device; with --cpu-only their CPU-against-CPU
#                 mode (RH_GPU_TEST_DEVICE=cpu), the CUDA half reported as skipped
#   study-cpu     a problem 1 --quick study on the CPU (options used: --quick --out --jobs,
#                 and rankhost's --device)
#   study-blas    the same with OpenBLAS's Haswell sgemm kernels (OPENBLAS_CORETYPE): how far
#                 another summation order alone moves the results (the null for the next)
#   study-cuda    the same study with --device cuda
#   compare-blas, compare-cuda   bench/compare_devices.lua: runs.jsonl against study-cpu's
#                 (run ids and labels equal; init.* to float32 round-off, rel 1e-4; the
#                 trained values within 0.5 x value + 0.05, 2 for integer counts)
#   bench-rankhost, bench-torch  bench/gpu_train.lua and bench/torch_train.py on the GPU:
#                 the seed MLP at batch 64, 3 epochs, and the singular values of all layers;
#                 with --cpu-only a 50-batch CPU smoke run of each script (torch if present)
#   bench-ratio   PyTorch eager's epoch time over rankhost's (epochs 2-3, the first warms
#                 up; target >= 2) and the same for the singular values (repetitions 2-3)
# Verdicts: PASS, FAIL, SKIP, TIMEOUT; targets MET or MISSED. Exit 0 when no step failed or
# timed out, else 1.
#
# The payload (bench/device_prepare.sh; --payload, default bench/device_payload) holds the
# .debs, the prebuilt build and Fashion-MNIST. Without one, --cpu-only uses this machine's
# packages and /usr/share/datasets (what CI does).
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

usage() { sed -n '2,6p' "$0" >&2; exit 2; }
mode=device; deps=auto; payload=$ROOT/bench/device_payload; work=""; deadline=""; jobs=0; out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu-only) mode=cpu; shift ;;
    --deps) deps=$2; shift 2 ;;
    --payload) payload=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --deadline) deadline=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,49p' "$0"; exit 0 ;;
    -*) echo "device_check.sh: unknown option $1" >&2; usage ;;
    *) out=$1; shift ;;
  esac
done
case "$deps" in auto|debs|prebuilt|system) ;; *) echo "device_check.sh: --deps auto|debs|prebuilt|system" >&2; usage ;; esac
out=${out:-${OUT:-}}
[ -n "$out" ] || { echo "device_check.sh: give an output folder (or set OUT)" >&2; usage; }
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 1
[ -n "$deadline" ] || { [ "$mode" = cpu ] && deadline=3600 || deadline=360; }
if [ -z "$work" ]; then  # a folder of our own, removed at the end (the logs are in logs.tar.gz)
  work=$(mktemp -d /tmp/rh-device-check.XXXXXX) || exit 1
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/logs" && work=$(cd "$work" && pwd) || exit 1
payload=$( (cd "$payload" 2>/dev/null && pwd) || echo "$payload")
START=$(date +%s)
rm -f "$out"/{summary.txt,verdicts.jsonl,bench.jsonl,compare.txt,env.txt,logs.tar.gz}
: > "$out/verdicts.jsonl"; : > "$out/bench.jsonl"; : > "$out/compare.txt"
ROWS=()

# ---- helpers ----
json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/ }; s=${s//$'\t'/ }; printf '"%s"' "$s"; }
elapsed() { echo $(( $(date +%s) - START )); }
pack() { (cd "$work" && tar -czf "$out/logs.tar.gz" logs $(ls -d p1-*/runs.jsonl p1-*/config.json 2>/dev/null)) 2>/dev/null; }
# record NAME VERDICT SECONDS NOTE
record() {
  printf '{"step":%s,"verdict":%s,"seconds":%s,"note":%s}\n' "$(json_str "$1")" "$(json_str "$2")" "$3" \
    "$(json_str "$4")" >> "$out/verdicts.jsonl"
  ROWS+=("$(printf '%-22s %-8s %6ss  %s' "$1" "$2" "$3" "$4")")
  printf '%-22s %-8s %6ss  %s\n' "$1" "$2" "$3" "$4"
  pack
}
# run NAME LIMIT CMD...: CMD under timeout into logs/NAME.log; sets RC and SECS (RC 124: timed
# out, 125: not started, no time left before the deadline)
run() {
  local name=$1 limit=$2; shift 2
  local left=$(( deadline - $(elapsed) - 10 ))
  [ "$left" -lt "$limit" ] && limit=$left
  LOG=$work/logs/$name.log
  if [ "$limit" -lt 5 ]; then RC=125; SECS=0; echo "not started: no time left before the deadline" > "$LOG"; return; fi
  local t0; t0=$(date +%s)
  timeout -k 10 "$limit" "$@" > "$LOG" 2>&1
  RC=$?
  [ "$RC" = 137 ] && RC=124
  SECS=$(( $(date +%s) - t0 ))
}
# verdict NAME NOTE: PASS on RC 0, TIMEOUT on 124, SKIP on 125, else FAIL with the log's tail
verdict() {
  case "$RC" in
    0) record "$1" PASS "$SECS" "$2" ;;
    124) record "$1" TIMEOUT "$SECS" "stopped at its time limit; $(tail -n 1 "$LOG" | cut -c1-80)" ;;
    125) record "$1" SKIP 0 "no time left before the deadline ($deadline s)" ;;
    *) record "$1" FAIL "$SECS" "exit $RC: $(why)" ;;
  esac
}
skip() { record "$1" SKIP 0 "$2"; }
last_line() { grep -v '^\s*$' "$LOG" | tail -n 1 | cut -c1-100; }
# why a step failed: the first error line of its log (rankhost's message, a test's FAIL), else its last line
why() { local l; l=$(grep -m1 -E '^rankhost: |FAIL|[Ee]rror|SKIP' "$LOG" | cut -c1-100); echo "${l:-$(last_line)}"; }

# ---- env ----
{
  echo "date $(date -u +%FT%TZ)"; echo "mode $mode"; uname -a
  (. /etc/os-release 2>/dev/null && echo "os $PRETTY_NAME")
  echo "cores $(nproc)"; ldd --version 2>&1 | head -1
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader
  command -v nvcc >/dev/null || export PATH="$PATH:/usr/local/cuda/bin"
  command -v nvcc >/dev/null && nvcc --version | tail -2
  cmake --version 2>&1 | head -1; command -v ninja >/dev/null && echo "ninja $(ninja --version)"
  command -v python3 >/dev/null && python3 -c 'import sys; print("python", sys.version.split()[0])'
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1 | tail -1
} > "$out/env.txt" 2>&1
command -v nvcc >/dev/null || export PATH="$PATH:/usr/local/cuda/bin"
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
CC=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
[ -n "$CC" ] || CC=$(python3 -c 'import torch; a, b = torch.cuda.get_device_capability(); print(f"{a}{b}")' 2>/dev/null)
# CUDA's libraries for the module, wherever this machine's toolkit keeps them
CUDA_LIBS=""
if command -v nvcc >/dev/null; then
  nv=$(dirname "$(readlink -f "$(command -v nvcc)")")/..
  for d in "$nv/lib64" "$nv/lib" "$nv/targets/x86_64-linux/lib"; do [ -d "$d" ] && CUDA_LIBS="$CUDA_LIBS:$(cd "$d" && pwd)"; done
fi
if [ "$mode" = device ]; then
  if [ -n "$GPU" ] && [ -n "$CC" ]; then record env PASS 0 "$GPU, sm_$CC, $(grep -m1 release "$out/env.txt" | sed 's/.*release/nvcc/')"
  else record env FAIL 0 "no GPU seen (nvidia-smi: ${GPU:-none}); the CUDA steps will fail"; CC=${CC:-90}; fi
else
  record env PASS 0 "--cpu-only: $(nproc) cores, $(grep -m1 '^os' "$out/env.txt" | cut -c4-)${GPU:+ (a GPU is present: $GPU)}"
fi

# ---- data: the payload's Fashion-MNIST, else rh.data's own search path ----
DATA=/usr/share/datasets/fashion-mnist
if [ -f "$payload/datasets/fashion-mnist/train-images-idx3-ubyte.gz" ]; then
  export RH_DATA_DIR=$payload/datasets; DATA=$payload/datasets/fashion-mnist
fi

# ---- deps ----
unpack_deb() { # unpack_deb FILE DIR: dpkg -x, or by hand where there is no dpkg
  if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$1" "$2"; return; fi
  python3 - "$1" "$2" <<'EOF'
import io, sys, tarfile
raw = open(sys.argv[1], "rb").read()
assert raw[:8] == b"!<arch>\n", "not a .deb"
pos = 8
while pos < len(raw):
    name, size = raw[pos:pos + 16].decode().strip().rstrip("/"), int(raw[pos + 48:pos + 58])
    body = raw[pos + 60:pos + 60 + size]
    if name.startswith("data.tar"):
        tarfile.open(fileobj=io.BytesIO(body)).extractall(sys.argv[2])
    pos += 60 + size + (size & 1)
EOF
}
PREFIX=$work/prefix
LIBPATH=""
ldpath() { local p="$LIBPATH${CUDA_LIBS#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; echo "${p%:}"; }
have_debs() { ls "$payload"/debs/*.deb >/dev/null 2>&1; }
have_system() { [ -f /usr/include/lua5.4/lua.h ] && [ -f /usr/include/lapacke.h ] && [ -f /usr/include/zlib.h ]; }
have_prebuilt() { [ -f "$payload/prebuilt.tar.xz" ]; }
if [ "$deps" = auto ]; then
  if have_debs; then deps=debs; elif have_system; then deps=system; elif have_prebuilt; then deps=prebuilt; else deps=none; fi
fi
CMAKE_DEPS=()
case "$deps" in
  debs)
    t0=$(date +%s); rm -rf "$PREFIX"; mkdir -p "$PREFIX"; n=0; bad=""
    for f in "$payload"/debs/*.deb; do unpack_deb "$f" "$PREFIX" >> "$work/logs/deps.log" 2>&1 && n=$((n + 1)) || bad="$bad $(basename "$f")"; done
    # absolute links (zlib's libz.so -> /lib/...) point into the prefix, not at this machine
    find "$PREFIX" -type l | while read -r l; do t=$(readlink "$l"); case "$t" in /*) ln -sfn "$PREFIX$t" "$l" ;; esac; done
    U=$PREFIX/usr; A=x86_64-linux-gnu
    ZLIB_LIB=$(ls "$U/lib/$A/libz.so" "$PREFIX/lib/$A/libz.so" 2>/dev/null | head -1)
    CMAKE_DEPS=(-DLUA_INCLUDE_DIR="$U/include/lua5.4" -DLUA_LIBRARY="$U/lib/$A/liblua5.4.so"
      -DCBLAS_INCLUDE_DIR="$U/include/$A/openblas-pthread" -DOPENBLAS_LIBRARY="$U/lib/$A/openblas-pthread/libopenblas.so"
      -DLAPACKE_INCLUDE_DIR="$U/include" -DLAPACKE_LIBRARY="$U/lib/$A/liblapacke.so"
      -DZLIB_INCLUDE_DIR="$U/include" -DZLIB_LIBRARY="$ZLIB_LIB")
    # every folder of the prefix with a shared library; openblas-pthread's provides liblapack.so.3
    LIBPATH=$(find "$PREFIX" -name '*.so*' \( -type f -o -type l \) -printf '%h\n' | sort -u | tr '\n' ':')
    if [ -z "$bad" ] && [ -f "$U/include/lua5.4/lua.h" ] && [ -f "$U/include/lapacke.h" ]; then
      record deps PASS $(( $(date +%s) - t0 )) "$n .debs unpacked with $(command -v dpkg-deb >/dev/null && echo dpkg -x || echo python) into $PREFIX"
    else
      record deps FAIL $(( $(date +%s) - t0 )) "unpacking failed:${bad:- headers missing}"
      deps=prebuilt
    fi ;;
  system) record deps PASS 0 "this machine's packages (no payload .debs at $payload/debs)" ;;
  prebuilt) record deps PASS 0 "the payload's prebuilt build only (--deps prebuilt or nothing else)" ;;
  none) record deps FAIL 0 "no payload at $payload (bench/device_prepare.sh) and no system packages" ;;
esac

# ---- build ----
BIN=""
ctests=$(cd tests/c && ls test_cuda_*.c | sed 's/\.c$//' | tr '\n' ' ')
if [ "$deps" = debs ] || [ "$deps" = system ]; then
  gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
  if [ "$mode" = device ]; then cuda=(-DRANKHOST_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$CC"); else cuda=(-DRANKHOST_CUDA=OFF); fi
  rm -rf "$work/build"
  { printf 'set -e\ncmake'; printf ' %q' -S "$ROOT" -B "$work/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
      -DRANKHOST_MPI=OFF "${cuda[@]}" "${CMAKE_DEPS[@]}"
    printf '\ncmake --build %q -j%s --target rankhost %s\n' "$work/build" "$(nproc)" "$ctests"; } > "$work/build.sh"
  run build 300 bash "$work/build.sh"
  if [ "$RC" = 0 ]; then
    BIN=$work/build
    missing=$(LD_LIBRARY_PATH="$(ldpath)" ldd "$BIN/rankhost" "$BIN"/librankhost_cuda.so 2>/dev/null | grep -c "not found")
    from=$(LD_LIBRARY_PATH="$(ldpath)" ldd "$BIN/rankhost" | grep -c "$PREFIX")
    mod=$(grep -o "CUDA backend [A-Z]* (architectures: [0-9;]*)" "$LOG" | head -1)
    note="$mod; deps $deps${LIBPATH:+, $from libraries from the prefix}"
    [ "$missing" = 0 ] || { RC=1; echo "ldd: $missing libraries not found" >> "$LOG"; }
    if [ "$mode" = device ] && ! echo "$mod" | grep -q "backend ON"; then RC=1; echo "no CUDA backend: is nvcc on the PATH?" >> "$LOG"; fi
    verdict build "$note"
  else
    verdict build "$deps"
  fi
else
  skip build "no libraries to build against (deps $deps)"
fi

# ---- prebuilt: checked whenever the payload has one, used when the build failed ----
PRE=$work/prebuilt
if have_prebuilt; then
  rm -rf "$PRE"; mkdir -p "$PRE"
  sources=$(find CMakeLists.txt cmake host bindings kernels tests/c -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)
  # tar with xz where there is one, else Python's tarfile
  tar -C "$PRE" -xJf "$payload/prebuilt.tar.xz" 2>/dev/null ||
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$payload/prebuilt.tar.xz" "$PRE"
  built=$(awk '/^sources/{print $2}' "$PRE/BUILDINFO" 2>/dev/null)
  run prebuilt 60 bash -c '[ -x "$1/bin/rankhost" ] && LD_LIBRARY_PATH="$1/lib$3" "$1/bin/rankhost" --version &&
    LD_LIBRARY_PATH="$1/lib$3" "$1/bin/rankhost" -e "local p, why = rh.cuda.module(); print(p or why); assert(p, why)"' \
    _ "$PRE" "$payload/prebuilt.tar.xz" "$CUDA_LIBS"
  fresh=$([ "$sources" = "$built" ] && echo "built from these sources" || echo "STALE: built from other sources ($built, here $sources)")
  verdict prebuilt "$fresh; $(last_line)"
  if [ -z "$BIN" ] && [ "$RC" = 0 ]; then BIN=$PRE/bin; LIBPATH=$PRE/lib:; deps=prebuilt; fi
else
  skip prebuilt "no prebuilt.tar.xz in the payload"
fi
[ -n "$BIN" ] || BIN=$work/build
RH=$BIN/rankhost
# rankhost and the C tests run with the libraries found above (the rest of the check, PyTorch
# included, with this machine's own)
RHENV=(env LD_LIBRARY_PATH="$(ldpath)" RH_SOURCE="$ROOT")

# ---- the module sees the device ----
if [ "$mode" = device ]; then
  run cuda 60 "${RHENV[@]}" "$RH" -e 'local p, why = rh.cuda.module(); assert(p, why)
    print(p, rh.cuda.device_count() .. " device(s)"); assert(rh.cuda_available(), "no CUDA device seen")'
  verdict cuda "$(last_line)"
else
  skip cuda "--cpu-only"
fi

# ---- the C tests with a device half ----
for t in $ctests; do
  if [ ! -x "$BIN/$t" ]; then skip "c.$t" "not built"; continue; fi
  run "c.$t" 120 "${RHENV[@]}" "$BIN/$t"
  if [ "$RC" = 77 ]; then
    if [ "$mode" = cpu ]; then RC=0; record "c.$t" SKIP "$SECS" "device half skipped (no device); $(last_line)"; continue; fi
    RC=1  # a skip on the GPU machine is a failure: the device was not seen
    record "c.$t" FAIL "$SECS" "skipped on the GPU machine: $(why)"; continue
  fi
  verdict "c.$t" "$(last_line)"
done

# ---- tests/gpu ----
for f in tests/gpu/test_*.lua; do
  n=gpu.$(basename "$f" .lua)
  if [ "$mode" = device ]; then
    run "$n" 180 "${RHENV[@]}" LUA_PATH="$ROOT/tests/lua/?.lua;;" "$RH" "$ROOT/$f"
    [ "$RC" = 77 ] && RC=1
    verdict "$n" "$(last_line)"
  else
    run "$n" 180 "${RHENV[@]}" RH_GPU_TEST_DEVICE=cpu LUA_PATH="$ROOT/tests/lua/?.lua;;" "$RH" "$ROOT/$f"
    if [ "$RC" = 0 ]; then record "$n" SKIP "$SECS" "cuda skipped (--cpu-only); CPU-against-CPU mode: $(last_line)"
    else verdict "$n" "CPU-against-CPU mode"; fi
  fi
done

# ---- problem 1 --quick on the CPU, with other BLAS kernels, on the GPU; compared ----
study() { # study NAME DEVICE [ENV...]
  local name=$1 dev=$2; shift 2
  rm -rf "$work/p1-$name"
  run "study-$name" 240 "${RHENV[@]}" "$@" "$RH" --device "$dev" "$ROOT/scripts/problem1.lua" --quick --out "$work/p1-$name" --jobs "$jobs"
  local runs=0; [ -f "$work/p1-$name/runs.jsonl" ] && runs=$(grep -c . "$work/p1-$name/runs.jsonl")
  verdict "study-$name" "$runs runs in runs.jsonl"
}
compare() { # compare NAME OTHER LABEL
  if [ ! -s "$work/p1-cpu/runs.jsonl" ] || [ ! -s "$work/p1-$2/runs.jsonl" ]; then skip "compare-$1" "a study is missing"; return; fi
  run "compare-$1" 60 "${RHENV[@]}" "$RH" "$ROOT/bench/compare_devices.lua" "$work/p1-cpu" "$work/p1-$2" "$3"
  cat "$LOG" >> "$out/compare.txt"
  local worst; worst=$(awk '/worst/{printf "%s %s, ", $1, $6}' "$LOG")
  verdict "compare-$1" "worst |a-b|/tol: ${worst%, }; $(grep -m1 'largest' "$LOG" | sed 's/^ *largest differences: /max diff: /')"
}
study cpu cpu
study blas cpu OPENBLAS_CORETYPE=Haswell
compare blas blas "cpu vs cpu with Haswell sgemm kernels (the null)"
if [ "$mode" = device ]; then
  study cuda cuda
  compare cuda cuda "cpu vs cuda"
else
  skip study-cuda "--cpu-only"; skip compare-cuda "--cpu-only"
fi

# ---- rankhost against PyTorch on the same GPU ----
if [ "$mode" = device ]; then bargs=(cuda 3 "$DATA"); else bargs=(cpu 1 "$DATA" 50); fi
run bench-rankhost 180 "${RHENV[@]}" "$RH" "$ROOT/bench/gpu_train.lua" "${bargs[@]}"
grep '^{' "$LOG" >> "$out/bench.jsonl"
secs() { grep "\"bench\": *\"$1\"" "$LOG" | sed -E 's/.*"seconds": *([0-9.eE+-]+).*/\1/' | tr '\n' ' '; }
verdict bench-rankhost "epochs $(secs rankhost_epoch)s; SVDs $(secs rankhost_svdvals_all_layers)s${bargs[3]:+ (a ${bargs[3]}-batch CPU smoke run)}"
if python3 -c 'import torch' 2>/dev/null; then
  run bench-torch 180 env PYTHONUNBUFFERED=1 python3 "$ROOT/bench/torch_train.py" "${bargs[@]}"
  grep '^{' "$LOG" >> "$out/bench.jsonl"
  verdict bench-torch "epochs $(secs torch_epoch)s; SVDs $(secs torch_svdvals_all_layers)s${bargs[3]:+ (a ${bargs[3]}-batch CPU smoke run)}"
else
  skip bench-torch "no PyTorch here"
fi
# median of the values of key "seconds" in lines of bench B with FIELD >= 2 (epoch or rep)
median() { tr -d ' ' < "$out/bench.jsonl" | grep "\"bench\":\"$1\"" | grep -E "\"$2\":([2-9]|[1-9][0-9])[,}]" |
  sed -E 's/.*"seconds":([0-9.eE+-]+).*/\1/' | sort -g | awk '{v[NR]=$1} END{if(NR) print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
if [ "$mode" = device ]; then
  re=$(median rankhost_epoch epoch); te=$(median torch_epoch epoch)
  rs=$(median rankhost_svdvals_all_layers rep); ts=$(median torch_svdvals_all_layers rep)
  if [ -n "$re" ] && [ -n "$te" ]; then
    ratio=$(awk -v a="$te" -v b="$re" 'BEGIN{printf "%.2f", a / b}')
    sratio=$( [ -n "$rs" ] && [ -n "$ts" ] && awk -v a="$ts" -v b="$rs" 'BEGIN{printf "%.2f", a / b}' || echo "?")
    v=$(awk -v r="$ratio" 'BEGIN{print (r >= 2 ? "MET" : "MISSED")}')
    printf '{"bench":"ratio","epoch_rankhost_s":%s,"epoch_torch_s":%s,"epoch_speedup":%s,"svd_rankhost_s":%s,"svd_torch_s":%s,"svd_speedup":%s}\n' \
      "$re" "$te" "$ratio" "${rs:-null}" "${ts:-null}" "$sratio" >> "$out/bench.jsonl"
    record bench-ratio "$v" 0 "epoch rankhost ${re} s, torch ${te} s: ${ratio}x (target >= 2x); SVD all layers ${rs:-?} s vs ${ts:-?} s: ${sratio}x"
  else
    record bench-ratio FAIL 0 "missing timings (rankhost ${re:-none}, torch ${te:-none})"
  fi
else
  skip bench-ratio "--cpu-only (the figures compared are of the GPU)"
fi

# ---- summary ----
count() { grep -c "\"verdict\":\"$1\"" "$out/verdicts.jsonl"; }
{
  echo "rankhost device check ($mode) $(date -u +%FT%TZ), ${GPU:-no GPU}, deps: $deps, $(elapsed) s"
  printf '%-22s %-8s %7s  %s\n' step verdict time note
  for r in "${ROWS[@]}"; do echo "${r:0:150}"; done
  echo "PASS $(count PASS), FAIL $(count FAIL), TIMEOUT $(count TIMEOUT), SKIP $(count SKIP), MET $(count MET), MISSED $(count MISSED)"
  echo "files: $out/{summary.txt,verdicts.jsonl,bench.jsonl,compare.txt,env.txt,logs.tar.gz}"
} > "$out/summary.txt"
pack
echo; cat "$out/summary.txt"
[ "$(count FAIL)" = 0 ] && [ "$(count TIMEOUT)" = 0 ]
