/**
 * The one-token step over a StaticKVCache with decode constants (packed q|k|v projection + the fused
 * AttentionDecodeStep) against the module's generic path over an identical cache (three projections, RoPE, cache
 * writes, attention), in float64 on the reference backend: same output, same cache contents — with and without
 * q/k/v biases (multipliers folded into the scale, or into the packed weights), rows in different documents and
 * empty slots. The same step from a projection the caller made (`attendProjectedStep`: the packed q|k|v columns of
 * a wider row, at an offset, with a prefix the kernel writes in front of the heads) gives [prefix | the same heads]
 * and the same cache; `beginProjectedStep` (the step up to its kernel) writes the document ids into the slot, hands
 * over the kernel's inputs and options, and the kernel on them gives `attendProjectedStep`'s output and cache.
 */
import '@falcon-h1/backend-reference';
import {
  attentionDecodeStep,
  concat,
  dispatchCounts,
  dispose,
  linear,
  resetDispatchCounts,
  reshape,
  type Tensor,
  tensor,
  tidy,
  type Variable,
  variable,
} from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import {
  attentionDecodeConstants,
  disposeAttentionDecodeConstants,
  type FalconH1AttentionConfig,
  packedQkvProjection,
  StaticKVCache,
} from '../src/index.js';
import { randomAttention, smallAttentionConfig } from './random-attention.js';
import { relL2 } from './relative-error.js';
import { rng } from './seeded-random.js';

const uniform = (next: () => number, n: number): Float64Array => Float64Array.from({ length: n }, () => 2 * next() - 1);

const B = 2;
const L = 7;
// Row 0: document 1 after two padding slots (document 0), four filled slots, the step writes slot 5 (already
// labelled by the owner), slot 6 empty. Row 1: document 3 from the start.
const KEY_DOCS = [0, 0, 1, 1, 1, 1, -1, 3, 3, 3, 3, 3, 3, -1];
const ROW_DOCS = [1, 3];
const POSITIONS = [4, 6];
const SLOT = 5;

/** A non-trainable Variable holding `values`, pushed onto `owned` (the caller disposes it). */
function ownedVariable(owned: Tensor[], values: ArrayLike<number>, shape: number[], dtype: 'f64' | 'i32'): Variable {
  const t = tensor(values, shape, dtype);
  const v = variable(t, { trainable: false });
  t.dispose();
  owned.push(v);
  return v;
}

function check(attentionBias: boolean, seed: number): void {
  const config = smallAttentionConfig(attentionBias);
  const next = rng(seed);
  const params: Variable[] = [];
  const attn = randomAttention(config, next, params);
  const { num_key_value_heads: hkv, head_dim: dh } = config;
  const keys0 = uniform(next, B * L * hkv * dh);
  const values0 = uniform(next, B * L * hkv * dh);
  const x = uniform(next, B * config.hidden_size);
  const inputMultiplier = 0.8;
  const constants = attentionDecodeConstants(attn, inputMultiplier);
  const owned: Tensor[] = [];
  const makeCache = (): StaticKVCache => {
    const own = (values: ArrayLike<number>, shape: number[], dtype: 'f64' | 'i32'): Variable =>
      ownedVariable(owned, values, shape, dtype);
    const slot = own([SLOT], [1], 'i32');
    return new StaticKVCache(
      own(keys0, [B, L, hkv, dh], 'f64'),
      own(values0, [B, L, hkv, dh], 'f64'),
      own(KEY_DOCS, [B, L], 'i32'),
      () => slot,
      { writesKeySeqIdx: false },
    );
  };
  const fused = makeCache();
  const generic = makeCache();
  const projected = makeCache();
  tidy(() => {
    const input = tensor(x, [B, 1, config.hidden_size], 'f64');
    const options = {
      positions: tensor(POSITIONS, [B, 1], 'i32'),
      seqIdx: tensor(ROW_DOCS, [B, 1], 'i32'),
      inputMultiplier,
    };
    resetDispatchCounts();
    const got = attn.attend(input, { ...options, cache: fused, decodeConstants: constants });
    expect(dispatchCounts().AttentionDecodeStep).toEqual({ native: 1, fallback: 0 });
    expect(dispatchCounts().Rope).toBeUndefined();
    const want = attn.attend(input, { ...options, cache: generic });
    expect(got.shape).toEqual([B, 1, config.num_attention_heads * dh]);
    expect(relL2(got.dataSync() as Float64Array, want.dataSync() as Float64Array)).toBeLessThan(1e-12);
    expect(relL2(fused.keys.dataSync() as Float64Array, generic.keys.dataSync() as Float64Array)).toBeLessThan(1e-12);
    const values = [fused, generic].map((c) => c.values.dataSync() as Float64Array);
    expect(relL2(values[0]!, values[1]!)).toBeLessThan(1e-12);
    // The packed q|k|v at columns [3, 3 + width) of a wider row (other projections' columns around it), a prefix.
    const qkv = packedQkvProjection(attn, inputMultiplier);
    const heads = config.num_attention_heads * dh;
    const other = (columns: number): Tensor => tensor(uniform(next, B * columns), [B, columns], 'f64');
    const projection = linear(reshape(input, [B, config.hidden_size]), qkv.weight, qkv.bias);
    const wide = concat([other(3), projection, other(2)], -1);
    const prefix = other(5);
    resetDispatchCounts();
    const both = attn.attendProjectedStep(wide, { ...options, cache: projected }, { offset: 3, prefix });
    expect(dispatchCounts().AttentionDecodeStep).toEqual({ native: 1, fallback: 0 });
    expect(both.shape).toEqual([B, 5 + heads]);
    const bothValues = both.dataSync() as Float64Array;
    const gotValues = got.dataSync() as Float64Array;
    const prefixValues = prefix.dataSync() as Float64Array;
    for (let b = 0; b < B; b++) {
      const out = bothValues.subarray(b * (5 + heads), (b + 1) * (5 + heads));
      expect(Array.from(out.subarray(0, 5))).toEqual(Array.from(prefixValues.subarray(b * 5, b * 5 + 5)));
      expect(relL2(out.subarray(5), gotValues.subarray(b * heads, (b + 1) * heads))).toBeLessThan(1e-12);
    }
    for (const which of ['keys', 'values'] as const) {
      const want = fused[which].dataSync() as Float64Array;
      expect(relL2(projected[which].dataSync() as Float64Array, want), which).toBeLessThan(1e-12);
    }
    // The slot was written; every other slot kept its value.
    const k = fused.keys.dataSync() as Float64Array;
    const row = hkv * dh;
    for (let b = 0; b < B; b++)
      for (let s = 0; s < L; s++) {
        const at = (b * L + s) * row;
        const same = k.subarray(at, at + row).every((v, i) => v === keys0[at + i]);
        expect(same, `row ${b} slot ${s}`).toBe(s !== SLOT);
      }
  });
  disposeAttentionDecodeConstants(constants);
  dispose([...owned, ...params]);
}

describe('FalconH1Attention one-token step over a StaticKVCache with decode constants', () => {
  it('equals the generic path without biases (multipliers folded into the scale)', () => check(false, 11));
  it('equals the generic path with biases (multipliers folded into the packed weights)', () => check(true, 12));
});

describe('FalconH1Attention.beginProjectedStep (the step up to its kernel, for a caller whose kernel runs it)', () => {
  it("does the cache's side of the step once and hands over AttentionDecodeStep's inputs and options", () => {
    const config: FalconH1AttentionConfig = {
      hidden_size: 12,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 4,
      attention_bias: false,
      key_multiplier: 0.6,
      rope_parameters: { rope_theta: 500 },
    };
    const next = rng(17);
    const params: Variable[] = [];
    const attn = randomAttention(config, next, params);
    const { num_key_value_heads: hkv, head_dim: dh } = config;
    const width = (config.num_attention_heads + 2 * hkv) * dh;
    const keys0 = uniform(next, B * L * hkv * dh);
    const values0 = uniform(next, B * L * hkv * dh);
    const row = uniform(next, B * (2 + width));
    // Caches that own their document ids (empty from the step's slot on): the step writes ROW_DOCS there.
    const docs = KEY_DOCS.map((d, i) => (i % L >= SLOT ? -1 : d));
    const owned: Tensor[] = [];
    const own = (values: ArrayLike<number>, shape: number[], dtype: 'f64' | 'i32'): Variable =>
      ownedVariable(owned, values, shape, dtype);
    const slot = own([SLOT], [1], 'i32');
    const makeCache = (): StaticKVCache =>
      new StaticKVCache(
        own(keys0, [B, L, hkv, dh], 'f64'),
        own(values0, [B, L, hkv, dh], 'f64'),
        own(docs, [B, L], 'i32'),
        () => slot,
      );
    const [begun, whole] = [makeCache(), makeCache()];
    tidy(() => {
      const wide = tensor(row, [B, 2 + width], 'f64');
      const options = {
        positions: tensor(POSITIONS, [B, 1], 'i32'),
        seqIdx: tensor(ROW_DOCS, [B, 1], 'i32'),
        inputMultiplier: 0.9,
      };
      const step = attn.beginProjectedStep({ ...options, cache: begun }, { offset: 2 });
      const written = Array.from(begun.keySeqIdx.dataSync() as Int32Array);
      expect(written).toEqual(docs.map((d, i) => (i % L === SLOT ? ROW_DOCS[Math.floor(i / L)]! : d)));
      expect(step.inputs.keys).toBe(begun.keys);
      expect(step.inputs.values).toBe(begun.values);
      expect(step.inputs.kSeqIdx).toBe(begun.keySeqIdx);
      expect(step.inputs.slots).toBe(slot);
      expect(Array.from(step.inputs.positions.dataSync() as Int32Array)).toEqual(POSITIONS);
      expect(Array.from(step.inputs.qSeqIdx.dataSync() as Int32Array)).toEqual(ROW_DOCS);
      expect(step.options).toEqual({
        heads: config.num_attention_heads,
        kvHeads: hkv,
        theta: 500,
        scale: attn.attentionScale(0.9),
        offset: 2,
      });
      // Nothing else was written: the kernel writes the key and the value.
      expect(Array.from(begun.keys.dataSync() as Float64Array)).toEqual(Array.from(keys0));
      const got = attentionDecodeStep({ ...step.inputs, qkv: wide }, step.options);
      const want = attn.attendProjectedStep(wide, { ...options, cache: whole }, { offset: 2 });
      expect(Array.from(got.dataSync() as Float64Array)).toEqual(Array.from(want.dataSync() as Float64Array));
      for (const name of ['keys', 'values', 'keySeqIdx'] as const) {
        expect(Array.from(begun[name].dataSync() as ArrayLike<number>), name).toEqual(
          Array.from(whole[name].dataSync() as ArrayLike<number>),
        );
      }
      expect(() => attn.beginProjectedStep(options)).toThrow(/needs a StaticKVCache \(options.cache\)/);
    });
    dispose([...owned, ...params]);
  });
});
