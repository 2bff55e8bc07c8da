/**
 * MatMul: batched, broadcast matrix product with optional transposes, as a tiled GEMM in workgroup memory
 * (shaders/matmul.wgsl), accumulating in f32 whatever the storage dtype. Tile sizes: 64×64 (4×4 per invocation)
 * or 128×128 (8×8), see chooseTile. A decode step's products — a few rows times a linear layer's weight [N, K],
 * transposed — go to a matrix-vector kernel instead (shaders/matvec.wgsl): a 64-row tile would do 64× the work.
 */
import type { KernelAttrs, KernelInputs, TensorInfo } from '@falcon-h1/core-tensor';
import { broadcastShape, collapse, pad8, sizeOf, stridesOf } from '../shape.js';
import { elemOf, type WebGPUBackend } from '../webgpu-backend.js';

/** Tile configuration: TM×TN outputs per invocation, BK-deep K slices. */
export interface GemmTile {
  tm: number;
  tn: number;
  bk: number;
}

/**
 * Measured on an H200 through Dawn/Vulkan (BENCHMARKS.md): 8×8 tiles win from 512² to 2048² outputs, 4×4 tiles
 * (more workgroups in flight) beyond and below.
 */
export function chooseTile(m: number, n: number): GemmTile {
  if (m >= 512 && n >= 512 && m * n < 4096 * 4096) return { tm: 8, tn: 8, bk: 8 };
  return { tm: 4, tn: 4, bk: 16 };
}

/**
 * Rows of A up to which x·Wᵀ runs as matrix-vector products (one decode step of up to this many sequences): up to
 * 32 rows the GEMM's 64-row tiles would leave most of the GPU idle (N/64 workgroups) and waste half their work.
 */
export const MATVEC_MAX_ROWS = 32;

/**
 * Rows of A one matvec workgroup multiplies (its registers hold one sum per row; each load of B is used that many
 * times): more rows are split over the grid's z, and the shader stays small to compile.
 */
const MATVEC_TILE_ROWS = 8;

/** Invocations per matvec workgroup: 2 warps, many small workgroups so that every SM holds several. */
const MATVEC_WG = 64;

/** x [..., R, K] · Wᵀ with W [N, K], R·(batch) ≤ MATVEC_MAX_ROWS: the output rows are A's rows, in order. */
function matVec(b: WebGPUBackend, a: TensorInfo, w: TensorInfo, out: TensorInfo, rows: number): TensorInfo {
  const [n, k] = w.shape as [number, number];
  const elem = elemOf(a.dtype);
  // 16-byte loads need rows of whole vectors; other K stream one element per load.
  const vec4 = k % 4 === 0;
  const groups = Math.ceil(rows / MATVEC_TILE_ROWS);
  const tile = Math.ceil(rows / groups);
  const wv = vec4 ? `vec4<${elem}>` : elem;
  const dot = vec4 ? 'dot(vec4<f32>(x), vec4<f32>(y))' : 'f32(x) * f32(y)';
  // The lanes' sums by subgroupAdd where the backend turned subgroups on (opt-in, gpu.ts), else in workgroup memory.
  const sg = b.subgroupSize;
  const def = {
    shader: sg === undefined ? ('matvec' as const) : ('matvec_subgroups' as const),
    bindings: [
      { name: 'a', elem, vec4 },
      { name: 'b', elem, vec4 },
      { name: 'c', elem, write: true },
    ],
    uniforms: [
      ['N', 'u32'],
      ['KV', 'u32'],
      ['rows', 'u32'],
    ] as const,
    header: [
      ...(sg === undefined ? [] : [`const SG: u32 = ${sg}u;`]),
      `const R: u32 = ${tile}u;`,
      `alias TY = ${elem};`,
      `alias WV = ${wv};`,
      `fn dotf(x: WV, y: WV) -> f32 {\n  return ${dot};\n}`,
    ].join('\n'),
    workgroupSize: MATVEC_WG,
  };
  const [gx, gy] = b.grid(Math.ceil(n / (MATVEC_WG / 32)));
  const uniforms = { N: n, KV: vec4 ? k / 4 : k, rows };
  b.dispatch(def, [b.data(a), b.data(w), b.data(out)], uniforms, [gx, gy, groups]);
  return out;
}

function batchStrides(batch: readonly number[], outBatch: readonly number[]): number[] {
  const strides = stridesOf(batch);
  const offset = outBatch.length - batch.length;
  return outBatch.map((_, i) => {
    const j = i - offset;
    return j < 0 || batch[j] === 1 ? 0 : strides[j]!;
  });
}

export function matMul(
  b: WebGPUBackend,
  { a, b: bb }: KernelInputs<'MatMul'>,
  { transposeA, transposeB }: KernelAttrs<'MatMul'>,
  tile?: GemmTile,
): TensorInfo {
  const ra = a.shape.length;
  const rb = bb.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = transposeB ? bb.shape[rb - 2]! : bb.shape[rb - 1]!;
  const batchA = a.shape.slice(0, -2);
  const batchB = bb.shape.slice(0, -2);
  const batch = broadcastShape(batchA, batchB);
  const out = b.output([...batch, m, n], a.dtype);
  const count = sizeOf(batch);
  if (count * m * n === 0) return out;
  const rows = count * m;
  if (!tile && !transposeA && transposeB && rb === 2 && rows <= MATVEC_MAX_ROWS) return matVec(b, a, bb, out, rows);
  const c = collapse(batch, [batchStrides(batchA, batch), batchStrides(batchB, batch)]);
  const t = tile ?? chooseTile(m, n);
  const elem = elemOf(a.dtype);
  const def = {
    shader: 'matmul' as const,
    bindings: [
      { name: 'a', elem },
      { name: 'b', elem },
      { name: 'c', elem, write: true },
    ],
    uniforms: [
      ['bshape', 'u8'],
      ['bsa', 'u8'],
      ['bsb', 'u8'],
      ['brank', 'u32'],
      ['M', 'u32'],
      ['N', 'u32'],
      ['K', 'u32'],
      ['zoff', 'u32'],
    ] as const,
    header: [
      `const TM: u32 = ${t.tm}u;`,
      `const TN: u32 = ${t.tn}u;`,
      `const BK: u32 = ${t.bk}u;`,
      `const TA: bool = ${transposeA};`,
      `const TB: bool = ${transposeB};`,
      `alias TY = ${elem};`,
    ].join('\n'),
    workgroupSize: 256,
  };
  const gx = Math.ceil(n / (16 * t.tn));
  const gy = Math.ceil(m / (16 * t.tm));
  const max = b.limits.maxComputeWorkgroupsPerDimension;
  if (gx > max || gy > max) throw new Error(`webgpu MatMul: [${m}, ${n}] output needs more than ${max} tiles per axis`);
  const buffers = [b.data(a), b.data(bb), b.data(out)];
  for (let z0 = 0; z0 < count; z0 += max) {
    const uniforms = {
      bshape: pad8(c.shape, 1),
      bsa: pad8(c.strides[0]!, 0),
      bsb: pad8(c.strides[1]!, 0),
      brank: c.shape.length,
      M: m,
      N: n,
      K: k,
      zoff: z0,
    };
    b.dispatch(def, buffers, uniforms, [gx, gy, Math.min(max, count - z0)]);
  }
  return out;
}
