/**
 * Runs `train-rank.ts` as every rank of an in-process world of worker threads. Workers cannot load TypeScript, so
 * the entry — and through it the sources of every workspace package, by the `@falcon-h1/source` condition — is
 * bundled once with esbuild into an ES module in a temporary directory: no build first, the sources under test run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchThreadWorld } from '@falcon-h1/parallelism/threads';
import { bundleSources } from '../../scripts/bundle-sources.mjs';
import type { TrainRunResult } from '../../src/index.js';
import type { TrainRankInput } from './train-rank.js';

let bundled: Promise<string> | undefined;

function bundle(): Promise<string> {
  bundled ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'falcon-trainer-world-')), 'train-rank.mjs');
    await bundleSources(fileURLToPath(new URL('./train-rank.ts', import.meta.url)), outfile);
    return outfile;
  })();
  return bundled;
}

export type RankResult = TrainRunResult & { leakedTensors: number };

/** Every rank's result of training `configFile` data-parallel over `worldSize` threads. */
export async function trainInWorld(worldSize: number, input: TrainRankInput): Promise<RankResult[]> {
  return launchThreadWorld<RankResult>({ worldSize, entry: await bundle(), input });
}
