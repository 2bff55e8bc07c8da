/**
 * Attention over a whole sequence from a projection the caller made (`attendProjected`: the packed q|k|v columns of
 * a wider row at an offset — the decoder layer's prefill with inference constants) against `attend` on the tokens
 * themselves, in float64 on the reference backend: the same heads and the same KV cache after two calls (a prefill
 * and a continuation), with document ids — with and without q/k/v biases (multipliers folded into the kernel's
 * scale, or into the packed weights). A projection too narrow is refused with a clear error.
 */
import '@falcon-h1/backend-reference';
import { concat, linear, type Tensor, tensor, tidy, type Variable } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import { KVCache, packedQkvProjection } from '../src/index.js';
import { randomAttention, smallAttentionConfig } from './random-attention.js';
import { relL2 } from './relative-error.js';
import { rng, uniformTensor as uniform } from './seeded-random.js';

const values = (t: Tensor): Float64Array => Float64Array.from(t.dataSync() as ArrayLike<number>);

// Columns of another projection in front of q|k|v in the row (the decoder layer puts in_proj's there).
const BEFORE = 7;

describe('FalconH1Attention.attendProjected', () => {
  for (const attentionBias of [false, true]) {
    it(`= attend, heads and cache, over two calls with document ids (${attentionBias ? 'q/k/v biases' : 'no biases'})`, () => {
      const config = smallAttentionConfig(attentionBias);
      const next = rng(11);
      const params: Variable[] = [];
      const attn = randomAttention(config, next, params);
      const inputMultiplier = 0.8;
      const plainCache = new KVCache();
      const projectedCache = new KVCache();
      tidy(() => {
        const packed = packedQkvProjection(attn, inputMultiplier);
        const b = 2;
        let start = 0;
        for (const t of [5, 3]) {
          const x = uniform(next, [b, t, config.hidden_size]);
          const positions = tensor(
            Array.from({ length: b * t }, (_, i) => start + (i % t)),
            [b, t],
            'i32',
          );
          const seqIdx = tensor(
            Array.from({ length: b * t }, (_, i) => (i < t ? 1 : 2)),
            [b, t],
            'i32',
          );
          const options = { positions, seqIdx, inputMultiplier };
          const want = attn.attend(x, { ...options, cache: plainCache });
          const row = concat([uniform(next, [b, t, BEFORE]), linear(x, packed.weight, packed.bias)], -1);
          const got = attn.attendProjected(row, { ...options, cache: projectedCache }, { offset: BEFORE });
          expect(relL2(values(got), values(want))).toBeLessThan(1e-12);
          expect(relL2(values(projectedCache.keys!), values(plainCache.keys!))).toBeLessThan(1e-12);
          expect(relL2(values(projectedCache.values!), values(plainCache.values!))).toBeLessThan(1e-12);
          start += t;
        }
        const narrow = tensor(new Float64Array(2 * 10), [1, 2, 10], 'f64');
        expect(() => attn.attendProjected(narrow, { positions: tensor([0, 1], [1, 2], 'i32') }, { offset: 3 })).toThrow(
          /attendProjected: projected must be \[B, T, W\] with W ≥ offset 3 \+ 80/,
        );
      });
      plainCache.dispose();
      projectedCache.dispose();
      for (const p of params) p.dispose();
    });
  }
});
