import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { dtypeCode } from '../dtype-codes.js';
import { broadcastInfo, broadcastShapes, sizeOf } from '../shape.js';
import type { WasmBackend } from '../wasm-backend.js';

/**
 * Batched matrix product through the packed, register-blocked GEMM (csrc/gemm.c): csrc/kernels/MatMul.c.
 * The broadcast batch reaches C as an info block whose strides count matrices.
 */
export function matMul(
  backend: WasmBackend,
  { a, b }: KernelInputs<'MatMul'>,
  attrs: KernelAttrs<'MatMul'>,
): TensorInfo {
  const { transposeA, transposeB } = attrs;
  if (a.dtype !== b.dtype) throw new Error(`MatMul: a and b must share one dtype, got ${a.dtype} and ${b.dtype}`);
  if (a.dtype === 'u8') throw new Error('MatMul: u8 is not supported');
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const N = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batchA = a.shape.slice(0, ra - 2);
  const batchB = b.shape.slice(0, rb - 2);
  const batch = broadcastShapes(batchA, batchB);
  const out = backend.allocate([...batch, M, N], a.dtype);
  if (sizeOf(batch) * M * N === 0) return out.info;
  const info = batch.length === 0 ? [0] : broadcastInfo(batch, [batchA, batchB]);
  backend.m._MatMul(
    out.ptr,
    backend.ptr(a),
    backend.ptr(b),
    backend.args(info),
    M,
    N,
    K,
    transposeA ? 1 : 0,
    transposeB ? 1 : 0,
    dtypeCode(a.dtype),
  );
  return out.info;
}
