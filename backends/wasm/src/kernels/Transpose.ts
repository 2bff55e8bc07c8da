import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { elementBytes } from '../dtype-codes.js';
import { sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/**
 * Permutes axes (output axis d is input axis perm[d]): csrc/kernels/Transpose.c. Size-1 axes are dropped and
 * output axes that stay adjacent in the input are merged first, so C sees at most a few axes.
 */
export function transpose(
  backend: WasmBackend,
  { x }: KernelInputs<'Transpose'>,
  { perm }: KernelAttrs<'Transpose'>,
): TensorInfo {
  const outShape = perm.map((p) => x.shape[p]!);
  const out = backend.allocate(outShape, x.dtype);
  if (sizeOf(outShape) === 0) return out.info;
  // Keep the axes of size > 1, then merge runs p, p+1 that are adjacent in both orders.
  const kept = perm.filter((p) => x.shape[p]! > 1);
  const groups: number[][] = [];
  for (const p of kept) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] === p - 1 && isNextKept(x.shape, p - 1, p)) last.push(p);
    else groups.push([p]);
  }
  const byInputOrder = [...groups].sort((g, h) => g[0]! - h[0]!);
  const inShape = byInputOrder.map((g) => sizeOf(g.map((p) => x.shape[p]!)));
  const newPerm = groups.map((g) => byInputOrder.indexOf(g));
  if (newPerm.length > 8) throw new Error(`Transpose: ${newPerm.length} non-mergeable axes (at most 8 are supported)`);
  if (newPerm.length <= 1) {
    backend.m._Copy(out.ptr, backend.ptr(x), sizeOf(outShape) * elementBytes(x.dtype));
    return out.info;
  }
  const info = [newPerm.length, ...inShape, ...newPerm];
  backend.m._Transpose(out.ptr, backend.ptr(x), backend.args(info), elementBytes(x.dtype));
  return out.info;
}

/** Whether input axes a and b (= a + 1) are adjacent once size-1 axes are dropped (always, as b = a + 1). */
function isNextKept(shape: readonly number[], a: number, b: number): boolean {
  return shape[a]! > 1 && shape[b]! > 1;
}
