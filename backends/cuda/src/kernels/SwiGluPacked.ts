/**
 * SwiGluPacked (native/kernels/swi_glu.cu): y [..., I] = up · silu(gate · gateMultiplier) with gate and up the two
 * halves of each row of gateUp [..., 2I] — SwiGlu's f32 arithmetic, so SwiGlu's bits — in one launch after a decode
 * step's single [gate_proj; up_proj] product.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';

// Registered only when the loaded addon has the method (register-addon-kernels.ts), hence the non-null assertion.
export function swiGluPacked(
  backend: CudaBackend,
  { gateUp }: KernelInputs<'SwiGluPacked'>,
  { gateMultiplier }: KernelAttrs<'SwiGluPacked'>,
): TensorInfo {
  const inner = gateUp.shape[gateUp.shape.length - 1]! / 2;
  const y = backend.output([...gateUp.shape.slice(0, -1), inner], gateUp.dtype);
  backend.ctx.SwiGluPacked!(
    backend.id(y),
    backend.id(gateUp),
    backend.code(gateUp.dtype),
    inner === 0 ? 0 : sizeOf(gateUp.shape) / (2 * inner),
    inner,
    gateMultiplier,
  );
  return y;
}
