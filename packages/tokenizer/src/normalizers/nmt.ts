/** Nmt: drops some control characters and maps a few spaces to ' ' (SentencePiece's NMT normalization). */
import type { NormalizedString } from '../text/normalized-string.js';
import type { Normalizer } from './normalizer.js';

function removed(cp: number): boolean {
  return (
    (cp >= 0x0001 && cp <= 0x0008) ||
    cp === 0x000b ||
    (cp >= 0x000e && cp <= 0x001f) ||
    cp === 0x007f ||
    cp === 0x008f ||
    cp === 0x009f
  );
}

function mapped(cp: number): number {
  switch (cp) {
    case 0x0009:
    case 0x000a:
    case 0x000c:
    case 0x000d:
    case 0x1680:
    case 0x200b:
    case 0x200c:
    case 0x200d:
    case 0x200e:
    case 0x200f:
    case 0x2028:
    case 0x2029:
    case 0x2581:
    case 0xfeff:
    case 0xfffd:
      return 0x20;
    default:
      return cp >= 0x200b && cp <= 0x200f ? 0x20 : cp;
  }
}

export class NmtNormalizer implements Normalizer {
  readonly type = 'Nmt';

  normalize(ns: NormalizedString): void {
    ns.filter((cp) => !removed(cp));
    ns.map(mapped);
  }

  leavesUnchanged(): boolean {
    return false;
  }
}
