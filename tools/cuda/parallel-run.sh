#!/usr/bin/env bash
# parallel-run.sh — issue #10 on a 4-GPU host in one device call (carry .gpu/cuda and .gpu/node-*.tar.xz; prepare
# with `node tools/cuda/bundle-gpu.mjs`). Logs and JSON under $OUT:
#   1. unpack the portable Node; build the addon from this tree as gpu-run.sh does (native/build-direct.sh), or use
#      the committed prebuilt (backends/cuda/prebuilds/linux-x64) if that fails; check it loads with NCCL;
#   2. parallel-check on 2 GPUs (CUDA_VISIBLE_DEVICES=0,1) and on 4: every layout on NCCL vs one GPU;
#   3. parallel-bench dp (0.5B shape, DP on 1, 2, 4 GPUs; then again with NCCL on the compute stream) and mp (one GPU vs TP 2 vs MP naive / interleaved);
#   4. nccl-check on 4 GPUs (every collective, both split paths, one DP step).
# Each step runs in its own session with a time limit (the whole group is killed when it passes) and the steps share
# one budget ($FH_BUDGET_S, default 460 s, the addon build included): a hang costs its step, never the call. Exit 1 if any step failed.
#   usage (device tool, nvidia-h100-x4): bash tools/cuda/parallel-run.sh            carry: .gpu/cuda, .gpu/node-20.20.2.tar.xz
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-/tmp/fh-out}
mkdir -p "$OUT" /opt/node
DEADLINE=$(($(date +%s) + ${FH_BUDGET_S:-460}))
SUMMARY=$OUT/summary.log
failed=0
note() { echo "$*" | tee -a "$SUMMARY"; }

tar xJf .gpu/node-*.tar.xz -C /opt/node && export PATH=/opt/node/bin:$PATH
{
  echo "node $(node --version)"
  nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader
  nvidia-smi topo -m 2>/dev/null | head -6
} 2>&1 | tee "$OUT/host.log"

# NCCL: the addon dlopens libnccl.so.2 from the loader's path; point it at a copy elsewhere if there is none.
if ! ldconfig -p 2>/dev/null | grep -q 'libnccl.so.2'; then
  nccl=$(timeout 30 find /usr /opt /lib /lib64 /root -name 'libnccl.so.2*' 2>/dev/null | head -1)
  [[ -n $nccl ]] && export FALCON_H1_NCCL_LIBRARY=$nccl
fi
echo "NCCL library: ${FALCON_H1_NCCL_LIBRARY:-libnccl.so.2 on the loader path}" | tee -a "$OUT/host.log"

cd .gpu/cuda
probe() {
  timeout 60 node --input-type=module -e "
    import { createCudaBackend } from './node_modules/@falcon-h1/backend-cuda/index.js';
    const b = createCudaBackend(); const nccl = b.collectives.availability();
    console.log(b.device, JSON.stringify(nccl)); b.dispose(); if (!nccl.ok) process.exit(3);"
}
# The addon from this tree's native sources (as gpu-run.sh builds it; ~1 min on the host's cores), so that native and
# TypeScript sides match; the committed prebuilt (backends/cuda/prebuilds) only if that build fails.
source "$ROOT/tools/cuda/addon-build-env.sh"
start=$(date +%s)
export FALCON_H1_CUDA_ADDON=$ROOT/.gpu/cuda/build/falcon_h1_cuda.node
# FH_ADDON: an addon an earlier call on this warm host built from the same tree (saves the minute of building).
if [[ -n ${FH_ADDON:-} && -f ${FH_ADDON:-} ]] && export FALCON_H1_CUDA_ADDON=$FH_ADDON && probe 2>&1 | tee -a "$OUT/host.log"; then
  note "addon: reusing $FH_ADDON"
elif timeout "${FH_BUILD_LIMIT_S:-180}" bash "$ROOT/backends/cuda/native/build-direct.sh" "$ROOT/.gpu/cuda/build" >"$OUT/build.log" 2>&1 &&
  probe 2>&1 | tee -a "$OUT/host.log"; then
  note "addon built in $(($(date +%s) - start)) s"
else
  tail -30 "$OUT/build.log"
  note "addon build or load FAILED after $(($(date +%s) - start)) s: trying the committed prebuilt"
  export FALCON_H1_CUDA_ADDON=$ROOT/backends/cuda/prebuilds/linux-x64/falcon_h1_cuda.node
  probe 2>&1 | tee -a "$OUT/host.log" || { note "FAIL no CUDA addon with NCCL loads"; exit 1; }
fi
note "addon: $FALCON_H1_CUDA_ADDON"

port=29510
# run_step NAME LIMIT_S ENV... -- COMMAND...: runs in a session of its own; killed (the whole session) past its limit
# or the budget. Its output goes to $OUT/NAME.log.
run_step() {
  local name=$1 limit=$2
  shift 2
  # FH_STEPS: a regex of the step names to run (default: all of them).
  [[ $name =~ ${FH_STEPS:-.} ]] || return 0
  local left=$((DEADLINE - $(date +%s) - 5))
  ((limit > left)) && limit=$left
  if ((limit < 30)); then
    note "SKIP $name: ${left} s of the budget left"
    failed=1
    return
  fi
  port=$((port + 1))
  local start=$(date +%s)
  echo "== $name (limit ${limit} s)"
  env FH_CHECK_TIMEOUT_S=$((limit - 10)) FH_BENCH_TIMEOUT_S=$((limit - 10)) FH_PORT=$port setsid "$@" >"$OUT/$name.log" 2>&1 &
  local pid=$! rc
  while kill -0 "$pid" 2>/dev/null; do
    if (($(date +%s) - start >= limit)); then
      kill -TERM -- "-$pid" 2>/dev/null
      sleep 3
      kill -KILL -- "-$pid" 2>/dev/null
      break
    fi
    sleep 1
  done
  wait "$pid"
  rc=$?
  local verdict=DONE
  ((rc == 0)) || { verdict=FAIL; failed=1; }
  note "$verdict $name: exit $rc, $(($(date +%s) - start)) s"
}
launch() { # NPROC ARGS...: falcon-h1 launch on a fresh rendezvous port
  local n=$1
  shift
  node cli.mjs launch --nproc-per-node "$n" --master-port "$FH_PORT" -- "$@"
}
export -f launch

summarise_check() { # the per-rank totals and every FAIL line
  [[ -f $OUT/$1.log ]] || return 0
  grep -E 'passed|FAIL' "$OUT/$1.log" | cut -c1-400 | tee -a "$SUMMARY"
}

run_step parallel-check-w2 100 env CUDA_VISIBLE_DEVICES=0,1 bash -c 'launch 2 node parallel-check.mjs'
summarise_check parallel-check-w2
run_step parallel-check-w4 110 bash -c 'launch 4 node parallel-check.mjs'
summarise_check parallel-check-w4
run_step parallel-bench-dp 150 bash -c 'launch 4 node parallel-bench.mjs --only dp'
[[ -f $OUT/parallel-bench-dp.log ]] && grep -E '^\[rank 0\] (\||parallel-bench)' "$OUT/parallel-bench-dp.log" | tee -a "$SUMMARY"
# The same with NCCL between the backward kernels on the compute stream: what the side stream's overlap saves.
run_step parallel-bench-dp-compute 150 env FALCON_H1_NCCL_STREAM=compute bash -c 'launch 4 node parallel-bench.mjs --only dp'
[[ -f $OUT/parallel-bench-dp-compute.log ]] && grep -E '^\[rank 0\] (\||parallel-bench)' "$OUT/parallel-bench-dp-compute.log" | tee -a "$SUMMARY"
run_step parallel-bench-mp ${FH_MP_LIMIT_S:-120} env CUDA_VISIBLE_DEVICES=0,1 bash -c 'launch 2 node parallel-bench.mjs --only mp'
[[ -f $OUT/parallel-bench-mp.log ]] && grep -E '^\[rank 0\] (\||parallel-bench)' "$OUT/parallel-bench-mp.log" | tee -a "$SUMMARY"
# Last: the collectives proof at 4 ranks (2 ranks passed before; see backends/cuda/README.md).
run_step nccl-check-w4 70 bash -c 'launch 4 node nccl-check.mjs'
summarise_check nccl-check-w4
for f in "$OUT"/*.log; do grep -lE 'Error|error:' "$f" >/dev/null && { echo "--- errors in $(basename "$f")"; grep -E 'Error|error:' "$f" | head -5 | cut -c1-300; }; done
verdict='all steps passed'
((failed == 0)) || verdict='some steps FAILED'
note "parallel-run: $verdict in $(($(date +%s) - DEADLINE + ${FH_BUDGET_S:-460})) s"
exit $failed
