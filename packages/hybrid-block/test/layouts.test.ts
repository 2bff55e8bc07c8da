/**
 * The three block layouts, each against its defining equation written with the layer's own sub-modules
 * (float64, random weights), and each with exactly the norms it uses.
 *   SA_M:  n = in(h);  h' = h + S(n) + A(n);  out = h' + M(ff(h'))
 *   SAM:   n = in(h);  out = h + S(n) + A(n) + M(n)
 *   S_A_M: h1 = h + S(in(h));  h2 = h1 + A(attn(h1));  out = h2 + M(ff(h2))
 * with S(x) = ssm_out·mamba(x) and A(x) = attn_out·self_attn(attn_in·x).
 */
import '@falcon-h1/backend-reference';
import { add, scale, type Tensor, tensor, tidy } from '@falcon-h1/core-tensor';
import { describe, expect, it } from 'vitest';
import {
  type BlockLayout,
  decoderLayerParameterShapes,
  FalconH1DecoderLayer,
  parameterProvider,
  parseFalconH1Config,
  randomFalconH1Parameters,
} from '../src/index.js';
import { relL2 } from './fixtures.js';

function layerFor(layout: BlockLayout) {
  const config = parseFalconH1Config({
    vocab_size: 20,
    hidden_size: 12,
    intermediate_size: 20,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 6,
    mamba_d_ssm: 8,
    mamba_n_heads: 2,
    mamba_d_head: 4,
    mamba_d_state: 3,
    mamba_chunk_size: 3,
    mamba_rms_norm: true,
    key_multiplier: 0.7,
    attention_in_multiplier: 0.8,
    attention_out_multiplier: 1.3,
    ssm_in_multiplier: 1.1,
    ssm_out_multiplier: 0.6,
    mlp_multipliers: [0.9, 1.2],
    block_layout: layout,
  });
  const parameters = randomFalconH1Parameters(config, { seed: 11, dtype: 'f64' });
  const provide = parameterProvider(parameters, new Set());
  const layer = new FalconH1DecoderLayer(config, (name, shape) => provide(`model.layers.0.${name}`, shape));
  return { config, layer, parameters };
}

const S = (layer: FalconH1DecoderLayer, x: Tensor): Tensor =>
  scale(layer.mamba.forward(x).out, layer.ssm_out_multiplier);
const A = (layer: FalconH1DecoderLayer, x: Tensor, positions: Tensor): Tensor =>
  scale(layer.self_attn.forward(scale(x, layer.attention_in_multiplier), { positions }), layer.attn_out_multiplier);

describe('block layouts', () => {
  const [b, t, d] = [2, 5, 12];
  const h0 = Float64Array.from({ length: b * t * d }, (_, i) => Math.sin(i * 1.3) * 0.8);
  const pos = Array.from({ length: b * t }, (_, i) => i % t);

  const equations: Record<BlockLayout, (layer: FalconH1DecoderLayer, h: Tensor, positions: Tensor) => Tensor> = {
    SA_M: (layer, h, positions) => {
      const n = layer.input_layernorm.forward(h);
      const mixed = add(h, add(S(layer, n), A(layer, n, positions)));
      return add(mixed, layer.feed_forward.forward(layer.pre_ff_layernorm!.forward(mixed)));
    },
    SAM: (layer, h, positions) => {
      const n = layer.input_layernorm.forward(h);
      return add(h, add(add(S(layer, n), A(layer, n, positions)), layer.feed_forward.forward(n)));
    },
    S_A_M: (layer, h, positions) => {
      const h1 = add(h, S(layer, layer.input_layernorm.forward(h)));
      const h2 = add(h1, A(layer, layer.pre_attn_layernorm!.forward(h1), positions));
      return add(h2, layer.feed_forward.forward(layer.pre_ff_layernorm!.forward(h2)));
    },
  };

  for (const layout of ['SA_M', 'SAM', 'S_A_M'] as const) {
    it(`${layout} computes its defining equation`, () => {
      const { layer, parameters } = layerFor(layout);
      tidy(() => {
        const h = tensor(h0, [b, t, d], 'f64');
        const positions = tensor(pos, [b, t], 'i32');
        const got = layer.forward(h, { positions }).dataSync() as Float64Array;
        const want = equations[layout](layer, h, positions).dataSync() as Float64Array;
        expect(relL2(got, want)).toBeLessThan(1e-14);
        // The layouts really differ.
        for (const other of ['SA_M', 'SAM', 'S_A_M'] as const) {
          if (other === layout || (other === 'S_A_M' && !layer.pre_attn_layernorm)) continue;
          if (other !== 'SAM' && !layer.pre_ff_layernorm) continue;
          expect(relL2(equations[other](layer, h, positions).dataSync() as Float64Array, want)).toBeGreaterThan(1e-3);
        }
      });
      for (const p of parameters.values()) p.dispose();
    });
  }

  it('each layout has exactly the norms it uses', () => {
    const norms = (layout: BlockLayout) =>
      decoderLayerParameterShapes(layerFor(layout).config)
        .map((s) => s.name)
        .filter((n) => n.endsWith('layernorm.weight'));
    expect(norms('SA_M')).toEqual(['input_layernorm.weight', 'pre_ff_layernorm.weight']);
    expect(norms('SAM')).toEqual(['input_layernorm.weight']);
    expect(norms('S_A_M')).toEqual(['input_layernorm.weight', 'pre_attn_layernorm.weight', 'pre_ff_layernorm.weight']);
  });
});
