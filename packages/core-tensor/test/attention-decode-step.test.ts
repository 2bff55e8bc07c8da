/**
 * attentionDecodeStep's input rules: the sizes come from the cache (B, L, Hkv, Dh from keys) and the attrs (Hq, Hkv),
 * the packed projection must be [B, W ≥ offset + (Hq + 2·Hkv)·Dh] in the cache's dtype, positions and document ids
 * i32 of their shapes, slots i32 [B] or [1], the prefix [B, C] in qkv's dtype. Anything else is refused naming the
 * input and the shape it should have. Then the offset and the prefix against a plain float64 computation written here
 * from the formulas (natively on the reference backend and through the composition); the other values are the
 * conformance suite's business (tests/conformance).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
// core-tensor depends on no workspace package; its tests take the reference backend from its sources directly.
import { createReferenceBackend } from '../../../backends/reference/src/base.js';
import {
  type AttentionDecodeStepOptions,
  attentionDecodeStep,
  type DType,
  dispatchCounts,
  dispose,
  resetDispatchCounts,
  setFallbackPolicy,
  type Tensor,
  tensor,
  tidy,
  useBackend,
  type Variable,
  variable,
  zeros,
} from '../src/index.js';
import { values as deterministic } from './deterministic-values.js';

type Name = 'qkv' | 'positions' | 'keys' | 'values' | 'slots' | 'qSeqIdx' | 'kSeqIdx' | 'prefix';

// B = 2, L = 5, Hq = 4, Hkv = 2, Dh = 6: the packed width (4 + 2·2)·6 = 48.
const OPTIONS: AttentionDecodeStepOptions = { heads: 4, kvHeads: 2, theta: 1e4 };

function run(overrides: Partial<Record<Name, [number[], DType]>> = {}, options = OPTIONS): void {
  const spec: Partial<Record<Name, [number[], DType]>> = {
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
    expect(() => run({ qkv: [[2, 60], 'f32'], prefix: [[2, 7], 'f32'] }, { ...OPTIONS, offset: 12 })).not.toThrow();
    expect(() =>
      run({ qkv: [[2, 48], 'bf16'], keys: [[2, 5, 2, 6], 'bf16'], values: [[2, 5, 2, 6], 'bf16'] }),
    ).not.toThrow();
  });

  it('refuses bad shapes and dtypes, naming the input and the shape it wants', () => {
    expect(() => run({ qkv: [[2, 40], 'f32'] })).toThrow(
      /qkv must be a float \[2, W\] with W ≥ offset \+ \(4 \+ 2·2\) heads of 6 = 0 \+ 48, got f32\[2, 40\]/,
    );
    expect(() => run({ qkv: [[2, 50], 'f32'] }, { ...OPTIONS, offset: 3 })).toThrow(/= 3 \+ 48, got f32\[2, 50\]/);
    expect(() => run({}, { ...OPTIONS, offset: -2 })).toThrow(/offset must be a non-negative integer, got -2/);
    expect(() => run({ prefix: [[2, 7], 'bf16'] })).toThrow(/prefix must be f32 \[2, C\] with C ≥ 1.*got bf16\[2, 7\]/);
    expect(() => run({ prefix: [[1, 7], 'f32'] })).toThrow(/prefix must be f32 \[2, C\].*got f32\[1, 7\]/);
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

// B = 3, L = 4, Hq = 4, Hkv = 2, Dh = 6; the step's 48 columns at offset 5 of a row of 58 (5 more after them).
const [B, L, HQ, HKV, DH] = [3, 4, 4, 2, 6];
const STEP = (HQ + 2 * HKV) * DH;
const OFFSET = 5;
const WIDTH = OFFSET + STEP + 5;
const PREFIX = 7;
const POSITIONS = [3, 0, 9];
const SLOTS = [1, 0, 3];
const Q_DOCS = [2, 1, 5];
// Row 0 sees slots 0 and 1 (slot 1 its new key), row 1 slot 0 only, row 2 slots 2 and 3; −1 is empty.
const K_DOCS = [2, 2, 4, -1, 1, -1, -1, -1, 7, 7, 5, 5];

/** The step in plain float64: rotate-half RoPE with the contract's f32 angles, the cache write, masked attention. */
function expectedStep(qkv: number[], keys: number[], vals: number[], prefix: number[] | undefined) {
  const half = DH / 2;
  const invFreq = Array.from({ length: half }, (_, i) =>
    Math.fround(1 / Math.fround(Math.fround(1e4) ** Math.fround((2 * i) / DH))),
  );
  const rope = (x: number[], position: number) =>
    x.map((v, d) => {
      const i = d % half;
      const angle = Math.fround(position * invFreq[i]!);
      const [c, s] = [Math.fround(Math.cos(angle)), Math.fround(Math.sin(angle))];
      return d < half ? v * c - x[d + half]! * s : v * c + x[d - half]! * s;
    });
  const k2 = [...keys];
  const v2 = [...vals];
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    const head = (h: number) => qkv.slice(b * WIDTH + OFFSET + h * DH, b * WIDTH + OFFSET + (h + 1) * DH);
    for (let g = 0; g < HKV; g++) {
      const at = ((b * L + SLOTS[b]!) * HKV + g) * DH;
      k2.splice(at, DH, ...rope(head(HQ + g), POSITIONS[b]!));
      v2.splice(at, DH, ...head(HQ + HKV + g));
    }
    if (prefix) out.push(...prefix.slice(b * PREFIX, (b + 1) * PREFIX));
    for (let h = 0; h < HQ; h++) {
      const q = rope(head(h), POSITIONS[b]!);
      const g = Math.floor(h / (HQ / HKV));
      const visible = [...Array(L).keys()].filter((j) => K_DOCS[b * L + j] === Q_DOCS[b]);
      const logits = visible.map(
        (j) => q.reduce((acc, v, d) => acc + v * k2[((b * L + j) * HKV + g) * DH + d]!, 0) / Math.sqrt(DH),
      );
      const top = Math.max(...logits);
      const weights = logits.map((l) => Math.exp(l - top));
      const total = weights.reduce((a, w) => a + w, 0);
      for (let d = 0; d < DH; d++) {
        out.push(visible.reduce((acc, j, i) => acc + (weights[i]! / total) * v2[((b * L + j) * HKV + g) * DH + d]!, 0));
      }
    }
  }
  return { out, keys: k2, values: v2 };
}

describe('attentionDecodeStep offset and prefix', () => {
  beforeAll(() => useBackend(createReferenceBackend()));
  afterEach(() => setFallbackPolicy('none'));

  it.each([
    ['natively, with a prefix', 'none', true],
    ['natively, without a prefix', 'none', false],
    ['composed, with a prefix', 'all', true],
    ['composed, without a prefix', 'all', false],
  ] as const)('%s: [prefix | o] and the cache as in float64', (_, policy, withPrefix) => {
    const qkv = deterministic(B * WIDTH, 21);
    const keys0 = deterministic(B * L * HKV * DH, 22);
    const values0 = deterministic(B * L * HKV * DH, 23);
    const front = withPrefix ? deterministic(B * PREFIX, 24) : undefined;
    const want = expectedStep(qkv, keys0, values0, front);
    setFallbackPolicy(policy);
    resetDispatchCounts();
    const keys = variable(tensor(keys0, [B, L, HKV, DH], 'f64'));
    const vals = variable(tensor(values0, [B, L, HKV, DH], 'f64'));
    const out = tidy(() =>
      attentionDecodeStep(
        {
          qkv: tensor(qkv, [B, WIDTH], 'f64'),
          positions: tensor(POSITIONS, [B], 'i32'),
          keys,
          values: vals,
          slots: tensor(SLOTS, [B], 'i32'),
          qSeqIdx: tensor(Q_DOCS, [B], 'i32'),
          kSeqIdx: tensor(K_DOCS, [B, L], 'i32'),
          prefix: front && tensor(front, [B, PREFIX], 'f64'),
        },
        { heads: HQ, kvHeads: HKV, theta: 1e4, offset: OFFSET },
      ),
    );
    expect(dispatchCounts().AttentionDecodeStep?.[policy === 'none' ? 'native' : 'fallback']).toBe(1);
    expect(out.shape).toEqual([B, (withPrefix ? PREFIX : 0) + HQ * DH]);
    const close = (got: ArrayLike<number>, wanted: number[]) => {
      expect(got.length).toBe(wanted.length);
      for (let i = 0; i < wanted.length; i++) expect(Math.abs(got[i]! - wanted[i]!)).toBeLessThan(1e-12);
    };
    close(out.dataSync() as Float64Array, want.out);
    close(keys.dataSync() as Float64Array, want.keys);
    close(vals.dataSync() as Float64Array, want.values);
    dispose([out, keys, vals]);
  });
});
