#!/usr/bin/env bash
# check-and-bench.sh — issue #6 on an NVIDIA GPU host in one device call, results under $OUT:
#   1. the Vulkan loader from the carried debs (.gl/*.deb: libvulkan1 and the glvnd libraries, unpacked with dpkg -x,
#      ldconfig) and the NVIDIA ICD (VK_DRIVER_FILES), as the device README's headless recipe says;
#   2. the whole conformance suite on WebGPU through Dawn/Vulkan: every kernel, then the model goldens (tests/fixtures
#      of this tree) → $OUT/nvidia-conformance.json, $OUT/nvidia-goldens.json;
#   2b. the MatMul cases and the goldens again with the kernels' subgroup forms off (FALCON_WEBGPU_SUBGROUPS=0: they
#       are on by default where the adapter has subgroups, so both forms are certified);
#   3. tools/webgpu/gpu-run.sh with the given bench-model arguments (e.g. --profile): the 0.5B-shaped model's prefill
#      and decode;
#   4. bench-replay-host.mjs: the host's µs per dispatch encoding a replayed 36-layer decode step.
# One tarball holds both (the device call's carry is limited to 64 MiB with the tree, and the two bundles would each
# hold Dawn): .gpu/webgpu-all.tar.xz = backends/webgpu/scripts/gpu-bundle.mjs's node_modules tree (the conformance
# CLI, Dawn) plus tools/webgpu/bundle-gpu.mjs's bench-model.mjs and bench-replay-host.mjs at its root. Prepare here:
#   pnpm build && node backends/webgpu/scripts/gpu-bundle.mjs && node tools/webgpu/bundle-gpu.mjs &&
#   rm -rf /tmp/wg && mkdir /tmp/wg && tar xJf .gpu/webgpu.tar.xz -C /tmp/wg && cp .gpu/webgpu-model/bench-*.mjs /tmp/wg &&
#   tar cJf .gpu/webgpu-all.tar.xz -C /tmp/wg .      (and ../shared/tools/portable-node.sh .gpu for the Node tarball)
# Device tool: carry .gpu/webgpu-all.tar.xz, .gpu/node-*.tar.xz and .gl; command: bash tools/webgpu/check-and-bench.sh --profile
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-/tmp/fh-out}
mkdir -p "$OUT" /opt/node
t0=$(date +%s)
stamp() { echo "[$(($(date +%s) - t0)) s] $*" | tee -a "$OUT/summary.log"; }

for deb in .gl/*.deb; do dpkg -x "$deb" /; done
ldconfig
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
tar xJf .gpu/node-*.tar.xz -C /opt/node && export PATH=/opt/node/bin:$PATH

# gpu-run.sh runs .gpu/webgpu-model/bench-model.mjs with the `webgpu` module beside it: unpack everything there.
W=$ROOT/.gpu/webgpu-model
rm -rf "$W" && mkdir -p "$W" && tar xJf .gpu/webgpu-all.tar.xz -C "$W"
fixtures=()
for f in tiny-a tiny-a-packed tiny-b tiny-b-packed; do fixtures+=(--fixture "$ROOT/tests/fixtures/$f"); done
# conformance LIMIT_S LOG [cli args...]: the conformance CLI on WebGPU from the unpacked bundle, appending to LOG.
conformance() {
  local limit=$1 log=$2
  shift 2
  (cd "$W" && timeout "$limit" node node_modules/@falcon-h1/conformance/dist/cli.js --backend webgpu "$@" >>"$log" 2>&1)
}
conformance "${FH_CONFORMANCE_LIMIT_S:-240}" "$OUT/conformance.log" --json "$OUT/nvidia-conformance.json"
stamp "conformance (kernels): exit $?; $(tail -1 "$OUT/conformance.log")"
conformance "${FH_GOLDENS_LIMIT_S:-120}" "$OUT/goldens.log" "${fixtures[@]}" --json "$OUT/nvidia-goldens.json"
stamp "goldens: exit $?; $(tail -1 "$OUT/goldens.log")"
# The kernels' workgroup forms (FALCON_WEBGPU_SUBGROUPS=0; the subgroup forms are the default where the adapter has
# subgroups): the MatMul cases and the goldens again with them.
export FALCON_WEBGPU_SUBGROUPS=0
conformance "${FH_GOLDENS_LIMIT_S:-120}" "$OUT/subgroups.log" --filter '^MatMul' &&
  conformance "${FH_GOLDENS_LIMIT_S:-120}" "$OUT/subgroups.log" "${fixtures[@]}"
stamp "subgroup forms (MatMul cases, goldens): exit $?; $(grep -E 'passed, .* failed' "$OUT/subgroups.log" | tr '\n' ' ')"
unset FALCON_WEBGPU_SUBGROUPS

timeout "${FH_BENCH_LIMIT_S:-300}" bash tools/webgpu/gpu-run.sh "$@" >"$OUT/bench.log" 2>&1
stamp "bench: exit $?"
# 4. The host's encoding per replayed dispatch of a 36-layer 0.5B-shaped decode step (tools/webgpu/bench-replay-host.mjs).
(cd "$W" && timeout "${FH_REPLAY_LIMIT_S:-180}" node bench-replay-host.mjs --layers 36 >"$OUT/replay-host.log" 2>&1)
stamp "replay host encoding: exit $?; $(tail -1 "$OUT/replay-host.log")"

# The device call returns at most 8 files: everything under $OUT goes back as one archive beside the summary.
tar cJf /tmp/webgpu-results.tar.xz -C "$OUT" . && find "$OUT" -mindepth 1 ! -name summary.log -delete &&
  mv /tmp/webgpu-results.tar.xz "$OUT/"
