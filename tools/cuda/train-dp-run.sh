#!/usr/bin/env bash
# train-dp-run.sh — issue #10's "the launcher trains the 0.5B shape with DP on 4 GPUs from the CLI", on a 4-GPU host:
#   1. unpack the portable Node, build the CUDA addon (as tools/cuda/gpu-run.sh does);
#   2. `falcon-h1 launch --nproc-per-node 4 -- falcon-h1 train --config trainer/examples/0.5b-dp.json --backend cuda`:
#      falconH1Preset('0.5B') (521 M parameters, f32 AdamW), 2048-token rows, 8 rows per step = 2 per GPU, 20 steps
#      on the embedded corpus; rank 0 prints the progress line (loss, tok/s) every step;
#   3. the same config with `dataParallel.zero1` (AdamW's state sharded over the 4 ranks) for FH_ZERO1_STEPS steps;
#   4. the same config for FH_SINGLE_STEPS steps on 1 GPU (`launch --nproc-per-node 1`: the same code path, 4
#      micro-batches of 2 rows per step) for the tokens/s comparison; then a summary (median tok/s from step 3 on).
# Besides the steps, each run spends: the model's seeded initialisation on the host (every rank; ≈ 35 s for 521 M
# parameters on the 2-core dev machine, half what it was before the draws were hoisted out of the name tests), the
# final checkpoint (6.26 GB, streamed: readback + disk bandwidth, ≈ 0.3 GB/s on that machine's disk — the trainer
# prints "checkpoint …, 6.26 GB in N s (model …, optimizer …, fsync + rename …)"), and nothing else (no eval or
# sample in this config). Each log line carries the seconds since its run started, so the phases can be read off.
# Logs, metrics.jsonl and loss curves under $OUT; the runs themselves (6 GB checkpoints) stay in /tmp.
# Prepare: `node tools/cuda/bundle-gpu.mjs`. Device tool: kind nvidia-h100-x4, carry .gpu/cuda and
# .gpu/node-20.20.2.tar.xz, command `bash tools/cuda/train-dp-run.sh`.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-/tmp/fh-out}
NPROC=${FH_NPROC:-4}
SINGLE_STEPS=${FH_SINGLE_STEPS:-4}
ZERO1_STEPS=${FH_ZERO1_STEPS:-8}
CONFIG=$ROOT/.gpu/cuda/trainer/examples/0.5b-dp.json
RUNS=/tmp/fh-train-dp
mkdir -p "$OUT" /opt/node
rm -rf "$RUNS" && mkdir -p "$RUNS"
tar xJf .gpu/node-*.tar.xz -C /opt/node && export PATH=/opt/node/bin:$PATH
{
  echo "node $(node --version)"
  nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader
} 2>&1 | tee "$OUT/train-dp-build.log"
source "$ROOT/tools/cuda/addon-build-env.sh"
start=$(date +%s)
# FH_ADDON: an addon an earlier call on this warm host built from the same tree (saves the minute of building).
if [[ -n ${FH_ADDON:-} && -f ${FH_ADDON:-} ]]; then
  export FALCON_H1_CUDA_ADDON=$FH_ADDON
  echo "addon: reusing $FH_ADDON" | tee -a "$OUT/train-dp-build.log"
else
  if ! timeout 180 bash backends/cuda/native/build-direct.sh "$ROOT/.gpu/cuda/build" >>"$OUT/train-dp-build.log" 2>&1; then
    tail -40 "$OUT/train-dp-build.log"
    exit 1
  fi
  echo "addon build: $(($(date +%s) - start)) s" | tee -a "$OUT/train-dp-build.log"
  export FALCON_H1_CUDA_ADDON=$ROOT/.gpu/cuda/build/falcon_h1_cuda.node
fi
CLI=$ROOT/.gpu/cuda/cli.mjs

# Variants of the config, each a copy next to the original (so its relative paths still resolve): fewer steps, a
# checkpoint at the end, and the JavaScript assignments given (to `c`, the parsed config).
derive() { # <out> <steps> <assignments>
  node -e 'const fs = require("fs"); const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    c.steps = Number(process.argv[3]); c.checkpoint = { every: c.steps, keep: 1 }; eval(process.argv[4]);
    fs.writeFileSync(process.argv[2], JSON.stringify(c, null, 2));' "$CONFIG" "$1" "$2" "$3"
}
# The 1-GPU comparison (a short warm-up), and ZeRO-1: the optimizer state sharded over the ranks.
SINGLE=$ROOT/.gpu/cuda/trainer/examples/0.5b-1gpu.json
derive "$SINGLE" "$SINGLE_STEPS" 'c.schedule = { warmupSteps: 1 }'
ZERO1=$ROOT/.gpu/cuda/trainer/examples/0.5b-zero1.json
derive "$ZERO1" "$ZERO1_STEPS" 'c.dataParallel = { ...c.dataParallel, zero1: true }'

# Prefixes each line with the seconds since `t0`, so the log shows when each phase (model init, steps, checkpoint:
# the trainer prints what each costs) started and ended.
stamp() { # <t0>
  local line
  while IFS= read -r line; do printf '[%4d s] %s\n' $(($(date +%s) - $1)) "$line"; done
}

PORT=29500
run() { # <name> <nproc> <config> <timeout s>
  local name=$1 nproc=$2 config=$3 limit=$4
  echo "== $name: launch --nproc-per-node $nproc -- train --config $(basename "$config") --backend cuda"
  local t0=$(date +%s)
  PORT=$((PORT + 1))
  timeout -k 10 "$limit" node "$CLI" launch --nproc-per-node "$nproc" --master-port "$PORT" -- \
    node "$CLI" train --config "$config" --backend cuda --out "$RUNS/$name" 2>&1 | stamp "$t0" | tee "$OUT/$name.log"
  local code=${PIPESTATUS[0]}
  echo "$name: exit $code, $(($(date +%s) - t0)) s wall" | tee -a "$OUT/$name.log"
  cp "$RUNS/$name/metrics.jsonl" "$OUT/$name-metrics.jsonl" 2>/dev/null
  cp "$RUNS/$name/loss-curve.svg" "$OUT/$name-loss-curve.svg" 2>/dev/null
  return "$code"
}
run dp$NPROC "$NPROC" "$CONFIG" "${FH_DP_LIMIT_S:-170}"
run zero1-dp$NPROC "$NPROC" "$ZERO1" "${FH_ZERO1_LIMIT_S:-130}"
run single 1 "$SINGLE" "${FH_SINGLE_LIMIT_S:-120}"
nvidia-smi --query-gpu=index,memory.used --format=csv,noheader >>"$OUT/train-dp-build.log" 2>&1

# Summary: per-step loss and tok/s of both runs, the medians from step 3 on (steps 1–2 warm up), scaling efficiency.
node -e 'const fs = require("fs");
  const read = (f) => fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n").filter(Boolean).map(JSON.parse) : [];
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };
  const [dpFile, oneFile, n, zeroFile] = process.argv.slice(1);
  const dp = read(dpFile), one = read(oneFile), zero = read(zeroFile);
  for (const [name, rows] of [["dp" + n, dp], ["zero1-dp" + n, zero], ["1 GPU", one]])
    for (const r of rows) console.log(`${name} step ${r.step}: loss ${r.loss.toFixed(4)}, ${Math.round(r.tokens_per_s)} tok/s`);
  const a = median(dp.filter((r) => r.step >= 3).map((r) => r.tokens_per_s));
  const b = median(one.filter((r) => r.step >= 3).map((r) => r.tokens_per_s));
  const z = median(zero.filter((r) => r.step >= 3).map((r) => r.tokens_per_s));
  console.log(`median tok/s from step 3: ${n} GPUs ${Math.round(a)}, 1 GPU ${Math.round(b)}; speed-up ${(a / b).toFixed(2)}x, scaling efficiency ${(100 * a / (n * b)).toFixed(1)} %`);
  console.log(`ZeRO-1 on ${n} GPUs: median ${Math.round(z)} tok/s from step 3 (${(100 * z / a).toFixed(1)} % of plain DP)`);
' "$RUNS/dp$NPROC/metrics.jsonl" "$RUNS/single/metrics.jsonl" "$NPROC" "$RUNS/zero1-dp$NPROC/metrics.jsonl" | tee "$OUT/train-dp-summary.txt"
