/** Thrown when a checkpoint directory cannot become a model; the message names every offending tensor. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}
