#!/usr/bin/env bash
# gpu-run.sh — everything one device call does for @falcon-h1/backend-cuda, with logs and results under $OUT:
#   unpack the portable Node (.gpu/node-*.tar.xz), find cuBLASLt, build the addon with native/build-direct.sh
#   (sm_80 + sm_90 + PTX), run the conformance CLI on it (every case, f32/bf16/f16, native and composition) and the
#   benchmarks (backend GEMM/copy, then torch.matmul on the same card). Prepare with `node tools/cuda/bundle-gpu.mjs`.
#   usage (device tool): bash tools/cuda/gpu-run.sh [conformance args...]     carry: .gpu
#   FH_MODEL_BENCH_ONLY=1 bash tools/cuda/gpu-run.sh [bench-model args...]: build, then only tools/cuda/bench-model.ts
#   and its transformers peer (tools/cuda/bench_model_torch.py).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-/tmp/fh-out}
mkdir -p "$OUT" /opt/node
tar xJf .gpu/node-*.tar.xz -C /opt/node && export PATH=/opt/node/bin:$PATH
{
  echo "node $(node --version)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
  nvcc --version | tail -2
} 2>&1 | tee "$OUT/build.log"
source "$ROOT/tools/cuda/addon-build-env.sh"
echo "cublasLt.h: ${CUBLASLT_HEADER:-not found}; CUBLASLT_HOME=${CUBLASLT_HOME:-}" | tee -a "$OUT/build.log"
start=$(date +%s)
if ! bash backends/cuda/native/build-direct.sh "$ROOT/.gpu/cuda/build" >>"$OUT/build.log" 2>&1; then
  tail -60 "$OUT/build.log"
  exit 1
fi
echo "build: $(($(date +%s) - start)) s" | tee -a "$OUT/build.log"
addon=$ROOT/.gpu/cuda/build/falcon_h1_cuda.node
strip --strip-unneeded "$addon" 2>/dev/null || true
ldd "$addon" | tee -a "$OUT/build.log"
cp "$addon" "$OUT/"
export FALCON_H1_CUDA_ADDON=$addon
cd .gpu/cuda
if [[ ${FH_MODEL_BENCH_ONLY:-0} == 1 ]]; then
  # Only the model benchmark and its transformers peer (issue #7 §6), same card, same call.
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/bench-model.log"
  node bench-model.mjs "$@" 2>&1 | tee -a "$OUT/bench-model.log"
  python3 "$ROOT/tools/cuda/bench_model_torch.py" "$OUT/bench-model-config.json" "$@" 2>&1 | grep -v Warning |
    tee -a "$OUT/bench-model.log"
  exit 0
fi
start=$(date +%s)
cp "$ROOT/tools/cuda/conformance-split.mjs" .
node conformance-split.mjs "$OUT/conformance.json" "$OUT/conformance.log" "$@" | tail -60
echo "conformance: exit ${PIPESTATUS[0]}, $(($(date +%s) - start)) s"
{
  echo "== MatMul through the fallback GEMM (FALCON_H1_CUDA_GEMM=fallback)"
  FALCON_H1_CUDA_GEMM=fallback node conformance.mjs --backend cuda --filter '^MatMul\(' --quiet 2>&1 | tail -2
  if [[ ${FH_SANITIZE:-1} == 1 ]] && command -v compute-sanitizer >/dev/null; then
    fused='Softmax|RmsNorm|RmsNormGated|Rope|CausalConv1d|CausalConv1dUpdate|SsmScan|SsmStep|Attention|CrossEntropy|AdamW|AdamWMulti|SwiGlu|LinearCrossEntropy'
    echo "== compute-sanitizer memcheck: fused kernels and the indexed primitives, f32 + bf16, native"
    timeout 180 compute-sanitizer --tool memcheck --error-exitcode 3 node conformance.mjs --backend cuda \
      --dtypes f32,bf16 --modes native --quiet \
      --filter "^($fused|Gather|ScatterAdd|Concat|Slice|Transpose|Sum|Max|ArgMax|CumSum|MatMul|Where|Add)\\(" >san.log 2>&1
    echo "memcheck exit $?"; grep -E "ERROR SUMMARY|passed,|Invalid|out of bounds" san.log | head -20
    echo "== compute-sanitizer racecheck: the shared-memory kernels, f32, native"
    timeout 120 compute-sanitizer --tool racecheck --error-exitcode 3 node conformance.mjs --backend cuda \
      --dtypes f32 --modes native --quiet --filter '^(Attention|SsmScan|CausalConv1d|RmsNorm|RmsNormGated|Softmax|CrossEntropy)\(' >race.log 2>&1
    echo "racecheck exit $?"; grep -E "RACECHECK SUMMARY|ERROR SUMMARY|passed,|hazard" race.log | head -20
  fi
} 2>&1 | tee "$OUT/checks.log"
[[ ${FH_SKIP_BENCH:-0} == 1 ]] && exit 0
node bench.mjs 2>&1 | tee "$OUT/bench.log"
OUT='' python3 "$ROOT/tools/cuda/bench_torch.py" 2>&1 | tee -a "$OUT/bench.log"
node fused.mjs 2>&1 | tee -a "$OUT/bench.log"
