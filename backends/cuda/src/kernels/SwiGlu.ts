/** SwiGlu (+Grad) (native/kernels/swi_glu.cu): y = up · silu(gate · gateMultiplier), f32 arithmetic. */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '@falcon-h1/core-tensor';
import type { CudaBackend } from '../cuda-backend.js';
import { requireSame } from './checks.js';

// The addon methods are optional in the binding (newer than the prebuilt); these kernels are registered only when
// the loaded addon has them (register-addon-kernels.ts), hence the non-null assertions.

export function swiGlu(
  backend: CudaBackend,
  { gate, up }: KernelInputs<'SwiGlu'>,
  { gateMultiplier }: KernelAttrs<'SwiGlu'>,
): TensorInfo {
  requireSame('SwiGlu', gate, up);
  const y = backend.output(gate.shape, gate.dtype);
  backend.ctx.SwiGlu!(
    backend.id(y),
    backend.id(gate),
    backend.id(up),
    backend.code(gate.dtype),
    sizeOf(gate.shape),
    gateMultiplier,
  );
  return y;
}

export function swiGluGrad(
  backend: CudaBackend,
  { dy, gate, up }: KernelInputs<'SwiGluGrad'>,
  { gateMultiplier }: KernelAttrs<'SwiGluGrad'>,
): { dgate: TensorInfo; dup: TensorInfo } {
  requireSame('SwiGluGrad', gate, up);
  requireSame('SwiGluGrad', dy, gate);
  const dgate = backend.output(gate.shape, gate.dtype);
  const dup = backend.output(up.shape, up.dtype);
  backend.ctx.SwiGluGrad!(
    backend.id(dgate),
    backend.id(dup),
    backend.id(dy),
    backend.id(gate),
    backend.id(up),
    backend.code(gate.dtype),
    sizeOf(gate.shape),
    gateMultiplier,
  );
  return { dgate, dup };
}
