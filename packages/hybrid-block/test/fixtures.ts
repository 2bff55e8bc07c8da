/** The repository's golden fixtures (tests/fixtures) and a reader for their golden tensors. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, storageToValues } from '@falcon-h1/core-tensor';

export const FIXTURES_DIR = fileURLToPath(new URL('../../../tests/fixtures/', import.meta.url));

export function fixtureDir(name: string): string {
  return `${FIXTURES_DIR}${name}`;
}

export interface GoldenTensor {
  shape: number[];
  values: ArrayLike<number>;
}

/** Every tensor of `<fixture>/golden.safetensors`, values widened to numbers. */
export function readGolden(name: string, file = 'golden.safetensors'): Map<string, GoldenTensor> {
  const parsed = parseSafetensors(readFileSync(`${fixtureDir(name)}/${file}`));
  const out = new Map<string, GoldenTensor>();
  for (const [key, entry] of parsed.tensors) {
    out.set(key, { shape: entry.shape, values: storageToValues(entry.storage(), entry.dtype) as ArrayLike<number> });
  }
  return out;
}

/** ‖got − want‖ / ‖want‖ (NaN anywhere gives Infinity). */
export function relL2(got: ArrayLike<number> | ArrayLike<bigint>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} ≠ ${want.length}`);
  let d2 = 0;
  let w2 = 0;
  for (let i = 0; i < got.length; i++) {
    const g = Number(got[i]);
    const w = Number(want[i]);
    if (Number.isNaN(g) || Number.isNaN(w)) return Number.POSITIVE_INFINITY;
    d2 += (g - w) ** 2;
    w2 += w * w;
  }
  return Math.sqrt(d2) / Math.max(Math.sqrt(w2), 1e-300);
}
