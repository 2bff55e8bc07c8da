/** Fixture paths and a relative-L2 measure shared by the tests. */
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@falcon-h1/core-tensor';

export const FIXTURES_DIR = fileURLToPath(new URL('../../../tests/fixtures/', import.meta.url));

export function fixtureDir(name: string): string {
  return `${FIXTURES_DIR}${name}`;
}

const sumOfSquares = (v: ArrayLike<number>): number => {
  let total = 0;
  for (let i = 0; i < v.length; i++) total += v[i]! * v[i]!;
  return total;
};

/** ‖got − want‖ / ‖want‖; a NaN anywhere gives Infinity (NaN never passes). */
export function relL2(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`relL2: ${got.length} values against ${want.length}`);
  const difference = Float64Array.from(want, (w, i) => got[i]! - w);
  const error = Math.sqrt(sumOfSquares(difference)) / Math.max(Math.sqrt(sumOfSquares(want)), 1e-300);
  return Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
}

/** A float tensor's values as numbers. */
export async function floats(t: Tensor): Promise<number[]> {
  return Array.from((await t.data()) as ArrayLike<number>);
}
