/**
 * The schema of a training config file (`falcon-h1 train --config run.json`), written with zod so that the type the
 * trainer reads and the checks a user's file gets are one declaration. Every object is strict: a misspelt key is an
 * error naming it, not a setting silently ignored. Every field is documented in apps/trainer/README.md; paths are
 * relative to the config file.
 */
import { FALCON_H1_SIZES } from '@falcon-h1/hybrid-block';
import { z } from 'zod';
import { BACKEND_NAMES } from '../backend/start-backend.js';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const nonNegative = z.number().nonnegative();
const fraction = z.number().min(0).max(1);

/** A Falcon-H1 shape: a published size or a Hugging Face config.json, with keys overridden. */
const shapeFields = {
  /** A published size (0.5B … 34B); `overrides` usually shrinks it. */
  preset: z.enum(FALCON_H1_SIZES as unknown as [string, ...string[]]).optional(),
  /** A Hugging Face config.json: a path, or the object itself. */
  config: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** Keys merged over the preset or config before it is parsed. */
  overrides: z.record(z.string(), z.unknown()).optional(),
};
const oneShape = {
  check: (m: { preset?: unknown; config?: unknown }) => (m.preset === undefined) !== (m.config === undefined),
  message: 'give exactly one of preset and config',
};

export const shapeSection = z.strictObject(shapeFields).refine(oneShape.check, { message: oneShape.message });

export const modelSection = z
  .strictObject({
    ...shapeFields,
    /** Seed of the parameter initialisation. */
    seed: nonNegativeInt.default(0),
  })
  .refine(oneShape.check, { message: oneShape.message });

export const sourceSection = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(['text', 'jsonl', 'shards']),
  paths: z.array(z.string().min(1)).min(1),
  field: z.string().min(1).optional(),
  textSplit: z.enum(['file', 'blank-line', 'line']).optional(),
  shuffle: z.boolean().optional(),
  maxEpochs: positiveInt.optional(),
});

const weights = z.record(z.string(), nonNegative);

export const dataSection = z.strictObject({
  sources: z.array(sourceSection).min(1),
  /** Token proportions by source name at the first step and (optionally) the last; equal when absent. */
  mixture: z
    .strictObject({ start: weights, end: weights.optional(), shape: z.enum(['linear', 'cosine']).default('linear') })
    .optional(),
  /** Tokens per row (the sequence length). */
  seqLen: z.number().int().min(2),
  /** Seed of the per-epoch document shuffle. */
  seed: nonNegativeInt.default(0),
  /** Frame every document with the model's BOS and EOS ids. */
  bos: z.boolean().default(true),
  eos: z.boolean().default(true),
  /** Bad input (broken UTF-8 or JSONL line): 'skip' reports and leaves it out, 'refuse' stops the run. */
  onBadInput: z.enum(['skip', 'refuse']).default('skip'),
});

export const evalSection = z.strictObject({
  /** The held-out split: sources never trained on. */
  sources: z.array(sourceSection).min(1),
  /** Evaluate every N steps (and after the last). */
  every: positiveInt,
  /** Held-out batches per evaluation (the same ones every time). */
  batches: positiveInt.default(2),
  /** Rows per held-out batch; default batch.microRows. */
  rows: positiveInt.optional(),
});

export const optimizerSection = z.strictObject({
  /** The peak learning rate (each μP group multiplies it). */
  lr: z.number().positive(),
  weightDecay: nonNegative.default(0),
  betas: z.tuple([fraction, fraction]).default([0.9, 0.95]),
  eps: z.number().positive().default(1e-8),
  /** Global gradient-norm clipping (0: off). */
  clipGradNorm: nonNegative.default(1),
});

export const scheduleSection = z.strictObject({
  /** Warmup-stable-decay (@falcon-h1/mup's wsd): linear warmup, constant, then decay over the last decaySteps. */
  warmupSteps: nonNegativeInt.default(0),
  decaySteps: nonNegativeInt.default(0),
  decay: z.enum(['linear', 'cosine', '1-sqrt']).default('linear'),
  /** Warmup starts at startFactor·lr; decay ends at floorFactor·lr. */
  startFactor: fraction.default(0),
  floorFactor: fraction.default(0),
});

export const batchSection = z.strictObject({
  /** Rows (sequences) per optimizer step (the final size when ramping). */
  rows: positiveInt,
  /** Rows per forward/backward pass; every batch size must be a multiple (gradient accumulation). Default: rows. */
  microRows: positiveInt.optional(),
  /** Batch-size ramp (@falcon-h1/mup): from startRows up to rows in steps of incrementRows over `tokens` tokens. */
  ramp: z.strictObject({ startRows: positiveInt, incrementRows: positiveInt, tokens: nonNegative }).optional(),
  /**
   * Recompute decoder layers' activations in the backward pass instead of keeping them (memory for time; the same
   * gradients): true for every layer, a number n for the first n only (the others keep theirs), false for none.
   */
  gradientCheckpointing: z.union([z.boolean(), nonNegativeInt]).default(false),
});

/**
 * Data parallelism, used when the process runs in a group (`falcon-h1 launch` sets RANK, WORLD_SIZE, …): every rank
 * holds the whole model and trains on its share of the rows of each global batch (the same batches as one process).
 */
export const dataParallelSection = z.strictObject({
  /** Gradient values per all-reduce bucket; a full bucket is reduced while the backward pass goes on. 2²² f32 = 16 MB. */
  bucketElements: positiveInt.default(1 << 22),
  /**
   * ZeRO-1: shard AdamW's state (f32 master slice + two moments) over the ranks — optimizer memory per rank ÷
   * WORLD_SIZE — with gradients reduce-scattered and parameters all-gathered. Same updates as the replicated
   * optimizer, and the same checkpoint files: a run resumes with or without it, at any world size.
   */
  zero1: z.boolean().default(false),
});

/** The `mup.table` value naming @falcon-h1/mup's seminar preset. */
export const SEMINAR_TABLE = 'seminar';

export const mupSection = z.strictObject({
  /** log2 multiplier table: "seminar" (the 10-stage preset), a path to a table JSON, or the table itself. */
  table: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** The base shape for μP width scaling of learning rates and initialisation. */
  base: shapeSection.optional(),
});

export const trainConfigSchema = z.strictObject({
  /** The run directory: checkpoints/, metrics.jsonl, loss-curve.svg. */
  out: z.string().min(1),
  backend: z.enum(BACKEND_NAMES).default('auto'),
  /** Seed of the trainer's own random stream (sample generation). */
  seed: nonNegativeInt.default(0),
  model: modelSection,
  /** tokenizer.json: encodes text and JSONL sources and decodes samples. */
  tokenizer: z.string().min(1),
  data: dataSection,
  eval: evalSection.optional(),
  /** Optimizer steps of the whole run. */
  steps: positiveInt,
  batch: batchSection,
  optimizer: optimizerSection,
  schedule: scheduleSection.prefault({}),
  mup: mupSection.optional(),
  dataParallel: dataParallelSection.prefault({}),
  checkpoint: z.strictObject({ every: positiveInt, keep: positiveInt.default(2) }),
  /** Without a terminal, print the progress line every N steps. */
  log: z.strictObject({ every: positiveInt.default(10) }).prefault({}),
  /** A text generated from the model (every N steps when `every` is set, and from the final checkpoint). */
  sample: z
    .strictObject({
      prompt: z.string(),
      maxTokens: positiveInt.default(48),
      temperature: nonNegative.default(0.8),
      topK: positiveInt.optional(),
      every: positiveInt.optional(),
    })
    .optional(),
});

/** A parsed config, defaults filled in. */
export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type ModelSection = z.infer<typeof modelSection>;
export type ShapeSection = z.infer<typeof shapeSection>;
export type SourceSection = z.infer<typeof sourceSection>;
