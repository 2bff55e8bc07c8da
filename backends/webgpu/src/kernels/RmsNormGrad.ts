/**
 * RmsNormGrad and RmsNormGatedGrad (shaders/rms_norm_grad.wgsl): dx (and dz) in one pass per row or per group of
 * channels, and dweight as the column sum of the rows' f32 shares (the reduction kernel), rounded once to the
 * weight's dtype.
 */
import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import { sizeOf } from '../shape.js';
import { elemOf, type GpuData, type WebGPUBackend } from '../webgpu-backend.js';
import { castInto } from './Cast.js';
import { WG } from './elementwise-factories.js';
import { reduce } from './reduce.js';

/** The shader's GATE: 0 plain RMSNorm, 1 gated with normBeforeGate false, 2 gated with normBeforeGate true. */
type Gate = 0 | 1 | 2;

interface NormGradOutputs {
  dx: TensorInfo;
  dz?: TensorInfo;
  dweight: TensorInfo;
}

function normGrad(
  b: WebGPUBackend,
  { dy, x, z, weight }: { dy: TensorInfo; x: TensorInfo; z?: TensorInfo; weight: TensorInfo },
  eps: number,
  groupSize: number,
  gate: Gate,
): NormGradOutputs {
  const dx = b.output(x.shape, x.dtype);
  const dz = z ? b.output(z.shape, z.dtype) : undefined;
  const len = x.shape[x.shape.length - 1]!;
  const rows = len === 0 ? 0 : sizeOf(x.shape) / len;
  const items = rows * (len / groupSize);
  const part: TensorInfo = { dataId: b.alloc([rows, len], 'f32', true), shape: [rows, len], dtype: 'f32' };
  if (items > 0) {
    const elem = elemOf(x.dtype);
    const zElem = z ? elemOf(z.dtype) : 'f32';
    // Without a gate, z and dz are placeholders (distinct buffers: one is read-only, the other written).
    const noDz: GpuData | undefined = dz ? undefined : b.alloc([1], 'f32', true);
    b.dispatch(
      {
        shader: 'rms_norm_grad',
        bindings: [
          { name: 'dy', elem },
          { name: 'x', elem },
          { name: 'z', elem: zElem },
          { name: 'w', elem: elemOf(weight.dtype) },
          { name: 'dx', elem, write: true },
          { name: 'dz', elem: zElem, write: true },
          { name: 'part', elem: 'f32', write: true },
        ],
        uniforms: [
          ['items', 'u32'],
          ['len', 'u32'],
          ['gs', 'u32'],
          ['eps', 'f32'],
        ],
        header: `alias TY = ${elem};\nalias TZ = ${zElem};\nconst GATE: u32 = ${gate}u;`,
        workgroupSize: WG,
      },
      [
        b.data(dy),
        b.data(x),
        z ? b.data(z) : b.dummy(),
        b.data(weight),
        b.data(dx),
        dz ? b.data(dz) : noDz!,
        b.data(part),
      ],
      { items, len, gs: groupSize, eps },
      items,
    );
    if (noDz) b.free(noDz);
  }
  // dweight: Σ over the rows (zeros when there are none), in f32, then the weight's dtype.
  let dweight = reduce(b, 'sum', part, [0], false);
  b.free(b.data(part));
  if (weight.dtype !== 'f32') {
    const rounded = b.output(weight.shape, weight.dtype);
    castInto(b, dweight, rounded);
    b.disposeData(dweight.dataId);
    dweight = rounded;
  }
  return { dx, dz, dweight };
}

export function rmsNormGrad(
  b: WebGPUBackend,
  inputs: KernelInputs<'RmsNormGrad'>,
  { eps }: KernelAttrs<'RmsNormGrad'>,
): KernelOutputs<'RmsNormGrad'> {
  const { dx, dweight } = normGrad(b, inputs, eps, inputs.x.shape[inputs.x.shape.length - 1]! || 1, 0);
  return { dx, dweight };
}

export function rmsNormGatedGrad(
  b: WebGPUBackend,
  inputs: KernelInputs<'RmsNormGatedGrad'>,
  { eps, groupSize, normBeforeGate }: KernelAttrs<'RmsNormGatedGrad'>,
): KernelOutputs<'RmsNormGatedGrad'> {
  const { dx, dz, dweight } = normGrad(b, inputs, eps, groupSize, normBeforeGate ? 2 : 1);
  return { dx, dz: dz!, dweight };
}
