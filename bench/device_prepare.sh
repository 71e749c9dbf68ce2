#!/bin/bash
# device_prepare.sh - makes, on this (Debian 12) machine, what bench/device_check.sh needs on a
# machine with a GPU but without the build's Debian packages and without a network:
#
#   bench/device_prepare.sh [--payload DIR] [--arch SM] [--no-debs] [--no-prebuilt] [--no-data]
#
# into DIR (default bench/device_payload/, ignored by git; carry it with the working tree):
#   debs/          the .deb files of liblua5.4-dev, libopenblas-dev, liblapacke-dev and
#                  zlib1g-dev with their dependencies, resolved here (apt-cache), fetched
#                  with `apt-get download`; left out: what any glibc system with a C compiler
#                  has (BASE below) and liblua5.4-dev's readline (the Lua interpreter's, not
#                  rankhost's). device_check.sh unpacks them with dpkg -x into a prefix.
#   prebuilt.tar.xz  a CUDA build made here (-DCMAKE_CUDA_ARCHITECTURES=SM, default 90 for
#                  the H100/H200, MPI off): rankhost, librankhost_cuda.so, the C tests with a
#                  device half, and every shared library `ldd` lists for them except glibc's,
#                  the compiler runtime's and CUDA's own (the device has its CUDA toolkit);
#                  the fallback when the build there fails.
#   datasets/fashion-mnist/  Debian's Fashion-MNIST (the study, the GPU tests and the bench).
#   MANIFEST       what is in it: the packages and versions, the build's commit and a hash
#                  of its sources (device_check.sh compares it with the tree it runs in).
# Fails when the payload exceeds 58 MiB (the device tool carries 64 MiB in all, the
# repository's own ~2 MiB included). Needs apt's package lists (`apt-get update`), and nvcc
# for the prebuilt build. About 5 minutes on 2 busy cores (the CUDA build most of it).
set -euo pipefail
cd "$(dirname "$0")/.."
payload=bench/device_payload
arch=90
debs=1; prebuilt=1; data=1
while [ $# -gt 0 ]; do
  case "$1" in
    --payload) payload=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --no-debs) debs=0; shift ;;
    --no-prebuilt) prebuilt=0; shift ;;
    --no-data) data=0; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "device_prepare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$payload"
payload=$(cd "$payload" && pwd)
manifest=$payload/MANIFEST

# The packages the build needs (debian-packages.txt's libraries) and what is left out.
ROOTS="libopenblas-dev liblapacke-dev liblua5.4-dev zlib1g-dev"
BASE="libc6 libc6-dev libc-dev libgcc-s1 gcc-12-base libstdc++6 libreadline-dev"

# The sources a build depends on: device_check.sh recomputes this to tell a stale prebuilt.
source_hash() { find CMakeLists.txt cmake host bindings kernels tests/c -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16; }

if [ "$debs" = 1 ]; then
  echo "== resolving the packages' dependencies (apt-cache)"
  list=$(python3 - "$ROOTS" "$BASE" <<'EOF'
import subprocess, sys
roots, base = sys.argv[1].split(), set(sys.argv[2].split())
def show(pkg):
    r = subprocess.run(["apt-cache", "show", "--no-all-versions", pkg], capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        return None
    fields, key = {}, None
    for line in r.stdout.splitlines():
        if line[:1] in " \t" and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, _, val = line.partition(":")
            fields[key] = val.strip()
    return fields
def names(field):  # "a (>= 1) | b, c" -> [["a", "b"], ["c"]]
    groups = []
    for g in filter(None, (x.strip() for x in (field or "").split(","))):
        groups.append([alt.split()[0].split(":")[0] for alt in g.split("|")])
    return groups
# depth first, so that a package's Provides (libopenblas0-pthread: libblas.so.3, liblapack.so.3)
# are known before a later group could pick the alternative they stand for (libblas3)
chosen, provided = [], set()
def take(pkg):
    if pkg in chosen or pkg in base:
        return
    f = show(pkg)
    if f is None:
        sys.exit(f"no package {pkg}")
    chosen.append(pkg)
    provided.update(p[0] for p in names(f.get("Provides")))
    for group in names(f.get("Pre-Depends")) + names(f.get("Depends")):
        if any(a in base or a in chosen or a in provided for a in group):
            continue
        real = [a for a in group if show(a) is not None]
        if not real:
            sys.exit(f"{pkg}: no installable package among {group}")
        take(real[0])
for r in roots:
    take(r)
print(" ".join(chosen))
EOF
)
  echo "packages: $list"
  rm -rf "$payload/debs"; mkdir -p "$payload/debs"
  (cd "$payload/debs" && apt-get download -q $list >/dev/null) || {
    echo "apt-get download failed: run apt-get update (as root) and try again" >&2; exit 1; }
  for f in "$payload"/debs/*.deb; do
    echo "deb $(basename "$f") $(stat -c %s "$f") $(sha256sum "$f" | cut -c1-16)"
  done > "$payload/debs/LIST"
fi

if [ "$prebuilt" = 1 ]; then
  command -v nvcc >/dev/null 2>&1 || export PATH="$PATH:/usr/local/cuda/bin"
  command -v nvcc >/dev/null 2>&1 || { echo "no nvcc here: use --no-prebuilt" >&2; exit 1; }
  echo "== a CUDA build for sm_$arch (build-device/)"
  cmake -S . -B build-device -DCMAKE_BUILD_TYPE=Release -DRANKHOST_MPI=OFF \
    -DCMAKE_CUDA_ARCHITECTURES="$arch" > build-device.log 2>&1 || { cat build-device.log >&2; exit 1; }
  grep -q "CUDA backend ON" build-device.log || { cat build-device.log >&2; echo "CMake did not enable the CUDA backend" >&2; exit 1; }
  rm -f build-device.log
  ctests=$(cd tests/c && ls test_cuda_*.c | sed 's/\.c$//')
  cmake --build build-device -j2 --target rankhost rankhost_cuda $ctests >/dev/null
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage/bin" "$stage/lib"
  cp build-device/rankhost build-device/librankhost_cuda.so "$stage/bin/"
  for t in $ctests; do cp "build-device/$t" "$stage/bin/"; done
  # every library ldd resolves, except glibc's, the compiler runtime's and CUDA's; one copy of
  # a file that several sonames resolve to (Debian's alternatives), the others link to it
  declare -A copied=()
  while read -r name path; do
    real=$(readlink -f "$path")
    if [ -n "${copied[$real]:-}" ]; then ln -s "${copied[$real]}" "$stage/lib/$name"
    else cp "$real" "$stage/lib/$name"; copied[$real]=$name; fi
  done < <(ldd "$stage"/bin/* 2>/dev/null | awk '/=> \//{print $1, $3}' | sort -u |
    grep -Ev '^(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|ld-linux[^ ]*)\.so|^(libcu|libnv)')
  { echo "commit $(git rev-parse HEAD 2>/dev/null || echo unknown)"; echo "sources $(source_hash)"
    echo "arch $arch"; echo "built $(date -u +%FT%TZ) on $(. /etc/os-release; echo "$PRETTY_NAME"), $(nvcc --version | tail -1)"
  } > "$stage/BUILDINFO"
  tar -C "$stage" -cJf "$payload/prebuilt.tar.xz" .
  { echo "prebuilt files $(cd "$stage" && echo bin/* lib/*)"; sed 's/^/prebuilt /' "$stage/BUILDINFO"; } > "$payload/prebuilt.info"
fi

if [ "$data" = 1 ]; then
  src=""
  for d in "${RH_DATA_DIR:-}/fashion-mnist" "${RH_DATA_DIR:-}" /usr/share/datasets/fashion-mnist; do
    if [ -f "$d/train-images-idx3-ubyte.gz" ]; then src=$d; break; fi
  done
  [ -n "$src" ] || { echo "no Fashion-MNIST here (apt-get install dataset-fashion-mnist)" >&2; exit 1; }
  mkdir -p "$payload/datasets/fashion-mnist"
  cp "$src"/*-ubyte.gz "$payload/datasets/fashion-mnist/"
  echo "datasets fashion-mnist from $src" > "$payload/datasets/SOURCE"
fi

total=$(du -sb "$payload" | cut -f1)
cat "$payload/debs/LIST" "$payload/prebuilt.info" "$payload/datasets/SOURCE" 2>/dev/null > "$manifest"
echo "total $total bytes" >> "$manifest"
cat "$manifest"
echo "payload: $payload, $((total / 1048576)) MiB"
if [ "$total" -gt $((58 * 1048576)) ]; then
  echo "the payload exceeds 58 MiB: it would not travel with the working tree (64 MiB)" >&2; exit 1
fi
