/**
 * Checks Falcon-H1 on one backend against a golden fixture folder: loads the model from the folder (its own
 * config.json and safetensors), runs it, and compares with what transformers computed. One result row per
 * checked tensor, in the suite's CaseResult shape:
 *   <fixture> logits <dtype>                 relative L2 ≤ the dtype's tolerance (f32 1e-5, bf16 1e-2)
 *   <fixture> hidden_states.K <dtype>        every hidden state, the same bound
 *   <fixture> loss <dtype>                   |got − want| / |want| ≤ 1e-6 in f32 (the dtype's bound otherwise)
 *   <fixture> generate <dtype>               greedy tokens (prefill + cached decode) identical, f32/f64 only
 *   <fixture> generate (static decoder, …)    the captured-graph (or eager) fixed-shape decode = generate(), f32/f64
 *   <fixture> logits (captured forward, …)   backends with graphs, one document per row: the forward captured and
 *                                             replayed on the fixture's ids (captured-forward.ts), the logits' bound
 *   <fixture> grad.<parameter> <dtype>       every parameter's gradient (golden.grads), ≤ 1e-4 in f32, f32/f64 only
 * A packed fixture (golden `seq_idx`) gives two rows: its logits from ONE packed forward against the logits every
 * document gets alone, and (f32/f64) the packed batch's gradients against its documents' (check-gradients.ts). NaN never passes; a leaked tensor fails every row of the fixture.
 */
import {
  type Backend,
  canCaptureGraphs,
  dispose,
  memory,
  type Tensor,
  tensor,
  tidy,
  useBackend,
} from '@falcon-h1/core-tensor';
import {
  type ComputeDType,
  type FalconH1ForCausalLM,
  generate,
  loadFalconH1,
  StaticDecoder,
} from '@falcon-h1/hybrid-block';
import { compareValues, TOLERANCE } from '../compare.js';
import type { CaseResult, FloatDType } from '../run-case.js';
import { capturedForwardLogits } from './captured-forward.js';
import { checkGradients, checkPackedGradients } from './check-gradients.js';
import { type GoldenFixture, type GoldenTensor, readGoldenFixture } from './golden-fixture.js';

/** The kernel column of fixture rows. */
export const FIXTURE_KERNEL = 'FalconH1ForCausalLM';
/** The loss bound of an f32 (or f64) run, from issue #3. */
export const LOSS_TOLERANCE_F32 = 1e-6;

export interface FixtureCheckOptions {
  backend: Backend;
  /** Default f32. */
  dtype?: FloatDType;
  onResult?(result: CaseResult): void;
}

function row(
  fixture: GoldenFixture,
  what: string,
  dtype: FloatDType,
  fields: Pick<CaseResult, 'relL2' | 'maxRelError' | 'tolerance' | 'ms'> & { problem?: string },
): CaseResult {
  const pass = fields.problem === undefined && fields.relL2 <= fields.tolerance;
  const error =
    fields.problem ?? (pass ? undefined : `relative error ${fields.relL2.toExponential(2)} > ${fields.tolerance}`);
  return {
    name: `${fixture.name} ${what} ${dtype}`,
    kernel: FIXTURE_KERNEL,
    dtype,
    direction: 'forward',
    mode: 'native',
    path: 'native',
    pass,
    maxRelError: fields.maxRelError,
    relL2: fields.relL2,
    tolerance: fields.tolerance,
    ms: fields.ms,
    ...(error ? { error } : {}),
  };
}

function compareTensor(
  fixture: GoldenFixture,
  what: string,
  dtype: FloatDType,
  got: ArrayLike<number>,
  want: GoldenTensor,
  ms: number,
): CaseResult {
  const cmp = compareValues(got, want.values, false);
  return row(fixture, what, dtype, {
    relL2: cmp.relL2,
    maxRelError: cmp.maxRelError,
    tolerance: TOLERANCE[dtype],
    ms,
    problem: cmp.problem,
  });
}

function idsTensor(t: GoldenTensor, backend: Backend): Tensor {
  return tensor(t.values, t.shape, 'i32', backend);
}

async function checkForward(
  model: FalconH1ForCausalLM,
  fixture: GoldenFixture,
  dtype: FloatDType,
  backend: Backend,
): Promise<CaseResult[]> {
  const started = performance.now();
  const packed = fixture.seqIdx !== undefined;
  const output = tidy(() =>
    model.forward(idsTensor(fixture.inputIds, backend), {
      seqIdx: fixture.seqIdx?.values,
      outputHiddenStates: !packed,
    }),
  );
  try {
    const logits = await output.logits.data();
    const ms = performance.now() - started;
    const results = [
      compareTensor(
        fixture,
        packed ? 'logits (packed documents)' : 'logits',
        dtype,
        logits as ArrayLike<number>,
        fixture.logits,
        ms,
      ),
    ];
    if (packed) return results;
    const got = output.hiddenStates ?? [];
    if (got.length !== fixture.hiddenStates.length) {
      results.push(
        row(fixture, 'hidden_states', dtype, {
          relL2: Infinity,
          maxRelError: Infinity,
          tolerance: TOLERANCE[dtype],
          ms: 0,
          problem: `the model returned ${got.length} hidden states, the golden has ${fixture.hiddenStates.length}`,
        }),
      );
    }
    for (let k = 0; k < Math.min(got.length, fixture.hiddenStates.length); k++) {
      results.push(
        compareTensor(
          fixture,
          `hidden_states.${k}`,
          dtype,
          (await got[k]!.data()) as ArrayLike<number>,
          fixture.hiddenStates[k]!,
          0,
        ),
      );
    }
    return results;
  } finally {
    dispose(output);
  }
}

async function checkLoss(
  model: FalconH1ForCausalLM,
  fixture: GoldenFixture,
  dtype: FloatDType,
  backend: Backend,
): Promise<CaseResult> {
  const want = fixture.loss!;
  const started = performance.now();
  const loss = tidy(() => model.loss(idsTensor(fixture.inputIds, backend)));
  const got = Number((await loss.data())[0]);
  loss.dispose();
  const error = Math.abs(got - want) / Math.max(Math.abs(want), 1e-300);
  const tolerance = dtype === 'f32' || dtype === 'f64' ? LOSS_TOLERANCE_F32 : TOLERANCE[dtype];
  return row(fixture, 'loss', dtype, {
    relL2: Number.isNaN(error) ? Infinity : error,
    maxRelError: Number.isNaN(error) ? Infinity : error,
    tolerance,
    ms: performance.now() - started,
    problem: Number.isNaN(got) ? `loss is NaN (want ${want})` : undefined,
  });
}

async function checkGenerate(
  model: FalconH1ForCausalLM,
  fixture: GoldenFixture,
  dtype: FloatDType,
): Promise<CaseResult> {
  const { promptLength, outputIds } = fixture.generate!;
  const [batch, width] = outputIds.shape as [number, number];
  const newTokens = width - promptLength;
  const rows = Array.from({ length: batch }, (_, b) =>
    Array.from(outputIds.values)
      .slice(b * width, (b + 1) * width)
      .map(Number),
  );
  const started = performance.now();
  // transformers' generate call: greedy, min_new_tokens = max_new_tokens (eos forbidden throughout).
  const result = await generate(
    model,
    rows.map((r) => r.slice(0, promptLength)),
    { maxNewTokens: newTokens, minNewTokens: newTokens },
  );
  const ms = performance.now() - started;
  const mismatches: string[] = [];
  let wrong = 0;
  rows.forEach((r, b) => {
    const want = r.slice(promptLength);
    const got = result.sequences[b]!;
    const first = want.findIndex((token, i) => got[i] !== token);
    if (first >= 0 || got.length !== want.length) {
      wrong++;
      mismatches.push(`row ${b}: got [${got.join(', ')}], want [${want.join(', ')}]`);
    }
  });
  const fraction = wrong / batch;
  return row(fixture, 'generate', dtype, {
    relL2: fraction,
    maxRelError: fraction,
    tolerance: 0,
    ms,
    problem: mismatches.length ? `greedy tokens differ: ${mismatches.join('; ')}` : undefined,
  });
}

/**
 * The static decoder (fixed-shape step, replayed from a captured graph where the backend captures graphs) against
 * `generate()` on the same backend, which the `generate` row certifies against transformers: identical greedy tokens
 * from the golden prompts (no stop token on either side).
 */
async function checkStaticDecoder(
  model: FalconH1ForCausalLM,
  fixture: GoldenFixture,
  dtype: FloatDType,
  backend: Backend,
): Promise<CaseResult> {
  const { promptLength, outputIds } = fixture.generate!;
  const [batch, width] = outputIds.shape as [number, number];
  const newTokens = width - promptLength;
  const prompts = Array.from({ length: batch }, (_, b) =>
    Array.from(outputIds.values)
      .slice(b * width, b * width + promptLength)
      .map(Number),
  );
  const captures = canCaptureGraphs(backend);
  const started = performance.now();
  const want = await generate(model, prompts, { maxNewTokens: newTokens, stopTokens: [] });
  const decoder = new StaticDecoder(model, prompts, { maxLength: promptLength + newTokens + 1 });
  const got: number[][] = prompts.map(() => []);
  try {
    const push = (ids: ArrayLike<number>): void => {
      for (let b = 0; b < batch; b++) got[b]!.push(Number(ids[b]));
    };
    push((await decoder.nextTokens.data()) as Int32Array);
    for (let i = 1; i < newTokens; i++) push((await decoder.step().tokens.data()) as Int32Array);
  } finally {
    decoder.dispose();
  }
  const mismatches = got
    .map((row, b) =>
      JSON.stringify(row) === JSON.stringify(want.sequences[b])
        ? ''
        : `row ${b}: got [${row}], want [${want.sequences[b]}]`,
    )
    .filter(Boolean);
  const fraction = mismatches.length / batch;
  return row(fixture, `generate (static decoder, ${captures ? 'graph replay' : 'eager'})`, dtype, {
    relL2: fraction,
    maxRelError: fraction,
    tolerance: 0,
    ms: performance.now() - started,
    problem: mismatches.length ? `tokens differ from generate(): ${mismatches.join('; ')}` : undefined,
  });
}

/** Runs every check of one fixture folder on `backend`. */
export async function checkFixture(dir: string, options: FixtureCheckOptions): Promise<CaseResult[]> {
  const dtype = options.dtype ?? 'f32';
  const { backend } = options;
  const results: CaseResult[] = [];
  const emit = (r: CaseResult): void => {
    results.push(r);
    options.onResult?.(r);
  };
  let fixture: GoldenFixture;
  try {
    fixture = await readGoldenFixture(dir);
  } catch (error) {
    emit({
      name: `${dir} ${dtype}`,
      kernel: FIXTURE_KERNEL,
      dtype,
      direction: 'forward',
      mode: 'native',
      path: 'native',
      pass: false,
      maxRelError: Infinity,
      relL2: Infinity,
      tolerance: TOLERANCE[dtype],
      ms: 0,
      error: (error as Error).message,
    });
    return results;
  }
  await backend.synchronize?.();
  useBackend(backend);
  const before = memory().numTensors;
  let model: FalconH1ForCausalLM | undefined;
  /** The row of a check that threw. */
  const failed = (what: string, tolerance: number, error: unknown): CaseResult =>
    row(fixture, what, dtype, {
      relL2: Infinity,
      maxRelError: Infinity,
      tolerance,
      ms: 0,
      problem: (error as Error).message,
    });
  const fail = (what: string, error: unknown): void => emit(failed(what, TOLERANCE[dtype], error));
  try {
    model = await loadFalconH1(dir, { dtype: dtype as ComputeDType, backend });
  } catch (error) {
    fail('load', error);
    return results;
  }
  const own: CaseResult[] = [];
  const collect = (r: CaseResult): void => {
    own.push(r);
  };
  try {
    for (const r of await checkForward(model, fixture, dtype, backend)) collect(r);
  } catch (error) {
    own.push(failed('logits', TOLERANCE[dtype], error));
  }
  if (canCaptureGraphs(backend) && !fixture.seqIdx) {
    const what = 'logits (captured forward, graph replay)';
    try {
      const { logits, ms } = await capturedForwardLogits(model, fixture.inputIds, backend);
      collect(compareTensor(fixture, what, dtype, logits, fixture.logits, ms));
    } catch (error) {
      own.push(failed(what, TOLERANCE[dtype], error));
    }
  }
  if (fixture.loss !== undefined && !fixture.seqIdx) {
    try {
      collect(await checkLoss(model, fixture, dtype, backend));
    } catch (error) {
      own.push(failed('loss', LOSS_TOLERANCE_F32, error));
    }
  }
  // Greedy decoding is decided by logit differences far below 16-bit rounding: checked in f32/f64 runs only.
  if (fixture.generate && (dtype === 'f32' || dtype === 'f64')) {
    try {
      collect(await checkGenerate(model, fixture, dtype));
    } catch (error) {
      own.push(failed('generate', 0, error));
    }
  }
  if (fixture.generate && (dtype === 'f32' || dtype === 'f64')) {
    try {
      collect(await checkStaticDecoder(model, fixture, dtype, backend));
    } catch (error) {
      own.push(failed('generate (static decoder)', 0, error));
    }
  }
  if (dtype === 'f32' || dtype === 'f64') {
    const gradientRow = (
      what: string,
      fields: Pick<CaseResult, 'relL2' | 'maxRelError' | 'tolerance' | 'ms'> & { problem?: string },
    ): CaseResult => ({ ...row(fixture, what, dtype, fields), direction: 'backward' });
    try {
      if (fixture.seqIdx) collect(await checkPackedGradients(model, fixture, dtype, backend, gradientRow));
      else if (fixture.grads) {
        for (const r of await checkGradients(model, fixture, fixture.grads, dtype, backend, gradientRow)) collect(r);
      }
    } catch (error) {
      own.push(
        gradientRow('gradients', {
          relL2: Infinity,
          maxRelError: Infinity,
          tolerance: TOLERANCE[dtype],
          ms: 0,
          problem: (error as Error).message,
        }),
      );
    }
  }
  model.dispose();
  const leaked = memory().numTensors - before;
  for (const r of own) {
    if (leaked !== 0) {
      r.pass = false;
      r.error = `${r.error ? `${r.error}; ` : ''}leaked ${leaked} tensors`;
    }
    emit(r);
  }
  return results;
}
