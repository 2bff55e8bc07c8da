#!/usr/bin/env bash
# compare-with-cuda.sh — issue #6's decode target (WebGPU ≥ 50 % of the CUDA backend's tokens/s) measured the only
# fair way: both backends on the same card in one device call, results under $OUT (one archive + summary.log):
#   1. the CUDA addon built from this tree (also kept as /tmp/fh-addon.node), its whole conformance suite, the f32
#      goldens, the package's GPU-only vitest files (gpu-tests.mjs) and, with FH_MEMCHECK='Kernel|…',
#      compute-sanitizer memcheck of those kernels' cases;
#   2. the CUDA 0.5B decode benchmark (bench-model.mjs --only decode; FH_CUDA_BENCH=prefill,decode adds prefill) and,
#      with FH_NCU=1, Nsight Compute's per-kernel times of one decode step at batch 1 and 32 (ncu-decode.sh);
#   3. WebGPU: conformance, goldens and the 0.5B decode benchmark (check-and-bench.sh, main run only; FH_SKIP_WEBGPU=1
#      skips it).
# FH_ADDON_XZ=path: use that addon (xz-compressed, from an earlier call's $OUT/falcon_h1_cuda.node.xz) instead of
# building one — then step 1 is skipped, and the tree's tracked prebuilt need not travel.
# Prepare: node tools/cuda/bundle-gpu.mjs, and the WebGPU bundle of check-and-bench.sh's header. Device tool: carry
# .gpu/cuda, .gpu/webgpu-all.tar.xz, .gpu/node-*.tar.xz (with headers: the addon is built) and .gl.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export OUT=${OUT:-/tmp/fh-out}
mkdir -p "$OUT"
t0=$(date +%s)
stamp() { echo "[$(($(date +%s) - t0)) s] $*" | tee -a "$OUT/summary.log"; }

addon=$ROOT/.gpu/cuda/build/falcon_h1_cuda.node
if [[ -n ${FH_ADDON_XZ:-} ]]; then
  # An addon built (and certified) by an earlier call, carried xz-compressed: no build, no conformance run here.
  mkdir -p /opt/node && tar xJf .gpu/node-*.tar.xz -C /opt/node
  addon=/tmp/fh-addon.node
  xz -dc "$FH_ADDON_XZ" >"$addon"
  stamp "cuda addon from $FH_ADDON_XZ (not rebuilt)"
else
  FH_SKIP_BENCH=1 FH_SANITIZE=0 timeout "${FH_CUDA_BUILD_LIMIT_S:-330}" bash tools/cuda/gpu-run.sh >"$OUT/cuda-gpu-run.log" 2>&1
  stamp "cuda build + conformance: exit $?; $(grep -E '^[0-9]+ passed, [0-9]+ failed \(' "$OUT/cuda-gpu-run.log" | head -1)"
  # The addon outlives this call in /tmp (a later call on the same warm machine can bench with it without a rebuild)
  # and comes back xz-compressed (the device tool returns files up to 16 MiB).
  cp "$addon" /tmp/fh-addon.node 2>/dev/null && xz -T8 -c "$addon" >"$OUT/falcon_h1_cuda.node.xz"
fi
(
  export PATH=/opt/node/bin:$PATH FALCON_H1_CUDA_ADDON=$addon
  cd .gpu/cuda || exit 1
  if [[ -n ${FH_MEMCHECK:-} ]] && command -v compute-sanitizer >/dev/null; then
    timeout 120 compute-sanitizer --tool memcheck --error-exitcode 3 node conformance.mjs --backend cuda \
      --dtypes f32,bf16 --modes native --quiet --filter "^(${FH_MEMCHECK})\\(" >"$OUT/cuda-memcheck.log" 2>&1
    stamp "cuda memcheck ($FH_MEMCHECK): exit $?; $(grep -E 'ERROR SUMMARY' "$OUT/cuda-memcheck.log" | tail -1)"
  fi
  fixtures=()
  for f in tiny-a tiny-a-packed tiny-b tiny-b-packed; do fixtures+=(--fixture "$ROOT/tests/fixtures/$f"); done
  timeout 90 node conformance.mjs --backend cuda "${fixtures[@]}" >"$OUT/cuda-goldens.log" 2>&1
  stamp "cuda goldens f32: exit $?; $(tail -1 "$OUT/cuda-goldens.log")"
  # The package's GPU-only vitest files (bit-equalities, PDL's early-load decisions): tools/cuda/gpu-vitest/.
  timeout 120 node gpu-tests.mjs >"$OUT/cuda-gpu-tests.log" 2>&1
  stamp "cuda GPU vitest files: exit $?; $(tail -1 "$OUT/cuda-gpu-tests.log")"
  timeout 150 node bench-model.mjs --only "${FH_CUDA_BENCH:-decode}" --decode-steps 32 >"$OUT/cuda-decode.log" 2>&1
  stamp "cuda decode bench: exit $?"
  grep -E '"path":"static cache, CUDA graph' "$OUT/cuda-decode.log" | cut -c1-200 | tee -a "$OUT/summary.log"
  if [[ ${FH_NCU:-0} == 1 ]] && command -v ncu >/dev/null; then
    bash "$ROOT/tools/cuda/ncu-decode.sh" "$OUT" 1 32 >"$OUT/ncu-decode.log" 2>&1
    stamp "ncu: $(grep -h '^## ' "$OUT"/ncu-decode-b*.md | tr '\n' ' ')"
  fi
)
if [[ ${FH_SKIP_WEBGPU:-0} == 1 ]]; then
  cd "$OUT" && tar czf logs.tgz --exclude logs.tgz --exclude summary.log --exclude '*.xz' ./* &&
    find . -maxdepth 1 -type f ! -name logs.tgz ! -name summary.log ! -name '*.xz' -delete
  exit 0
fi
FH_WEBGPU_MAIN_ONLY=1 bash tools/webgpu/check-and-bench.sh --dtypes f32 --profile >"$OUT/webgpu-check.log" 2>&1
stamp "webgpu: exit $? (details in webgpu-results.tar.xz)"
