/**
 * Reading the text of a Hugging Face `config.json`. Python's json module writes non-finite floats as the bare
 * tokens `Infinity`, `-Infinity` and `NaN` (older configs: `"time_step_limit": [0.0, Infinity]`), which JSON.parse
 * rejects; transformers 5 writes them as `{"__float__": "Infinity"}` instead. Both spellings are accepted here, and
 * `decodeFloat` turns either into a number.
 */

/** Parses JSON that may contain Python's bare non-finite float tokens (outside strings). */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const rewritten = rewriteNonFiniteTokens(text);
    if (rewritten === text) throw first;
    return JSON.parse(rewritten);
  }
}

function rewriteNonFiniteTokens(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      // Copy the string literal, escapes included.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const token = ['-Infinity', 'Infinity', 'NaN'].find((word) => text.startsWith(word, i));
    if (token) {
      out += `{"__float__":"${token}"}`;
      i += token.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** A number, or transformers 5's `{"__float__": "Infinity" | "-Infinity" | "NaN"}`; undefined for anything else. */
export function decodeFloat(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value !== null && '__float__' in value) {
    const text = (value as { __float__: unknown }).__float__;
    if (text === 'Infinity' || text === 'inf') return Number.POSITIVE_INFINITY;
    if (text === '-Infinity' || text === '-inf') return Number.NEGATIVE_INFINITY;
    if (text === 'NaN' || text === 'nan') return Number.NaN;
  }
  return undefined;
}

/** The JSON value transformers 5 writes for a float (non-finite ones as `{"__float__": ...}`). */
export function encodeFloat(value: number): number | { __float__: string } {
  if (Number.isFinite(value)) return value;
  return { __float__: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity' };
}
