/**
 * The committed build/ is the build of the committed csrc/: the recorded hashes always match (no emscripten
 * needed); where emcc is installed, a fresh build is compared byte for byte (skipped with a note otherwise).
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { checkWasm } from '../scripts/check-wasm.mjs';

describe('build is current', () => {
  it('matches csrc/ (and rebuilds bit for bit when emcc is installed)', { timeout: 300_000 }, () => {
    const notes: string[] = [];
    const result = checkWasm({ log: (line: string) => notes.push(line) }) as {
      ok: boolean;
      problems: string[];
      rebuilt: boolean;
    };
    for (const note of notes) console.log(note);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
