/**
 * The two ends of the Falcon-H1 stack as tape segments — the scaled embedding and the language-model loss — shared
 * by every layout (pipeline parallelism puts them on the first and the last stage). The loss segment returns this
 * piece's share of the one-device loss: Σ cross-entropy over its counted positions / the whole batch's count, so
 * the ranks' shares add up to transformers' mean (and their gradients to its gradient).
 */
import { crossEntropy, gather, linear, reshape, scale, sum, type Tensor, type Variable } from '@falcon-h1/core-tensor';
import { type FalconH1ForCausalLM, FalconH1RMSNorm, IGNORE_INDEX } from '@falcon-h1/hybrid-block';
import type { SegmentTape } from '../autograd/segment-tape.js';
import type { TokenBatch } from './token-batch.js';

export interface CausalLmEnds {
  readonly embedTokens: Variable;
  readonly embeddingMultiplier: number;
  readonly finalLayernorm: FalconH1RMSNorm;
  readonly lmHead: Variable;
  readonly lmHeadMultiplier: number;
}

/** The ends of a built model. */
export function causalLmEnds(model: FalconH1ForCausalLM): CausalLmEnds {
  return {
    embedTokens: model.model.embed_tokens.weight,
    embeddingMultiplier: model.model.embedding_multiplier,
    finalLayernorm: model.model.final_layernorm,
    lmHead: model.lm_head.weight,
    lmHeadMultiplier: model.lm_head_multiplier,
  };
}

/** The ends from parameters by Hugging Face name (for layouts that build their layers themselves). */
export function causalLmEndsFrom(
  parameters: ReadonlyMap<string, Variable>,
  config: Pick<FalconH1ForCausalLM['config'], 'embedding_multiplier' | 'lm_head_multiplier' | 'rms_norm_eps'>,
): CausalLmEnds {
  const get = (name: string): Variable => {
    const p = parameters.get(name);
    if (!p) throw new Error(`missing parameter '${name}'`);
    return p;
  };
  return {
    embedTokens: get('model.embed_tokens.weight'),
    embeddingMultiplier: config.embedding_multiplier,
    finalLayernorm: new FalconH1RMSNorm(get('model.final_layernorm.weight'), config.rms_norm_eps),
    lmHead: get('lm_head.weight'),
    lmHeadMultiplier: config.lm_head_multiplier,
  };
}

/** h = embed_tokens(ids) · embedding_multiplier. */
export function embeddingSegment(tape: SegmentTape, ends: CausalLmEnds, batch: TokenBatch): Tensor {
  const [h] = tape.segment(
    ([ids]) => [scale(gather(ends.embedTokens, ids!), ends.embeddingMultiplier)],
    [batch.ids],
    [ends.embedTokens],
  );
  return h!;
}

/** This piece's share of the loss, from the last hidden states h [B, T, D] (before the final norm). */
export function lossSegment(tape: SegmentTape, ends: CausalLmEnds, h: Tensor, batch: TokenBatch): Tensor {
  const [loss] = tape.segment(
    ([hidden, labels]) => {
      const [b, t, d] = hidden!.shape as [number, number, number];
      const normed = ends.finalLayernorm.forward(reshape(hidden!, [b * t, d]));
      const logits = scale(linear(normed, ends.lmHead), ends.lmHeadMultiplier);
      const losses = crossEntropy(logits, reshape(labels!, [b * t]), IGNORE_INDEX);
      return [scale(sum(losses), 1 / batch.countedTokens)];
    },
    [h, batch.labels],
    [ends.finalLayernorm.weight, ends.lmHead],
  );
  return loss!;
}
