/**
 * Puts the ranks' gradient pieces back into full tensors, refusing holders that disagree (replicas must hold
 * bitwise the same values after the layout's gradient sums) and elements no rank holds.
 */
import { expect } from 'vitest';
import type { GradientPiece } from './world/tensor-parallel-scenario.js';

export function assemblePieces(
  ranks: readonly { pieces: GradientPiece[] }[],
  shapes: Record<string, ArrayLike<number>>,
): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [name, like] of Object.entries(shapes)) out[name] = new Float64Array(like.length).fill(Number.NaN);
  ranks.forEach(({ pieces }, rank) => {
    for (const { name, indices, values } of pieces) {
      const full = out[name];
      expect(full, `rank ${rank} holds an unknown parameter ${name}`).toBeDefined();
      indices.forEach((flat, k) => {
        const previous = full![flat]!;
        if (!Number.isNaN(previous)) expect(values[k], `${name}[${flat}] differs between holders`).toBe(previous);
        full![flat] = values[k]!;
      });
    }
  });
  for (const [name, full] of Object.entries(out)) {
    expect(full.findIndex(Number.isNaN), `${name}: elements no rank holds`).toBe(-1);
  }
  return out;
}
