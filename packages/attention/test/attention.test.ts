/**
 * FalconH1Attention against its definition computed on the host in float64 (GQA, key multiplier before RoPE, NeoX
 * RoPE with f32 angles as the contract, 1/√head_dim, causal), the KV cache against one pass, and packed documents
 * (block-diagonal mask, positions restarting) against each document alone.
 */
import '@falcon-h1/backend-reference';
import { concat, dispose, sliceAxis, tensor, tidy, type Variable, variable } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import {
  documentPositions,
  FalconH1Attention,
  type FalconH1AttentionConfig,
  KVCache,
  sequentialPositions,
} from '../src/index.js';
import { relL2 } from './relative-error.js';
import { rng } from './seeded-random.js';

const config: FalconH1AttentionConfig = {
  hidden_size: 10,
  num_attention_heads: 6,
  num_key_value_heads: 2,
  head_dim: 4,
  attention_bias: true,
  key_multiplier: 0.37,
  rope_parameters: { rope_theta: 1e4 },
};

function randomAttention(seed: number): {
  attn: FalconH1Attention;
  host: Record<string, Float64Array>;
  variables: Variable[];
} {
  const next = rng(seed);
  const host: Record<string, Float64Array> = {};
  const variables: Variable[] = [];
  const attn = new FalconH1Attention(config, (name, shape) => {
    const values = Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * next() - 1);
    host[name] = values;
    const t = tensor(values, shape, 'f64');
    variables.push(variable(t, { name }));
    t.dispose();
    return variables[variables.length - 1]!;
  });
  return { attn, host, variables };
}

/** One row (T tokens, x [T, D]) with positions pos, all tokens in one causal sequence. */
function naiveAttention(
  host: Record<string, Float64Array>,
  x: Float64Array,
  t: number,
  pos: ArrayLike<number>,
): Float64Array {
  const { hidden_size: d, num_attention_heads: hq, num_key_value_heads: hkv, head_dim: dh } = config;
  const linear = (name: string, rows: number, scale = 1): Float64Array => {
    const out = new Float64Array(t * rows);
    for (let s = 0; s < t; s++)
      for (let o = 0; o < rows; o++) {
        let acc = host[`${name}.bias`]![o]!;
        for (let i = 0; i < d; i++) acc += host[`${name}.weight`]![o * d + i]! * x[s * d + i]!;
        out[s * rows + o] = acc * scale;
      }
    return out;
  };
  const rope = (v: Float64Array, heads: number): void => {
    const half = dh / 2;
    for (let s = 0; s < t; s++)
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < half; i++) {
          const inv = Math.fround(
            1 / Math.fround(Math.fround(config.rope_parameters.rope_theta) ** Math.fround((2 * i) / dh)),
          );
          const angle = Math.fround(pos[s]! * inv);
          const c = Math.fround(Math.cos(angle));
          const sn = Math.fround(Math.sin(angle));
          const base = (s * heads + h) * dh;
          const a = v[base + i]!;
          const b = v[base + i + half]!;
          v[base + i] = a * c - b * sn;
          v[base + i + half] = b * c + a * sn;
        }
  };
  const q = linear('q_proj', hq * dh);
  const k = linear('k_proj', hkv * dh, config.key_multiplier);
  const v = linear('v_proj', hkv * dh);
  rope(q, hq);
  rope(k, hkv);
  const o = new Float64Array(t * hq * dh);
  for (let s = 0; s < t; s++)
    for (let h = 0; h < hq; h++) {
      const g = Math.floor(h / (hq / hkv));
      const logits: number[] = [];
      for (let j = 0; j <= s; j++) {
        let dot = 0;
        for (let i = 0; i < dh; i++) dot += q[(s * hq + h) * dh + i]! * k[(j * hkv + g) * dh + i]!;
        logits.push(dot / Math.sqrt(dh));
      }
      const m = Math.max(...logits);
      const w = logits.map((l) => Math.exp(l - m));
      const z = w.reduce((a, b) => a + b, 0);
      for (let i = 0; i < dh; i++) {
        let acc = 0;
        for (let j = 0; j <= s; j++) acc += (w[j]! / z) * v[(j * hkv + g) * dh + i]!;
        o[(s * hq + h) * dh + i] = acc;
      }
    }
  const out = new Float64Array(t * d);
  for (let s = 0; s < t; s++)
    for (let r = 0; r < d; r++) {
      let acc = host['o_proj.bias']![r]!;
      for (let c = 0; c < hq * dh; c++) acc += host['o_proj.weight']![r * hq * dh + c]! * o[s * hq * dh + c]!;
      out[s * d + r] = acc;
    }
  return out;
}

const input = (b: number, t: number, seed: number): Float64Array => {
  const next = rng(seed);
  return Float64Array.from({ length: b * t * config.hidden_size }, () => 2 * next() - 1);
};

describe('FalconH1Attention', () => {
  it('matches GQA attention with the key multiplier before RoPE', () => {
    const { attn, host, variables } = randomAttention(1);
    const [b, t, d] = [2, 7, config.hidden_size];
    const x = input(b, t, 2);
    const pos = sequentialPositions(b, t, [0, 5]); // row 1 starts at position 5
    const got = tidy(() =>
      attn.forward(tensor(x, [b, t, d], 'f64'), { positions: tensor(pos, [b, t], 'i32') }),
    ).dataSync();
    for (let r = 0; r < b; r++) {
      const want = naiveAttention(host, x.subarray(r * t * d, (r + 1) * t * d), t, pos.subarray(r * t, (r + 1) * t));
      expect(relL2((got as Float64Array).subarray(r * t * d, (r + 1) * t * d), want)).toBeLessThan(1e-12);
    }
    dispose(variables);
  });

  it('decodes through the KV cache exactly as one pass', () => {
    const { attn, variables } = randomAttention(3);
    const [b, t, d] = [2, 9, config.hidden_size];
    const x = input(b, t, 4);
    const cache = new KVCache();
    tidy(() => {
      const xs = tensor(x, [b, t, d], 'f64');
      const positions = tensor(sequentialPositions(b, t), [b, t], 'i32');
      const full = attn.forward(xs, { positions }).dataSync();
      const outs = [attn.forward(sliceAxis(xs, 1, 0, 5), { positions: sliceAxis(positions, 1, 0, 5), cache })];
      for (let s = 5; s < t; s++) {
        outs.push(attn.forward(sliceAxis(xs, 1, s, 1), { positions: sliceAxis(positions, 1, s, 1), cache }));
      }
      expect(cache.length).toBe(t);
      expect(relL2(concat(outs, 1).dataSync() as Float64Array, full as Float64Array)).toBeLessThan(1e-12);
    });
    cache.dispose();
    dispose(variables);
  });

  it('masks documents block-diagonally, with positions restarting per document', () => {
    const { attn, host, variables } = randomAttention(5);
    const d = config.hidden_size;
    const lengths = [4, 1, 6];
    const t = 11;
    const seq = lengths.flatMap((len, i) => new Array<number>(len).fill(i));
    const pos = documentPositions(seq, 1, t);
    expect(Array.from(pos)).toEqual([0, 1, 2, 3, 0, 0, 1, 2, 3, 4, 5]);
    const x = input(1, t, 6);
    const got = tidy(() =>
      attn.forward(tensor(x, [1, t, d], 'f64'), {
        positions: tensor(pos, [1, t], 'i32'),
        seqIdx: tensor(seq, [1, t], 'i32'),
      }),
    ).dataSync() as Float64Array;
    let start = 0;
    for (const len of lengths) {
      const alone = naiveAttention(host, x.subarray(start * d, (start + len) * d), len, sequentialPositions(1, len));
      expect(relL2(got.subarray(start * d, (start + len) * d), alone)).toBeLessThan(1e-12);
      start += len;
    }
    dispose(variables);
  });

  it('continues positions of a cached document and restarts new ones', () => {
    expect(
      Array.from(
        documentPositions([1, 1, 2, 2], 2, 2, [
          { document: 1, nextPosition: 7 },
          { document: 0, nextPosition: 3 },
        ]),
      ),
    ).toEqual([7, 8, 0, 1]);
  });

  it('refuses to mix calls with and without document ids in one cache', () => {
    const { attn, variables } = randomAttention(7);
    const cache = new KVCache();
    tidy(() => {
      const x = tensor(input(1, 2, 1), [1, 2, config.hidden_size], 'f64');
      const positions = tensor([0, 1], [1, 2], 'i32');
      attn.forward(x, { positions, cache });
      expect(() => attn.forward(x, { positions, cache, seqIdx: tensor([0, 0], [1, 2], 'i32') })).toThrow(
        /document ids/,
      );
    });
    cache.dispose();
    dispose(variables);
  });
});
