#!/usr/bin/env bash
# attention-gpu.sh — one device call for the fast attention paths (native/kernels/attention_tc.cu,
# attention_decode.cu): builds the addon (sm_90 only, for speed), runs the conformance Attention cases,
# bench/attention.ts (float64 checks at tensor-core sizes + timings; again with FALCON_H1_CUDA_ATTENTION=cuda-cores
# for the CUDA-core kernels), compute-sanitizer memcheck and racecheck on those checks, and bench/fused.ts's
# attention rows. Logs under $OUT.
# Prepare: node tools/cuda/bundle-gpu.mjs, and bundle bench/attention.ts self-contained to .gpu/attention.mjs
# (esbuild with bundle-gpu.mjs's options, external '*.node' only).
# usage (device tool): bash backends/cuda/bench/attention-gpu.sh   carry: .gpu/cuda .gpu/attention.mjs .gpu/node-*.tar.xz
OUT=${OUT:-/tmp/fh-out}
mkdir -p "$OUT" /opt/node
R=$PWD
tar xJf .gpu/node-*.tar.xz -C /opt/node && export PATH=/opt/node/bin:$PATH
ROOT=$R source "$R/tools/cuda/addon-build-env.sh"
export FH_CUDA_ARCHS=${FH_CUDA_ARCHS:-90}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
t0=$(date +%s)
bash backends/cuda/native/build-direct.sh "$R/.gpu/cuda/build" >"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
echo "build $(($(date +%s) - t0)) s"
export FALCON_H1_CUDA_ADDON=$R/.gpu/cuda/build/falcon_h1_cuda.node
A=$R/.gpu/attention.mjs
cd .gpu/cuda
if [[ ${FH_SKIP_CONFORMANCE:-0} != 1 ]]; then
  timeout 120 node conformance.mjs --backend cuda --filter '^Attention\(' --quiet --json "$OUT/conf.json" >"$OUT/conf.log" 2>&1
  echo "conformance exit $?"; grep -E "^Attention|passed," "$OUT/conf.log"
fi
timeout 150 node "$A" >"$OUT/attn.log" 2>&1; echo "attention.mjs exit $?"; cat "$OUT/attn.log"
FALCON_H1_CUDA_ATTENTION=cuda-cores timeout 150 node "$A" >"$OUT/attn-cores.log" 2>&1
echo "attention.mjs (cuda-cores) exit $?"; grep -E "^\[|FAIL|failed" "$OUT/attn-cores.log"
FH_ATTENTION_CHECKS_ONLY=1 timeout 120 compute-sanitizer --tool memcheck --error-exitcode 3 node "$A" >"$OUT/memcheck.log" 2>&1
echo "memcheck exit $?"; grep -E "ERROR SUMMARY|check\(s\)|FAIL" "$OUT/memcheck.log"
FH_ATTENTION_CHECKS_ONLY=1 timeout 150 compute-sanitizer --tool racecheck --error-exitcode 3 node "$A" >"$OUT/racecheck.log" 2>&1
echo "racecheck exit $?"; grep -E "RACECHECK SUMMARY|ERROR SUMMARY|check\(s\)|FAIL" "$OUT/racecheck.log"
# The conformance Attention cases under the sanitizers too (f32 there runs the CUDA-core kernels, T ≤ 4 the decode).
timeout 90 compute-sanitizer --tool memcheck --error-exitcode 3 node conformance.mjs --backend cuda --modes native \
  --quiet --filter '^Attention\(' >"$OUT/memcheck-conformance.log" 2>&1
echo "memcheck (conformance) exit $?"; grep -E "ERROR SUMMARY|passed," "$OUT/memcheck-conformance.log"
timeout 90 compute-sanitizer --tool racecheck --error-exitcode 3 node conformance.mjs --backend cuda --modes native \
  --quiet --filter '^Attention\(' >"$OUT/racecheck-conformance.log" 2>&1
echo "racecheck (conformance) exit $?"; grep -E "RACECHECK SUMMARY|passed," "$OUT/racecheck-conformance.log"
if command -v nsys >/dev/null; then  # the kernels' own times (no JavaScript dispatch), one profile per size
  for i in 0 1 2; do
    FH_ATTENTION_TIMINGS_ONLY=1 FH_ATTENTION_TIMING_CASE=$i timeout 60 nsys profile -o "$OUT/attention$i" \
      --force-overwrite true node "$A" >"$OUT/nsys$i.log" 2>&1
    grep -E "^\[" "$OUT/nsys$i.log"
    nsys stats --report cuda_gpu_kern_sum --format csv "$OUT/attention$i.nsys-rep" 2>/dev/null |
      grep -iE "attn|Time" | cut -c1-200
    rm -f "$OUT/attention$i.nsys-rep" "$OUT/attention$i.sqlite"
  done
else
  echo "nsys not found: no kernel-only times"
fi
if [[ ${FH_SKIP_FUSED:-0} != 1 ]]; then
  FH_FUSED_FILTER=Attention timeout 120 node fused.mjs 2>&1 | tail -4
fi
