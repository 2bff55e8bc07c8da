/**
 * The trainer's own random stream: pure-rand's xoroshiro128+, whose whole state is four 32-bit integers, so that a
 * checkpoint stores it and a resumed run draws exactly what the uninterrupted run would have drawn. Every random
 * choice the training loop makes goes through it; today that is the sampling seed of each sample generation.
 * Parameter initialisation (`model.seed`) and the data loader (`data.seed`) have seeds of their own, fixed by the
 * config, and the loader's position is part of the checkpoint.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

type Generator = ReturnType<typeof xoroshiro128plus>;

export class TrainerRandom {
  private constructor(private readonly generator: Generator) {}

  static fromSeed(seed: number): TrainerRandom {
    return new TrainerRandom(xoroshiro128plus(seed));
  }

  /** Continues the stream of the generator that `state` was taken from. */
  static fromState(state: readonly number[]): TrainerRandom {
    if (!Array.isArray(state) || state.length !== 4 || !state.every((x) => Number.isInteger(x))) {
      throw new Error(`the random state must be 4 integers, got ${JSON.stringify(state)}`);
    }
    return new TrainerRandom(xoroshiro128plusFromState(state));
  }

  /** The state to store in a checkpoint. */
  get state(): number[] {
    return [...this.generator.getState()];
  }

  /** A uniform integer in [0, 2³¹ − 1], e.g. the seed of a sampler. */
  nextSeed(): number {
    return uniformInt(this.generator, 0, 0x7fffffff);
  }
}
