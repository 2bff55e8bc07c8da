/**
 * Where a source is in its epochs: the epoch number (= epochs completed), the position in that epoch's shuffled
 * order, and what it has served. When the order runs out the next epoch starts with a fresh order; after
 * `maxEpochs` complete epochs the source is exhausted and leaves the mixture.
 */
import { epochOrder } from './epoch-order.js';

export interface CursorState {
  name: string;
  /** Documents of the source when the state was taken (a restore checks the corpus did not change). */
  documents: number;
  epoch: number;
  position: number;
  documentsServed: number;
  tokensServed: number;
  exhausted: boolean;
}

export class SourceCursor {
  epoch = 0;
  position = 0;
  documentsServed = 0;
  tokensServed = 0;
  exhausted = false;
  private order: Uint32Array | null = null;
  private orderEpoch = -1;

  constructor(
    readonly name: string,
    readonly documents: number,
    private readonly seed: number,
    private readonly shuffle: boolean,
    private readonly maxEpochs: number | undefined,
  ) {}

  private currentOrder(): Uint32Array {
    if (this.orderEpoch !== this.epoch) {
      this.order = epochOrder(this.seed, this.name, this.epoch, this.documents, this.shuffle);
      this.orderEpoch = this.epoch;
    }
    return this.order!;
  }

  /** The document `next()` will return, without advancing; null once exhausted. */
  peek(): number | null {
    return this.exhausted ? null : this.currentOrder()[this.position]!;
  }

  /** The next document number and its epoch, advancing the cursor; null once exhausted. */
  next(): { document: number; epoch: number } | null {
    if (this.exhausted) return null;
    const out = { document: this.currentOrder()[this.position]!, epoch: this.epoch };
    this.position++;
    if (this.position === this.documents) {
      this.epoch++;
      this.position = 0;
      if (this.maxEpochs !== undefined && this.epoch >= this.maxEpochs) this.exhausted = true;
    }
    return out;
  }

  state(): CursorState {
    const { name, documents, epoch, position, documentsServed, tokensServed, exhausted } = this;
    return { name, documents, epoch, position, documentsServed, tokensServed, exhausted };
  }

  restore(state: CursorState): void {
    if (state.name !== this.name)
      throw new Error(`loader state is for source '${state.name}', expected '${this.name}'`);
    if (state.documents !== this.documents) {
      throw new Error(
        `source '${this.name}' has ${this.documents} documents now but had ${state.documents} when the state was taken: the corpus changed, the run cannot resume exactly`,
      );
    }
    if (!(Number.isInteger(state.position) && state.position >= 0 && state.position < Math.max(this.documents, 1))) {
      throw new Error(`source '${this.name}': state position ${state.position} is out of range`);
    }
    this.epoch = state.epoch;
    this.position = state.position;
    this.documentsServed = state.documentsServed;
    this.tokensServed = state.tokensServed;
    this.exhausted = state.exhausted;
  }
}
