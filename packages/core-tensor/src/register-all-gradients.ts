/**
 * Registers the gradient of every kernel (side effect). Gradients live once, here in core, never in backends:
 * primitives in gradients/<Kernel>.grad.ts, fused kernels in gradients/<Kernel>.grad.ts via their composition or
 * their backward kernel.
 */
import './gradients/register-primitive-gradients.js';
import './gradients/register-fused-gradients.js';
