#!/usr/bin/env bash
# gpu-run.sh — the WebGPU model benchmark on a GPU host without Node, results under $OUT:
#   unpack the portable Node (.gpu/node-*.tar.xz, from ../shared/tools/portable-node.sh .gpu), then run
#   .gpu/webgpu-model/bench-model.mjs (from `node tools/webgpu/bundle-gpu.mjs`) on Dawn over the host's Vulkan
#   driver: the 0.5B shapes (f32, and f16 where the adapter has shader-f16), the 0.5B f32 again with Dawn's
#   validation and robustness toggled off, the 0.5B f32 with the subgroup forms off (FALCON_WEBGPU_SUBGROUPS=0), then
#   tiny-a's shapes (FH_WEBGPU_MAIN_ONLY=1: the first run only).
#   usage (device tool): bash tools/webgpu/gpu-run.sh [bench-model args for the 0.5B run...]     carry: .gpu
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/fh-out}
mkdir -p "$OUT" /opt/node
tar xJf .gpu/node-*.tar.xz -C /opt/node && export PATH=/opt/node/bin:$PATH
{
  echo "node $(node --version)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1
} | tee "$OUT/environment.log"
node .gpu/webgpu-model/bench-model.mjs "$@" 2>&1 | tee "$OUT/bench-model-0.5B.log"
status=${PIPESTATUS[0]}
[[ -f $OUT/bench-model-webgpu.json ]] && mv "$OUT/bench-model-webgpu.json" "$OUT/bench-model-0.5B.json"
# FH_WEBGPU_MAIN_ONLY=1: only the run above (each further run uploads the 0.5B weights again, ~45 s).
[[ ${FH_WEBGPU_MAIN_ONLY:-0} == 1 ]] && exit "$status"
# The same 0.5B decode (f32) with Dawn's validation and shader robustness (bounds clamping) off: what they cost.
FALCON_WEBGPU_DAWN_FLAGS='enable-dawn-features=skip_validation,disable_robustness,disable_workgroup_init' \
  node .gpu/webgpu-model/bench-model.mjs --dtypes f32 --prefill 512 2>&1 | tee "$OUT/bench-model-0.5B-unsafe-toggles.log"
[[ -f $OUT/bench-model-webgpu.json ]] && mv "$OUT/bench-model-webgpu.json" "$OUT/bench-model-0.5B-unsafe-toggles.json"
# The same 0.5B decode with the kernels' subgroup forms off (FALCON_WEBGPU_SUBGROUPS=0), against the first run.
FALCON_WEBGPU_SUBGROUPS=0 node .gpu/webgpu-model/bench-model.mjs --dtypes f32 --prefill 512 "$@" 2>&1 |
  tee "$OUT/bench-model-0.5B-subgroups.log"
[[ -f $OUT/bench-model-webgpu.json ]] && mv "$OUT/bench-model-webgpu.json" "$OUT/bench-model-0.5B-subgroups.json"
node .gpu/webgpu-model/bench-model.mjs --shape tiny-a --prefill 40,512 2>&1 | tee "$OUT/bench-model-tiny-a.log"
[[ -f $OUT/bench-model-webgpu.json ]] && mv "$OUT/bench-model-webgpu.json" "$OUT/bench-model-tiny-a.json"
exit "$status"
