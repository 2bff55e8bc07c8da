/** The parameters of layer i (by Hugging Face name), or those of its modules under some name prefixes. */
import type { Variable } from '@falcon-h1/core-tensor';

export function layerParameters(
  parameters: ReadonlyMap<string, Variable>,
  layer: number,
  within: readonly string[] = [''],
): Variable[] {
  const prefixes = within.map((p) => `model.layers.${layer}.${p}`);
  return [...parameters].filter(([name]) => prefixes.some((p) => name.startsWith(p))).map(([, p]) => p);
}
