/**
 * Every *Grad kernel against central finite differences of its forward kernel, in f64, on awkward shapes: odd
 * sizes, B > 1, G > 1, T not a multiple of chunkSize, document boundaries (with a one-token document), optional
 * inputs present and absent. Relative error ≤ 1e-6. Each check also asserts that it leaks no buffer.
 */
import type { TensorInfo } from '@falcon-h1/core-tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../src/index.js';
import { checkGradient, dispose, expectGradientsMatch, f64, type GradCheck, i32, seededRandom } from './helpers.js';

const backend = createReferenceBackend();
const k = backend.kernels;

afterEach(() => {
  expect(backend.memory()).toEqual({ buffers: 0, bytes: 0 });
});

function gradCheck(check: GradCheck, seed = 1): void {
  expectGradientsMatch(checkGradient(backend, check, seed));
}

describe('SoftmaxGrad', () => {
  it('matches finite differences of Softmax', () => {
    const random = seededRandom(1);
    gradCheck({
      inputs: { x: f64(random, [3, 5], -2, 2) },
      wrt: ['x'],
      forward: (t) => [k.Softmax({ x: t.x }, {})],
      backward: (t, [dy]) => {
        const y = k.Softmax({ x: t.x }, {});
        const dx = k.SoftmaxGrad({ dy, y }, {});
        dispose(backend, y);
        return { x: dx };
      },
    });
  });
});

describe('RmsNormGrad', () => {
  it('matches finite differences of RmsNorm', () => {
    const random = seededRandom(2);
    gradCheck({
      inputs: { x: f64(random, [2, 3, 5]), weight: f64(random, [5], 0.5, 1.5) },
      wrt: ['x', 'weight'],
      forward: (t) => [k.RmsNorm({ x: t.x, weight: t.weight }, { eps: 1e-5 })],
      backward: (t, [dy]) => {
        const { dx, dweight } = k.RmsNormGrad({ dy, x: t.x, weight: t.weight }, { eps: 1e-5 });
        return { x: dx, weight: dweight };
      },
    });
  });
});

describe('RmsNormGatedGrad', () => {
  for (const normBeforeGate of [false, true]) {
    for (const groupSize of [3, 6]) {
      it(`matches finite differences (normBeforeGate ${normBeforeGate}, groupSize ${groupSize} of 6)`, () => {
        const random = seededRandom(3);
        const attrs = { eps: 1e-5, groupSize, normBeforeGate };
        gradCheck({
          inputs: { x: f64(random, [2, 3, 6]), z: f64(random, [2, 3, 6], -2, 2), weight: f64(random, [6], 0.5, 1.5) },
          wrt: ['x', 'z', 'weight'],
          forward: (t) => [k.RmsNormGated({ x: t.x, z: t.z, weight: t.weight }, attrs)],
          backward: (t, [dy]) => {
            const { dx, dz, dweight } = k.RmsNormGatedGrad({ dy, x: t.x, z: t.z, weight: t.weight }, attrs);
            return { x: dx, z: dz, weight: dweight };
          },
        });
      });
    }
  }
});

describe('Rope', () => {
  it('its gradient is Rope with inverse', () => {
    const random = seededRandom(4);
    gradCheck({
      inputs: { x: f64(random, [2, 3, 2, 6]), positions: i32([0, 1, 2, 5, 6, 40], [2, 3]) },
      wrt: ['x'],
      forward: (t) => [k.Rope({ x: t.x, positions: t.positions }, { theta: 10000, inverse: false })],
      backward: (t, [dy]) => ({ x: k.Rope({ x: dy, positions: t.positions }, { theta: 10000, inverse: true }) }),
    });
  });
});

describe('CausalConv1dGrad', () => {
  const [B, T, C, K] = [2, 7, 3, 4];
  const seqIdx = i32([0, 0, 0, 1, 2, 2, 2, /* row 1 */ 5, 5, 5, 5, 5, 6, 6], [B, T]); // doc 1 is one token

  const cases = [
    { name: 'bias, initialState, seqIdx, silu', bias: true, initialState: true, seqIdx: true, silu: true },
    { name: 'no optional input, no activation', bias: false, initialState: false, seqIdx: false, silu: false },
    { name: 'initialState without seqIdx, silu', bias: false, initialState: true, seqIdx: false, silu: true },
    { name: 'seqIdx without initialState, bias', bias: true, initialState: false, seqIdx: true, silu: false },
  ];
  for (const c of cases) {
    it(`matches finite differences (${c.name})`, () => {
      const random = seededRandom(5);
      const activation = c.silu ? 'silu' : 'none';
      const inputs: GradCheck['inputs'] = { x: f64(random, [B, T, C]), weight: f64(random, [C, K]) };
      if (c.bias) inputs.bias = f64(random, [C]);
      if (c.initialState) inputs.initialState = f64(random, [B, C, K - 1]);
      if (c.seqIdx) inputs.seqIdx = seqIdx;
      const convInputs = (t: Record<string, TensorInfo>) => ({
        x: t.x,
        weight: t.weight,
        bias: t.bias,
        initialState: t.initialState,
        seqIdx: t.seqIdx,
      });
      gradCheck({
        inputs,
        wrt: ['x', 'weight', ...(c.bias ? ['bias'] : []), ...(c.initialState ? ['initialState'] : [])],
        forward: (t) => [k.CausalConv1d(convInputs(t), { activation })],
        backward: (t, [dy]) => {
          const grads = k.CausalConv1dGrad({ dy, ...convInputs(t) }, { activation });
          expect(grads.dbias !== undefined).toBe(c.bias);
          expect(grads.dinitialState !== undefined).toBe(c.initialState);
          return { x: grads.dx, weight: grads.dweight, bias: grads.dbias, initialState: grads.dinitialState };
        },
      });
    });
  }
});

describe('SsmScanGrad', () => {
  const [B, T, H, P, G, N] = [2, 7, 4, 3, 2, 5];
  const seqIdx = i32([0, 0, 0, 1, 2, 2, 2, /* row 1 */ 3, 3, 3, 3, 4, 4, 4], [B, T]); // doc 1 is one token

  const cases = [
    { name: 'D, initialState, seqIdx, dFinalState', D: true, initialState: true, seqIdx: true, final: true, G },
    { name: 'nothing optional, loss on y only', D: false, initialState: false, seqIdx: false, final: false, G },
    { name: 'initialState, dFinalState, one group', D: true, initialState: true, seqIdx: false, final: true, G: 1 },
    { name: 'seqIdx, no initialState, dFinalState', D: false, initialState: false, seqIdx: true, final: true, G },
  ];
  for (const c of cases) {
    it(`matches finite differences (${c.name}; T=${T}, chunkSize 4)`, () => {
      const random = seededRandom(6);
      const inputs: GradCheck['inputs'] = {
        x: f64(random, [B, T, H, P]),
        dt: f64(random, [B, T, H], 0.05, 0.8),
        A: f64(random, [H], -1.5, -0.2),
        Bm: f64(random, [B, T, c.G, N]),
        Cm: f64(random, [B, T, c.G, N]),
      };
      if (c.D) inputs.D = f64(random, [H]);
      if (c.initialState) inputs.initialState = f64(random, [B, H, P, N]);
      if (c.seqIdx) inputs.seqIdx = seqIdx;
      const scanInputs = (t: Record<string, TensorInfo>) => ({
        x: t.x,
        dt: t.dt,
        A: t.A,
        Bm: t.Bm,
        Cm: t.Cm,
        D: t.D,
        initialState: t.initialState,
        seqIdx: t.seqIdx,
      });
      const attrs = { chunkSize: 4 };
      gradCheck({
        inputs,
        wrt: ['x', 'dt', 'A', 'Bm', 'Cm', ...(c.D ? ['D'] : []), ...(c.initialState ? ['initialState'] : [])],
        forward: (t) => {
          const { y, finalState } = k.SsmScan(scanInputs(t), attrs);
          if (c.final) return [y, finalState];
          dispose(backend, finalState);
          return [y];
        },
        backward: (t, [dy, dFinalState]) => {
          const grads = k.SsmScanGrad({ dy, dFinalState, ...scanInputs(t) }, attrs);
          expect(grads.dD !== undefined).toBe(c.D);
          expect(grads.dinitialState !== undefined).toBe(c.initialState);
          return {
            x: grads.dx,
            dt: grads.ddt,
            A: grads.dA,
            Bm: grads.dBm,
            Cm: grads.dCm,
            D: grads.dD,
            initialState: grads.dinitialState,
          };
        },
      });
    });
  }
});

describe('AttentionGrad', () => {
  const cases = [
    { name: 'GQA 4/2, causal, S > T (queries are the last T)', T: 3, S: 5, causal: true, seq: false },
    { name: 'GQA 4/2, not causal', T: 3, S: 5, causal: false, seq: false },
    { name: 'causal with document ids, one-token document', T: 6, S: 6, causal: true, seq: true },
    { name: 'causal with S < T: the first queries see no key', T: 5, S: 3, causal: true, seq: false },
  ];
  for (const c of cases) {
    it(`matches finite differences (${c.name})`, () => {
      const random = seededRandom(7);
      const [B, Hq, Hkv, Dh, Dv] = [2, 4, 2, 3, 2];
      const inputs: GradCheck['inputs'] = {
        q: f64(random, [B, c.T, Hq, Dh], -1.5, 1.5),
        k: f64(random, [B, c.S, Hkv, Dh], -1.5, 1.5),
        v: f64(random, [B, c.S, Hkv, Dv]),
      };
      if (c.seq) {
        inputs.qSeqIdx = i32([0, 0, 1, 2, 2, 2, /* row 1 */ 0, 0, 0, 0, 1, 1], [B, c.T]);
        inputs.kSeqIdx = inputs.qSeqIdx;
      }
      const attrs = { scale: 1 / Math.sqrt(Dh), causal: c.causal };
      const attnInputs = (t: Record<string, TensorInfo>) => ({
        q: t.q,
        k: t.k,
        v: t.v,
        qSeqIdx: t.qSeqIdx,
        kSeqIdx: t.kSeqIdx,
      });
      gradCheck({
        inputs,
        wrt: ['q', 'k', 'v'],
        forward: (t) => [k.Attention(attnInputs(t), attrs)],
        backward: (t, [dy]) => {
          const { dq, dk, dv } = k.AttentionGrad({ dy, ...attnInputs(t) }, attrs);
          return { q: dq, k: dk, v: dv };
        },
      });
    });
  }
});

describe('CrossEntropyGrad', () => {
  it('matches finite differences of CrossEntropy, ignored rows included', () => {
    const random = seededRandom(8);
    const attrs = { ignoreIndex: -100 };
    gradCheck({
      inputs: { logits: f64(random, [5, 7], -3, 3), labels: i32([3, -100, 0, 6, 3], [5]) },
      wrt: ['logits'],
      forward: (t) => [k.CrossEntropy({ logits: t.logits, labels: t.labels }, attrs)],
      backward: (t, [dloss]) => ({
        logits: k.CrossEntropyGrad({ dloss, logits: t.logits, labels: t.labels }, attrs),
      }),
    });
  });
});
