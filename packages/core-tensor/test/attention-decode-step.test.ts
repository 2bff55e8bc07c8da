/**
 * attentionDecodeStep's input rules: the sizes come from the cache (B, L, Hkv, Dh from keys) and the attrs (Hq, Hkv),
 * the packed projection must be [B, (Hq + 2·Hkv)·Dh] in the cache's dtype, positions and document ids i32 of their
 * shapes, slots i32 [B] or [1]. Anything else is refused naming the input and the shape it should have. Values are
 * the conformance suite's business (tests/conformance).
 */
import { beforeAll, describe, expect, it } from 'vitest';
// core-tensor depends on no workspace package; its tests take the reference backend from its sources directly.
import { createReferenceBackend } from '../../../backends/reference/src/base.js';
import {
  type AttentionDecodeStepOptions,
  attentionDecodeStep,
  type DType,
  dispose,
  type Tensor,
  tidy,
  useBackend,
  type Variable,
  variable,
  zeros,
} from '../src/index.js';

type Name = 'qkv' | 'positions' | 'keys' | 'values' | 'slots' | 'qSeqIdx' | 'kSeqIdx';

// B = 2, L = 5, Hq = 4, Hkv = 2, Dh = 6: the packed width (4 + 2·2)·6 = 48.
const OPTIONS: AttentionDecodeStepOptions = { heads: 4, kvHeads: 2, theta: 1e4 };

function run(overrides: Partial<Record<Name, [number[], DType]>> = {}, options = OPTIONS): void {
  const spec: Record<Name, [number[], DType]> = {
    qkv: [[2, 48], 'f32'],
    positions: [[2], 'i32'],
    keys: [[2, 5, 2, 6], 'f32'],
    values: [[2, 5, 2, 6], 'f32'],
    slots: [[1], 'i32'],
    qSeqIdx: [[2], 'i32'],
    kSeqIdx: [[2, 5], 'i32'],
    ...overrides,
  };
  const cache: Variable[] = [];
  try {
    tidy(() => {
      const t = Object.fromEntries(
        Object.entries(spec).map(([name, [shape, dtype]]) => [name, zeros(shape, dtype)]),
      ) as Record<Name, Tensor>;
      cache.push(variable(t.keys), variable(t.values));
      attentionDecodeStep({ ...t, keys: cache[0]!, values: cache[1]! }, options);
    });
  } finally {
    dispose(cache);
  }
}

describe('attentionDecodeStep inputs', () => {
  beforeAll(() => useBackend(createReferenceBackend()));

  it('accepts the documented shapes (slots per row or shared, f32 and bf16)', () => {
    expect(() => run()).not.toThrow();
    expect(() => run({ slots: [[2], 'i32'] })).not.toThrow();
    expect(() =>
      run({ qkv: [[2, 48], 'bf16'], keys: [[2, 5, 2, 6], 'bf16'], values: [[2, 5, 2, 6], 'bf16'] }),
    ).not.toThrow();
  });

  it('refuses bad shapes and dtypes, naming the input and the shape it wants', () => {
    expect(() => run({ qkv: [[2, 40], 'f32'] })).toThrow(/qkv must be a float \[2, 48\].*got f32\[2, 40\]/);
    expect(() => run({ qkv: [[2, 48], 'bf16'] })).toThrow(/qkv is bf16, keys f32, values f32: one dtype/);
    expect(() => run({ values: [[2, 4, 2, 6], 'f32'] })).toThrow(/values \[2, 4, 2, 6\] must match keys/);
    expect(() => run({ keys: [[2, 5, 3, 6], 'f32'], values: [[2, 5, 3, 6], 'f32'] })).toThrow(
      /keys must be \[B, L, 2, Dh\] with even Dh/,
    );
    expect(() => run({ kSeqIdx: [[2, 4], 'i32'] })).toThrow(/kSeqIdx must be i32\[2, 5\], got i32\[2, 4\]/);
    expect(() => run({ positions: [[2, 1], 'i32'] })).toThrow(/positions must be i32\[2\]/);
    expect(() => run({ qSeqIdx: [[2], 'f32'] })).toThrow(/qSeqIdx must be i32\[2\], got f32\[2\]/);
    expect(() => run({ slots: [[3], 'i32'] })).toThrow(/slots must be i32 \[2\] or \[1\], got i32\[3\]/);
    expect(() => run({}, { ...OPTIONS, heads: 3 })).toThrow(/3 query heads cannot share 2 KV heads/);
    expect(() => run({}, { ...OPTIONS, theta: 0 })).toThrow(/theta must be > 0/);
  });
});
