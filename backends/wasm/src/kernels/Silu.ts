import { unaryKernel } from './elementwise-factories.js';

/** x·σ(x): csrc/kernels/Silu.c */
export const silu = unaryKernel('Silu', (m) => m._Silu);
