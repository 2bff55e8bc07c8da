/**
 * Which source the next document comes from, token-weighted and deterministic: every served document of n tokens
 * adds w_s · n to each source's target ("owed") and n to the chosen source's "taken"; the next document comes from
 * the source, among those with a positive weight now, whose taken tokens lag their target most (ties: the first
 * source). Realised token shares therefore track the integral of the scheduled weights over the token stream,
 * within about one document per source at any point, with no sampling noise — the seminar's mixtures are token
 * proportions. Both accumulators are plain numbers, part of the loader's state.
 */

export interface SelectorState {
  taken: number[];
  owed: number[];
}

export class DeficitSelector {
  readonly taken: Float64Array;
  readonly owed: Float64Array;

  constructor(sources: number, state?: SelectorState) {
    this.taken = new Float64Array(sources);
    this.owed = new Float64Array(sources);
    if (state) {
      if (state.taken.length !== sources || state.owed.length !== sources) {
        throw new Error(`mixture state has ${state.taken.length} sources, the loader ${sources}`);
      }
      this.taken.set(state.taken);
      this.owed.set(state.owed);
    }
  }

  /** The source with the largest deficit among those with weight > 0. */
  choose(weights: Float64Array): number {
    let best = -1;
    let bestDeficit = Number.NEGATIVE_INFINITY;
    for (let s = 0; s < weights.length; s++) {
      if (!(weights[s]! > 0)) continue;
      const deficit = this.owed[s]! - this.taken[s]!;
      if (deficit > bestDeficit) {
        best = s;
        bestDeficit = deficit;
      }
    }
    if (best < 0) throw new Error('no source has a positive weight');
    return best;
  }

  /** Accounts a served document of `tokens` tokens from `source` under the current weights. */
  record(source: number, tokens: number, weights: Float64Array): void {
    this.taken[source]! += tokens;
    for (let s = 0; s < weights.length; s++) this.owed[s]! += weights[s]! * tokens;
  }

  state(): SelectorState {
    return { taken: [...this.taken], owed: [...this.owed] };
  }
}
