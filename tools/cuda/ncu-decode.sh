#!/usr/bin/env bash
# ncu-decode.sh — where a decode step's GPU time goes, kernel by kernel, without launch gaps: Nsight Compute times
# every kernel of one fenced eager decode step (bench-model.mjs --only decode-trace: the same kernels a CUDA graph of
# the step replays) and ncu-kernel-table.py sums them per kernel. Their total against the graph-replayed step's time
# (bench-model's decode rows) says how much of a step is kernels and how much is launch gaps.
# Run on the GPU host after gpu-run.sh built the addon (FALCON_H1_CUDA_ADDON set, Node on PATH), from .gpu/cuda:
#   bash ../../tools/cuda/ncu-decode.sh OUTDIR [batch...]        (default batches: 1 32)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
outdir=$1
shift
batches=("$@")
[[ ${#batches[@]} -gt 0 ]] || batches=(1 32)
for b in "${batches[@]}"; do
  # --cache-control none: the step's weights stream from HBM as in a real step (they do not fit in L2 anyway);
  # --clock-control none: the card's own clocks, as the benchmark runs (the device README asks for it).
  timeout 240 ncu --metrics gpu__time_duration.sum --cache-control none --clock-control none --csv \
    --log-file "$outdir/ncu-decode-b$b.csv" node bench-model.mjs --only decode-trace --batch "$b" \
    >"$outdir/ncu-decode-b$b.log" 2>&1
  echo "ncu decode batch $b: exit $?"
  python3 "$here/ncu-kernel-table.py" "$outdir/ncu-decode-b$b.csv" --fence cumSumKernel --title "decode step, batch $b" |
    tee "$outdir/ncu-decode-b$b.md"
done
