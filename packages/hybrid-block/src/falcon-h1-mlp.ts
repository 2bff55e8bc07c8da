/**
 * FalconH1MLP: the gated MLP with its two μP multipliers,
 *   y = down_proj( up_proj(x) · silu(gate_proj(x) · mlp_multipliers[0]) ) · mlp_multipliers[1]
 */
import {
  addRmsNormSwiGluMlp,
  linear,
  scale,
  swiGlu,
  swiGluPacked,
  swiGluPackedMatMul,
  type Tensor,
  type Variable,
} from '@falcon-h1/core-tensor';
import type { ParameterProvider, ParameterShape } from '@falcon-h1/mamba2';
import type { FalconH1Config } from './config/falcon-h1-config.js';
import type { FalconH1RMSNorm, PendingResidual } from './falcon-h1-rms-norm.js';

type MlpConfig = Pick<FalconH1Config, 'hidden_size' | 'intermediate_size' | 'mlp_bias' | 'mlp_multipliers'>;

export function mlpParameterShapes(config: MlpConfig): ParameterShape[] {
  const shapes: ParameterShape[] = [];
  for (const [name, rows, cols] of [
    ['gate_proj', config.intermediate_size, config.hidden_size],
    ['up_proj', config.intermediate_size, config.hidden_size],
    ['down_proj', config.hidden_size, config.intermediate_size],
  ] as const) {
    shapes.push({ name: `${name}.weight`, shape: [rows, cols] });
    if (config.mlp_bias) shapes.push({ name: `${name}.bias`, shape: [rows] });
  }
  return shapes;
}

interface Projection {
  weight: Variable;
  bias?: Variable;
}

/** A decode step's MLP constants (layer-decode-constants.ts): weights derived once per generation. */
export interface MlpDecodeConstants {
  /** [gate_proj; up_proj] as one [2I, D] projection. */
  readonly gateUp: { readonly weight: Tensor; readonly bias?: Tensor };
  /** down_proj already times down_multiplier. */
  readonly scaledDown: { readonly weight: Tensor; readonly bias?: Tensor };
}

export interface MlpDecodeOptions {
  /**
   * SwiGluPacked and a bias-free down projection as one fused kernel (SwiGluPackedMatMul): the static decoder's
   * steps, where every launch saved counts (generate() keeps the two kernels).
   */
  readonly fuseDown?: boolean;
}

export class FalconH1MLP {
  readonly gate_proj: Projection;
  readonly up_proj: Projection;
  readonly down_proj: Projection;
  readonly gate_multiplier: number;
  readonly down_multiplier: number;

  constructor(config: MlpConfig, parameter: ParameterProvider) {
    const p: Record<string, Variable> = {};
    for (const { name, shape } of mlpParameterShapes(config)) p[name] = parameter(name, shape);
    const projection = (name: string): Projection => ({ weight: p[`${name}.weight`]!, bias: p[`${name}.bias`] });
    this.gate_proj = projection('gate_proj');
    this.up_proj = projection('up_proj');
    this.down_proj = projection('down_proj');
    [this.gate_multiplier, this.down_multiplier] = config.mlp_multipliers;
  }

  /**
   * `decode`: a decode step's constants (layer-decode-constants.ts) — gate_proj and up_proj as one MatMul whose
   * packed [gate | up] output the fused SwiGluPacked reads, and the pre-scaled down_proj (no Scale kernel): three
   * kernels where the plain path runs four (five with the Scale), with the same values; two with `fuseDown`
   * (`fromGateUp`).
   */
  forward(x: Tensor, decode?: MlpDecodeConstants, options: MlpDecodeOptions = {}): Tensor {
    if (decode) return this.fromGateUp(linear(x, decode.gateUp.weight, decode.gateUp.bias), decode, options);
    // up · silu(gate · gate_multiplier) in one fused kernel (core composes it where a backend lacks SwiGlu).
    const gate = linear(x, this.gate_proj.weight, this.gate_proj.bias);
    const y = swiGlu(gate, linear(x, this.up_proj.weight, this.up_proj.bias), this.gate_multiplier);
    return scale(linear(y, this.down_proj.weight, this.down_proj.bias), this.down_multiplier);
  }

  /**
   * A decode step's MLP after its packed gate|up projection [..., 2I] (made by `forward`, or fused with the norm
   * before it: FalconH1DecoderLayer.decodeStep): SwiGluPacked, then the pre-scaled down projection — one fused
   * SwiGluPackedMatMul with `fuseDown` where down_proj has no bias (the same values: the kernel stores nothing
   * between the two).
   */
  fromGateUp(gateUp: Tensor, decode: MlpDecodeConstants, { fuseDown = false }: MlpDecodeOptions = {}): Tensor {
    const down = decode.scaledDown;
    if (fuseDown && !down.bias) return swiGluPackedMatMul(gateUp, down.weight, this.gate_multiplier);
    return linear(swiGluPacked(gateUp, this.gate_multiplier), down.weight, down.bias);
  }

  /**
   * A decode step's MLP of a pending residual add whose norm (`norm`: SA_M's pre_ff_layernorm) feeds only this MLP,
   * with bias-free constants: the add, the norm, gate|up, SwiGluPacked and the pre-scaled down projection as one
   * fused op (addRmsNormSwiGluMlp: a backend may fuse across the two products — CUDA runs the activation as the
   * gate|up product's epilogue; one without the kernel runs AddRmsNormMatMul then SwiGluPackedMatMul, the same
   * values). Returns the residual stream's value and the MLP's output.
   */
  fromPendingResidual(
    stream: PendingResidual,
    norm: FalconH1RMSNorm,
    decode: MlpDecodeConstants,
  ): { sum: Tensor; y: Tensor } {
    if (decode.gateUp.bias || decode.scaledDown.bias) {
      throw new Error('FalconH1MLP.fromPendingResidual: takes bias-free gate|up and down constants only');
    }
    return addRmsNormSwiGluMlp(
      stream.residual,
      stream.update,
      norm.weight,
      decode.gateUp.weight,
      decode.scaledDown.weight,
      norm.variance_epsilon,
      this.gate_multiplier,
    );
  }
}
