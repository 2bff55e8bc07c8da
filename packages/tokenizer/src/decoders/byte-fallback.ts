/**
 * ByteFallback: turns runs of `<0xXX>` tokens back into the UTF-8 text they spell; a run that is not valid UTF-8
 * becomes one U+FFFD per byte.
 */
import type { Decoder } from './decoder.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function byteOf(token: string): number {
  if (token.length !== 6 || !token.startsWith('<0x') || token[5] !== '>') return -1;
  const hex = token.slice(3, 5);
  return /^[0-9a-fA-F]{2}$/.test(hex) ? Number.parseInt(hex, 16) : -1;
}

export class ByteFallbackDecoder implements Decoder {
  readonly type = 'ByteFallback';

  decodeChain(tokens: string[]): string[] {
    const out: string[] = [];
    let pending: number[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      try {
        out.push(strictUtf8.decode(Uint8Array.from(pending)));
      } catch {
        for (let k = 0; k < pending.length; k++) out.push('\uFFFD');
      }
      pending = [];
    };
    for (const token of tokens) {
      const b = byteOf(token);
      if (b >= 0) {
        pending.push(b);
      } else {
        flush();
        out.push(token);
      }
    }
    flush();
    return out;
  }
}
