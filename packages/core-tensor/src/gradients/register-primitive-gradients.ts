/**
 * Registers the gradient of every differentiable primitive kernel (side effect), one `<Kernel>.grad.ts` each,
 * all written with core ops. Kernels with integer or boolean outputs (ArgMax, the comparisons) and Fill (no
 * inputs) have no gradient and are deliberately absent: the engine does not record them on tapes.
 * Reshape is not a kernel; its gradient is recorded by the op itself (ops/reshape.ts).
 */
// Unary functions
import './Neg.grad.js';
import './Abs.grad.js';
import './Exp.grad.js';
import './Log.grad.js';
import './Sqrt.grad.js';
import './Rsqrt.grad.js';
import './Reciprocal.grad.js';
import './Sigmoid.grad.js';
import './Silu.grad.js';
import './Softplus.grad.js';
import './Tanh.grad.js';
// Binary arithmetic (broadcast undone by summing)
import './Add.grad.js';
import './Sub.grad.js';
import './Mul.grad.js';
import './Div.grad.js';
import './Maximum.grad.js';
import './Minimum.grad.js';
// Other elementwise
import './Scale.grad.js';
import './Clamp.grad.js';
import './Where.grad.js';
// Reductions and scans
import './Sum.grad.js';
import './Mean.grad.js';
import './Max.grad.js';
import './CumSum.grad.js';
// Linear algebra
import './MatMul.grad.js';
// Data movement
import './Cast.grad.js';
import './Copy.grad.js';
import './Slice.grad.js';
import './Concat.grad.js';
import './Transpose.grad.js';
import './Gather.grad.js';
import './ScatterAdd.grad.js';
