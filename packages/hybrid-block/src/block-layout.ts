/**
 * How a Falcon-H1 decoder layer arranges its three blocks (S = the Mamba2 mixer, A = attention, M = the MLP), the
 * seminar's names. Falcon-H1 ships SA_M; the other two exist for ablations. With n(·) an RMSNorm of its own and
 * S(x) = ssm_out·Mamba2(x) (ssm_in inside), A(x) = attn_out·Attention(attn_in·x):
 *
 *   SA_M  (semi-parallel, published)   n = input_layernorm(h);  h' = h + S(n) + A(n);  out = h' + M(pre_ff_layernorm(h'))
 *   SAM   (fully parallel)             n = input_layernorm(h);  out = h + S(n) + A(n) + M(n)
 *   S_A_M (fully sequential)           h1 = h + S(input_layernorm(h));  h2 = h1 + A(pre_attn_layernorm(h1));
 *                                      out = h2 + M(pre_ff_layernorm(h2))
 *
 * Each layout has exactly the norms it uses: SAM has no pre_ff_layernorm, S_A_M adds `pre_attn_layernorm` (a name
 * of this project; transformers only knows SA_M).
 */
export type BlockLayout = 'SA_M' | 'SAM' | 'S_A_M';

export const BLOCK_LAYOUTS: readonly BlockLayout[] = ['SA_M', 'SAM', 'S_A_M'];

/** The RMSNorms of one layer under `layout`, by transformers-style name. */
export function layoutNorms(layout: BlockLayout): string[] {
  switch (layout) {
    case 'SA_M':
      return ['input_layernorm', 'pre_ff_layernorm'];
    case 'SAM':
      return ['input_layernorm'];
    case 'S_A_M':
      return ['input_layernorm', 'pre_attn_layernorm', 'pre_ff_layernorm'];
  }
}
