/** CrossEntropy (and CrossEntropyGrad): one workgroup per row (shaders/cross_entropy.wgsl); losses are f32. */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { WG } from './elementwise-factories.js';

function run(
  b: WebGPUBackend,
  logits: TensorInfo,
  labels: TensorInfo,
  ignoreIndex: number,
  dloss: TensorInfo | undefined,
): TensorInfo {
  const [rows, len] = logits.shape as [number, number];
  const out = dloss ? b.output(logits.shape, logits.dtype) : b.output([rows], 'f32');
  if (rows === 0) return out;
  const elem = elemOf(logits.dtype);
  const outElem = dloss ? elem : 'f32';
  b.dispatch(
    {
      shader: 'cross_entropy',
      variant: dloss ? 'grad' : 'forward',
      bindings: [
        { name: 'x', elem },
        { name: 'labels', elem: 'i32' },
        { name: 'dloss', elem: dloss ? elemOf(dloss.dtype) : 'f32' },
        { name: 'y', elem: outElem, write: true },
      ],
      uniforms: [
        ['rows', 'u32'],
        ['len', 'u32'],
        ['ignore', 'i32'],
      ],
      header: `alias TY = ${outElem};\nconst GRAD: bool = ${!!dloss};`,
      workgroupSize: WG,
    },
    [b.data(logits), b.data(labels), dloss ? b.data(dloss) : b.dummy(), b.data(out)],
    { rows, len, ignore: ignoreIndex },
    rows,
  );
  return out;
}

export function crossEntropy(
  b: WebGPUBackend,
  { logits, labels }: KernelInputs<'CrossEntropy'>,
  { ignoreIndex }: KernelAttrs<'CrossEntropy'>,
): TensorInfo {
  return run(b, logits, labels, ignoreIndex, undefined);
}

export function crossEntropyGrad(
  b: WebGPUBackend,
  { dloss, logits, labels }: KernelInputs<'CrossEntropyGrad'>,
  { ignoreIndex }: KernelAttrs<'CrossEntropyGrad'>,
): TensorInfo {
  return run(b, logits, labels, ignoreIndex, dloss);
}
