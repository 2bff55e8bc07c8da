/**
 * Bad input — a missing file, invalid UTF-8, a JSONL line that does not parse or lacks its field, a broken shard —
 * is never lost silently: every case becomes a `BadInput` naming the file, the line (or byte offset) and the
 * reason. Under the 'refuse' policy the first one throws a `BadInputError`; under 'skip' it is recorded (and
 * handed to an optional listener) and the document is left out.
 */

export type BadInputPolicy = 'skip' | 'refuse';

export interface BadInput {
  /** The source the input belongs to. */
  source: string;
  file: string;
  /** 1-based line, where the input is line-oriented (JSONL, text split into lines or paragraphs). */
  line?: number;
  /** Byte offset in the file of the offending byte (invalid UTF-8) or of the start of the bad record. */
  byteOffset?: number;
  reason: string;
}

/** `file:line: reason` (or `file: reason`), the form every report and error uses. */
export function formatBadInput(bad: BadInput): string {
  const where = bad.line !== undefined ? `${bad.file}:${bad.line}` : bad.file;
  const at = bad.byteOffset !== undefined ? ` (byte ${bad.byteOffset})` : '';
  return `${where}${at}: ${bad.reason} [source '${bad.source}']`;
}

export class BadInputError extends Error {
  constructor(readonly badInput: BadInput) {
    super(formatBadInput(badInput));
    this.name = 'BadInputError';
  }
}

/** Applies the policy to each bad input and keeps those skipped, in the order met. */
export class BadInputLog {
  readonly skipped: BadInput[] = [];

  constructor(
    readonly policy: BadInputPolicy,
    private readonly listener?: (bad: BadInput) => void,
  ) {
    if (policy !== 'skip' && policy !== 'refuse') {
      throw new Error(`onBadInput must be 'skip' or 'refuse', got '${String(policy)}'`);
    }
  }

  /** Throws under 'refuse'; records under 'skip'. */
  report(bad: BadInput): void {
    if (this.policy === 'refuse') throw new BadInputError(bad);
    this.skipped.push(bad);
    this.listener?.(bad);
  }
}
