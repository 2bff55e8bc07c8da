/**
 * The reductions (Sum, Mean, Max) and ArgMax: the axes are grouped into a pattern [outer, len, inner] (reduced
 * axes contiguous), or moved last by a transpose when they are not; long rows reduce with one workgroup per row,
 * the rest with one invocation per output. Float accumulates in f32, i32 in i32.
 */
import type { DType, TensorInfo } from '@falcon-h1/core-tensor';
import type { ProgramDef } from '../program.js';
import { sizeOf, stridesOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';
import { copy } from './Copy.js';
import { WG } from './elementwise-factories.js';
import { fillData } from './Fill.js';
import { stridedCopy } from './strided.js';

export type ReduceOp = 'sum' | 'mean' | 'max';

/** [outer, len, inner] of x for these sorted axes, after moving the axes together with a transpose if needed. */
export function groupAxes(
  b: WebGPUBackend,
  x: TensorInfo,
  axes: readonly number[],
): { source: TensorInfo; outer: number; len: number; inner: number; scratch?: TensorInfo } {
  const reduced = new Set(axes);
  const dims = x.shape.map((d, i) => ({ d, r: reduced.has(i) })).filter((e) => e.d !== 1);
  const len = axes.reduce((acc, a) => acc * x.shape[a]!, 1);
  const first = dims.findIndex((e) => e.r);
  let last = -1;
  dims.forEach((e, i) => {
    if (e.r) last = i;
  });
  const contiguous = first < 0 || dims.slice(first, last + 1).every((e) => e.r);
  if (contiguous) {
    const outer = first < 0 ? sizeOf(x.shape) : dims.slice(0, first).reduce((a, e) => a * e.d, 1);
    const inner = first < 0 ? 1 : dims.slice(last + 1).reduce((a, e) => a * e.d, 1);
    return { source: x, outer, len, inner };
  }
  // Move the reduced axes last: [kept..., reduced...].
  const perm = [...x.shape.keys()].filter((i) => !reduced.has(i)).concat(axes);
  const shape = perm.map((p) => x.shape[p]!);
  const data = b.alloc(shape, x.dtype, true);
  const sx = stridesOf(x.shape);
  stridedCopy(
    b,
    b.data(x),
    data,
    shape,
    perm.map((p) => sx[p]!),
    stridesOf(shape),
    0,
    0,
  );
  const scratch: TensorInfo = { dataId: data, shape, dtype: x.dtype };
  return { source: scratch, outer: sizeOf(x.shape) / Math.max(len, 1), len, inner: 1, scratch };
}

function reduceHeader(op: ReduceOp, dtype: DType, outElem: string): string {
  const int = dtype === 'i32';
  const tc = int ? 'i32' : 'f32';
  const init = op === 'max' ? (int ? 'i32(-2147483647 - 1)' : '-inf_f32()') : `${tc}(0)`;
  const combine = op === 'max' ? (int ? 'max(a, b)' : 'max_nan(a, b)') : 'a + b';
  const finish = op === 'mean' ? 'a / f32(P.len)' : 'a';
  return [
    `alias TC = ${tc};`,
    `alias TY = ${outElem};`,
    `fn init() -> TC { return ${init}; }`,
    `fn combine(a: TC, b: TC) -> TC { return ${combine}; }`,
    `fn finish(a: TC) -> TC { return ${finish}; }`,
  ].join('\n');
}

export function reduce(
  b: WebGPUBackend,
  op: ReduceOp,
  x: TensorInfo,
  axes: readonly number[],
  keepDims: boolean,
): TensorInfo {
  const reduced = new Set(axes);
  const shape = keepDims ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : x.shape.filter((_, i) => !reduced.has(i));
  if (axes.length === 0) {
    const out = copy(b, { x });
    return { ...out, shape };
  }
  const out = b.output(shape, x.dtype);
  const n = sizeOf(shape);
  if (n === 0) return out;
  const len = axes.reduce((acc, a) => acc * x.shape[a]!, 1);
  if (len === 0) {
    fillData(b, out, op === 'mean' ? Number.NaN : 0);
    return out;
  }
  const g = groupAxes(b, x, axes);
  const elem = elemOf(x.dtype);
  const header = reduceHeader(op, x.dtype, elem);
  const bindings = [
    { name: 'x', elem },
    { name: 'y', elem, write: true },
  ];
  if (g.inner === 1 && g.len >= 64) {
    const def: ProgramDef = {
      shader: 'reduce_rows',
      variant: op,
      bindings,
      uniforms: [
        ['rows', 'u32'],
        ['len', 'u32'],
      ],
      header,
      workgroupSize: WG,
    };
    b.dispatch(def, [b.data(g.source), b.data(out)], { rows: g.outer, len: g.len }, g.outer);
  } else {
    const def: ProgramDef = {
      shader: 'reduce_cols',
      variant: op,
      bindings,
      uniforms: [
        ['n', 'u32'],
        ['len', 'u32'],
        ['inner', 'u32'],
      ],
      header,
      workgroupSize: 64,
    };
    b.dispatch(def, [b.data(g.source), b.data(out)], { n, len: g.len, inner: g.inner }, Math.ceil(n / 64));
  }
  if (g.scratch) b.free(b.data(g.scratch));
  return out;
}

export function argMax(b: WebGPUBackend, x: TensorInfo, axis: number): TensorInfo {
  const shape = x.shape.filter((_, i) => i !== axis);
  const out = b.output(shape, 'i32');
  const n = sizeOf(shape);
  if (n === 0) return out;
  const outer = sizeOf(x.shape.slice(0, axis));
  const len = x.shape[axis]!;
  const inner = sizeOf(x.shape.slice(axis + 1));
  const elem = elemOf(x.dtype);
  const int = x.dtype === 'i32' || x.dtype === 'u8';
  const header = `alias TC = ${int ? (x.dtype === 'u8' ? 'u32' : 'i32') : 'f32'};\nfn nan_c(v: TC) -> bool { return ${int ? 'false' : 'is_nan(v)'}; }`;
  const bindings = [
    { name: 'x', elem },
    { name: 'y', elem: 'i32' as const, write: true },
  ];
  if (inner === 1 && len >= 1024) {
    b.dispatch(
      {
        shader: 'argmax_rows',
        bindings,
        uniforms: [
          ['rows', 'u32'],
          ['len', 'u32'],
        ],
        header,
        workgroupSize: WG,
      },
      [b.data(x), b.data(out)],
      { rows: outer, len },
      outer,
    );
  } else {
    b.dispatch(
      {
        shader: 'argmax',
        bindings,
        uniforms: [
          ['n', 'u32'],
          ['len', 'u32'],
          ['inner', 'u32'],
        ],
        header,
        workgroupSize: 64,
      },
      [b.data(x), b.data(out)],
      { n, len, inner },
      Math.ceil(n / 64),
    );
  }
  return out;
}

export function cumSum(
  b: WebGPUBackend,
  x: TensorInfo,
  axis: number,
  exclusive: boolean,
  reverse: boolean,
): TensorInfo {
  const out = b.output(x.shape, x.dtype);
  const outer = sizeOf(x.shape.slice(0, axis));
  const len = x.shape[axis]!;
  const inner = sizeOf(x.shape.slice(axis + 1));
  const n = outer * inner;
  if (n === 0 || len === 0) return out;
  const elem = elemOf(x.dtype);
  b.dispatch(
    {
      shader: 'cumsum',
      bindings: [
        { name: 'x', elem },
        { name: 'y', elem, write: true },
      ],
      uniforms: [
        ['n', 'u32'],
        ['len', 'u32'],
        ['inner', 'u32'],
        ['exclusive', 'u32'],
        ['reverse', 'u32'],
      ],
      header: `alias TC = ${x.dtype === 'i32' ? 'i32' : 'f32'};\nalias TY = ${elem};`,
      workgroupSize: 64,
    },
    [b.data(x), b.data(out)],
    { n, len, inner, exclusive: exclusive ? 1 : 0, reverse: reverse ? 1 : 0 },
    Math.ceil(n / 64),
  );
  return out;
}
