#!/usr/bin/env bash
# build-direct.sh — builds falcon_h1_cuda.node with nvcc + g++ alone (no node-gyp, no Python, no make), with the
# flags binding.gyp takes from config.cjs. For machines that have the CUDA toolkit and a Node binary but no npm
# tooling (the GPU hosts the prebuilt binaries come from).
#   usage: build-direct.sh [OUT_DIR]          (default: native/build/Release)
#   env:   NODE_INCLUDE (default: <node prefix>/include/node), FH_NODE_ADDON_API, CUDA_HOME, CUBLASLT_HOME,
#          FH_CUDA_ARCHS (default "80 90"), JOBS (default: nproc)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/build/Release}
node_bin=$(command -v node)
node_include=${NODE_INCLUDE:-$(dirname "$(dirname "$node_bin")")/include/node}
cfg() { node "$here/config.cjs" "$1"; }
[[ -f $node_include/node_api.h ]] || { echo "build-direct: no Node headers at $node_include (set NODE_INCLUDE)" >&2; exit 2; }
cuda_home=$(cfg cuda-home)
nvcc=$cuda_home/bin/nvcc
read -r -a nvcc_flags <<<"$(cfg nvcc-flags)"
read -r -a include_dirs <<<"$(cfg include-dirs)"
read -r -a libraries <<<"$(cfg libraries)"
read -r -a ldflags <<<"$(cfg ldflags)"
defines=()
for d in $(cfg defines); do defines+=("-D$d"); done
incs=("-I$node_include")
for i in "${include_dirs[@]}"; do incs+=("-I$i"); done
obj=$out/obj
mkdir -p "$obj"
jobs=${JOBS:-$(nproc)}
echo "build-direct: nvcc ${nvcc_flags[*]}"
cd "$here"
read -r -a kernels <<<"$(cfg kernels)"
pids=()
fail=0
for f in "${kernels[@]}"; do
  ("$nvcc" "${nvcc_flags[@]}" -c "$f" -o "$obj/$(basename "$f" .cu).o" && echo "  nvcc $f") &
  pids+=($!)
  while (($(jobs -rp | wc -l) >= jobs)); do sleep 0.2; done
done
for f in src/*.cc; do
  (g++ -std=c++17 -O2 -fPIC -fexceptions -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS "${defines[@]}" "${incs[@]}" \
    -c "$f" -o "$obj/$(basename "$f" .cc).o" && echo "  g++ $f") &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
((fail == 0)) || { echo "build-direct: compilation failed" >&2; exit 1; }
g++ -shared -o "$out/falcon_h1_cuda.node" "$obj"/*.o "${libraries[@]}" "${ldflags[@]}"
echo "build-direct: $out/falcon_h1_cuda.node"
