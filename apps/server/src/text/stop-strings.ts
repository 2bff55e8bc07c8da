/**
 * OpenAI `stop` strings: generation ends where one of them first appears, and the text returned ends just before
 * it. Streamed text is therefore held back while its tail could still be the beginning of a stop string.
 */

export class StopStringFilter {
  private pending = '';

  constructor(private readonly stops: readonly string[]) {}

  /** Adds text; returns what may be released and whether a stop string was reached (nothing after it is). */
  push(text: string): { text: string; stopped: boolean } {
    this.pending += text;
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.pending.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      const out = this.pending.slice(0, cut);
      this.pending = '';
      return { text: out, stopped: true };
    }
    const hold = this.heldTail();
    const out = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { text: out, stopped: false };
  }

  /** The text held back (the sequence ended without a stop string). */
  flush(): string {
    const out = this.pending;
    this.pending = '';
    return out;
  }

  /** Length of the longest tail of the pending text that is a proper prefix of a stop string. */
  private heldTail(): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, this.pending.length); n > longest; n--) {
        if (this.pending.endsWith(stop.slice(0, n))) {
          longest = n;
          break;
        }
      }
    }
    return longest;
  }
}
