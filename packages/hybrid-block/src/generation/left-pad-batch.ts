/**
 * A batch of prompts of different lengths as one [B, T] call: each row is left-padded to the longest prompt, and
 * document ids put the padding in a document of its own (id 0) and the prompt in the next (id 1). The model then
 * treats a padded row exactly like the prompt alone: the SSM state restarts at the prompt, the conv never reads
 * the padding, attention is block-diagonal and RoPE positions start at 0 at the prompt's first token. Decoding
 * continues document 1 of every row. (transformers instead masks padding with an attention mask and zeroes padded
 * hidden states before the SSM, which is only approximate for the conv and the SSM state.)
 */

export interface PaddedBatch {
  /** Row-major [B, T] token ids. */
  ids: Int32Array;
  /** Row-major [B, T] document ids, or undefined when every prompt has the longest length (no padding). */
  seqIdx: Int32Array | undefined;
  batch: number;
  length: number;
}

export function leftPadBatch(prompts: readonly (readonly number[])[], padTokenId: number): PaddedBatch {
  if (prompts.length === 0) throw new Error('no prompts');
  const length = Math.max(...prompts.map((p) => p.length));
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`prompt ${i} is empty: every prompt needs at least one token`);
  });
  const batch = prompts.length;
  const ids = new Int32Array(batch * length);
  const padded = prompts.some((p) => p.length !== length);
  const seqIdx = padded ? new Int32Array(batch * length) : undefined;
  prompts.forEach((prompt, b) => {
    const pad = length - prompt.length;
    ids.fill(padTokenId, b * length, b * length + pad);
    ids.set(prompt, b * length + pad);
    seqIdx?.fill(1, b * length + pad, (b + 1) * length);
  });
  return { ids, seqIdx, batch, length };
}
