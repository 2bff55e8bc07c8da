/** The kernels a piece of code dispatches, counted through ENGINE.runKernel (tests that lock a backward's kernels). */
import { ENGINE } from '../src/index.js';

/** The kernels `fn` runs, by name. */
export function kernelsOf(fn: () => void): Map<string, number> {
  const counts = new Map<string, number>();
  const runKernel = ENGINE.runKernel.bind(ENGINE);
  ENGINE.runKernel = ((name: string, ...rest: unknown[]) => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return (runKernel as (...a: unknown[]) => unknown)(name, ...rest);
  }) as typeof ENGINE.runKernel;
  try {
    fn();
  } finally {
    ENGINE.runKernel = runKernel;
  }
  return counts;
}
