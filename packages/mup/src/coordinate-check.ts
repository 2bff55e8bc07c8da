/**
 * The coordinate check of the μP literature (Yang et al., Tensor Programs V, §"coordinate check"; the `mup`
 * library's `get_coord_data`): train models of growing width for a few steps with the same hyperparameters and
 * record the mean |coordinate| of each layer's activations after each step. Under μP the curves are flat in width;
 * under standard parametrisation (SP: one learning rate for everything, 1/√fan_in init, fixed multipliers) they
 * grow with width as the updates do.
 *
 * μP here: `mupInitialParameters` + `mupParamGroups` (hidden lr × 1/m) + the readout multiplier
 * lm_head_multiplier × 1/m (the form the published configs take, see width-scaling.ts), m = width / baseWidth.
 */
import {
  AdamW,
  type AdamWGroupOptions,
  abs,
  dispose,
  mean,
  type Tensor,
  tensor,
  tidy,
  type Variable,
  valueAndGrads,
} from '@falcon-h1/core-tensor';
import {
  type FalconH1Config,
  FalconH1ForCausalLM,
  falconH1Preset,
  parseFalconH1Config,
  randomFalconH1Parameters,
  seededRandom,
} from '@falcon-h1/hybrid-block';
import { forwardMultipliers, withForwardMultipliers } from './forward-multipliers.js';
import { mupParamGroups } from './mup-param-groups.js';
import { mupInitialParameters } from './width-scaling.js';

export type Parametrization = 'mup' | 'sp';

export interface CoordinateCheckOptions {
  parametrization: Parametrization;
  /** Hidden sizes to train (multiples of 32 with the default configs). */
  widths: readonly number[];
  /** The μP base width (default the first width). */
  baseWidth?: number;
  /** Optimizer steps after the initial measurement (default 4). */
  steps?: number;
  /** AdamW learning rate, the same at every width (default 1e-2). */
  lr?: number;
  /** Seeds averaged over (default 2). */
  seeds?: number;
  /** The model of a width (default `coordinateCheckConfig`). */
  config?: (width: number) => FalconH1Config;
  batch?: number;
  seqLen?: number;
}

export interface CoordinateRecord {
  parametrization: Parametrization;
  width: number;
  /** 0 = at initialisation, t = after t optimizer steps. */
  step: number;
  /** `embedding`, `layer 1` … `layer L−1` (each layer's output), `logits`. */
  activation: string;
  /** Mean |x| over every coordinate, averaged over seeds. */
  meanAbs: number;
}

/**
 * A small Falcon-H1 of hidden size `width`: 3 layers, heads of 16 channels (attention and SSM heads grow with the
 * width, head sizes and the state size stay), MLP 2·width, vocabulary 256, the published 0.5B forward multipliers.
 */
export function coordinateCheckConfig(width: number): FalconH1Config {
  if (width % 32 !== 0) throw new Error(`coordinateCheckConfig: width must be a multiple of 32, got ${width}`);
  const config = parseFalconH1Config({
    hidden_size: width,
    intermediate_size: 2 * width,
    num_hidden_layers: 3,
    num_attention_heads: width / 16,
    num_key_value_heads: width / 32,
    head_dim: 16,
    mamba_d_ssm: width,
    mamba_n_heads: width / 16,
    mamba_d_head: 16,
    mamba_n_groups: 1,
    mamba_d_state: 16,
    mamba_chunk_size: 16,
    mamba_rms_norm: true,
    vocab_size: 256,
  });
  return withForwardMultipliers(config, forwardMultipliers(falconH1Preset('0.5B').config));
}

export async function coordinateCheck(options: CoordinateCheckOptions): Promise<CoordinateRecord[]> {
  const { parametrization, widths } = options;
  const makeConfig = options.config ?? coordinateCheckConfig;
  const baseWidth = options.baseWidth ?? widths[0]!;
  const steps = options.steps ?? 4;
  const lr = options.lr ?? 1e-2;
  const seeds = options.seeds ?? 2;
  const [b, t] = [options.batch ?? 2, options.seqLen ?? 32];
  const base = makeConfig(baseWidth);
  const sums = new Map<string, CoordinateRecord>();
  for (const width of widths) {
    for (let seed = 0; seed < seeds; seed++) {
      let config = makeConfig(width);
      let parameters: Map<string, Variable>;
      let groups: AdamWGroupOptions[];
      if (parametrization === 'mup') {
        config = { ...config, lm_head_multiplier: (config.lm_head_multiplier * baseWidth) / width };
        parameters = mupInitialParameters(config, base, { seed });
        groups = mupParamGroups(config, parameters, { base });
      } else {
        parameters = randomFalconH1Parameters(config, { seed });
        groups = [{ params: [...parameters.values()] }];
      }
      const model = new FalconH1ForCausalLM(config, parameters);
      const opt = new AdamW(groups, { lr, betas: [0.9, 0.95] });
      const rng = seededRandom(1000 + seed);
      const ids = tensor(
        Array.from({ length: b * t }, () => Math.floor(rng.next() * config.vocab_size)),
        [b, t],
        'i32',
      );
      for (let step = 0; step <= steps; step++) {
        const means = tidy(() => {
          const { logits, hiddenStates } = model.forward(ids, { outputHiddenStates: true });
          const states = hiddenStates!.slice(0, config.num_hidden_layers); // the last one is after the final norm
          return [...states, logits].map((x) => mean(abs(x)));
        });
        const values = await Promise.all(means.map(async (m: Tensor) => Number((await m.data())[0])));
        dispose(means);
        values.forEach((value, i) => {
          const activation = i === 0 ? 'embedding' : i === values.length - 1 ? 'logits' : `layer ${i}`;
          const key = `${width}/${step}/${activation}`;
          const record = sums.get(key) ?? { parametrization, width, step, activation, meanAbs: 0 };
          record.meanAbs += value / seeds;
          sums.set(key, record);
        });
        if (step === steps) break;
        const { value, grads } = valueAndGrads(() => model.loss(ids), opt.parameters);
        opt.step(grads);
        dispose([value, grads]);
      }
      opt.dispose();
      model.dispose();
      ids.dispose();
    }
  }
  return [...sums.values()];
}
