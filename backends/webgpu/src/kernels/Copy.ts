/** Copy: a new buffer with the same contents (a buffer-to-buffer copy in the open command encoder). */
import type { TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import type { WebGPUBackend } from '../webgpu-backend.js';

export function copy(b: WebGPUBackend, { x }: UnaryInputs): TensorInfo {
  const src = b.data(x);
  const out = b.output(x.shape, x.dtype);
  const bytes = Math.ceil(src.bytes / 4) * 4;
  if (bytes > 0) b.copyBuffer(src.buffer, b.data(out).buffer, bytes);
  return out;
}
