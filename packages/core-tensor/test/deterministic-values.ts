/** Deterministic test inputs in [−2, 2): a small LCG, no dependency on the code under test. */
export function values(count: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 4 - 2;
  });
}
