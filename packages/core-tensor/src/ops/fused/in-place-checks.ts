/**
 * The rules shared by the decode-step ops that write into their inputs (ssmDecodeStepInPlace, attentionDecodeStep,
 * parallelMixersDecodeStep): where a step's columns begin in a wider packed row, the written inputs being Variables
 * (a plain Tensor is immutable — views and other tensors may share its buffer), and every input on one backend.
 */
import { formatShape } from '../../shape-rules.js';
import { type Tensor, Variable } from '../../tensor.js';

/** The first of a step's columns in each row of the packed projection: a non-negative integer (default 0). */
export function checkColumnOffset(where: string, offset = 0): number {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new Error(`${where}: offset must be a non-negative integer, got ${offset}`);
  }
  return offset;
}

/** Refuses a written input that is not a Variable, naming it. */
export function checkWrittenInPlace(where: string, written: Readonly<Record<string, Tensor>>): void {
  for (const [name, t] of Object.entries(written)) {
    if (!(t instanceof Variable)) {
      throw new Error(
        `${where}: ${name} ${t.dtype}${formatShape(t.shape)} must be a Variable (it is written in place)`,
      );
    }
  }
}

/** Refuses inputs on more than one backend (absent optional inputs are skipped). */
export function checkOneBackend(where: string, tensors: ReadonlyArray<Tensor | undefined>): void {
  const backend = tensors.find((t) => t !== undefined)?.backend;
  if (tensors.some((t) => t !== undefined && t.backend !== backend)) {
    throw new Error(`${where}: every input must live on one backend`);
  }
}
