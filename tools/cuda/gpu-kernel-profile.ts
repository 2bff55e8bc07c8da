/**
 * gpu-kernel-profile.ts — where a step's GPU time goes on the CUDA backend, by kernel name, from CUDA events: every
 * `ENGINE.runKernel` call during `fn` is bracketed by two timing marks on the stream (the addon's timingMark), and
 * after `fn` the milliseconds between each pair are read back. A fused kernel that falls back to its composition
 * calls runKernel again inside, so each name gets its *self* time (its span minus its children's spans) — a
 * composition's primitives are charged to themselves, a native fused kernel to its own name.
 *
 * The marks cost the host ~2 µs each, so a host-bound step (decode) is slower under the profiler and its gaps land
 * in the spans; for a GPU-bound step (prefill, training) the spans are the kernels' times. Time the step itself
 * without the profiler.
 */
import type { CudaBackend } from '@falcon-h1/backend-cuda';
import * as ops from '@falcon-h1/core-tensor';

export interface KernelTime {
  name: string;
  calls: number;
  /** Self milliseconds: the kernel's spans minus the spans of kernels it ran inside them. */
  ms: number;
}

interface Span {
  name: string;
  start: number;
  end: number;
  parent: number;
}

export async function profileGpuKernels(
  backend: CudaBackend,
  fn: () => Promise<void> | void,
): Promise<{ totalMs: number; kernels: KernelTime[] }> {
  await backend.synchronize();
  const ctx = backend.ctx;
  ctx.timingReset();
  const engine = ops.ENGINE as unknown as { runKernel: (...args: unknown[]) => unknown };
  const original = engine.runKernel.bind(engine);
  const spans: Span[] = [];
  const open: number[] = [];
  engine.runKernel = (...args: unknown[]) => {
    const index = spans.length;
    spans.push({ name: String(args[0]), start: ctx.timingMark(), end: -1, parent: open.at(-1) ?? -1 });
    open.push(index);
    try {
      return original(...args);
    } finally {
      open.pop();
      spans[index]!.end = ctx.timingMark();
    }
  };
  const first = ctx.timingMark();
  try {
    await fn();
  } finally {
    engine.runKernel = original;
  }
  const last = ctx.timingMark();
  await backend.synchronize();
  const totalMs = ctx.timingElapsed(first, last);
  const spanMs = spans.map((s) => ctx.timingElapsed(s.start, s.end));
  const self = [...spanMs];
  for (const [i, s] of spans.entries()) if (s.parent >= 0) self[s.parent]! -= spanMs[i]!;
  const byName = new Map<string, KernelTime>();
  for (const [i, s] of spans.entries()) {
    const entry = byName.get(s.name) ?? { name: s.name, calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += self[i]!;
    byName.set(s.name, entry);
  }
  ctx.timingReset();
  return { totalMs, kernels: [...byName.values()].sort((a, b) => b.ms - a.ms) };
}

/** A table of the kernels above `minShare` of the total, then the rest in one line. */
export function kernelTable(title: string, profile: { totalMs: number; kernels: KernelTime[] }, minShare = 0.005) {
  const lines = [`${title}: ${profile.totalMs.toFixed(1)} ms between the first and last mark`];
  lines.push('| kernel | calls | self ms | share |', '| :-- | --: | --: | --: |');
  let rest = 0;
  let restCalls = 0;
  for (const k of profile.kernels) {
    if (k.ms / profile.totalMs < minShare) {
      rest += k.ms;
      restCalls += k.calls;
      continue;
    }
    lines.push(`| ${k.name} | ${k.calls} | ${k.ms.toFixed(2)} | ${((100 * k.ms) / profile.totalMs).toFixed(1)} % |`);
  }
  lines.push(`| (the rest) | ${restCalls} | ${rest.toFixed(2)} | ${((100 * rest) / profile.totalMs).toFixed(1)} % |`);
  return lines.join('\n');
}
