/** CrossEntropy (+Grad) (native/kernels/softmax.cu). Losses are f32; a bad label is reported at the next readback. */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

export function crossEntropy(
  backend: CudaBackend,
  { logits, labels }: KernelInputs<'CrossEntropy'>,
  { ignoreIndex }: KernelAttrs<'CrossEntropy'>,
): TensorInfo {
  const [R, V] = logits.shape as [number, number];
  const loss = backend.output([R], 'f32');
  backend.ctx.CrossEntropy(
    backend.id(loss),
    backend.id(logits),
    backend.id(labels),
    backend.code(logits.dtype),
    R,
    V,
    ignoreIndex,
  );
  return loss;
}

export function crossEntropyGrad(
  backend: CudaBackend,
  { dloss, logits, labels }: KernelInputs<'CrossEntropyGrad'>,
  { ignoreIndex }: KernelAttrs<'CrossEntropyGrad'>,
): TensorInfo {
  const [R, V] = logits.shape as [number, number];
  const out = backend.output(logits.shape, logits.dtype);
  backend.ctx.CrossEntropyGrad(
    backend.id(out),
    backend.id(dloss),
    backend.id(logits),
    backend.id(labels),
    backend.code(logits.dtype),
    R,
    V,
    ignoreIndex,
  );
  return out;
}
