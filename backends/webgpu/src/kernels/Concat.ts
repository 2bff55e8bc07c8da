/**
 * Concat: up to 4 inputs in one dispatch (shaders/concat.wgsl: the output as rows of the inputs' column ranges);
 * more inputs, or an output beyond u32 indexing, as one strided write per input. A decode step concatenates a few
 * small pieces per layer (a cache's new token, muP-scaled projections): one dispatch instead of one per piece.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf, stridesOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';
import { stridedCopy } from './strided.js';

const MAX_FUSED_INPUTS = 4;

export function concat(b: WebGPUBackend, { xs }: KernelInputs<'Concat'>, { axis }: KernelAttrs<'Concat'>): TensorInfo {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((acc, t) => acc + t.shape[axis]!, 0);
  const out = b.output(shape, xs[0]!.dtype);
  const n = sizeOf(shape);
  if (n === 0) return out;
  const so = stridesOf(shape);
  if (xs.length <= MAX_FUSED_INPUTS && n < 2 ** 32) {
    const inner = so[axis]!;
    // Column ends e1..e3 of inputs 0..2 within an output row; absent inputs end at the row's width.
    const width = shape[axis]! * inner;
    const ends: number[] = [];
    let end = 0;
    for (let k = 0; k < MAX_FUSED_INPUTS - 1; k++) {
      end += k < xs.length ? xs[k]!.shape[axis]! * inner : 0;
      ends.push(k < xs.length ? end : width);
    }
    const elem = elemOf(out.dtype);
    const inputs = Array.from({ length: MAX_FUSED_INPUTS }, (_, k) => (k < xs.length ? b.data(xs[k]!) : b.dummy()));
    b.dispatch(
      {
        shader: 'concat',
        bindings: [
          { name: 'x0', elem },
          { name: 'x1', elem },
          { name: 'x2', elem },
          { name: 'x3', elem },
          { name: 'y', elem, write: true },
        ],
        uniforms: [
          ['n', 'u32'],
          ['width', 'u32'],
          ['e1', 'u32'],
          ['e2', 'u32'],
          ['e3', 'u32'],
        ],
        workgroupSize: WG,
      },
      [...inputs, b.data(out)],
      { n, width, e1: ends[0]!, e2: ends[1]!, e3: ends[2]! },
      Math.ceil(n / WG),
    );
    return out;
  }
  let offset = 0;
  for (const x of xs) {
    stridedCopy(b, b.data(x), b.data(out), x.shape, stridesOf(x.shape), so, 0, offset * so[axis]!);
    offset += x.shape[axis]!;
  }
  return out;
}
