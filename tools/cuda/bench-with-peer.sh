#!/usr/bin/env bash
# bench-with-peer.sh — issue #7's table with an addon already built ($FH_ADDON, default /tmp/fh-addon.node, which
# tools/webgpu/compare-with-cuda.sh leaves on a warm machine; check-and-bench.sh calls it with the addon it built):
# the 0.5B model benchmark (prefill, decode, training; tools/cuda/bench-model.ts), its transformers peer on the same
# card (bench_model_torch.py; FH_PEER=0 skips it), and with FH_NCU=1 the per-kernel decode profile (ncu-decode.sh).
# Results under $OUT.
# Carry .gpu/cuda and .gpu/node-*.tar.xz.   usage: bash tools/cuda/bench-with-peer.sh [bench-model args...]
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export OUT=${OUT:-/tmp/fh-out}
mkdir -p "$OUT" /opt/node
t0=$(date +%s)
stamp() { echo "[$(($(date +%s) - t0)) s] $*" | tee -a "$OUT/summary.log"; }
addon=${FH_ADDON:-/tmp/fh-addon.node}
[[ -f $addon ]] || { stamp "no addon at $addon: build it first (tools/cuda/check-and-bench.sh)"; exit 1; }
command -v node >/dev/null || tar xJf .gpu/node-*.tar.xz -C /opt/node
export PATH=/opt/node/bin:$PATH FALCON_H1_CUDA_ADDON=$addon
cd .gpu/cuda || exit 1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$OUT/bench-model.log"
timeout 200 node bench-model.mjs "$@" >>"$OUT/bench-model.log" 2>&1
stamp "bench-model: exit $?"
# The peer (FH_PEER=0 skips it: then run it on the same warm machine in the next call, from the config kept in /tmp).
cp "$OUT/bench-model-config.json" /tmp/bench-model-config.json 2>/dev/null
if [[ ${FH_PEER:-1} == 1 ]]; then
  timeout 200 python3 "$ROOT/tools/cuda/bench_model_torch.py" "$OUT/bench-model-config.json" "$@" 2>&1 |
    grep -v Warning >>"$OUT/bench-model.log"
  stamp "transformers peer: exit ${PIPESTATUS[0]}"
fi
if [[ ${FH_NCU:-0} == 1 ]] && command -v ncu >/dev/null; then
  bash "$ROOT/tools/cuda/ncu-decode.sh" "$OUT" 1 32 >"$OUT/ncu-decode.log" 2>&1
  stamp "ncu: $(grep -h '^## ' "$OUT"/ncu-decode-b*.md | tr '\n' ' ')"
fi
