/**
 * SsmDecodeStep: the Mamba2 mixer's whole decode step after in_proj in ONE dispatch (shaders/ssm_decode_step.wgsl)
 * — the composition is ~8 (the slices, dt's Add and Softplus, CausalConv1dUpdate, SsmStep, the gate), and a WebGPU
 * decode step is bound by the host's encoding per dispatch. A workgroup per (b, h, tile of 8 p-rows), 32 lanes per
 * row over the state as SsmStep; each recomputes its group's B and C conv outputs (2N channels of K taps).
 * That dispatch binds 11 storage buffers; a device with fewer per stage (browsers offer 8 to 10) runs the step in
 * two dispatches of 8 instead: the conv update and dt (ssm_decode_conv.wgsl), then the state update and gate
 * (ssm_decode_scan.wgsl) over their f32 results.
 * SsmDecodeStepInPlace runs the same dispatches on its columns of a wider row (uniform zoff), into temporaries that
 * are then copied into the state buffers in the same command encoder: an in-place write inside the dispatch would
 * race, since every workgroup of a group reads the group's B and C conv state that one of them rewrites.
 */
import type { KernelAttrs, KernelInputs, KernelOutputs, TensorInfo } from '@falcon-h1/core-tensor';
import type { BindingDef, Elem, UniformType } from '../program.js';
import { elemOf, type GpuData, type WebGPUBackend } from '../webgpu-backend.js';
import { flag, optional, optionalBinding } from './fused-helpers.js';
import { SSM_ROW_UNIFORMS } from './SsmStep.js';

/** Invocations per workgroup: ROWS rows of 32 lanes. */
const WG = 256;
const ROWS = WG / 32;

/** The largest d_state the one-dispatch shader's workgroup arrays hold (2N conv outputs of B and C). */
export const SSM_DECODE_MAX_STATE = 256;

/** Storage buffers the one-dispatch form binds (8 inputs, 3 outputs). */
const ONE_DISPATCH_STORAGE_BUFFERS = 11;

/** The uniforms of the conv half (shaders/include/ssm_decode_dt.wgsl, conv_update_channel.wgsl). */
const CONV_UNIFORMS: ReadonlyArray<readonly [string, UniformType]> = [
  ['width', 'u32'],
  ['conv_dim', 'u32'],
  ['row', 'u32'],
  ['zoff', 'u32'],
  ['has_bias', 'u32'],
  ['has_clamp', 'u32'],
  ['dt_min', 'f32'],
  ['dt_max', 'f32'],
];

/** What both forms bind and pass. */
interface Step {
  ins: KernelInputs<'SsmDecodeStep'>;
  out: KernelOutputs<'SsmDecodeStep'>;
  /** Element types: activations, state, y. */
  elem: Elem;
  state: Elem;
  yElem: Elem;
  /** Uniforms of the conv half and of the SSM rows (workgroups over (b, h, tile): rows.n of them). */
  conv: Record<string, number>;
  rows: Record<string, number>;
  /** TY and SILU; YT and GATE. */
  convHeader: string;
  gateHeader: string;
}

export function ssmDecodeStep(
  b: WebGPUBackend,
  ins: KernelInputs<'SsmDecodeStep'>,
  attrs: KernelAttrs<'SsmDecodeStep'>,
): KernelOutputs<'SsmDecodeStep'> {
  return decodeStep(b, ins, attrs, 0);
}

/** SsmDecodeStepInPlace: the step into temporaries at column `offset`, then buffer copies into the states. */
export function ssmDecodeStepInPlace(
  b: WebGPUBackend,
  ins: KernelInputs<'SsmDecodeStepInPlace'>,
  { offset, ...attrs }: KernelAttrs<'SsmDecodeStepInPlace'>,
): TensorInfo {
  const out = decodeStep(b, ins, attrs, offset);
  for (const [state, next] of [
    [ins.convState, out.convState],
    [ins.ssmState, out.ssmState],
  ] as const) {
    b.overwrite(state, next);
    b.disposeData(next.dataId);
  }
  return out.y;
}

/** The step's dispatches on the columns from `zoff` of each zxbcdt row, into new outputs. */
function decodeStep(
  b: WebGPUBackend,
  ins: KernelInputs<'SsmDecodeStep'>,
  { activation, gate, dtMin, dtMax }: KernelAttrs<'SsmDecodeStep'>,
  zoff: number,
): KernelOutputs<'SsmDecodeStep'> {
  const { zxbcdt, convState, convBias, ssmState, D } = ins;
  const [batch, heads, pdim, nstate] = ssmState.shape as [number, number, number, number];
  const [, convDim, width] = convState.shape as [number, number, number];
  const dSsm = heads * pdim;
  const gated = gate === 'silu';
  const out = {
    y: b.output([batch, dSsm], gated ? zxbcdt.dtype : ssmState.dtype),
    convState: b.output(convState.shape, convState.dtype),
    ssmState: b.output(ssmState.shape, ssmState.dtype),
  };
  // (At least one tile: with P = 0 the workgroups still write the B and C channels' next conv state.)
  const tiles = Math.max(1, Math.ceil(pdim / ROWS));
  const n = batch * heads * tiles;
  if (n === 0 || nstate === 0) return out;
  const elem = elemOf(zxbcdt.dtype);
  const yElem = elemOf(out.y.dtype);
  const step: Step = {
    ins,
    out,
    elem,
    state: elemOf(ssmState.dtype),
    yElem,
    conv: {
      width,
      conv_dim: convDim,
      row: zxbcdt.shape[1]!,
      zoff,
      has_bias: flag(convBias),
      // The composition skips the Clamp for the default (0, ∞): softplus is positive, so it changes nothing.
      has_clamp: flag(dtMin > 0 || dtMax < Number.POSITIVE_INFINITY),
      dt_min: dtMin,
      dt_max: dtMax,
    },
    rows: { n, heads, pdim, nstate, groups: (convDim - dSsm) / (2 * nstate), tiles, has_d: flag(D) },
    convHeader: `alias TY = ${elem};\nconst SILU: bool = ${activation === 'silu'};`,
    gateHeader: `alias YT = ${yElem};\nconst GATE: bool = ${gated};`,
  };
  if (b.limits.maxStorageBuffersPerShaderStage < ONE_DISPATCH_STORAGE_BUFFERS) twoDispatches(b, step);
  else oneDispatch(b, step);
  return out;
}

/** The conv half's inputs: the packed row, the conv state, weight and bias. */
function convBindings({ ins, elem }: Step): BindingDef[] {
  return [
    { name: 'zxbcdt', elem },
    { name: 'conv_state', elem },
    { name: 'conv_w', elem },
    optionalBinding('conv_bias', ins.convBias, elem),
  ];
}

function convBuffers(b: WebGPUBackend, { ins }: Step): GpuData[] {
  return [b.data(ins.zxbcdt), b.data(ins.convState), b.data(ins.convWeight), optional(b, ins.convBias)];
}

/** The SSM half's inputs and y: the state, the per-head `perHead` (dt_bias, or dt from pass 1), A, D, y. */
function ssmBindings({ ins, state, yElem }: Step, perHead: BindingDef): BindingDef[] {
  return [
    { name: 'state', elem: state },
    perHead,
    { name: 'A', elem: state },
    optionalBinding('D', ins.D, state),
    { name: 'y', elem: yElem, write: true },
  ];
}

function ssmBuffers(b: WebGPUBackend, { ins, out }: Step, perHead: GpuData): GpuData[] {
  return [b.data(ins.ssmState), perHead, b.data(ins.A), optional(b, ins.D), b.data(out.y)];
}

function oneDispatch(b: WebGPUBackend, step: Step): void {
  const { ins, out, elem, state } = step;
  b.dispatch(
    {
      shader: 'ssm_decode_step',
      bindings: [
        ...convBindings(step),
        ...ssmBindings(step, { name: 'dt_bias', elem: state }),
        { name: 'new_conv', elem, write: true },
        { name: 'new_state', elem: state, write: true },
      ],
      uniforms: [...SSM_ROW_UNIFORMS, ['tiles', 'u32'], ...CONV_UNIFORMS],
      header: `${step.convHeader}\n${step.gateHeader}`,
      workgroupSize: WG,
    },
    [...convBuffers(b, step), ...ssmBuffers(b, step, b.data(ins.dtBias)), b.data(out.convState), b.data(out.ssmState)],
    { ...step.rows, ...step.conv },
    step.rows.n!,
  );
}

/** The step in two dispatches of 8 storage buffers each, through f32 conv outputs [B, convDim] and dt [B, H]. */
function twoDispatches(b: WebGPUBackend, step: Step): void {
  const { ins, out, elem, state, rows, conv } = step;
  const batch = ins.zxbcdt.shape[0]!;
  const heads = rows.heads!;
  const channels = batch * conv.conv_dim!;
  const xbc = b.alloc([channels], 'f32', true);
  const dt = b.alloc([batch * heads], 'f32', true);
  b.dispatch(
    {
      shader: 'ssm_decode_conv',
      bindings: [
        ...convBindings(step),
        { name: 'dt_bias', elem: state },
        { name: 'new_conv', elem, write: true },
        { name: 'xbc', elem: 'f32', write: true },
        { name: 'dt', elem: 'f32', write: true },
      ],
      uniforms: [['n', 'u32'], ['batch', 'u32'], ['heads', 'u32'], ['pdim', 'u32'], ...CONV_UNIFORMS],
      header: step.convHeader,
      workgroupSize: WG,
    },
    [...convBuffers(b, step), b.data(ins.dtBias), b.data(out.convState), xbc, dt],
    { ...conv, n: channels, batch, heads, pdim: rows.pdim! },
    Math.ceil(Math.max(channels, batch * heads) / WG),
  );
  b.dispatch(
    {
      shader: 'ssm_decode_scan',
      bindings: [
        { name: 'zxbcdt', elem },
        { name: 'xbc', elem: 'f32' },
        ...ssmBindings(step, { name: 'dt', elem: 'f32' }),
        { name: 'new_state', elem: state, write: true },
      ],
      uniforms: [...SSM_ROW_UNIFORMS, ['tiles', 'u32'], ['conv_dim', 'u32'], ['row', 'u32'], ['zoff', 'u32']],
      header: `alias TY = ${elem};\n${step.gateHeader}`,
      workgroupSize: WG,
    },
    [b.data(ins.zxbcdt), xbc, ...ssmBuffers(b, step, dt), b.data(out.ssmState)],
    { ...rows, conv_dim: conv.conv_dim!, row: conv.row!, zoff: conv.zoff! },
    rows.n!,
  );
  b.free(xbc);
  b.free(dt);
}
