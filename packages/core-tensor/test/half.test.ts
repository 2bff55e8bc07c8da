/**
 * 16-bit float conversions (src/half.ts): round-to-nearest-even narrowing from f32 (ties, subnormals, overflow,
 * ±0, ±∞, NaN), exhaustive round trips over all 65,536 bit patterns of f16 and bf16, and a comparison against
 * a brute-force nearest-value oracle on random f32 bit patterns.
 */
import { describe, expect, it } from 'vitest';
import {
  bf16ArrayToF32,
  bf16BitsToF32,
  f16ArrayToF32,
  f16BitsToF32,
  f32ArrayToBf16,
  f32ArrayToF16,
  f32ToBf16Bits,
  f32ToF16Bits,
  roundToDType,
} from '../src/half.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The f32 whose bit pattern is `bits`. */
function fromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}

function bitsOf(value: number): number {
  f32[0] = value;
  return u32[0]!;
}

const isF16NaN = (bits: number): boolean => (bits & 0x7c00) === 0x7c00 && (bits & 0x03ff) !== 0;
const isBf16NaN = (bits: number): boolean => (bits & 0x7f80) === 0x7f80 && (bits & 0x007f) !== 0;

/** A deterministic xorshift32 stream of 32-bit patterns. */
function* bitPatterns(seed: number, count: number): Generator<number> {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    yield s;
  }
}

/** Positive finite f16 values in increasing order (bits 0x0000..0x7bff). */
const F16_POSITIVE = Float64Array.from({ length: 0x7c00 }, (_, b) => f16BitsToF32(b));

/** Oracle: nearest f16 to a (finite or not) value by binary search, ties to even, overflow per IEEE 754. */
function oracleF16(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const v = Math.abs(value);
  // Values ≥ 65504 + half an ulp (2^4·... = 65520) round to infinity.
  if (v >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = F16_POSITIVE.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (F16_POSITIVE[mid]! <= v) lo = mid;
    else hi = mid;
  }
  if (v >= F16_POSITIVE[hi]!) return sign | hi;
  const dLo = v - F16_POSITIVE[lo]!;
  const dHi = F16_POSITIVE[hi]! - v;
  if (dLo < dHi) return sign | lo;
  if (dHi < dLo) return sign | hi;
  return sign | (lo % 2 === 0 ? lo : hi);
}

/** Oracle: nearest bf16 to an f32 value (the two candidates are the truncation and the next pattern up). */
function oracleBf16(value: number): number {
  if (Number.isNaN(value)) return 0x7fc0;
  const bits = bitsOf(value);
  const low = bits >>> 16;
  const high = low + 1;
  const vLow = bf16BitsToF32(low);
  if (vLow === value) return low;
  // The pattern above the largest finite bf16 magnitude is infinity; its "distance" uses 2^128 (IEEE rounding).
  const vHigh = (high & 0x7fff) === 0x7f80 ? Math.sign(value) * 2 ** 128 : bf16BitsToF32(high);
  const dLow = Math.abs(value - vLow);
  const dHigh = Math.abs(vHigh - value);
  if (dLow < dHigh) return low;
  if (dHigh < dLow) return high & 0xffff;
  return (low & 1) === 0 ? low : high & 0xffff;
}

describe('f16', () => {
  it('widens special bit patterns exactly', () => {
    expect(f16BitsToF32(0x0000)).toBe(0);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(f16BitsToF32(0x03ff)).toBe(1023 * 2 ** -24); // largest subnormal
    expect(f16BitsToF32(0x0400)).toBe(2 ** -14); // smallest normal
    expect(f16BitsToF32(0x7bff)).toBe(65504); // largest finite
    expect(f16BitsToF32(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(f16BitsToF32(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    expect(f16BitsToF32(0x7c01)).toBeNaN();
    expect(f16BitsToF32(0xfe00)).toBeNaN();
  });

  it('rounds to nearest even on ties, in normals and subnormals', () => {
    const ulp1 = 2 ** -10;
    expect(f32ToF16Bits(1 + ulp1 / 2)).toBe(0x3c00); // tie, 0x3c00 even
    expect(f32ToF16Bits(1 + (3 * ulp1) / 2)).toBe(0x3c02); // tie, 0x3c01 odd → up
    expect(f32ToF16Bits(1 + ulp1 / 2 + 2 ** -20)).toBe(0x3c01); // just above the tie
    expect(f32ToF16Bits(1 + ulp1 / 2 - 2 ** -20)).toBe(0x3c00); // just below
    expect(f32ToF16Bits(-(1 + (3 * ulp1) / 2))).toBe(0xbc02);
    // Subnormals: the grid is 2^-24.
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal → 0
    expect(f32ToF16Bits(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 ulps → 2
    expect(f32ToF16Bits(5 * 2 ** -25)).toBe(0x0002); // tie between 2 and 3 → 2
    expect(f32ToF16Bits(2 ** -26)).toBe(0x0000);
    expect(f32ToF16Bits(-(2 ** -26))).toBe(0x8000);
    expect(f32ToF16Bits(fromBits(1))).toBe(0x0000); // the smallest f32 subnormal
    // The largest subnormal rounds up into the smallest normal.
    expect(f32ToF16Bits(1023.5 * 2 ** -24)).toBe(0x0400);
    expect(f32ToF16Bits(1022.5 * 2 ** -24)).toBe(0x03fe);
    // A mantissa carry into the exponent.
    expect(f32ToF16Bits(2 - 2 ** -12)).toBe(0x4000);
  });

  it('overflows to infinity exactly at 65520 and keeps ±0, ±∞ and NaN', () => {
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65519.99)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // tie between 65504 (odd) and 2^16 → infinity
    expect(f32ToF16Bits(-65520)).toBe(0xfc00);
    expect(f32ToF16Bits(1e10)).toBe(0x7c00);
    expect(f32ToF16Bits(3.4e38)).toBe(0x7c00);
    expect(f32ToF16Bits(Number.POSITIVE_INFINITY)).toBe(0x7c00);
    expect(f32ToF16Bits(Number.NEGATIVE_INFINITY)).toBe(0xfc00);
    expect(f32ToF16Bits(0)).toBe(0x0000);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(isF16NaN(f32ToF16Bits(Number.NaN))).toBe(true);
    expect(isF16NaN(f32ToF16Bits(fromBits(0x7f800001)))).toBe(true); // signalling NaN with a low payload
    expect(isF16NaN(f32ToF16Bits(fromBits(0xffc00000)))).toBe(true);
  });

  it('round-trips all 65,536 bit patterns f16 → f32 → f16', () => {
    let nanCount = 0;
    for (let bits = 0; bits < 0x10000; bits++) {
      const widened = f16BitsToF32(bits);
      const back = f32ToF16Bits(widened);
      if (isF16NaN(bits)) {
        nanCount++;
        if (!Number.isNaN(widened) || !isF16NaN(back))
          throw new Error(`NaN 0x${bits.toString(16)} came back as 0x${back.toString(16)}`);
      } else if (back !== bits) {
        throw new Error(`0x${bits.toString(16)} → ${widened} → 0x${back.toString(16)}`);
      }
      // Every f16 is exactly an f32.
      if (!Number.isNaN(widened) && Math.fround(widened) !== widened) throw new Error(`${widened} is not an f32`);
    }
    expect(nanCount).toBe(2 * 1023);
  });

  it('agrees with a brute-force nearest-even oracle on 200,000 random f32 patterns', () => {
    for (const bits of bitPatterns(0x1234567, 200_000)) {
      // Bias half of the samples into the f16 range so normals and subnormals are well covered.
      const pattern = bits & 1 ? bits : (bits & 0x80ffffff) | (((((bits >>> 24) & 0x7f) % 36) + 98) << 23);
      const value = fromBits(pattern);
      const got = f32ToF16Bits(value);
      const want = oracleF16(value);
      if (Number.isNaN(value)) {
        if (!isF16NaN(got)) throw new Error(`NaN 0x${pattern.toString(16)} → 0x${got.toString(16)}`);
      } else if (got !== want) {
        throw new Error(`${value} (0x${pattern.toString(16)}): got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
      }
    }
  });

  it('converts arrays like the scalar functions', () => {
    const values = [0, -0, 1, -1.5, 65504, 1e-7, 7e-8, Number.POSITIVE_INFINITY, 1 / 3];
    const bits = f32ArrayToF16(values);
    expect(bits).toBeInstanceOf(Uint16Array);
    expect([...bits]).toEqual(values.map(f32ToF16Bits));
    const back = f16ArrayToF32(bits);
    expect(back).toBeInstanceOf(Float32Array);
    expect([...back]).toEqual([...bits].map(f16BitsToF32));
  });
});

describe('bf16', () => {
  it('widens by placing the bits in the top half of an f32', () => {
    expect(bf16BitsToF32(0x3f80)).toBe(1);
    expect(bf16BitsToF32(0xc000)).toBe(-2);
    expect(Object.is(bf16BitsToF32(0x8000), -0)).toBe(true);
    expect(bf16BitsToF32(0x0001)).toBe(2 ** -133); // smallest subnormal
    expect(bf16BitsToF32(0x7f7f)).toBe(fromBits(0x7f7f0000)); // largest finite
    expect(bf16BitsToF32(0x7f80)).toBe(Number.POSITIVE_INFINITY);
    expect(bf16BitsToF32(0xff80)).toBe(Number.NEGATIVE_INFINITY);
    expect(bf16BitsToF32(0x7fc0)).toBeNaN();
    expect(bf16BitsToF32(0x7f81)).toBeNaN();
  });

  it('rounds to nearest even on ties, in normals and subnormals', () => {
    expect(f32ToBf16Bits(fromBits(0x3f808000))).toBe(0x3f80); // tie, even stays
    expect(f32ToBf16Bits(fromBits(0x3f818000))).toBe(0x3f82); // tie, odd rounds up
    expect(f32ToBf16Bits(fromBits(0x3f808001))).toBe(0x3f81);
    expect(f32ToBf16Bits(fromBits(0x3f807fff))).toBe(0x3f80);
    expect(f32ToBf16Bits(fromBits(0xbf818000))).toBe(0xbf82);
    expect(f32ToBf16Bits(fromBits(0x00008000))).toBe(0x0000); // subnormal tie → 0
    expect(f32ToBf16Bits(fromBits(0x00018000))).toBe(0x0002); // subnormal tie, odd → up
    expect(f32ToBf16Bits(fromBits(0x00007fff))).toBe(0x0000);
    expect(f32ToBf16Bits(fromBits(0x007f8000))).toBe(0x0080); // largest subnormal rounds into the smallest normal
    expect(f32ToBf16Bits(fromBits(0x3fffffff))).toBe(0x4000); // carry into the exponent
  });

  it('overflows to infinity and keeps ±0, ±∞ and NaN (quieted, never turned into infinity)', () => {
    expect(f32ToBf16Bits(fromBits(0x7f7f7fff))).toBe(0x7f7f);
    expect(f32ToBf16Bits(fromBits(0x7f7f8000))).toBe(0x7f80); // tie with an odd mantissa → infinity
    expect(f32ToBf16Bits(fromBits(0x7f7fffff))).toBe(0x7f80); // f32 max → infinity
    expect(f32ToBf16Bits(fromBits(0xff7fffff))).toBe(0xff80);
    expect(f32ToBf16Bits(Number.POSITIVE_INFINITY)).toBe(0x7f80);
    expect(f32ToBf16Bits(Number.NEGATIVE_INFINITY)).toBe(0xff80);
    expect(f32ToBf16Bits(0)).toBe(0x0000);
    expect(f32ToBf16Bits(-0)).toBe(0x8000);
    expect(isBf16NaN(f32ToBf16Bits(Number.NaN))).toBe(true);
    expect(isBf16NaN(f32ToBf16Bits(fromBits(0x7f800001)))).toBe(true); // payload only in the dropped bits
    expect(isBf16NaN(f32ToBf16Bits(fromBits(0x7fffffff)))).toBe(true); // would carry past the exponent
    expect(isBf16NaN(f32ToBf16Bits(fromBits(0xff800001)))).toBe(true);
    expect(f32ToBf16Bits(fromBits(0xff800001)) & 0x8000).toBe(0x8000); // sign kept
  });

  it('round-trips all 65,536 bit patterns bf16 → f32 → bf16', () => {
    let nanCount = 0;
    for (let bits = 0; bits < 0x10000; bits++) {
      const widened = bf16BitsToF32(bits);
      const back = f32ToBf16Bits(widened);
      if (isBf16NaN(bits)) {
        nanCount++;
        if (!isBf16NaN(back) || (back & 0x8000) !== (bits & 0x8000)) {
          throw new Error(`NaN 0x${bits.toString(16)} came back as 0x${back.toString(16)}`);
        }
      } else if (back !== bits) {
        throw new Error(`0x${bits.toString(16)} → ${widened} → 0x${back.toString(16)}`);
      }
    }
    expect(nanCount).toBe(2 * 127);
  });

  it('agrees with a nearest-even oracle on 200,000 random f32 patterns', () => {
    for (const pattern of bitPatterns(0x9e3779b9, 200_000)) {
      const value = fromBits(pattern);
      const got = f32ToBf16Bits(value);
      if (Number.isNaN(value)) {
        if (!isBf16NaN(got)) throw new Error(`NaN 0x${pattern.toString(16)} → 0x${got.toString(16)}`);
        continue;
      }
      const want = oracleBf16(value);
      if (got !== want)
        throw new Error(`0x${pattern.toString(16)}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
    }
  });

  it('converts arrays like the scalar functions', () => {
    const values = [0, -0, 1, -1.5, 3.4e38, 1e-40, Number.NEGATIVE_INFINITY, 1 / 3];
    const bits = f32ArrayToBf16(values);
    expect(bits).toBeInstanceOf(Uint16Array);
    expect([...bits]).toEqual(values.map(f32ToBf16Bits));
    const back = bf16ArrayToF32(bits);
    expect(back).toBeInstanceOf(Float32Array);
    expect([...back]).toEqual([...bits].map(bf16BitsToF32));
  });
});

describe('roundToDType', () => {
  it('rounds to each float dtype', () => {
    const x = 1 / 3;
    expect(roundToDType(x, 'f64')).toBe(x);
    expect(roundToDType(x, 'f32')).toBe(Math.fround(x));
    expect(roundToDType(x, 'f16')).toBe(f16BitsToF32(f32ToF16Bits(x)));
    expect(roundToDType(x, 'bf16')).toBe(bf16BitsToF32(f32ToBf16Bits(x)));
    expect(roundToDType(70000, 'f16')).toBe(Number.POSITIVE_INFINITY);
    expect(roundToDType(70000, 'bf16')).toBe(70144);
    expect(roundToDType(Number.NaN, 'bf16')).toBeNaN();
  });

  it('is idempotent and exact on values already representable', () => {
    for (const pattern of bitPatterns(42, 5000)) {
      const v = fromBits(pattern);
      if (!Number.isFinite(v)) continue;
      for (const dtype of ['f32', 'f16', 'bf16'] as const) {
        const once = roundToDType(v, dtype);
        expect(roundToDType(once, dtype)).toBe(once);
      }
    }
  });
});
