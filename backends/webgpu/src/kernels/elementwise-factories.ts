/**
 * Factories for the elementwise kernels (unary, broadcast binary, comparison), so that their files are one-liners.
 * Float inputs compute in f32 (16-bit floats are widened on load and rounded once on store); i32 stays integer.
 */
import type { BinaryInputs, TensorInfo, UnaryInputs } from '@falcon-h1/core-tensor';
import type { ProgramDef } from '../program.js';
import { broadcastShape, broadcastStrides, collapse, pad8, sizeOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';

export const WG = 256;

/** Runs the unary shader: y = op(x) with `body` the body of `fn op(v: TC) -> TC`; P.a and P.b are free scalars. */
export function runUnary(
  b: WebGPUBackend,
  variant: string,
  body: string,
  x: TensorInfo,
  uniforms: { a: number; b: number } = { a: 0, b: 0 },
  outDtype = x.dtype,
): TensorInfo {
  const out = b.output(x.shape, outDtype);
  const n = sizeOf(x.shape);
  const tc = x.dtype === 'i32' ? 'i32' : 'f32';
  const def: ProgramDef = {
    shader: 'unary',
    variant,
    bindings: [
      { name: 'x', elem: elemOf(x.dtype) },
      { name: 'y', elem: elemOf(outDtype), write: true },
    ],
    uniforms: [
      ['n', 'u32'],
      ['a', 'f32'],
      ['b', 'f32'],
    ],
    header: `alias TC = ${tc};\nalias TY = ${elemOf(outDtype)};\nfn op(v: TC) -> TC {\n  ${body}\n}`,
    workgroupSize: WG,
  };
  b.dispatch(def, [b.data(x), b.data(out)], { n, a: uniforms.a, b: uniforms.b }, Math.ceil(n / WG));
  return out;
}

/** A unary kernel: `float` is the f32 body of op(v); `int` the i32 body where the kernel accepts i32. */
export function unaryKernel(name: string, float: string, int?: string) {
  return (b: WebGPUBackend, { x }: UnaryInputs): TensorInfo => {
    if (x.dtype === 'i32') {
      if (!int) throw new Error(`webgpu ${name}: i32 input is not supported`);
      return runUnary(b, `${name}:i32`, int, x);
    }
    return runUnary(b, name, float, x);
  };
}

/**
 * Runs the binary shader over the broadcast of a and b. `body` is the body of `fn op(a: TC, b: TC) -> TY`.
 */
export function runBinary(
  b: WebGPUBackend,
  variant: string,
  body: string,
  a: TensorInfo,
  bb: TensorInfo,
  outDtype: TensorInfo['dtype'],
): TensorInfo {
  const shape = broadcastShape(a.shape, bb.shape);
  const out = b.output(shape, outDtype);
  const n = sizeOf(shape);
  if (n === 0) return out;
  const c = collapse(shape, [broadcastStrides(a.shape, shape), broadcastStrides(bb.shape, shape)]);
  const tc = a.dtype === 'i32' ? 'i32' : a.dtype === 'u8' ? 'u32' : 'f32';
  const def: ProgramDef = {
    shader: 'binary',
    variant,
    bindings: [
      { name: 'a', elem: elemOf(a.dtype) },
      { name: 'b', elem: elemOf(bb.dtype) },
      { name: 'y', elem: elemOf(outDtype), write: true },
    ],
    uniforms: [
      ['shape', 'u8'],
      ['sa', 'u8'],
      ['sb', 'u8'],
      ['n', 'u32'],
      ['rank', 'u32'],
    ],
    header: `alias TC = ${tc};\nalias TY = ${elemOf(outDtype)};\nfn op(a: TC, b: TC) -> TY {\n  ${body}\n}`,
    workgroupSize: WG,
  };
  b.dispatch(
    def,
    [b.data(a), b.data(bb), b.data(out)],
    { shape: pad8(c.shape, 1), sa: pad8(c.strides[0]!, 0), sb: pad8(c.strides[1]!, 0), n, rank: c.shape.length },
    Math.ceil(n / WG),
  );
  return out;
}

/** An arithmetic kernel: `float` is an f32 expression of a and b, `int` an i32 one. */
export function binaryKernel(name: string, float: string, int: string) {
  return (b: WebGPUBackend, { a, b: bb }: BinaryInputs): TensorInfo => {
    const isInt = a.dtype === 'i32';
    const expr = isInt ? int : float;
    return runBinary(b, `${name}:${isInt ? 'i' : 'f'}`, `return TY(${expr});`, a, bb, a.dtype);
  };
}

/** A comparison kernel giving u8 (1/0) from a boolean expression of a and b. */
export function compareKernel(name: string, expr: string) {
  return (b: WebGPUBackend, { a, b: bb }: BinaryInputs): TensorInfo =>
    runBinary(b, name, `return select(0u, 1u, ${expr});`, a, bb, 'u8');
}
