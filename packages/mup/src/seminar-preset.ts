/**
 * What the reference notes give of the seminar's 10-stage μP table (falcon-h1-reference.md §5), and nothing more.
 *
 * Known: the table has 35 multipliers tuned in 10 stages; its entries are log2 values; the tuned forward entries
 * are the published 0.5B config's multipliers (the notes check 2^2.5 = 5.657 embedding, 2^−1.5 z/B/dt, 2^−2 x,
 * 2^−1 C against it); every stage's base weight decay is 0.1 and base batch 4M tokens (16M in the last stage); each
 * stage has its own WSD schedule (warm-up, constant, decay).
 *
 * NOT in the notes, so not here (left for a user to fill, see README "The seminar's table"): the per-stage
 * learning-rate and weight-decay multiplier values of each group, the per-stage forward values before the final
 * ones, the base learning rate of each stage, the lengths of each stage's WSD phases, and how the 35 multipliers
 * split between the three kinds. The preset's `lr` and `wd` sections are therefore empty (every multiplier 1).
 *
 * "4M tokens" is read as 4·2^20 = 4,194,304 tokens (256 sequences of the seminar's 16K = 16,384-token pretraining
 * length, §7), "16M" as 4× that.
 */
import { falconH1Preset } from '@falcon-h1/hybrid-block';
import { forwardTableFromConfig, type MupTable } from './multiplier-table.js';

/** The tuned forward multipliers (log2, from the published 0.5B config), no lr/wd values (not published). */
export function seminarMupTable(): MupTable {
  return { forward: forwardTableFromConfig(falconH1Preset('0.5B').config), lr: {}, wd: {} };
}

export interface SeminarStage {
  /** 1 … 10. */
  readonly stage: number;
  /** Base (decoupled) weight decay of the stage. */
  readonly weightDecay: number;
  /** Batch size in tokens. */
  readonly batchTokens: number;
  /** The stage's table: the final forward values; lr/wd sections empty (see the file comment). */
  readonly table: MupTable;
}

export const SEMINAR_STAGE_COUNT = 10;
const BATCH_4M = 4 * 2 ** 20;

/** The 10 stages with the values the notes give (weight decay 0.1; batch 4M tokens, 16M in the last). */
export function seminarStages(): SeminarStage[] {
  return Array.from({ length: SEMINAR_STAGE_COUNT }, (_, i) => ({
    stage: i + 1,
    weightDecay: 0.1,
    batchTokens: i === SEMINAR_STAGE_COUNT - 1 ? 4 * BATCH_4M : BATCH_4M,
    table: seminarMupTable(),
  }));
}
