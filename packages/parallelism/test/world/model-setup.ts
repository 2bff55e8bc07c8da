/**
 * The model and batch every equivalence test uses, built identically on the main thread (the one-device
 * reference) and in every worker: tiny-a's config (hidden 96, 4 attention heads / 2 KV heads, 8 SSM heads in 2
 * groups, d_state 16, chunk 16, 3 layers, vocab 384) with seeded random f64 parameters on the reference backend,
 * and a batch of 4 rows × 24 tokens with packed documents (boundaries inside SSD chunks, on the 6- and 12-token
 * marks where context-parallel ranks meet, a 3-token document).
 */
import { type Tensor, tensor, type Variable } from '@falcon-h1/core-tensor';
import {
  type FalconH1ForCausalLM,
  parseFalconH1ConfigJson,
  randomFalconH1,
  seededRandom,
} from '@falcon-h1/hybrid-block';
import { type HostBatch, hostBatch } from '../../src/index.js';

export interface ModelInput extends Record<string, unknown> {
  configText: string;
  seed: number;
  /** Use the packed document ids. */
  packed: boolean;
}

export const BATCH = 4;
export const LENGTH = 24;

export function buildModel(input: ModelInput): FalconH1ForCausalLM {
  return randomFalconH1(parseFalconH1ConfigJson(input.configText), { seed: input.seed, dtype: 'f64' });
}

export function batchIds(input: ModelInput): { ids: number[]; seqIdx?: number[] } {
  const rng = seededRandom(input.seed + 1);
  const vocab = parseFalconH1ConfigJson(input.configText).vocab_size;
  const ids = Array.from({ length: BATCH * LENGTH }, () => Math.floor(rng.next() * vocab));
  if (!input.packed) return { ids };
  const runs = [[10, 14], [24], [12, 5, 7], [3, 3, 18]];
  const seqIdx = runs.flatMap((row) => row.flatMap((n, doc) => new Array<number>(n).fill(doc)));
  return { ids, seqIdx };
}

/** name → values of every gradient (or parameter) in a map keyed by the model's variables. */
export async function byName(
  model: FalconH1ForCausalLM,
  values: ReadonlyMap<Variable, Tensor> | 'parameters',
): Promise<Record<string, Float64Array>> {
  const out: Record<string, Float64Array> = {};
  for (const [name, p] of model.parameters) {
    const t = values === 'parameters' ? p : values.get(p);
    if (!t) throw new Error(`no value for ${name}`);
    out[name] = Float64Array.from(await t.data(), Number);
  }
  return out;
}

export const idsTensor = (ids: number[], seqIdx?: number[]): { ids: Tensor; seqIdx?: Tensor } => ({
  ids: tensor(ids, [BATCH, LENGTH], 'i32'),
  seqIdx: seqIdx && tensor(seqIdx, [BATCH, LENGTH], 'i32'),
});

/** The whole test batch as host arrays (positions, labels, counted tokens). */
export function wholeBatch(input: ModelInput): HostBatch {
  const { ids, seqIdx } = batchIds(input);
  return hostBatch(ids, BATCH, LENGTH, seqIdx);
}
