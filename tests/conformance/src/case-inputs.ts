/**
 * Builders for conformance case inputs.
 */
import type { CaseInput } from './case.js';
import { type Rng, randomArray } from './random.js';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A float input, uniform in [min, max). */
export function floatIn(
  rng: Rng,
  name: string,
  shape: readonly number[],
  min = -1,
  max = 1,
  differentiable = true,
): CaseInput {
  return { name, shape, kind: 'float', values: randomArray(rng, size(shape), min, max), differentiable };
}

/** A float input kept in f32 even when activations are 16-bit (SSM states, optimizer moments, the scan's dt/A/D). */
export function stateIn(
  rng: Rng,
  name: string,
  shape: readonly number[],
  min = -1,
  max = 1,
  differentiable = true,
): CaseInput {
  return { name, shape, kind: 'state', values: randomArray(rng, size(shape), min, max), differentiable };
}

/** An i32 input, uniform integers in [min, max). */
export function intIn(rng: Rng, name: string, shape: readonly number[], min: number, max: number): CaseInput {
  const values = new Array<number>(size(shape));
  for (let i = 0; i < values.length; i++) values[i] = rng.int(min, max);
  return { name, shape, kind: 'i32', values };
}

/** An i32 input with given values. */
export function intValues(name: string, shape: readonly number[], values: readonly number[]): CaseInput {
  return { name, shape, kind: 'i32', values };
}

/**
 * Document ids for packed rows: `lengths[b]` lists the document lengths of row b (they sum to T).
 * Returns the flattened [B, T] ids (0, 0, 1, 1, 1, 2, ...).
 */
export function docIds(lengths: readonly (readonly number[])[]): number[] {
  const ids: number[] = [];
  for (const row of lengths) {
    row.forEach((len, doc) => {
      for (let i = 0; i < len; i++) ids.push(doc);
    });
  }
  return ids;
}

/** Positions restarting at 0 in every document. */
export function docPositions(lengths: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (const row of lengths) for (const len of row) for (let i = 0; i < len; i++) out.push(i);
  return out;
}
