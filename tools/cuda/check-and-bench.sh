#!/usr/bin/env bash
# check-and-bench.sh — one device call on a one-GPU host that certifies and measures the CUDA backend after a change:
#   1. build the addon and run the whole conformance suite (gpu-run.sh with FH_SKIP_BENCH=1, FH_SANITIZE=0);
#   2. the model goldens (tests/fixtures, f32 gated and bf16 reported);
#   3. compute-sanitizer memcheck on the kernels named by $FH_MEMCHECK (default: the newest fused kernels);
#   4. native-vs-composition timings of $FH_FUSED_FILTER (backends/cuda/bench/fused.ts);
#   5. the 0.5B model benchmark and its transformers peer (tools/cuda/bench-model.ts, bench_model_torch.py; FH_PEER=0
#      leaves the peer for the next call on the same warm machine);
#   6. with FH_NCU=1, Nsight Compute's kernel-by-kernel times of one decode step at batch 1 and 32 (ncu-decode.sh).
# Every step has a time limit, so a hang costs its step only. Logs and JSON under $OUT, packed into $OUT/logs.tgz
# (the device tool returns few files). Prepare with `node tools/cuda/bundle-gpu.mjs`; carry .gpu/cuda and
# .gpu/node-*.tar.xz.   usage: bash tools/cuda/check-and-bench.sh [bench-model args, e.g. --decode-steps 32]
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export OUT=${OUT:-/tmp/fh-out}
mkdir -p "$OUT"
t0=$(date +%s)
stamp() { echo "[$(($(date +%s) - t0)) s] $*" | tee -a "$OUT/summary.log"; }

FH_SKIP_BENCH=1 FH_SANITIZE=0 timeout 330 bash tools/cuda/gpu-run.sh >"$OUT/gpu-run.log" 2>&1
stamp "build + conformance: exit $?; $(grep -E 'passed, .* failed' "$OUT/gpu-run.log" | tail -1)"
export PATH=/opt/node/bin:$PATH FALCON_H1_CUDA_ADDON=$ROOT/.gpu/cuda/build/falcon_h1_cuda.node
cd .gpu/cuda
fixtures=()
for f in tiny-a tiny-a-packed tiny-b tiny-b-packed; do fixtures+=(--fixture "$ROOT/tests/fixtures/$f"); done
timeout 150 node conformance.mjs --backend cuda "${fixtures[@]}" --json "$OUT/goldens-f32.json" >"$OUT/goldens-f32.log" 2>&1
stamp "goldens f32: exit $?; $(tail -1 "$OUT/goldens-f32.log")"
timeout 90 node conformance.mjs --backend cuda "${fixtures[@]}" --dtypes bf16 --json "$OUT/goldens-bf16.json" \
  >"$OUT/goldens-bf16.log" 2>&1
stamp "goldens bf16 (reported, not gated): exit $?; $(tail -1 "$OUT/goldens-bf16.log")"
if command -v compute-sanitizer >/dev/null; then
  timeout 120 compute-sanitizer --tool memcheck --error-exitcode 3 node conformance.mjs --backend cuda \
    --dtypes f32,bf16 --modes native --quiet --filter "^(${FH_MEMCHECK:-CacheWrite|SwiGlu|LinearCrossEntropy|AdamWMulti|Where})\\(" \
    >"$OUT/memcheck.log" 2>&1
  stamp "memcheck: exit $?; $(grep -E 'ERROR SUMMARY' "$OUT/memcheck.log" | tail -1)"
fi
FH_FUSED_FILTER=${FH_FUSED_FILTER:-SwiGlu|LinearCross|AdamWMulti|SsmScan} timeout 90 node fused.mjs >"$OUT/fused.log" 2>&1
stamp "fused bench: exit $?"
# The model benchmark, its transformers peer (FH_PEER=0 skips it) and, with FH_NCU=1, the per-kernel decode profile.
FH_ADDON=$FALCON_H1_CUDA_ADDON bash "$ROOT/tools/cuda/bench-with-peer.sh" "$@"
cd "$OUT" && tar czf logs.tgz --exclude logs.tgz --exclude summary.log ./* && find . -maxdepth 1 -type f \
  ! -name logs.tgz ! -name summary.log -delete
