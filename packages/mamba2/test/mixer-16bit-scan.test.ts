/**
 * The bf16 prefill/training path: forward() hands ssmScan x, B and C in the activations' 16-bit dtype (no cast of the
 * conv output) with f32 dt, A, D and state, and differentiates through it — natively (SsmScan/SsmScanGrad) and
 * through core's composition. Checked against the f64 mixer on the same (bf16-valued) weights, with a partial chunk,
 * B > 1, document boundaries and an initial state. A recording wrapper around the reference backend notes the dtypes
 * the scan kernels receive (the reference kernels still compute everything).
 */
import { createReferenceBackend } from '@falcon-h1/backend-reference/base';
import {
  type Backend,
  cast,
  type DType,
  dispose,
  memory,
  noGrad,
  setFallbackPolicy,
  type Tensor,
  tensor,
  tidy,
  useBackend,
  variable,
  vjp,
} from '@falcon-h1/core-tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, mixerOf, randomMixer, rng } from './random-mixer.js';
import { relL2 } from './rel-l2.js';

type SeenDTypes = Record<string, DType>;

/** The reference backend, with SsmScan and SsmScanGrad noting their inputs' dtypes before they run. */
function recordingReference(seen: Array<{ kernel: string; dtypes: SeenDTypes }>): Backend {
  const inner = createReferenceBackend();
  const note =
    (kernel: 'SsmScan' | 'SsmScanGrad') =>
    (inputs: Record<string, { dtype: DType } | undefined>, attrs: unknown): unknown => {
      const dtypes: SeenDTypes = {};
      for (const [key, value] of Object.entries(inputs)) if (value) dtypes[key] = value.dtype;
      seen.push({ kernel, dtypes });
      return (inner.kernels[kernel] as (i: unknown, a: unknown) => unknown)(inputs, attrs);
    };
  const kernels = { ...inner.kernels, SsmScan: note('SsmScan'), SsmScanGrad: note('SsmScanGrad') };
  // Everything else (buffers, supportsKernel, …) is the reference backend's own, through the prototype.
  return Object.create(inner, { kernels: { value: kernels } }) as Backend;
}

const values = (t: Tensor): Float64Array => Float64Array.from(t.dataSync() as ArrayLike<number>);

const config = { ...baseConfig, mamba_chunk_size: 5 };
const [b, t, d] = [2, 13, config.hidden_size]; // 13 tokens in chunks of 5: a partial last chunk
const documents = [
  [4, 1, 8], // boundaries inside chunk 0 and at 5 (between chunks), a one-token document
  [13],
];
const seq = documents.flatMap((lengths) => lengths.flatMap((len, i) => new Array<number>(len).fill(i)));

describe('FalconH1Mixer with 16-bit activations: 16-bit x/B/C into the scan', () => {
  const seen: Array<{ kernel: string; dtypes: SeenDTypes }> = [];
  // This file's only backend (nothing else is registered here).
  beforeAll(() => useBackend(recordingReference(seen)));
  afterAll(() => setFallbackPolicy('none'));

  for (const mode of ['native', 'composition'] as const) {
    it(`forward and backward within bf16 rounding of the f64 mixer (${mode} scan)`, () => {
      setFallbackPolicy(mode === 'composition' ? ['SsmScan'] : 'none');
      const low = randomMixer(config, 31, 'bf16');
      const byName = new Map(low.variables.map((v) => [v.name, v]));
      const wide = noGrad(() => mixerOf(config, (name) => variable(cast(byName.get(name)!, 'f64'), { name })));
      const next = rng(5);
      const u = Float64Array.from({ length: b * t * d }, () => 2 * next() - 1);
      const cotangent = Float64Array.from({ length: b * t * d }, () => 2 * next() - 1);
      const before = memory().numTensors;
      tidy(() => {
        // A state to start from: a short prefill of other tokens, in each precision.
        const prefix = Float64Array.from({ length: b * 3 * d }, () => 2 * next() - 1);
        const run = (mixer: typeof low.mixer, dtype: DType, params: readonly Tensor[]) => {
          const x = tensor(u, [b, t, d], dtype);
          const state = mixer.forward(tensor(prefix, [b, 3, d], dtype), { returnState: true }).state!;
          const seqIdx = tensor(seq, [b, t], 'i32');
          seen.length = 0;
          const result = vjp(
            () => {
              const forward = mixer.forward(x, { seqIdx, state, returnState: true });
              return { out: forward.out, ssmState: forward.state!.ssmState };
            },
            [x, ...params],
            (value) => ({ out: tensor(cotangent, [b, t, d], value.out.dtype) }),
          );
          return { result, x, state };
        };
        const want = run(wide.mixer, 'f64', wide.variables);
        const got = run(low.mixer, 'bf16', low.variables);

        // What the scan kernels were given (none in composition mode: the composition runs on primitives).
        const scans = seen.filter((s) => s.kernel === 'SsmScan');
        const grads = seen.filter((s) => s.kernel === 'SsmScanGrad');
        if (mode === 'native') {
          const scanDTypes = { x: 'bf16', Bm: 'bf16', Cm: 'bf16', dt: 'f32', A: 'f32', D: 'f32', initialState: 'f32' };
          expect(scans).toHaveLength(1);
          expect(scans[0]!.dtypes).toEqual({ ...scanDTypes, seqIdx: 'i32' });
          expect(grads).toHaveLength(1);
          expect(grads[0]!.dtypes).toEqual({ ...scanDTypes, seqIdx: 'i32', dy: 'f32' }); // y takes dt's dtype
        } else {
          expect(scans).toHaveLength(0);
          expect(grads).toHaveLength(0);
        }

        // Forward: the output and the final state.
        const { out, ssmState } = got.result.value;
        expect(out.dtype).toBe('bf16');
        expect(ssmState.dtype).toBe('f32');
        expect(relL2(values(out), values(want.result.value.out))).toBeLessThan(1e-2);
        expect(relL2(values(ssmState), values(want.result.value.ssmState))).toBeLessThan(1e-2);

        // Backward: d hidden and every parameter's gradient, each in its own dtype (bf16 here), within twice the bf16
        // tolerance, as the conformance suite's 16-bit scan cases (gradients sum long bf16 products: dt_bias's is
        // ~1.3e-2 off the f64 one, ~1.5e-2 when x/B/C were cast to f32 before the scan).
        const names = ['hidden', ...low.variables.map((v) => v.name)];
        got.result.grads.forEach((g, i) => {
          const source = i === 0 ? got.x : low.variables[i - 1]!;
          expect(g.dtype, names[i]).toBe(source.dtype);
          const error = relL2(values(g), values(want.result.grads[i]!));
          expect(error, `${names[i]}: relL2 ${error.toExponential(2)}`).toBeLessThan(2e-2);
        });
        dispose([got.result, want.result]);
      });
      expect(memory().numTensors).toBe(before);
      dispose([...low.variables, ...wide.variables]);
      setFallbackPolicy('none');
    });
  }
});
