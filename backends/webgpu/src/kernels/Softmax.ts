/** Softmax (and SoftmaxGrad) along the last axis: one workgroup per row (shaders/softmax.wgsl). */
import type { KernelInputs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

function run(b: WebGPUBackend, x: TensorInfo, dy: TensorInfo | undefined): TensorInfo {
  const out = b.output(x.shape, x.dtype);
  const len = x.shape[x.shape.length - 1] ?? 1;
  const rows = len === 0 ? 0 : sizeOf(x.shape) / len;
  if (rows === 0) return out;
  const elem = elemOf(x.dtype);
  b.dispatch(
    {
      shader: 'softmax',
      variant: dy ? 'grad' : 'forward',
      bindings: [
        { name: 'x', elem },
        { name: 'dy', elem },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['rows', 'u32'],
        ['len', 'u32'],
      ],
      header: `alias TY = ${elem};\nconst GRAD: bool = ${!!dy};`,
      workgroupSize: WG,
    },
    [b.data(x), dy ? b.data(dy) : b.data(x), b.data(out)],
    { rows, len },
    rows,
  );
  return out;
}

export function softmax(b: WebGPUBackend, { x }: UnaryInputs): TensorInfo {
  return run(b, x, undefined);
}

export function softmaxGrad(b: WebGPUBackend, { dy, y }: KernelInputs<'SoftmaxGrad'>): TensorInfo {
  return run(b, y, dy);
}
