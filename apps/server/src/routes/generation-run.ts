/**
 * The choices of one request, from token ids to text: each choice is a sequence in the scheduler whose tokens go
 * through an incremental decoder (whole UTF-8 characters only) and the stop-string filter. Text is reported as it
 * is released; a stop string cancels the sequence (its finish is then 'stop'). `cancel()` (client gone) cancels
 * every choice; the scheduler frees their slots at its next step.
 */
import type { SamplingParams } from '../engine/sampler.js';
import type { Scheduler } from '../engine/scheduler.js';
import type { Sequence, SequenceFinish } from '../engine/sequence.js';
import type { ServedModel } from '../served-model.js';
import { IncrementalDecoder } from '../text/incremental-decoder.js';
import { StopStringFilter } from '../text/stop-strings.js';

export type FinishReason = 'stop' | 'length';

export interface ChoiceEvent {
  index: number;
  text: string;
  /** Set on the choice's last event. */
  finishReason?: FinishReason;
}

export interface ChoiceSpec {
  index: number;
  promptIds: number[];
  maxTokens: number;
}

export interface RunUsage {
  completionTokens: number;
}

export class GenerationRun {
  readonly done: Promise<RunUsage>;
  private readonly sequences: Sequence[];

  /** Queues the choices (throws the scheduler's QueueFullError / RequestTooLargeError before anything runs). */
  constructor(
    scheduler: Scheduler,
    served: ServedModel,
    choices: readonly ChoiceSpec[],
    options: { sampling: SamplingParams; stop: readonly string[] },
    onEvent: (event: ChoiceEvent) => void,
  ) {
    let remaining = choices.length;
    let completionTokens = 0;
    let resolveDone!: (usage: RunUsage) => void;
    let rejectDone!: (error: Error) => void;
    this.done = new Promise((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const settle = (error?: Error) => {
      if (error) rejectDone(error);
      else if (--remaining === 0) resolveDone({ completionTokens });
    };
    this.sequences = scheduler.submit(
      choices.map((choice, i) => {
        const decoder = new IncrementalDecoder(served.tokenizer);
        const filter = new StopStringFilter(options.stop);
        let stoppedByString = false;
        let generated = 0;
        // Choice i is sequence i: `this.sequences` is assigned before any token arrives (the loop yields first).
        const sequence = () => this.sequences[i]!;
        return {
          request: {
            promptIds: choice.promptIds,
            maxTokens: choice.maxTokens,
            // Each choice draws its own stream: the request's seed offset by the choice's index.
            sampling: { ...options.sampling, seed: options.sampling.seed + choice.index },
            stopTokenIds: served.stopTokenIds,
          },
          listener: {
            token: (id: number) => {
              if (stoppedByString) return;
              generated++;
              const released = filter.push(decoder.push(id));
              if (released.stopped) {
                stoppedByString = true;
                sequence().cancel();
              }
              if (released.text !== '') onEvent({ index: choice.index, text: released.text });
            },
            finish: (reason: SequenceFinish, error?: Error) => {
              completionTokens += generated;
              if (reason === 'error') return settle(error ?? new Error('generation failed'));
              if (reason === 'cancelled' && !stoppedByString) return settle();
              const tail = stoppedByString ? '' : filter.push(decoder.flush()).text + filter.flush();
              onEvent({
                index: choice.index,
                text: tail,
                finishReason: stoppedByString ? 'stop' : reason === 'length' ? 'length' : 'stop',
              });
              settle();
            },
          },
        };
      }),
    );
  }

  cancel(): void {
    for (const s of this.sequences) s.cancel();
  }
}
